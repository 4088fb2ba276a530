"""Scoping of every benefit URL, web and API: the outsider (an admin of the neighbouring
district) gets 404 for our records, a role without the permission 403, an allowed role 200."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from renkou.benefits.models import BankImport, Case, Cycle
from tests.benefits.world import build_world
from tests.conftest import api_headers

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    world = build_world(cast)
    problem = {"row": 2, "field": "金额/amount", "message_zh": "不是有效金额",
               "message_en": "not a valid amount"}  # fmt: skip
    world.bank_import = BankImport.objects.create(
        roster=world.roster, digest="refused", status="failed", error_count=1, errors=[problem],
        error_report="行号 row,字段 field,问题,problem\n2,金额/amount,不是有效金额,x\n",
    )  # fmt: skip
    return world


# (url name, method, object, POST data, role without the permission, allowed role, status)
WEB = [
    ("benefits-programmes", "get", None, "feed_account", "grid_worker", 200),
    ("benefits-programme-new", "get", None, "district_staff", "district_admin", 200),
    ("benefits-programme", "get", "programme", "feed_account", "grid_worker", 200),
    ("benefits-cycle-open", "post", "programme", "township_staff", "district_staff", 302),
    ("benefits-cycle", "get", "cycle", "feed_account", "grid_worker", 200),
    ("benefits-cycle-confirm", "post", "open", "grid_worker", "township_staff", 302),
    ("benefits-cycle-post", "post", "open", "township_staff", "district_staff", 302),
    ("benefits-cycle-approve", "post", "posted", "district_staff", "district_admin", 302),
    ("benefits-cycle-sample", "post", "cycle", "township_staff", "district_staff", 302),
    ("benefits-cycle-posting", "get", "cycle", "feed_account", "grid_worker", 200),
    ("benefits-roster-build", "post", "cycle", "township_staff", "district_staff", 302),
    ("benefits-candidate", "get", "candidate", "feed_account", "grid_worker", 200),
    ("benefits-objection-add", "post", "candidate", "grid_worker", "township_staff", 302),
    ("benefits-check", "post", "candidate", "township_staff", "district_staff", 302),
    ("benefits-objection-settle", "post", "objection", "grid_worker", "township_staff", 302),
    ("benefits-roster", "get", "roster", "grid_worker", "township_staff", 200),
    ("benefits-roster-xlsx", "get", "roster", "grid_worker", "township_staff", 200),
    ("benefits-roster-pdf", "get", "roster", "feed_account", "district_staff", 200),
    ("benefits-roster-bank", "post", "roster", "township_staff", "district_staff", 302),
    ("benefits-cases", "get", None, "grid_worker", "township_staff", 200),
    ("benefits-case-resolve", "post", "case", "grid_worker", "township_staff", 302),
    ("benefits-case", "get", "case", "grid_worker", "township_staff", 200),
    ("benefits-import", "get", "bank_import", "grid_worker", "township_staff", 200),
    ("benefits-import-progress", "get", "bank_import", "grid_worker", "township_staff", 200),
    ("benefits-import-report", "get", "bank_import", "grid_worker", "township_staff", 200),
    ("benefits-case-reopen", "post", "case", "grid_worker", "township_staff", 302),
]


def _data(cast, name):
    if name == "benefits-cycle-open":
        return {"year": "2027", "district": cast.units["district"].pk}
    if name == "benefits-roster-build":
        return {"unit": cast.units["township"].pk}
    return {}


def _call(client, cast, user, name, method, obj, world):
    client.force_login(cast.users[user], backend="renkou.core.backends.RoleBackend")
    args = [getattr(world, obj).pk] if obj else []
    url = reverse(name, args=args)
    if method == "get":
        return client.get(url)
    return client.post(url, _data(cast, name))


@pytest.mark.parametrize(("name", "method", "obj", "denied", "allowed", "status"), WEB,
                         ids=[row[0] for row in WEB])  # fmt: skip
def test_web_scoping(client, cast, world, name, method, obj, denied, allowed, status):
    if obj:
        assert _call(client, cast, "outsider", name, method, obj, world).status_code == 404
    assert _call(client, cast, denied, name, method, obj, world).status_code == 403
    response = _call(client, cast, allowed, name, method, obj, world)
    assert response.status_code == status, response.content[:500]


def test_web_effects_of_allowed_posts(client, cast, world):
    client.force_login(cast.township_staff, backend="renkou.core.backends.RoleBackend")
    client.post(reverse("benefits-cycle-confirm", args=[world.open.pk]), {"all": "1"})
    states = dict(world.open.candidates.values_list("person__name", "state"))
    assert states == {"老人甲": "confirmed", "老人乙": "found"}  # 青山村 is not 东城街道
    client.post(reverse("benefits-case-resolve", args=[world.case.pk]), {"resolution": "已补发"})
    assert Case.objects.get(pk=world.case.pk).status == "resolved"
    client.force_login(cast.district_admin, backend="renkou.core.backends.RoleBackend")
    client.post(reverse("benefits-cycle-approve", args=[world.posted.pk]))
    assert Cycle.objects.get(pk=world.posted.pk).status == "approved"


def test_lists_show_nothing_of_another_district(client, cast, world):
    client.force_login(cast.outsider, backend="renkou.core.backends.RoleBackend")
    for name in ("benefits-programmes", "benefits-cases"):
        page = client.get(reverse(name)).content.decode()
        assert "锦城区高龄补助" not in page and "测试" not in page
    client.force_login(cast.district_admin, backend="renkou.core.backends.RoleBackend")
    assert "锦城区高龄补助" in client.get(reverse("benefits-programmes")).content.decode()


def test_cycle_page_explains_each_candidate(client, cast, world):
    client.force_login(cast.grid_worker, backend="renkou.core.backends.RoleBackend")
    page = client.get(reverse("benefits-cycle", args=[world.cycle.pk])).content.decode()
    assert "老人甲" in page and "老人乙" not in page  # 青山村 is not the grid worker's
    assert "年满60周岁" in page and "2025-12-31时75周岁" in page


# --- API ----------------------------------------------------------------------------------------


def _api(client, cast, user, method, path, body=None, **extra):
    headers = api_headers(cast, user)
    if method == "get":
        return client.get(path, **headers)
    if extra.get("files"):
        return client.post(path, extra["files"], **headers)
    return client.post(path, json.dumps(body or {}), content_type="application/json", **headers)


def _bank_file(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    line = world.roster.lines.select_related("person").order_by("line_no").first()
    text = f"序号,金额,状态\n{line.line_no},{line.amount},成功\n"
    return {"file": SimpleUploadedFile("bank.csv", text.encode("gb18030"), "text/csv")}


# (operation id, method, path, body, role without the permission or None, allowed, status)
def _api_cases(world, cast):
    p, c, r = world.programme.pk, world.cycle.pk, world.roster.pk
    elder = world.elder.pk
    return [
        ("get_programme", "get", f"/api/v1/benefits/programmes/{p}", None, None, "feed_account",
         200),
        ("explain_person", "get", f"/api/v1/benefits/programmes/{p}/explain/{elder}?year=2025",
         None, "feed_account", "grid_worker", 200),
        ("get_cycle", "get", f"/api/v1/benefits/cycles/{c}", None, None, "feed_account", 200),
        ("open_cycle", "post", "/api/v1/benefits/cycles",
         {"programme_id": p, "year": 2027, "district_id": cast.units["district"].pk},
         "township_staff", "district_staff", 201),
        ("list_candidates", "get", f"/api/v1/benefits/cycles/{c}/candidates", None,
         "feed_account", "grid_worker", 200),
        ("get_candidate", "get", f"/api/v1/benefits/candidates/{world.candidate.pk}", None,
         "feed_account", "grid_worker", 200),
        ("confirm_candidates", "post", f"/api/v1/benefits/cycles/{world.open.pk}/confirm",
         {"candidate_ids": list(world.open.candidates.values_list("pk", flat=True))},
         "grid_worker", "township_staff", 200),
        ("approve_cycle", "post", f"/api/v1/benefits/cycles/{world.posted.pk}/approve", {},
         "district_staff", "district_admin", 200),
        ("get_roster", "get", f"/api/v1/benefits/rosters/{r}", None, "grid_worker",
         "township_staff", 200),
        ("list_roster_lines", "get", f"/api/v1/benefits/rosters/{r}/lines", None, "feed_account",
         "township_staff", 200),
        ("record_benefit_fact", "post", "/api/v1/benefits/facts",
         {"person_id": elder, "kind": "complication_grade", "value": 2, "evidence": "鉴定书"},
         "grid_worker", "township_staff", 201),
        ("set_bank_account", "post", "/api/v1/benefits/accounts",
         {"person_id": elder, "bank_name": "农商行", "account_no": "6228480000001234567"},
         "grid_worker", "township_staff", 201),
        ("get_bank_import", "get", f"/api/v1/benefits/bank-imports/{world.bank_import.pk}",
         None, "grid_worker", "township_staff", 200),
        ("get_case", "get", f"/api/v1/benefits/cases/{world.case.pk}", None, "grid_worker",
         "township_staff", 200),
        ("resolve_case", "post", f"/api/v1/benefits/cases/{world.case.pk}/resolve",
         {"resolution": "已补发"}, "grid_worker", "township_staff", 200),
        ("reopen_case", "post", f"/api/v1/benefits/cases/{world.case.pk}/reopen",
         {"reason": "补发未到账"}, "grid_worker", "township_staff", 200),
    ]  # fmt: skip


def test_api_scoping(client, cast, world):
    for op, method, path, body, denied, allowed, status in _api_cases(world, cast):
        assert _api(client, cast, "outsider", method, path, body).status_code == 404, op
        if denied:
            assert _api(client, cast, denied, method, path, body).status_code == 403, op
        response = _api(client, cast, allowed, method, path, body)
        assert response.status_code == status, (op, response.content[:300])


def test_api_bank_upload_scoped_and_idempotent(client, cast, world, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    path = f"/api/v1/benefits/rosters/{world.roster.pk}/bank-results"
    assert _api(client, cast, "outsider", "post", path, files=_bank_file(world)).status_code == 404
    assert (
        _api(client, cast, "township_staff", "post", path, files=_bank_file(world)).status_code
        == 403
    )
    first = _api(client, cast, "district_staff", "post", path, files=_bank_file(world))
    assert first.status_code == 201 and first.json()["created"] is True
    again = _api(client, cast, "district_staff", "post", path, files=_bank_file(world))
    assert again.status_code == 200 and again.json()["created"] is False
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = {"file": SimpleUploadedFile("bad.csv", "序号,金额,状态\n1,x,成功\n".encode(), "text/csv")}
    refused = _api(client, cast, "district_staff", "post", path, files=bad)
    assert refused.status_code == 422 and "第2行" in json.dumps(refused.json(), ensure_ascii=False)


def test_api_lists_are_scoped(client, cast, world):
    base = "/api/v1/benefits"
    ours = _api(client, cast, "district_admin", "get", f"{base}/programmes").json()
    assert "jc-elders" in {p["code"] for p in ours}
    theirs = _api(client, cast, "outsider", "get", f"{base}/programmes").json()
    assert "jc-elders" not in {p["code"] for p in theirs} and "jiangfu" in {
        p["code"] for p in theirs
    }
    assert _api(client, cast, "outsider", "get", f"{base}/cycles").json() == []
    assert len(_api(client, cast, "feed_account", "get", f"{base}/cycles").json()) == 3
    assert _api(client, cast, "outsider", "get", f"{base}/rosters").json() == []
    assert _api(client, cast, "grid_worker", "get", f"{base}/rosters").status_code == 403
    assert len(_api(client, cast, "feed_account", "get", f"{base}/rosters").json()) == 1
    assert _api(client, cast, "outsider", "get", f"{base}/cases").json()["items"] == []
    assert _api(client, cast, "grid_worker", "get", f"{base}/cases").status_code == 403
    cases = _api(client, cast, "township_staff", "get", f"{base}/cases").json()["items"]
    assert [c["kind"] for c in cases] == ["missing_line"]
    lines = _api(client, cast, "township_staff", "get",
                 f"{base}/rosters/{world.roster.pk}/lines").json()["items"]  # fmt: skip
    assert {x["name"] for x in lines} == {"老人甲"}
    assert all("*" in x["account"] and "*" in x["id_number"] for x in lines)
    grid = _api(client, cast, "grid_worker", "get",
                f"{base}/cycles/{world.cycle.pk}/candidates").json()["items"]  # fmt: skip
    assert [c["name"] for c in grid] == ["老人甲"]
    assert grid[0]["criteria"][2]["met"] is True and grid[0]["criteria"][2]["fact_zh"]
