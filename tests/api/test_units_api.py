"""Functional tests of the org-unit API (/api/v1/): each endpoint, both ways of signing in.

Who may see which unit is the scoping matrix's job (tests/core/test_scoping_matrix.py); here
every call is made by an account that may make it, unless the test is about refusal.
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone

from renkou.core import actions
from renkou.core.models import ApiToken, ChangeType, OrgUnit, OrgUnitChange, User
from tests.conftest import api_headers

UNITS = "/api/v1/units"
# Open units of the cast's 锦城区, as the district admin sees them.
DISTRICT_KEYS = (
    "district",
    "township",
    "township2",
    "village",
    "village2",
    "village3",
    "group",
    "group2",
    "group3",
)


def _get(client, cast, path: str, key: str = "district_admin", **params):
    response = client.get(path, params, **api_headers(cast, key))
    return response


def _send(client, cast, method: str, path: str, body: dict, key: str = "district_admin"):
    return getattr(client, method)(
        path, json.dumps(body), content_type="application/json", **api_headers(cast, key)
    )


def _codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["code"] for item in response.json()["items"]}


def _cast_codes(cast, *keys: str) -> set[str]:
    return {cast.units[key].code for key in keys}


# --- GET /me --------------------------------------------------------------------------------


def test_me_names_the_account_and_its_top_units(client, cast):
    response = _get(client, cast, "/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "district_admin"
    assert body["role"] == "district_admin"
    assert [unit["code"] for unit in body["units"]] == ["510199000000"]
    district = body["units"][0]
    assert district["name"] == "锦城区"
    assert district["level"] == 1 and district["parent_id"] is None

    worker = _get(client, cast, "/api/v1/me", "grid_worker").json()
    assert (worker["username"], worker["role"]) == ("grid_worker", "grid_worker")
    assert [unit["id"] for unit in worker["units"]] == [cast.units["village"].pk]


# --- GET /units: filters and pagination ----------------------------------------------------


def test_list_without_filters_is_every_open_unit_in_tree_order(client, cast):
    response = _get(client, cast, UNITS)
    body = response.json()
    assert body["count"] == len(DISTRICT_KEYS)
    assert {item["code"] for item in body["items"]} == _cast_codes(cast, *DISTRICT_KEYS)
    # Tree order: the district first, every unit after its parent.
    ids = [item["id"] for item in body["items"]]
    assert ids[0] == cast.units["district"].pk
    for position, item in enumerate(body["items"]):
        if item["parent_id"] is not None:
            assert ids.index(item["parent_id"]) < position
    village = next(item for item in body["items"] if item["id"] == cast.units["village"].pk)
    assert village == {
        "id": cast.units["village"].pk,
        "code": "510199001001",
        "name": "东门社区",
        "kind": "community",
        "level": 3,
        "parent_id": cast.units["township"].pk,
        "opened_on": "2000-01-01",
        "closed_on": None,
    }


@pytest.mark.parametrize(
    ("params", "keys"),
    [
        ({"kind": "community"}, ("village", "village2")),
        ({"kind": "town"}, ("township2",)),
        ({"kind": "county"}, ()),
        ({"level": 2}, ("township", "township2")),
        ({"level": 4}, ("group", "group2", "group3")),
        ({"code_prefix": "510199001"}, ("township", "village", "village2", "group", "group2")),
        ({"code_prefix": "510199101201"}, ("village3", "group3")),
        ({"code_prefix": "510198"}, ()),  # the neighbouring district: out of scope
        ({"q": "青山"}, ("township2", "village3", "group3")),
        ({"q": "东门社区"}, ("village", "group", "group2")),
        ({"q": "510199001002"}, ("village2",)),  # an exact code
        # the first digits of a code, as typed in the unit picker (one filter for both)
        ({"q": "5101990010"}, ("township", "village", "village2", "group", "group2")),
        ({"kind": "building", "code_prefix": "510199001001002"}, ("group2",)),
        ({"level": 3, "q": "社区"}, ("village", "village2")),
    ],
    ids=repr,
)
def test_list_filters(client, cast, params, keys):
    assert _codes(_get(client, cast, UNITS, **params)) == _cast_codes(cast, *keys)


def test_list_filter_by_parent(client, cast):
    township = cast.units["township"]
    response = _get(client, cast, UNITS, parent=township.pk)
    assert _codes(response) == _cast_codes(cast, "village", "village2")
    assert {item["parent_id"] for item in response.json()["items"]} == {township.pk}
    group3_parent = cast.units["village3"].pk
    assert _codes(_get(client, cast, UNITS, parent=group3_parent)) == _cast_codes(cast, "group3")
    # A parent outside the caller's scope filters to nothing rather than leaking its children.
    foreign = cast.units["other_township"].pk
    assert _codes(_get(client, cast, UNITS, parent=foreign)) == set()


def test_list_include_closed_after_closing_a_unit(client, cast):
    group2 = cast.units["group2"]
    response = _send(client, cast, "post", f"{UNITS}/{group2.pk}/close", {"reason": "拆除"})
    assert response.status_code == 200, response.content

    default = _get(client, cast, UNITS)
    assert group2.code not in _codes(default)
    assert default.json()["count"] == len(DISTRICT_KEYS) - 1

    with_closed = _get(client, cast, UNITS, include_closed="true")
    assert _codes(with_closed) == _cast_codes(cast, *DISTRICT_KEYS)
    assert with_closed.json()["count"] == len(DISTRICT_KEYS)
    closed_item = next(item for item in with_closed.json()["items"] if item["id"] == group2.pk)
    assert closed_item["closed_on"] == timezone.localdate().isoformat()

    assert _codes(_get(client, cast, UNITS, include_closed="false")) == _codes(default)
    filtered = _get(client, cast, UNITS, include_closed="true", level=4)
    assert _codes(filtered) == _cast_codes(cast, "group", "group2", "group3")


def test_pagination_counts(client, cast):
    pages = [_get(client, cast, UNITS, page=n, page_size=4).json() for n in (1, 2, 3, 4)]
    assert [page["count"] for page in pages] == [9, 9, 9, 9]
    assert [len(page["items"]) for page in pages] == [4, 4, 1, 0]
    seen = [item["id"] for page in pages for item in page["items"]]
    assert len(seen) == len(set(seen)) == 9
    assert seen == [item["id"] for item in _get(client, cast, UNITS).json()["items"]]

    filtered = _get(client, cast, UNITS, level=4, page_size=2).json()
    assert filtered["count"] == 3 and len(filtered["items"]) == 2

    assert _get(client, cast, UNITS, page=0).status_code == 422
    assert _get(client, cast, UNITS, page_size=0).status_code == 422


# --- GET /units/{id} ---------------------------------------------------------------------------


def test_get_unit(client, cast):
    group3 = cast.units["group3"]
    response = _get(client, cast, f"{UNITS}/{group3.pk}")
    assert response.status_code == 200
    assert response.json() == {
        "id": group3.pk,
        "code": "510199101201001",
        "name": "青山村一组",
        "kind": "group",
        "level": 4,
        "parent_id": cast.units["village3"].pk,
        "opened_on": "2000-01-01",
        "closed_on": None,
    }
    assert _get(client, cast, f"{UNITS}/not-a-number").status_code == 422


# --- POST /units -------------------------------------------------------------------------------


def test_create_unit(client, cast):
    village = cast.unit("village")
    body = {
        "parent_id": village.pk,
        "code": "510199001001003",
        "name": "  东门社区3栋 ",
        "kind": "building",
        "opened_on": "2024-07-01",
        "reason": "新建楼栋",
    }
    response = _send(client, cast, "post", UNITS, body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["code"] == "510199001001003"
    assert created["name"] == "东门社区3栋"
    assert created["parent_id"] == village.pk
    assert created["level"] == 4 and created["kind"] == "building"
    assert created["opened_on"] == "2024-07-01" and created["closed_on"] is None

    unit = OrgUnit.objects.get(code="510199001001003")
    assert unit.pk == created["id"]
    assert unit.parent_id == village.pk
    assert unit.path == f"{village.path}{unit.pk:07d}."
    assert unit.opened_on == datetime.date(2024, 7, 1)
    change = OrgUnitChange.objects.get(unit=unit)
    assert change.change_type == ChangeType.CREATE
    assert change.actor == cast.district_admin and change.reason == "新建楼栋"
    # Visible at once through the API, under its parent.
    listed = _get(client, cast, UNITS, parent=village.pk)
    assert "510199001001003" in _codes(listed)


def test_create_unit_by_township_staff_defaults_opened_on_to_today(client, cast):
    township = cast.units["township"]
    body = {
        "parent_id": township.pk,
        "code": "510199001003",
        "name": "南门社区",
        "kind": "community",
    }
    response = _send(client, cast, "post", UNITS, body, key="township_staff")
    assert response.status_code == 201, response.content
    assert response.json()["opened_on"] == timezone.localdate().isoformat()
    assert OrgUnit.objects.get(code="510199001003").parent_id == township.pk


@pytest.mark.parametrize(
    "code",
    [
        "51019900100",  # 11 digits
        "51019900100A",  # not digits
        "510199101202",  # under 青山镇, not under 东城街道
        "510199001000",  # a township-level code at village level
    ],
)
def test_create_unit_with_a_bad_code_names_the_code_field(client, cast, code):
    body = {
        "parent_id": cast.units["township"].pk,
        "code": code,
        "name": "新社区",
        "kind": "community",
    }
    response = _send(client, cast, "post", UNITS, body)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert set(detail) == {"code"}
    assert code in detail["code"][0]
    assert not OrgUnit.objects.filter(name="新社区").exists()


def test_create_unit_with_an_overlong_code_fails_validation_on_code(client, cast):
    body = {
        "parent_id": cast.units["village"].pk,
        "code": "5101990010010031",
        "name": "东门社区3栋",
        "kind": "building",
    }
    response = _send(client, cast, "post", UNITS, body)
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["detail"]] == ["code"]


@pytest.mark.parametrize("code", ["510199001001001", "５１０１９９００１００１００１"])
def test_create_unit_with_a_duplicate_code_is_refused(client, cast, code):
    """The code of 东门社区1栋, once as is and once in full-width digits (normalised first)."""
    before = OrgUnit.objects.count()
    body = {"parent_id": cast.units["village"].pk, "code": code, "name": "重复", "kind": "building"}
    response = _send(client, cast, "post", UNITS, body)
    assert response.status_code == 422, response.content
    assert "510199001001001" in response.json()["detail"]["code"][0]
    assert OrgUnit.objects.count() == before


def test_create_unit_with_a_kind_of_the_wrong_level_names_kind(client, cast):
    body = {
        "parent_id": cast.units["village"].pk,
        "code": "510199001001003",
        "name": "东门社区3栋",
        "kind": "village",
    }
    response = _send(client, cast, "post", UNITS, body)
    assert response.status_code == 422
    assert set(response.json()["detail"]) == {"kind"}


def test_create_unit_needs_add_permission(client, cast):
    body = {
        "parent_id": cast.units["village"].pk,
        "code": "510199001001003",
        "name": "东门社区3栋",
        "kind": "building",
    }
    response = _send(client, cast, "post", UNITS, body, key="district_staff")
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not OrgUnit.objects.filter(code="510199001001003").exists()


# --- PATCH /units/{id} ------------------------------------------------------------------------


def test_rename_records_a_change_with_before_and_after(client, cast):
    village2 = cast.units["village2"]
    body = {"name": "西湖新社区", "reason": "村改居更名", "effective_on": "2025-03-01"}
    response = _send(client, cast, "patch", f"{UNITS}/{village2.pk}", body)
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "西湖新社区"
    assert response.json()["code"] == village2.code
    assert cast.unit("village2").name == "西湖新社区"

    change = OrgUnitChange.objects.get(unit=village2, change_type=ChangeType.RENAME)
    assert change.before == {"name": "西湖社区"}
    assert change.after == {"name": "西湖新社区"}
    assert change.effective_on == datetime.date(2025, 3, 1)
    assert change.actor == cast.district_admin
    assert change.reason == "村改居更名"


def test_rename_to_the_same_name_or_without_a_name_records_nothing(client, cast):
    village2 = cast.units["village2"]
    for body in ({"name": "西湖社区"}, {"reason": "nothing"}):
        response = _send(client, cast, "patch", f"{UNITS}/{village2.pk}", body)
        assert response.status_code == 200
        assert response.json()["name"] == "西湖社区"
    assert not OrgUnitChange.objects.filter(unit=village2, change_type=ChangeType.RENAME).exists()


def test_rename_to_a_blank_name_is_refused(client, cast):
    village2 = cast.units["village2"]
    response = _send(client, cast, "patch", f"{UNITS}/{village2.pk}", {"name": "   "})
    assert response.status_code == 422
    assert set(response.json()["detail"]) == {"name"}
    assert cast.unit("village2").name == "西湖社区"


# --- POST /units/{id}/move ---------------------------------------------------------------------


def test_district_admin_moves_a_community_to_another_township(client, cast):
    village2, township2 = cast.units["village2"], cast.units["township2"]
    body = {"parent_id": township2.pk, "effective_on": "2025-06-30", "reason": "区划调整"}
    response = _send(client, cast, "post", f"{UNITS}/{village2.pk}/move", body)
    assert response.status_code == 200, response.content
    assert response.json()["parent_id"] == township2.pk

    shown = _get(client, cast, f"{UNITS}/{village2.pk}").json()
    assert shown["parent_id"] == township2.pk
    assert shown["level"] == 3
    assert cast.unit("village2").path == f"{township2.path}{village2.pk:07d}."
    under_township2 = _get(client, cast, UNITS, parent=township2.pk)
    assert _codes(under_township2) == _cast_codes(cast, "village2", "village3")
    under_township = _get(client, cast, UNITS, parent=cast.units["township"].pk)
    assert _codes(under_township) == _cast_codes(cast, "village")

    change = OrgUnitChange.objects.get(unit=village2, change_type=ChangeType.MOVE)
    assert change.before == {"parent": cast.units["township"].pk}
    assert change.after == {"parent": township2.pk}
    assert change.related_unit_id == township2.pk


def test_township_staff_may_not_move_units(client, cast):
    village2, township2 = cast.units["village2"], cast.units["township2"]
    body = {"parent_id": township2.pk}
    response = _send(client, cast, "post", f"{UNITS}/{village2.pk}/move", body, "township_staff")
    assert response.status_code == 403
    assert cast.unit("village2").parent_id == cast.units["township"].pk
    assert not OrgUnitChange.objects.filter(change_type=ChangeType.MOVE).exists()


def test_move_to_a_parent_of_the_wrong_level_is_refused(client, cast):
    village2 = cast.units["village2"]
    body = {"parent_id": cast.units["district"].pk}
    response = _send(client, cast, "post", f"{UNITS}/{village2.pk}/move", body)
    assert response.status_code == 422
    assert set(response.json()["detail"]) == {"parent"}
    assert cast.unit("village2").parent_id == cast.units["township"].pk


# --- POST /units/{id}/close --------------------------------------------------------------------


def test_close_is_refused_while_open_children_exist(client, cast):
    village = cast.units["village"]  # 东门社区 with two open buildings
    response = _send(client, cast, "post", f"{UNITS}/{village.pk}/close", {"reason": "撤销"})
    assert response.status_code == 422
    assert set(response.json()["detail"]) == {"closed_on"}
    assert cast.unit("village").closed_on is None

    for key in ("group", "group2"):
        unit = cast.units[key]
        closed = _send(
            client, cast, "post", f"{UNITS}/{unit.pk}/close", {"closed_on": "2025-01-31"}
        )
        assert closed.status_code == 200, closed.content
        assert closed.json()["closed_on"] == "2025-01-31"

    response = _send(client, cast, "post", f"{UNITS}/{village.pk}/close", {"reason": "撤销"})
    assert response.status_code == 200, response.content
    assert cast.unit("village").closed_on == timezone.localdate()
    change = OrgUnitChange.objects.get(unit=village, change_type=ChangeType.CLOSE)
    assert change.reason == "撤销" and change.actor == cast.district_admin

    again = _send(client, cast, "post", f"{UNITS}/{village.pk}/close", {})
    assert again.status_code == 422


def test_close_needs_change_permission(client, cast):
    group = cast.units["group"]
    response = _send(client, cast, "post", f"{UNITS}/{group.pk}/close", {}, key="auditor")
    assert response.status_code == 403
    assert cast.unit("group").closed_on is None


# --- GET /units/{id}/changes -------------------------------------------------------------------


def test_changes_list_in_effective_order(client, cast):
    village2, township2 = cast.units["village2"], cast.units["township2"]
    path = f"{UNITS}/{village2.pk}"
    rename = {"name": "西湖新社区", "effective_on": "2025-03-01", "reason": "更名"}
    assert _send(client, cast, "patch", path, rename).status_code == 200
    move = {"parent_id": township2.pk, "effective_on": "2025-02-01", "reason": "调整"}
    assert _send(client, cast, "post", f"{path}/move", move).status_code == 200

    response = _get(client, cast, f"{path}/changes")
    assert response.status_code == 200
    changes = response.json()
    assert [c["change_type"] for c in changes] == ["create", "move", "rename"]
    assert [c["effective_on"] for c in changes] == ["2000-01-01", "2025-02-01", "2025-03-01"]
    created, moved, renamed = changes
    assert created["after"]["code"] == "510199001002"
    assert created["after"]["parent"] == cast.units["township"].pk
    assert moved["related_unit_id"] == township2.pk and moved["reason"] == "调整"
    assert renamed["before"] == {"name": "西湖社区"} and renamed["after"] == {"name": "西湖新社区"}
    assert set(created) == {
        "id",
        "change_type",
        "effective_on",
        "before",
        "after",
        "related_unit_id",
        "reason",
    }
    # The grid worker of 东门社区 cannot see 西湖社区's history (same 404 as a missing unit).
    assert _get(client, cast, f"{path}/changes", "grid_worker").status_code == 404


# --- bearer tokens --------------------------------------------------------------------------


def test_revoked_token_is_refused(client, cast):
    assert _get(client, cast, UNITS, "feed_account").status_code == 200
    token = ApiToken.objects.get(user=cast.feed_account)
    actions.revoke_api_token(actor=cast.district_admin, token=token)
    response = _get(client, cast, UNITS, "feed_account")
    assert response.status_code == 401
    assert "items" not in response.json()
    # Another account's token is unaffected.
    assert _get(client, cast, UNITS, "district_staff").status_code == 200


def test_token_of_a_disabled_account_is_refused_even_if_not_revoked(client, cast):
    """TokenAuth checks `is_active` itself, not only the revocation `disable_user` does."""
    assert _get(client, cast, "/api/v1/me", "auditor").status_code == 200
    User.objects.filter(pk=cast.auditor.pk).update(is_active=False)
    assert ApiToken.objects.filter(user=cast.auditor, revoked_at__isnull=True).exists()
    assert _get(client, cast, "/api/v1/me", "auditor").status_code == 401
    assert _get(client, cast, UNITS, "auditor").status_code == 401


def test_token_last_used_at_is_set_on_use(client, cast):
    token = ApiToken.objects.get(user=cast.feed_account)
    assert token.last_used_at is None
    before = timezone.now()
    assert _get(client, cast, "/api/v1/me", "feed_account").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert before <= token.last_used_at <= timezone.now()
    # Only the token used is touched.
    other = ApiToken.objects.get(user=cast.district_admin)
    assert other.last_used_at is None


def test_token_use_is_written_at_most_once_a_minute(client, cast):
    """Issue 14: an UPDATE of the token on every API read cost 6.8% of the server's time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = ApiToken.objects.get(user=cast.feed_account)

    def updates_of_one_read() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert _get(client, cast, "/api/v1/me", "feed_account").status_code == 200
        return sum(q["sql"].startswith("UPDATE") and "apitoken" in q["sql"] for q in queries)

    assert updates_of_one_read() == 1  # the first use
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert updates_of_one_read() == 0  # a second read within the minute writes nothing
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    earlier = first - actions.TOKEN_USE_RESOLUTION
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    assert updates_of_one_read() == 1  # a minute on, the use is recorded again
    assert ApiToken.objects.get(pk=token.pk).last_used_at > earlier


