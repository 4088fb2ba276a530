"""One read path: the application list page and GET /api/v1/births/applications run the same
filter set (`births.filters.ApplicationFilters`) and query."""

from __future__ import annotations

import pytest

from renkou.births import rules
from tests.births.conftest import application_in, make_couple
from tests.conftest import api_headers

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("key", ["district_admin", "township_staff", "grid_worker", "outsider"])
@pytest.mark.parametrize("filters", ["", "state", "unit", "other_unit"])
def test_list_page_and_api_answer_alike(cast, client, login, key, filters):
    application_in(cast, make_couple(cast), rules.REGISTRATION, rules.SUBMITTED)
    application_in(cast, make_couple(cast, seq=20, unit="group2"), rules.APPROVAL, rules.DRAFT)
    params = {
        "": {},
        "state": {"state": rules.SUBMITTED},
        "unit": {"unit": cast.units["group2"].pk},
        "other_unit": {"unit": cast.units["other_district"].pk},
    }[filters]
    response = login(cast.users[key]).get("/births/", params)
    assert response.status_code in (200, 403)
    answer = client.get(
        "/api/v1/births/applications", params | {"page_size": 100}, **api_headers(cast, key)
    )
    assert answer.status_code == response.status_code
    if response.status_code == 200:
        page = [application.pk for application in response.context["page"]]
        assert page == [item["id"] for item in answer.json()["items"]]
        if key == "district_admin" and filters == "":
            assert len(page) == 2
