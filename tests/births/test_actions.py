"""The workflow through the actions: creation with the policy evaluation, the checklist,
every legal transition, every illegal one refused, numbers, 协查, permissions."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from renkou.births import actions, rules
from renkou.births.models import BirthApplication, Transition, VerificationRequest
from renkou.lib.scoping import OutOfScope
from tests.births.conftest import (
    PATHS,
    application_in,
    make_couple,
    new_application,
    tick_all,
)

d = datetime.date
pytestmark = pytest.mark.django_db


def test_create_evaluates_and_builds_the_checklist(cast, couple):
    application = new_application(
        cast, couple, 2, contact_name="孙丽华", contact_phone="13800001111"
    )
    assert application.state == rules.DRAFT
    assert application.procedure == rules.REGISTRATION
    assert application.unit == cast.units["group"]
    assert application.applied_on == timezone.localdate()
    evaluation = application.evaluation
    # Sichuan from 2023-02-15: three children, registration open to the unmarried
    assert evaluation["regime"]["code"] == "51-three-child-registration"
    assert application.entitled == evaluation["entitled"] == 3
    assert evaluation["children_counted"] == 0
    assert application.within_entitlement is True
    docs = list(application.documents.values_list("code", flat=True))
    assert docs == ["id_card", "hukou_book", "marriage_cert"]
    (created,) = application.transitions.all()
    assert (created.from_state, created.to_state, created.actor) == (
        "",
        "draft",
        cast.township_staff,
    )
    assert application.history.count() == 1


def test_approval_procedure_for_a_fourth_child(cast, couple):
    application = new_application(cast, couple, 4)
    assert application.procedure == rules.APPROVAL
    assert "condition_proof" in application.documents.values_list("code", flat=True)
    assert application.within_entitlement is False  # three children at most today


def test_backdated_application_follows_the_rule_of_its_date(cast, couple):
    application = new_application(cast, couple, 3, applied_on=d(2021, 5, 30))
    assert application.procedure == rules.APPROVAL
    assert application.evaluation["regime"]["code"] == "cn-two-child"
    assert application.within_entitlement is False
    (married,) = application.evaluation["requirements"]
    assert (married["code"], married["met"]) == ("married_couple", True)
    before_marriage = new_application(cast, couple, 1, applied_on=d(2015, 6, 1))
    assert before_marriage.procedure == rules.APPROVAL
    assert before_marriage.evaluation["regime"]["code"] == "51-single-only-child"
    assert before_marriage.evaluation["requirements"][0]["met"] is False
    assert before_marriage.entitled == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"child_order": 0}, "child_order"),
        ({"child_order": 16}, "child_order"),
        ({"applied_on": d(2999, 1, 1)}, "applied_on"),
        ({"actual_birth_date": d(2999, 1, 1)}, "actual_birth_date"),
    ],
)
def test_create_refuses_bad_input(cast, couple, changes, field):
    kwargs = {"actor": cast.township_staff, "wife": couple.wife, "husband": couple.husband,
              "child_order": 1} | changes  # fmt: skip
    with pytest.raises(ValidationError) as error:
        actions.create_application(**kwargs)
    assert field in error.value.message_dict
    assert not BirthApplication.objects.exists()


def test_create_refuses_swapped_spouses_and_duplicates(cast, couple):
    with pytest.raises(ValidationError) as error:
        actions.create_application(
            actor=cast.township_staff, wife=couple.husband, husband=couple.wife, child_order=1
        )
    assert {"wife", "husband"} <= set(error.value.message_dict)
    new_application(cast, couple, 1)
    with pytest.raises(ValidationError) as error:
        new_application(cast, couple, 1)
    assert "child_order" in error.value.message_dict


def test_unmarried_applicant_only_where_the_regime_allows(cast, families):
    migrant = families.migrant  # Sichuan: registration open to the unmarried 2023-02-15..
    application = actions.create_application(actor=cast.township_staff, wife=migrant, child_order=1)
    assert application.husband is None
    assert "marriage_cert" not in application.documents.values_list("code", flat=True)
    with pytest.raises(ValidationError) as error:
        actions.create_application(
            actor=cast.township_staff, wife=migrant, child_order=2, applied_on=d(2020, 1, 1)
        )
    assert "husband" in error.value.message_dict


def test_checklist_records_who_and_when(cast, couple):
    application = new_application(cast, couple, 1)
    item = actions.check_document(
        actor=cast.grid_worker, application=application, code="hukou_book", note="原件已核"
    )
    assert item.received and item.checked_by == cast.grid_worker and item.checked_at
    item = actions.check_document(
        actor=cast.grid_worker, application=application, code="hukou_book", received=False
    )
    assert not item.received
    assert item.history.count() == 3
    with pytest.raises(ValidationError):
        actions.check_document(actor=cast.grid_worker, application=application, code="nope")
    with pytest.raises(PermissionDenied):
        actions.check_document(actor=cast.auditor, application=application, code="id_card")


def test_registration_needs_every_document(cast, couple):
    application = new_application(cast, couple, 1)
    actions.submit(actor=cast.township_staff, application=application)
    with pytest.raises(ValidationError) as error:
        actions.register(actor=cast.township_staff, application=application)
    assert "documents" in error.value.message_dict
    tick_all(cast, application)
    application = actions.register(actor=cast.township_staff, application=application)
    assert application.state == rules.REGISTERED


# --- every pair of state and action, through the actions ----------------------------------------

CASES = [(procedure, state, action) for (procedure, state) in PATHS for action in rules.ACTIONS]


@pytest.mark.parametrize(("procedure", "state", "action"), CASES)
def test_every_state_and_action(cast, couple, procedure, state, action):
    application = application_in(cast, couple, procedure, state)
    before = Transition.objects.filter(application=application).count()
    if action in rules.legal_actions(state, procedure):
        application = actions.transition(
            actor=cast.district_admin, application=application, action=action, note="n",
            reason="理由",
        )  # fmt: skip
        assert application.state == rules.TRANSITIONS[action].target
        last = application.transitions.last()
        assert (last.from_state, last.to_state, last.action) == (state, application.state, action)
        assert last.actor == cast.district_admin
        assert Transition.objects.filter(application=application).count() == before + 1
    else:
        with pytest.raises(ValidationError) as error:
            actions.transition(
                actor=cast.district_admin, application=application, action=action, reason="x"
            )
        assert "state" in error.value.message_dict
        message = error.value.message_dict["state"][0]
        assert rules.STATE_LABELS[state][0] in message  # names the state it came from
        assert rules.STATE_LABELS[rules.TRANSITIONS[action].target][0] in message
        application.refresh_from_db()
        assert application.state == state
        assert Transition.objects.filter(application=application).count() == before


@pytest.mark.parametrize("action", ["reject", "cancel"])
def test_reject_and_cancel_need_a_reason(cast, couple, action):
    state = rules.SUBMITTED if action == "reject" else rules.REGISTERED
    application = application_in(cast, couple, rules.REGISTRATION, state)
    with pytest.raises(ValidationError) as error:
        actions.transition(actor=cast.district_admin, application=application, action=action)
    assert "reason" in error.value.message_dict
    done = actions.transition(
        actor=cast.district_admin, application=application, action=action, reason="材料不实"
    )
    assert done.decision_reason == "材料不实"


def test_every_transition_is_in_the_history(cast, couple):
    application = application_in(cast, couple, rules.APPROVAL, rules.CANCELLED)
    steps = [(t.from_state, t.to_state) for t in application.transitions.all()]
    assert steps == [
        ("", "draft"), ("draft", "submitted"), ("submitted", "township_reviewed"),
        ("township_reviewed", "approved"), ("approved", "cancelled"),
    ]  # fmt: skip
    assert application.history.count() >= 5
    assert application.registration_number  # kept after cancellation


# --- numbers -----------------------------------------------------------------------------------


def test_numbers_are_unique_and_sequential(cast):
    year = timezone.localdate().year
    couples = [make_couple(cast, seq=20)]
    numbers = []
    for order in (1, 2, 3):
        application = new_application(cast, couples[0], order)
        tick_all(cast, application)
        actions.submit(actor=cast.township_staff, application=application)
        application = actions.register(actor=cast.township_staff, application=application)
        numbers.append(application.registration_number)
        assert rules.looks_like_code(application.verification_code)
        assert application.issuing_unit == cast.units["township"]  # the township registers
        assert application.issued_on == timezone.localdate()
    assert numbers == [f"510199-{year}-{n:05d}" for n in (1, 2, 3)]
    approved = application_in(cast, couples[0], rules.APPROVAL, rules.APPROVED)
    assert approved.registration_number == f"510199-{year}-00004"
    assert approved.issuing_unit == cast.units["district"]  # the district approves
    codes = set(BirthApplication.objects.values_list("verification_code", flat=True))
    assert len(codes) == 4


def test_number_series_per_district(cast):
    assert actions.allocate_number("510199", 2030) == "510199-2030-00001"
    assert actions.allocate_number("510198", 2030) == "510198-2030-00001"
    assert actions.allocate_number("510199", 2030) == "510199-2030-00002"
    assert actions.allocate_number("510199", 2031) == "510199-2031-00001"


# --- 协查 ---------------------------------------------------------------------------------------


def test_verification_due_for_an_out_of_district_registration(cast, families):
    application = actions.create_application(
        actor=cast.township_staff, wife=families.migrant, child_order=1
    )
    assert not VerificationRequest.objects.exists()  # not for a draft
    actions.submit(actor=cast.township_staff, application=application)
    (request,) = VerificationRequest.objects.all()
    assert (request.person, request.division_code, request.status) == (
        families.migrant, "511302001001", "due",
    )  # fmt: skip
    # the hook is idempotent
    assert actions.request_verification(application, families.migrant) == request
    assert VerificationRequest.objects.count() == 1


def test_only_the_spouse_registered_elsewhere_is_verified(cast):
    couple = make_couple(cast, seq=30, husband_division="110105001001")
    application = new_application(cast, couple, 1)
    actions.submit(actor=cast.township_staff, application=application)
    assert list(VerificationRequest.objects.values_list("person", "division_code")) == [
        (couple.husband.pk, "110105001001")
    ]


def test_no_verification_for_an_in_district_couple(cast, couple):
    application = new_application(cast, couple, 1)
    actions.submit(actor=cast.township_staff, application=application)
    assert not VerificationRequest.objects.exists()


# --- scope and permissions -------------------------------------------------------------------


def test_outsider_cannot_create_or_act(cast, couple):
    with pytest.raises(OutOfScope):
        new_application(cast, couple, 1, actor=cast.outsider)
    application = new_application(cast, couple, 1)
    for action in rules.ACTIONS:
        with pytest.raises(OutOfScope):
            actions.transition(actor=cast.outsider, application=application, action=action)
    with pytest.raises(OutOfScope):
        actions.check_document(actor=cast.outsider, application=application, code="id_card")


@pytest.mark.parametrize(
    ("role", "action", "state", "procedure"),
    [
        ("auditor", "submit", rules.DRAFT, rules.REGISTRATION),
        ("grid_worker", "register", rules.SUBMITTED, rules.REGISTRATION),
        ("grid_worker", "review", rules.SUBMITTED, rules.APPROVAL),
        ("township_staff", "approve", rules.REVIEWED, rules.APPROVAL),
        ("township_staff", "cancel", rules.REGISTERED, rules.REGISTRATION),
        ("township_staff", "reject", rules.REVIEWED, rules.APPROVAL),  # the district decides
        ("district_staff", "register", rules.SUBMITTED, rules.REGISTRATION),
        ("district_staff", "submit", rules.DRAFT, rules.REGISTRATION),
    ],
)
def test_roles_without_the_permission(cast, couple, role, action, state, procedure):
    application = application_in(cast, couple, procedure, state)
    with pytest.raises(PermissionDenied):
        actions.transition(
            actor=cast.users[role], application=application, action=action, reason="x"
        )
    application.refresh_from_db()
    assert application.state == state


def test_roles_with_the_permission(cast, couple):
    draft = new_application(cast, couple, 4, actor=cast.grid_worker)  # grid worker: drafts
    tick_all(cast, draft, actor=cast.grid_worker)
    actions.submit(actor=cast.grid_worker, application=draft)
    actions.review(actor=cast.township_staff, application=draft)
    approved = actions.approve(actor=cast.district_staff, application=draft)
    assert approved.state == rules.APPROVED
    cancelled = actions.cancel(actor=cast.district_staff, application=draft, reason="重复登记")
    assert cancelled.state == rules.CANCELLED
    with pytest.raises(PermissionDenied):
        new_application(cast, couple, 1, actor=cast.auditor)


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_never_share_a_number():
    """Threads, each with its own connection and transaction, allocate from one series."""
    import threading
    import time

    from django.db import OperationalError, connection, transaction

    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def allocate() -> str:
        # The test database on SQLite is in memory with a shared cache, where a busy writer
        # makes the other fail at once ("table is locked") instead of waiting as the file
        # database does: retry those. A retried transaction wrote nothing.
        for _attempt in range(200):
            try:
                with transaction.atomic():
                    return actions.allocate_number("510199", 2040)
            except OperationalError as error:
                if "locked" not in str(error):
                    raise
                time.sleep(0.01)
        raise AssertionError("never got the lock")

    def worker() -> None:
        try:
            for _ in range(5):
                number = allocate()
                with lock:
                    numbers.append(number)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(numbers) == [f"510199-2040-{n:05d}" for n in range(1, 31)]