def test_wrong_or_malformed_authorization_is_refused(client, cast):
    for header in ("Bearer rk_not-a-token", f"Token {cast.tokens['district_admin']}", "Bearer"):
        response = client.get(UNITS, HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header


# --- session auth from the browser -------------------------------------------------------------


def test_signed_in_browser_session_can_read(cast):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.township_staff, backend="renkou.core.backends.RoleBackend")
    response = browser.get(UNITS)
    assert response.status_code == 200
    assert _codes(response) == _cast_codes(
        cast, "township", "village", "village2", "group", "group2"
    )
    assert browser.get("/api/v1/me").json()["username"] == "township_staff"


def test_browser_session_post_needs_the_csrf_token(cast):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.township_staff, backend="renkou.core.backends.RoleBackend")
    body = json.dumps(
        {
            "parent_id": cast.units["township"].pk,
            "code": "510199001003",
            "name": "南门社区",
            "kind": "community",
        }
    )
    response = browser.post(UNITS, body, content_type="application/json")
    assert response.status_code == 403
    assert not OrgUnit.objects.filter(code="510199001003").exists()
    group = cast.units["group"]
    response = browser.post(f"{UNITS}/{group.pk}/close", "{}", content_type="application/json")
    assert response.status_code == 403
    assert cast.unit("group").closed_on is None

    # With the token a page hands out (cookie + header), the same request goes through,
    # so the 403 above was the CSRF check.
    page = browser.get("/units/")
    token = str(page.context["csrf_token"])
    response = browser.post(UNITS, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content
    assert OrgUnit.objects.filter(code="510199001003").exists()


def test_bearer_token_needs_no_csrf_token(cast):
    api_client = Client(enforce_csrf_checks=True)
    group = cast.units["group"]
    response = _send(api_client, cast, "post", f"{UNITS}/{group.pk}/close", {})
    assert response.status_code == 200
    assert cast.unit("group").closed_on is not None


def test_anonymous_requests_get_401(client, cast):
    assert client.get("/api/v1/me").status_code == 401
    body = json.dumps({"parent_id": cast.units["village"].pk})
    response = client.post(f"{UNITS}/{cast.units['group'].pk}/move", body, "application/json")
    assert response.status_code == 401
