"""The scoping matrix: role × where the record is × read/write × web/API.

Out-of-scope answers 404 exactly like a missing record (never 403, which would leak that it
exists); a missing permission answers 403; anonymous requests go to login (web) or 401 (API).
`test_every_url_is_covered` fails when a URL pattern exists that these tests do not exercise.
"""

from __future__ import annotations

import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from renkou.core.models import OrgUnit
from tests.conftest import api_headers

ROLES = (
    "district_admin",
    "district_staff",
    "township_staff",
    "grid_worker",
    "auditor",
    "feed_account",
)
WRITERS = {"district_admin", "township_staff"}  # roles holding core.change_orgunit

# For each role: which cast unit stands in each relation to the role's own unit.
RELATIONS: dict[str, dict[str, str]] = {
    "district_admin": {"own": "district", "child": "township", "other": "other_district"},
    "township_staff": {
        "own": "township",
        "child": "village",
        "sibling": "township2",
        "parent": "district",
        "other": "other_township",
    },
    "grid_worker": {
        "own": "village",
        "child": "group",
        "sibling": "village2",
        "parent": "township",
        "other": "other_village",
    },
}
RELATIONS["district_staff"] = RELATIONS["district_admin"]
RELATIONS["auditor"] = RELATIONS["district_admin"]
RELATIONS["feed_account"] = RELATIONS["district_admin"]
IN_SCOPE = {"own", "child"}

CASES = [
    (role, relation, operation, channel)
    for role in ROLES
    for relation in RELATIONS[role]
    for operation in ("read", "write")
    for channel in ("web", "api")
]


def expected_status(role: str, relation: str, operation: str, channel: str) -> int:
    if channel == "web" and role == "feed_account":
        return 403  # API only: no web page at all, whatever the record
    if relation not in IN_SCOPE:
        return 404
    if operation == "read":
        return 200
    if role not in WRITERS:
        return 403
    return 302 if channel == "web" else 200


def perform(client, cast, role: str, unit: OrgUnit, operation: str, channel: str):
    new_name = f"{unit.name}（更名）"
    if channel == "web":
        client.force_login(cast.users[role], backend="renkou.core.backends.RoleBackend")
        if operation == "read":
            return client.get(reverse("unit-detail", args=[unit.pk])), new_name
        url = reverse("unit-rename", args=[unit.pk])
        return client.post(url, {"name": new_name, "reason": "matrix"}), new_name
    headers = api_headers(cast, role)
    url = f"/api/v1/units/{unit.pk}"
    if operation == "read":
        return client.get(url, **headers), new_name
    body = json.dumps({"name": new_name, "reason": "matrix"})
    return client.patch(url, body, content_type="application/json", **headers), new_name


@pytest.mark.parametrize(("role", "relation", "operation", "channel"), CASES)
def test_matrix(client, cast, role, relation, operation, channel):
    unit = cast.unit(RELATIONS[role][relation])
    response, new_name = perform(client, cast, role, unit, operation, channel)
    expected = expected_status(role, relation, operation, channel)
    assert response.status_code == expected, (role, relation, operation, channel)
    unit.refresh_from_db()
    renamed = unit.name == new_name
    assert renamed == (operation == "write" and expected in (200, 302))
    if channel == "api" and expected == 200 and operation == "read":
        assert response.json()["code"] == unit.code


@pytest.mark.parametrize("channel", ["web", "api"])
def test_missing_and_out_of_scope_answer_alike(client, cast, channel):
    """A pk that does not exist and one in another district give the same response."""
    missing = OrgUnit.objects.order_by("-pk").first().pk + 1000
    foreign = cast.units["other_village"].pk
    bodies = []
    for pk in (missing, foreign):
        if channel == "web":
            client.force_login(cast.district_admin, backend="renkou.core.backends.RoleBackend")
            response = client.get(reverse("unit-detail", args=[pk]))
        else:
            response = client.get(f"/api/v1/units/{pk}", **api_headers(cast, "district_admin"))
        bodies.append((response.status_code, response.content))
    assert bodies[0] == bodies[1]
    assert bodies[0][0] == 404


