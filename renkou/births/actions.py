"""The only write path of birth registration. Each action checks the actor's scope first
(404, like a missing record), then the permission (403), then the rules (ValidationError in
the active language, naming the states), and writes the application's history and a
`Transition` row in the same transaction."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.births import queries, rules
from renkou.births.models import (
    ACTIVE_STATES,
    BirthApplication,
    DocumentItem,
    NumberSeries,
    Transition,
    VerificationRequest,
)
from renkou.core.actions import require_in_scope, require_perm
from renkou.core.models import OrgUnit, User
from renkou.lib.i18n import pick
from renkou.policy import queries as policy_queries
from renkou.policy.rules import Entitlement
from renkou.registry.models import Person, PersonStatus

APP = "births"
MAX_ORDER = 15
# The permission each action needs (reject and withdraw: see `_permission_for`).
ACTION_PERMS = rules.ACTION_PERMS


def _save(obj, actor: User | None, reason: str) -> None:
    obj._change_reason = reason
    obj._history_user = actor
    obj.save()


def _error(field: str, message_zh: str, message_en: str) -> ValidationError:
    return ValidationError({field: pick(message_zh, message_en)})


# --- evaluation ------------------------------------------------------------------------------


def entitlement_record(entitlement: Entitlement, province: str) -> dict[str, Any]:
    """What an application keeps of its evaluation: `Entitlement.as_dict()` as plain JSON
    (dates as ISO text), with when it was made."""
    data = entitlement.as_dict(province) | {"evaluated_at": timezone.now()}
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _evaluate(husband: Person | None, wife: Person, day: datetime.date):
    province = policy_queries.policy_province()
    entitlement = policy_queries.evaluate_couple(husband, wife, day, province=province)
    return entitlement, entitlement_record(entitlement, province)


def _apply_evaluation(application: BirthApplication) -> Entitlement:
    entitlement, data = _evaluate(application.husband, application.wife, application.applied_on)
    application.evaluation = data
    application.entitled, application.possible = entitlement.entitled, entitlement.possible
    return entitlement


# --- create ----------------------------------------------------------------------------------


def _check_couple(husband: Person | None, wife: Person) -> None:
    errors: dict[str, str] = {}
    if wife.sex != "F":
        errors["wife"] = pick("女方应为女性", "the wife must be female")
    if husband is not None and husband.sex != "M":
        errors["husband"] = pick("男方应为男性", "the husband must be male")
    if wife.status == PersonStatus.DECEASED:
        errors["wife"] = pick("女方已死亡", "the wife is recorded as deceased")
    if errors:
        raise ValidationError(errors)


def _duplicate_error() -> ValidationError:
    return _error(
        "child_order",
        "该夫妻已有同一孩次的有效申请",
        "this couple already has an open or issued application for this child order",
    )


def _check_not_duplicate(husband: Person | None, wife: Person, order: int) -> None:
    same = BirthApplication.objects.filter(
        wife=wife, husband=husband, child_order=order, state__in=ACTIVE_STATES
    )
    if same.exists():
        raise _duplicate_error()


def _insert_application(application: BirthApplication, actor: User | None, reason: str) -> None:
    """Insert in a savepoint: when a concurrent request created the same couple's application
    for this order after our check, the partial unique index refuses this one, and the caller
    gets the same message as the check gives (never an IntegrityError)."""
    try:
        with transaction.atomic():
            _save(application, actor, reason)
    except IntegrityError:
        _check_not_duplicate(application.husband, application.wife, application.child_order)
        raise


@transaction.atomic
def create_application(
    *,
    actor: User | None,
    wife: Person,
    husband: Person | None = None,
    child_order: int,
    applied_on: datetime.date | None = None,
    expected_birth_date: datetime.date | None = None,
    actual_birth_date: datetime.date | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    reason: str = "",
) -> BirthApplication:
    """A draft application for the couple (wife's unit decides the scope), evaluated now;
    the checklist follows from the procedure."""
    require_in_scope(actor, wife.unit)
    if husband is not None:
        require_in_scope(actor, husband.unit)
    require_perm(actor, "births.add_birthapplication")
    today = timezone.localdate()
    day = applied_on or today
    if day > today:
        raise _error(
            "applied_on", "申请日期不能晚于今天", "the application date cannot be in the future"
        )
    if actual_birth_date is not None and actual_birth_date > today:
        raise _error(
            "actual_birth_date", "出生日期不能晚于今天", "the birth date cannot be in the future"
        )
    if not 1 <= child_order <= MAX_ORDER:
        raise _error("child_order", "孩次应为1至15", "the child order must be 1 to 15")
    _check_couple(husband, wife)
    _check_not_duplicate(husband, wife, child_order)
    application = BirthApplication(
        husband=husband, wife=wife, child_order=child_order, applied_on=day,
        expected_birth_date=expected_birth_date, actual_birth_date=actual_birth_date,
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(), unit=wife.unit,
        procedure=rules.procedure_for(child_order, day), created_by=actor,
    )  # fmt: skip
    entitlement = _apply_evaluation(application)
    if husband is None and (entitlement.regime is None or entitlement.regime.requires_marriage):
        raise _error(
            "husband",
            "当日适用的生育政策只受理夫妻申请，请选择男方",
            "the regime in force on this date accepts only married couples: choose the husband",
        )
    _insert_application(application, actor, reason or _("application created"))
    for document in rules.required_documents(application.procedure, married=husband is not None):
        DocumentItem.objects.create(application=application, code=document.code)
    Transition.objects.create(
        application=application, action="create", from_state="", to_state=rules.DRAFT,
        actor=actor, note=reason,
    )  # fmt: skip
    return application


# --- checklist -------------------------------------------------------------------------------


@transaction.atomic
def check_document(
    *,
    actor: User | None,
    application: BirthApplication,
    code: str,
    received: bool = True,
    note: str = "",
) -> DocumentItem:
    """Mark a checklist item received (or not), with who and when."""
    require_in_scope(actor, application.unit)
    require_perm(actor, "births.check_birthdocument")
    application = BirthApplication.objects.select_for_update().get(pk=application.pk)
    if application.state not in rules.OPEN_STATES:
        raise _error(
            "state",
            "申请已办结，材料清单不能再修改",
            "the application is decided: its checklist can no longer change",
        )
    item = DocumentItem.objects.filter(application=application, code=code).first()
    if item is None:
        raise _error("code", "材料清单中没有此项", "no such item on the checklist")
    item.received = received
    item.checked_by = actor
    item.checked_at = timezone.now()
    item.note = note.strip()
    _save(item, actor, _("document received") if received else _("document not received"))
    return item


# --- 协查 hook --------------------------------------------------------------------------------


def district_code(unit: OrgUnit) -> str:
    return unit.code[:6]


def request_verification(application: BirthApplication, person: Person) -> VerificationRequest:
    """Record that a verification request (协查) to the person's household-registration
    district is due. The exchange module picks up the `due` rows and sends them (one hook:
    this is the only place such rows are created). Idempotent per application and person."""
    request, _created = VerificationRequest.objects.get_or_create(
        application=application,
        person=person,
        defaults={"division_code": person.hukou_division[:12]},
    )
    return request


def _verifications_due(application: BirthApplication) -> list[VerificationRequest]:
    here = district_code(application.unit)
    made = []
    for person in (application.wife, application.husband):
        if person is not None and rules.needs_verification(person.hukou_division, here):
            made.append(request_verification(application, person))
    return made


# --- transitions -----------------------------------------------------------------------------


def _ancestor(unit: OrgUnit, level: int) -> OrgUnit:
    """The unit's ancestor at `level` (itself if it is at that level or above)."""
    if unit.level <= level:
        return unit
    pk = int(unit.path.split(".")[level - 1])
    return OrgUnit.objects.get(pk=pk)


def allocate_number(district: str, year: int) -> str:
    """The next registration number of the district and year. The UPDATE locks the series
    row (PostgreSQL) or the database (SQLite, IMMEDIATE transactions) until commit, so two
    concurrent approvals cannot read the same serial; the unique column is the backstop."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                NumberSeries.objects.get_or_create(district_code=district, year=year)
        except IntegrityError:  # created meanwhile by another transaction
            pass
        NumberSeries.objects.filter(district_code=district, year=year).update(last=F("last") + 1)
        last = NumberSeries.objects.get(district_code=district, year=year).last
    return rules.registration_number(district, year, last)


def _new_code() -> str:
    while True:
        code = rules.new_verification_code()
        if not BirthApplication.objects.filter(verification_code=code).exists():
            return code


def _issue(application: BirthApplication, issuing_level: int) -> None:
    today = timezone.localdate()
    application.registration_number = allocate_number(district_code(application.unit), today.year)
    application.verification_code = _new_code()
    application.issued_on = today
    application.issuing_unit = _ancestor(application.unit, issuing_level)


def _check_legal(application: BirthApplication, action: str, reason: str) -> rules.Transition:
    try:
        rules.next_state(application.state, action, application.procedure)
    except rules.IllegalTransition as error:
        raise _error("state", error.message_zh, error.message_en) from error
    transition = rules.TRANSITIONS[action]
    if transition.needs_reason and not reason.strip():
        raise _error("reason", "请填写理由", "give the reason")
    if transition.needs_documents:
        missing = queries.missing_documents(application)
        if missing:
            names_zh = "、".join(
                rules.DOCUMENTS[c].name_zh for c in missing if c in rules.DOCUMENTS
            )
            names_en = ", ".join(
                rules.DOCUMENTS[c].name_en for c in missing if c in rules.DOCUMENTS
            )
            raise _error("documents", f"材料未收齐：{names_zh}", f"documents missing: {names_en}")
    return transition


@transaction.atomic
def transition(
    *,
    actor: User | None,
    application: BirthApplication,
    action: str,
    note: str = "",
    reason: str = "",
) -> BirthApplication:
    """Apply one workflow action (submit, review, approve, register, reject, withdraw,
    cancel); see `rules.TRANSITIONS`."""
    require_in_scope(actor, application.unit)
    if action not in ACTION_PERMS:
        raise _error("action", f"未知操作：{action}", f"unknown action: {action}")
    application = BirthApplication.objects.select_for_update().get(pk=application.pk)
    require_perm(actor, rules.permission_for(action, application.state))
    spec = _check_legal(application, action, reason)
    source = application.state
    if action == "submit":
        _apply_evaluation(application)
    if action == "register":
        _issue(application, issuing_level=2)
    if action == "approve":
        _issue(application, issuing_level=1)
    if spec.needs_reason:
        application.decision_reason = reason.strip()
    application.state = spec.target
    _save(application, actor, note or reason or spec.label_en)
    Transition.objects.create(
        application=application, action=action, from_state=source, to_state=spec.target,
        actor=actor, note=(reason or note).strip()[:300],
    )  # fmt: skip
    if action == "submit":
        _verifications_due(application)
    return application


def submit(*, actor: User | None, application: BirthApplication, note: str = ""):
    return transition(actor=actor, application=application, action="submit", note=note)


def review(*, actor: User | None, application: BirthApplication, note: str = ""):
    return transition(actor=actor, application=application, action="review", note=note)


def approve(*, actor: User | None, application: BirthApplication, note: str = ""):
    return transition(actor=actor, application=application, action="approve", note=note)


def register(*, actor: User | None, application: BirthApplication, note: str = ""):
    return transition(actor=actor, application=application, action="register", note=note)


def reject(*, actor: User | None, application: BirthApplication, reason: str, note: str = ""):
    return transition(
        actor=actor, application=application, action="reject", reason=reason, note=note
    )


def withdraw(*, actor: User | None, application: BirthApplication, note: str = ""):
    return transition(actor=actor, application=application, action="withdraw", note=note)


def cancel(*, actor: User | None, application: BirthApplication, reason: str, note: str = ""):
    return transition(
        actor=actor, application=application, action="cancel", reason=reason, note=note
    )
