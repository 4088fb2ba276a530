"""One read path for units: the unit picker (a page) and GET /api/v1/units run the same
filter set and the same query, so the same search gives the same units (issue 12)."""

from __future__ import annotations

import pytest

from tests.conftest import api_headers

pytestmark = pytest.mark.django_db


def _picker_codes(login, user, q: str) -> list[str]:
    response = login(user).get("/units/pick/", {"q": q})
    assert response.status_code == 200
    return [unit.code for unit in response.context["units"]]


def _api_codes(client, cast, key: str, q: str) -> list[str]:
    response = client.get("/api/v1/units", {"q": q, "page_size": 100}, **api_headers(cast, key))
    assert response.status_code == 200, response.content.decode()
    return [unit["code"] for unit in response.json()["items"]]


@pytest.mark.parametrize("key", ["district_admin", "township_staff", "grid_worker", "outsider"])
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("东门", {"510199001001", "510199001001001", "510199001001002"}),
        (
            "5101990010",
            {"510199001000", "510199001001", "510199001002", "510199001001001", "510199001001002"},
        ),  # fmt: skip
        ("510199001001", {"510199001001", "510199001001001", "510199001001002"}),
        (" 青山 ", {"510199101000", "510199101201", "510199101201001"}),
        ("邻区", {"510198000000", "510198001000", "510198001001", "510198001001001"}),
        ("无此单位", set()),
    ],
)
def test_picker_and_api_answer_alike(cast, client, login, key, q, expected):
    user = cast.users[key]
    picker = _picker_codes(login, user, q)
    assert picker == _api_codes(client, cast, key, q)
    visible = {unit.code for unit in cast.units.values() if _sees(cast, key, unit)}
    assert set(picker) == expected & visible


def _sees(cast, key: str, unit) -> bool:
    home = {
        "district_admin": "district",
        "township_staff": "township",
        "grid_worker": "village",
        "outsider": "other_district",
    }[key]
    return unit.path.startswith(cast.units[home].path)