def test_anonymous(client, cast):
    unit = cast.units["village"]
    response = client.get(reverse("unit-detail", args=[unit.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(f"/api/v1/units/{unit.pk}").status_code == 401
    assert client.get("/api/v1/units", HTTP_AUTHORIZATION="Bearer rk_wrong").status_code == 401


# --- every other URL, by what it takes -----------------------------------------------------

UNIT_PAGES = [
    "unit-detail", "unit-create", "unit-rename", "unit-close", "unit-move", "unit-merge",
    "unit-split",
]  # fmt: skip
STAFF_PAGES = [
    ("staff-detail", "get"), ("staff-reveal", "post"), ("staff-disable", "post"),
    ("staff-assign", "post"), ("staff-unlock", "post"),
]  # fmt: skip
LIST_PAGES = ["home", "unit-tree", "unit-picker", "staff-list", "staff-create", "audit"]


@pytest.mark.parametrize("name", UNIT_PAGES)
def test_unit_pages_scope(client, cast, name):
    """The outsider (an admin with every permission, elsewhere) gets 404 for our units."""
    ours = cast.units["village"]
    client.force_login(cast.outsider, backend="renkou.core.backends.RoleBackend")
    assert client.get(reverse(name, args=[ours.pk])).status_code == 404
    assert client.post(reverse(name, args=[ours.pk]), {"name": "x"}).status_code == 404
    client.force_login(cast.district_admin, backend="renkou.core.backends.RoleBackend")
    assert client.get(reverse(name, args=[ours.pk])).status_code == 200
    ours.refresh_from_db()
    assert ours.name == "东门社区"


@pytest.mark.parametrize("name", UNIT_PAGES[1:])
def test_unit_forms_need_permission(client, cast, name):
    """Read-only roles get 403 on every unit form of a unit they can see."""
    client.force_login(cast.auditor, backend="renkou.core.backends.RoleBackend")
    assert client.get(reverse(name, args=[cast.units["village"].pk])).status_code == 403


@pytest.mark.parametrize(("name", "method"), STAFF_PAGES)
def test_staff_pages_scope(client, cast, name, method):
    target = cast.grid_worker
    client.force_login(cast.outsider, backend="renkou.core.backends.RoleBackend")
    response = getattr(client, method)(reverse(name, args=[target.pk]), {"reason": "x"})
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.is_active
    client.force_login(cast.district_admin, backend="renkou.core.backends.RoleBackend")
    response = getattr(client, method)(reverse(name, args=[cast.outsider.pk]), {"reason": "x"})
    assert response.status_code == 404


def test_staff_pages_permission(client, cast):
    client.force_login(cast.grid_worker, backend="renkou.core.backends.RoleBackend")
    own = cast.grid_worker.pk
    assert client.get(reverse("staff-detail", args=[own])).status_code == 200
    assert client.post(reverse("staff-reveal", args=[own])).status_code == 403
    assert client.post(reverse("staff-disable", args=[own]), {"reason": "x"}).status_code == 403
    assert client.get(reverse("staff-create")).status_code == 403
    assert client.get(reverse("audit")).status_code == 403


@pytest.mark.parametrize("name", LIST_PAGES)
def test_list_pages_show_only_own_district(client, cast, name):
    client.force_login(cast.district_admin, backend="renkou.core.backends.RoleBackend")
    page = client.get(reverse(name)).content.decode()
    assert "邻区" not in page and "Outsider" not in page
    client.force_login(cast.outsider, backend="renkou.core.backends.RoleBackend")
    page = client.get(reverse(name)).content.decode()
    for foreign in ("东门社区", "东城街道", "Grid Worker", "锦城区"):
        assert foreign not in page, (name, foreign)


def test_unit_picker_refuses_foreign_unit(client, cast):
    client.force_login(cast.grid_worker, backend="renkou.core.backends.RoleBackend")
    response = client.post(reverse("unit-picker"), {"unit": cast.units["township"].pk})
    assert response.status_code == 404
    response = client.post(reverse("unit-picker"), {"unit": cast.units["group"].pk})
    assert response.status_code == 302
    assert client.session["renkou_current_unit"] == cast.units["group"].pk


def test_api_list_and_me_are_scoped(client, cast):
    response = client.get("/api/v1/units?page_size=500", **api_headers(cast, "grid_worker"))
    codes = {item["code"] for item in response.json()["items"]}
    assert codes == {"510199001001", "510199001001001", "510199001001002"}
    me = client.get("/api/v1/me", **api_headers(cast, "outsider")).json()
    assert [unit["code"] for unit in me["units"]] == ["510198000000"]


def test_api_writes_are_scoped(client, cast):
    headers = api_headers(cast, "outsider")
    ours = cast.units["village"]
    body = {"parent_id": ours.pk, "code": "510199001001009", "name": "x", "kind": "building"}
    post = client.post(
        "/api/v1/units", json.dumps(body), content_type="application/json", **headers
    )
    assert post.status_code == 404
    move = client.post(
        f"/api/v1/units/{ours.pk}/move",
        json.dumps({"parent_id": cast.units["other_township"].pk}),
        content_type="application/json",
        **headers,
    )
    assert move.status_code == 404
    close = client.post(
        f"/api/v1/units/{cast.units['group2'].pk}/close",
        "{}",
        content_type="application/json",
        **headers,
    )
    assert close.status_code == 404
    assert client.get(f"/api/v1/units/{ours.pk}/changes", **headers).status_code == 404
    # and with permission but in scope, they work
    admin = api_headers(cast, "district_admin")
    post = client.post("/api/v1/units", json.dumps(body), content_type="application/json", **admin)
    assert post.status_code == 201, post.content
    reader = api_headers(cast, "district_staff")
    body["code"] = "510199001001008"
    post = client.post("/api/v1/units", json.dumps(body), content_type="application/json", **reader)
    assert post.status_code == 403


# --- coverage: a URL that nobody tests is a URL nobody scoped -----------------------------

COVERED = {
    # registry pages: tests/registry/test_views.py
    "person-search", "person-create", "person-detail", "person-reveal", "event-record",
    "event-correct", "event-void", "household-detail", "unit-persons",
    # registry API: tests/registry/test_api.py (outsider 404, auditor 403 on each)
    "api:list_persons", "api:get_person", "api:create_person", "api:update_person",
    "api:list_households", "api:get_household", "api:list_events", "api:record_event",
    "api:correct_event", "api:void_event",
    # policy API: tests/policy/test_policy_api.py (outsider 404, auditor 403)
    "api:list_regimes", "api:evaluate_couple",
    # matrix and the tests above
    "unit-detail", "unit-create", "unit-rename", "unit-close", "unit-move", "unit-merge",
    "unit-split", "staff-detail", "staff-reveal", "staff-disable", "staff-assign", "staff-unlock",
    "assignment-end", "home", "unit-tree", "unit-picker", "staff-list", "staff-create", "audit",
    "api:get_unit", "api:rename_unit", "api:list_units", "api:me", "api:create_unit",
    "api:move_unit", "api:close_unit", "api:unit_changes",
}  # fmt: skip
EXEMPT = {
    # no personal or unit data behind these
    "login", "logout", "otp-verify", "otp-setup", "set_language", "healthz",
    "api:openapi-json", "api:openapi-view", "api:api-root",
}  # fmt: skip
EXEMPT_NAMESPACES = ("admin:",)  # Django admin: superusers only (is_staff is never granted)


def _url_names(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name or pattern.pattern}"


def _covered_by_apps() -> set[str]:
    """Each newer app lists its covered URL names in tests/<app>/covered_urls.py."""
    import importlib.util
    from pathlib import Path

    found: set[str] = set()
    for path in sorted(Path(__file__).resolve().parents[1].glob("*/covered_urls.py")):
        spec = importlib.util.spec_from_file_location(f"covered_{path.parent.name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found |= set(module.COVERED)
    return found


def test_every_url_is_covered():
    covered = COVERED | _covered_by_apps()
    names = {
        n for n in _url_names(get_resolver().url_patterns) if not n.startswith(EXEMPT_NAMESPACES)
    }
    uncovered = names - covered - EXEMPT
    assert not uncovered, f"URL patterns without a scoping test: {sorted(uncovered)}"
    assert not (covered - names), f"stale entries: {sorted(covered - names)}"


def test_assignment_end_scope_and_permission(client, cast):
    assignment = cast.grid_worker.assignments.get()
    client.force_login(cast.outsider, backend="renkou.core.backends.RoleBackend")
    assert client.post(reverse("assignment-end", args=[assignment.pk])).status_code == 404
    client.force_login(cast.township_staff, backend="renkou.core.backends.RoleBackend")
    assert client.post(reverse("assignment-end", args=[assignment.pk])).status_code == 403
    assignment.refresh_from_db()
    assert assignment.until is None
    client.force_login(cast.district_admin, backend="renkou.core.backends.RoleBackend")
    assert client.post(reverse("assignment-end", args=[assignment.pk])).status_code == 302
    assignment.refresh_from_db()
    assert assignment.until is not None


def test_staff_assign_moves_scope(client, cast):
    """Assigning the grid worker to 西湖社区 widens what the grid worker sees."""
    client.force_login(cast.district_admin, backend="renkou.core.backends.RoleBackend")
    village2 = cast.units["village2"]
    url = reverse("staff-assign", args=[cast.grid_worker.pk])
    assert client.post(url, {"unit": village2.pk, "duty": "网格员"}).status_code == 302
    client.force_login(cast.grid_worker, backend="renkou.core.backends.RoleBackend")
    assert client.get(reverse("unit-detail", args=[village2.pk])).status_code == 200
    client.force_login(cast.outsider, backend="renkou.core.backends.RoleBackend")
    foreign = cast.units["other_village"]
    url = reverse("staff-assign", args=[cast.outsider.pk])
    client.post(url, {"unit": village2.pk})
    assert not cast.outsider.assignments.filter(unit=village2).exists()
    assert foreign.pk  # the outsider's own unit stays theirs
