"""The pages: the district builds a programme from building blocks (no code), a candidate's
explanation, the roster page's totals and masked accounts, the bank upload on the page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from renkou.benefits.models import Case, Programme
from tests.benefits.world import build_world

pytestmark = pytest.mark.django_db


def _as(client, cast, role):
    client.force_login(cast.users[role], backend="renkou.core.backends.RoleBackend")
    return client


def test_district_builds_a_programme_from_blocks(client, cast, village):
    form = {
        "code": "jc-rural-girls", "name_zh": "锦城区农村独女户奖励", "name_en": "Rural girls",
        "district": cast.units["district"].pk, "source": "锦城区办法第5条", "residence": "hukou",
        "rural": "on", "min_age": "60", "children": "count", "alive_min": "1",
        "alive_max": "2", "monthly": "30", "amount_from": "2025-01-01",
        "policy_from": "1973-01-01", "policy_to": "2001-12-31", "excludes": ["jiangfu"],
    }  # fmt: skip
    response = _as(client, cast, "district_admin").post(reverse("benefits-programme-new"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    programme = Programme.objects.get(code="jc-rural-girls")
    assert programme.level == "district" and programme.unit == cast.unit("district")
    blocks = [b["block"] for b in programme.rule]
    assert blocks == ["alive", "in_district", "hukou_type", "age_at_least", "children",
                      "no_birth_outside_policy"]  # fmt: skip
    assert programme.excludes == ["jiangfu"] and programme.amounts[0]["monthly"] == "30"
    page = client.get(reverse("benefits-programme", args=[programme.pk])).content.decode()
    assert "年满60周岁" in page and "锦城区办法第5条" in page
    # opening its cycle from the page finds the rural couples of the village
    client.post(
        reverse("benefits-cycle-open", args=[programme.pk]),
        {"year": "2025", "district": cast.units["district"].pk},
    )
    cycle = programme.cycles.get()
    assert cycle.candidates.count() == 6  # 甲, 乙 (to verify), 丙 couples
    # a rule that cannot be built is refused on the form, naming the field
    bad = dict(form, code="jc-bad", children="disabled", max_grade="")
    response = client.post(reverse("benefits-programme-new"), bad)
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert not Programme.objects.filter(code="jc-bad").exists()


def test_candidate_and_roster_pages(client, cast, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    world = build_world(cast)
    page = (
        _as(client, cast, "grid_worker")
        .get(reverse("benefits-candidate", args=[world.candidate.pk]))
        .content.decode()
    )
    assert "年满60周岁" in page and "2025-12-31时75周岁" in page and "区办法第3条" in page
    page = (
        _as(client, cast, "district_staff")
        .get(reverse("benefits-roster", args=[world.roster.pk]))
        .content.decode()
    )
    account = world.roster.lines.get(person=world.elder).account_no
    assert account not in page and account[-4:] in page
    assert 'id="roster-total">1200.00<' in page
    line = world.roster.lines.get(person=world.elder)
    text = f"序号,金额,状态\n{line.line_no},500.00,成功\n".encode("gb18030")
    upload = SimpleUploadedFile("回盘.csv", text, "text/csv")
    response = client.post(
        reverse("benefits-roster-bank", args=[world.roster.pk]), {"file": upload}
    )
    assert response.status_code == 302
    kinds = set(Case.objects.filter(roster=world.roster).values_list("kind", flat=True))
    assert {"amount_mismatch", "missing_line"} <= kinds
