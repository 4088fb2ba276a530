"""Decisions keep their history: every confirmation or rejection of a candidate is a row with
actor, time and reason (a later one never erases an earlier one), and a resolved case is
never resolved again over another's resolution: it reopens only through `reopen_case`."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from renkou.benefits import actions
from renkou.benefits.models import CandidateDecision, Case, CaseEvent
from tests.benefits.world import build_world
from tests.conftest import api_headers

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    return build_world(cast)


def test_confirm_reject_confirm_keeps_every_decision(client, cast, world):
    cycle = world.open
    candidate = cycle.candidates.get(person=world.elder)
    ids = [candidate.pk]
    actions.confirm_candidates(
        actor=cast.township_staff, cycle=cycle, candidate_ids=ids, reason="入户核实"
    )
    actions.confirm_candidates(
        actor=cast.district_staff, cycle=cycle, candidate_ids=ids, reject=True, reason="户籍不符"
    )
    actions.confirm_candidates(
        actor=cast.township_staff, cycle=cycle, candidate_ids=ids, reason="补充户籍证明"
    )
    rows = list(
        CandidateDecision.objects.filter(candidate=candidate).values_list(
            "action", "from_state", "to_state", "actor__username", "reason"
        )
    )
    assert rows == [
        ("confirm", "found", "confirmed", cast.township_staff.username, "入户核实"),
        ("reject", "confirmed", "rejected", cast.district_staff.username, "户籍不符"),
        ("confirm", "rejected", "confirmed", cast.township_staff.username, "补充户籍证明"),
    ]
    assert all(d.at is not None for d in CandidateDecision.objects.filter(candidate=candidate))
    client.force_login(cast.township_staff, backend="renkou.core.backends.RoleBackend")
    page = client.get(reverse("benefits-candidate", args=[candidate.pk])).content.decode()
    for reason in ("入户核实", "户籍不符", "补充户籍证明"):
        assert reason in page
    # the page's reason field reaches the history too
    client.post(
        reverse("benefits-cycle-confirm", args=[cycle.pk]),
        {"candidate": [candidate.pk], "reject": "1", "reason": "复核不符"},
    )
    assert CandidateDecision.objects.filter(candidate=candidate).last().reason == "复核不符"


def test_approval_and_an_upheld_objection_are_decisions_too(cast, world):
    approved = CandidateDecision.objects.filter(candidate=world.candidate, action="approve")
    assert approved.count() == 1 and approved.get().from_state == "confirmed"
    posted = world.posted.candidates.get(person=world.elder)
    objection = actions.record_objection(
        actor=None, candidate=posted, text="已迁出", raised_on=posted.cycle.posting_from
    )
    actions.settle_objection(
        actor=cast.district_staff, objection=objection, upheld=True, resolution="迁出属实"
    )
    last = CandidateDecision.objects.filter(candidate=posted).last()
    assert (last.action, last.to_state, last.reason) == ("objection", "rejected", "迁出属实")


def test_a_resolved_case_is_not_resolved_again(cast, world):
    case = world.case
    actions.resolve_case(actor=cast.township_staff, case=case, resolution="银行补发")
    with pytest.raises(ValidationError, match="已处理|already resolved"):
        actions.resolve_case(actor=cast.district_staff, case=case, resolution="另行处理")
    case.refresh_from_db()
    assert (case.status, case.resolution, case.resolved_by) == (
        "resolved", "银行补发", cast.township_staff,
    )  # fmt: skip


def test_reopen_is_explicit_with_a_reason_and_every_step_is_kept(client, cast, world):
    case = world.case
    with pytest.raises(ValidationError):  # an open case has nothing to reopen
        actions.reopen_case(actor=cast.district_staff, case=case, reason="x")
    actions.resolve_case(actor=cast.township_staff, case=case, resolution="银行补发")
    with pytest.raises(ValidationError):  # the reason is required
        actions.reopen_case(actor=cast.district_staff, case=case, reason=" ")
    actions.reopen_case(actor=cast.district_staff, case=case, reason="补发未到账")
    assert Case.objects.get(pk=case.pk).status == "open"
    actions.resolve_case(actor=cast.district_staff, case=case, resolution="二次补发到账")
    steps = list(CaseEvent.objects.filter(case=case).values_list("action", "actor", "reason"))
    assert steps == [
        ("resolve", cast.township_staff.pk, "银行补发"),
        ("reopen", cast.district_staff.pk, "补发未到账"),
        ("resolve", cast.district_staff.pk, "二次补发到账"),
    ]
    client.force_login(cast.township_staff, backend="renkou.core.backends.RoleBackend")
    page = client.get(reverse("benefits-case", args=[case.pk])).content.decode()
    for text in ("银行补发", "补发未到账", "二次补发到账", 'id="reopen-form"'):
        assert text in page
    # the page: resolving again is refused, reopening works with the reason
    client.post(reverse("benefits-case-resolve", args=[case.pk]), {"resolution": "覆盖"})
    assert Case.objects.get(pk=case.pk).resolution == "二次补发到账"
    client.post(reverse("benefits-case-reopen", args=[case.pk]), {"reason": "再次核对"})
    assert Case.objects.get(pk=case.pk).status == "open"


def test_api_resolve_twice_is_422_and_reopen_needs_a_reason(client, cast, world):
    base = f"/api/v1/benefits/cases/{world.case.pk}"
    headers = api_headers(cast, "township_staff")

    def post(path, body):
        return client.post(
            base + path, json.dumps(body), content_type="application/json", **headers
        )

    assert post("/resolve", {"resolution": "银行补发"}).status_code == 200
    assert post("/resolve", {"resolution": "覆盖"}).status_code == 422
    assert post("/reopen", {"reason": ""}).status_code == 422
    reopened = post("/reopen", {"reason": "补发未到账"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    detail = client.get(base, **headers).json()
    assert [e["action"] for e in detail["events"]] == ["resolve", "reopen"]
    assert detail["events"][1]["reason"] == "补发未到账"
