"""`renkou demo` shows the newer modules end to end on the simulated district: every birth
classified, birth applications in each state, a qualification and a payment cycle of every
national programme with the reconciliation catching every injected discrepancy."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from renkou.benefits import demo as benefits_demo
from renkou.benefits.models import BankImport, Candidate, Case, Cycle, Programme, Roster
from renkou.births.models import BirthApplication, Transition
from renkou.core.demo import DEMO_PASSWORD
from renkou.core.models import User
from renkou.lib import formats
from renkou.policy.models import BirthClassification
from renkou.registry.models import ParentChild

PERSONS = 3000  # as tests/demo/test_command.py: enough couples for every state
MET = {True, False, None}


def _births_checked() -> None:
    links = ParentChild.objects.filter(kind=ParentChild.Kind.BIOLOGICAL)
    births = set(links.values_list("child_id", flat=True))
    classified = set(BirthClassification.objects.values_list("child_id", flat=True))
    assert births and births == classified


def _applications_checked() -> None:
    states = set(BirthApplication.objects.values_list("state", flat=True))
    expected = {"draft", "submitted", "township_reviewed", "registered", "rejected", "withdrawn"}
    assert expected <= states
    issued = BirthApplication.objects.filter(state__in=["registered", "approved"])
    assert issued.exists()
    for application in issued:
        assert application.registration_number and application.verification_code
    assert not BirthApplication.objects.exclude(state__in=["registered", "approved"]).filter(
        registration_number__isnull=False
    )
    for application in BirthApplication.objects.filter(state="rejected"):
        assert application.decision_reason.strip()
    reviewed = BirthApplication.objects.filter(state="township_reviewed").get()
    assert reviewed.procedure == "approval" and reviewed.child_order == 3
    assert str(reviewed.applied_on) < "2021-05-31"
    # the actors are the demo accounts of the right roles
    registered = Transition.objects.filter(action="register").select_related("actor")
    assert {t.actor.username for t in registered} <= {"dc_staff", "qs_staff"}
    prepared = Transition.objects.filter(action="create").select_related("actor")
    assert {"dm_grid", "qsc_grid"} & {t.actor.username for t in prepared}


def _cycles_checked() -> None:
    national = Programme.objects.filter(level="nation", active=True)
    assert national.count() >= 5
    for programme in national:
        cycle = Cycle.objects.get(programme=programme, year__lt=2100)
        assert cycle.status == "approved"
        candidates = list(cycle.candidates.all())
        for candidate in candidates:
            assert candidate.criteria, candidate.pk
            assert all(
                c["met"] in MET and c["fact_zh"] and c["fact_en"] for c in candidate.criteria
            )
    # the declared facts make the disability and complication programmes pay someone
    for code in ("tefu_disabled", "complication"):
        assert Candidate.objects.filter(cycle__programme__code=code, state="approved").exists()
    approved = Candidate.objects.filter(state="approved").exclude(kind="exit")
    assert approved.exists() and Candidate.objects.filter(state="rejected").exists()


def _payments_checked(data_dir) -> None:
    rosters = Roster.objects.all()
    assert rosters.exists() and sum(r.lines.count() for r in rosters) > 0
    for roster in rosters:
        assert roster.line_count == roster.lines.count()
        assert not roster.lines.filter(account_no="").exists()
    files = sorted((data_dir / "demo-district" / "bank").glob("*.csv"))
    assert files and BankImport.objects.count() == len(files)
    text = files[0].read_bytes()
    assert text.decode("gb18030").startswith("序号")
    with pytest.raises(UnicodeDecodeError):
        text.decode("utf-8")
    assert list(formats.read_table(files[0]))
    kinds = set(Case.objects.values_list("kind", flat=True))
    assert set(benefits_demo.INJECTED) <= kinds


def _pages_checked(client) -> None:
    client.post("/accounts/login/", {"username": "dc_staff", "password": DEMO_PASSWORD})
    page = client.get(reverse("birth-worklist"))
    assert page.status_code == 200
    township = User.objects.get(username="dc_staff").assignments.get().unit
    waiting = BirthApplication.objects.filter(
        state="submitted", unit__path__startswith=township.path
    ).first()
    assert waiting is not None and f"/births/{waiting.pk}/" in page.content.decode()
    client.logout()
    client.post("/accounts/login/", {"username": "qu_staff", "password": DEMO_PASSWORD})
    cycle = Cycle.objects.get(programme__code="jiangfu")
    page = client.get(reverse("benefits-cycle", args=[cycle.pk]))
    assert page.status_code == 200
    cases = client.get(reverse("benefits-cases"))
    assert cases.status_code == 200
    shown = cases.content.decode()
    assert Case.objects.filter(kind="amount_mismatch").get().detail_zh in shown


@pytest.mark.django_db(transaction=True)
def test_demo_populates_the_newer_modules(settings, tmp_path, client):
    settings.DATA_DIR = tmp_path
    out, err = io.StringIO(), io.StringIO()
    call_command("demo", persons=PERSONS, stdout=out, stderr=err)
    printed = out.getvalue()
    steps = (
        "birth classification",
        "birth applications",
        "benefit qualification and payment",
        "analytics snapshot",
    )
    for step in steps:
        assert f"{step}：" in printed
    assert err.getvalue() == ""
    _births_checked()
    _applications_checked()
    _cycles_checked()
    _payments_checked(tmp_path)
    _pages_checked(client)
    _dashboard_checked(client)


def _dashboard_checked(client) -> None:
    """The dashboard reads the demo's snapshot: births counted there, registrations included."""
    from renkou.analytics.models import Snapshot

    snapshot = Snapshot.objects.get()
    assert snapshot.counts["persons"] > PERSONS // 2
    assert snapshot.counts["birth_registrations"] == BirthApplication.objects.count()
    page = client.get(reverse("analytics-dashboard"))
    assert page.status_code == 200
    assert 'id="data-pyramid"' in page.content.decode()
