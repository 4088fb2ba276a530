"""One read path: the benefit pages and their API endpoints run the same filter sets
(`benefits.filters`) and the same queries, so the same filters give the same rows."""

from __future__ import annotations

import pytest

from renkou.benefits import actions
from tests.benefits.conftest import accounts_for, jiangfu, run_to_approval
from tests.conftest import api_headers

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(cast, village):
    cycle = run_to_approval(cast, jiangfu(), 2025)
    accounts_for(cast, village.a)  # 乙's parents have no account: two open cases
    return actions.build_roster(actor=cast.district_staff, cycle=cycle, unit=cast.unit("district"))


def _page(login, user, url, params):
    response = login(user).get(url, params)
    assert response.status_code == 200, response.content.decode()[:500]
    return [row.pk for row in response.context["page"]]


def _api(client, cast, key, url, params):
    response = client.get(url, params, **api_headers(cast, key))
    assert response.status_code == 200, response.content.decode()
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize("key", ["district_staff", "township_staff", "outsider"])
@pytest.mark.parametrize(
    "params", [{}, {"status": "open"}, {"status": "all"}, {"kind": "no_account"},
               {"status": "resolved"}, {"kind": "payment_failed"}],
)  # fmt: skip
def test_cases_page_and_api_answer_alike(cast, roster, client, login, key, params):
    page = _page(login, cast.users[key], "/benefits/cases/", params)
    assert page == _api(client, cast, key, "/api/v1/benefits/cases", params | {"page_size": 500})
    if key == "district_staff" and params.get("status") != "resolved":
        assert (len(page) == 2) == (params.get("kind") in (None, "no_account"))


@pytest.mark.parametrize("key", ["district_staff", "township_staff"])
@pytest.mark.parametrize("show", ["", "eligible", "unknown", "exit", "sampled"])
def test_candidates_page_and_api_answer_alike(cast, roster, client, login, key, show):
    cycle = roster.cycle
    params = {"show": show} if show else {}
    page = _page(login, cast.users[key], f"/benefits/cycles/{cycle.pk}/", params)
    url = f"/api/v1/benefits/cycles/{cycle.pk}/candidates"
    assert page == _api(client, cast, key, url, params | {"page_size": 500})
    if not show:
        assert page


def test_roster_lines_page_and_api_answer_alike(cast, roster, client, login):
    response = login(cast.township_staff).get(f"/benefits/rosters/{roster.pk}/")
    page = [line.line_no for line, _account in response.context["rows"]]
    answer = client.get(
        f"/api/v1/benefits/rosters/{roster.pk}/lines", **api_headers(cast, "township_staff")
    ).json()
    assert page == [item["line_no"] for item in answer["items"]] and page
