"""One read path: the person pages and GET /api/v1/persons run the same filters and the same
query, so the same question gets the same rows (issue 12)."""

from __future__ import annotations

import datetime

import pytest

from renkou.core.models import AccessLog
from renkou.registry import actions
from tests.conftest import api_headers

pytestmark = pytest.mark.django_db


def _page_ids(login, user, url: str, params: dict) -> list[int]:
    response = login(user).get(url, params)
    assert response.status_code == 200, response.content.decode()[:500]
    return [person.pk for person in response.context["rows"]]


def _api_ids(client, cast, key: str, params: dict) -> list[int]:
    response = client.get("/api/v1/persons", params, **api_headers(cast, key))
    assert response.status_code == 200, response.content.decode()
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize("key", ["district_admin", "grid_worker", "outsider"])
@pytest.mark.parametrize("q", ["王", "wang", "ww", "wjg", "ah", "张敏", "lxy", "zzz"])
def test_search_page_and_api_answer_alike(cast, families, client, login, key, q):
    group = cast.units["group"]
    actions.register_person(
        actor=cast.district_admin, name="艾华", sex="F", birth_date=datetime.date(1970, 1, 1),
        residence_unit=group, hukou_unit=group,
    )  # fmt: skip
    user = cast.users[key]
    page = _page_ids(login, user, "/persons/", {"q": q})
    assert page == _api_ids(client, cast, key, {"q": q, "page_size": 100})
    if q == "ah" and key != "outsider":  # short syllables that find nobody: tried as initials
        assert len(page) == 1


@pytest.mark.parametrize("kind", ["residents", "inflow", "deceased"])
@pytest.mark.parametrize("sex", ["", "F"])
def test_unit_lists_and_api_answer_alike(cast, families, client, login, kind, sex):
    village = cast.units["village"]
    url = f"/units/{village.pk}/persons/{kind}/"
    page = _page_ids(login, cast.township_staff, url, {"sex": sex} if sex else {})
    params = {"unit": village.pk, "listing": kind, "page_size": 100}
    if sex:
        params["sex"] = sex
    assert page == _api_ids(client, cast, "township_staff", params)
    if kind == "residents":
        assert page  # the Wangs and the migrant live here


def test_a_reveal_is_one_action_for_page_and_api(cast, families, client, login):
    son = families.father  # has an ID number
    response = login(cast.district_admin).post(f"/persons/{son.pk}/reveal/", {"reason": "核查"})
    assert response.status_code == 200 and son.id_number in response.content.decode()
    response = client.get(
        f"/api/v1/persons/{son.pk}", {"reveal": 1}, **api_headers(cast, "district_admin")
    )
    assert response.json()["id_number"] == son.id_number
    rows = AccessLog.objects.filter(object_id=str(son.pk), field="id_number").order_by("pk")
    assert [row.reason for row in rows] == ["核查", "API reveal=1"]


def test_a_reveal_outside_the_units_is_refused(cast, families):
    from renkou.core import actions as core_actions
    from renkou.lib.scoping import OutOfScope

    with pytest.raises(OutOfScope):
        core_actions.reveal_id_number(actor=cast.outsider, obj=families.son, reason="x")
    assert not AccessLog.objects.exists()
