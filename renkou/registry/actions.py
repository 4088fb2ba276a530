"""The only write path of the registry. Each action validates (rules), checks the actor's
scope (404) and permission (403), writes with history (actor and reason), and re-derives
the state of every person it touched (derive) in the same transaction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.core.actions import require_in_scope, require_perm
from renkou.core.models import OrgUnit, User
from renkou.lib import idnumber, periods
from renkou.lib.i18n import pick
from renkou.lib.pinyin import name_keys
from renkou.registry import derive, listeners, rules
from renkou.registry.models import (
    Event,
    EventKind,
    EventState,
    Household,
    Marriage,
    ParentChild,
    Person,
)

CHANGE = "registry.change_person"


def _raise_if_errors(problems: Iterable[rules.Problem]) -> list[rules.Problem]:
    """Raise the errors as one ValidationError by field; return the warnings (flags)."""
    problems = list(problems)
    errors = rules.errors(problems)
    if errors:
        by_field: dict[str, list[str]] = {}
        for problem in errors:
            by_field.setdefault(problem.field, []).append(
                pick(problem.message_zh, problem.message_en)
            )
        raise ValidationError(by_field)
    return rules.warnings(problems)


def _authorise(actor: User | None, unit: OrgUnit) -> None:
    require_in_scope(actor, unit)
    require_perm(actor, CHANGE)


def _save(obj, actor: User | None, reason: str) -> None:
    obj._change_reason = reason
    obj._history_user = actor
    obj.save()


def _check_date(day: datetime.date, unit: OrgUnit, field: str = "date") -> list[rules.Problem]:
    if day > timezone.localdate():
        return [
            rules.Problem(field, "future", "日期不能晚于今天", "the date cannot be in the future")
        ]
    if periods.is_closed(day, unit):
        return [
            rules.Problem(
                field,
                "period_closed",
                "该日期所在期间已结账，不能补录",
                "the period of this date is closed",
            )
        ]
    return []


def _normalise_id(text: str) -> str | None:
    if not text or not text.strip():
        return None
    try:
        return idnumber.parse(text).number
    except idnumber.InvalidIdNumber as error:
        raise ValidationError({"id_number": pick(error.message_zh, error.message_en)}) from error


def _check_unique_id(number: str | None, exclude_pk: int | None = None) -> list[rules.Problem]:
    if number and Person.objects.filter(id_number=number).exclude(pk=exclude_pk).exists():
        return [
            rules.Problem(
                "id_number",
                "duplicate",
                "该身份证号已登记在另一人名下",
                "this ID number is already registered to another person",
            )
        ]
    return []


def normalise_phone(text: str) -> str:
    """Digits (and a leading +) only, so a phone is found however it was typed."""
    from renkou.lib.text import normalise_digits

    cleaned = normalise_digits(text or "").strip()
    plus = "+" if cleaned.startswith("+") else ""
    return plus + "".join(ch for ch in cleaned if ch.isdigit())


def _set_name(person: Person, name: str) -> None:
    _raise_if_errors(rules.check_name(name))
    person.name = name.strip()
    person.name_pinyin, person.name_initials = name_keys(person.name)


def _rederive(persons: Iterable[Person], actor: User | None, reason: str) -> None:
    for person in persons:
        person.refresh_from_db()
        if derive.derive_person(person):
            _save(person, actor, reason)
        _tell_listeners(person)


def _rederive_orders(mother: Person | None, actor: User | None, reason: str) -> None:
    if mother is None:
        return
    for child in derive.derive_birth_orders(mother):
        _save(child, actor, reason)
    _tell_listeners(mother)


def _tell_listeners(*persons: Person) -> None:
    """Whatever reads these persons' facts (birth-policy classification) recomputes now."""
    listeners.facts_changed(*persons)


# --- persons --------------------------------------------------------------------------------


@transaction.atomic
def register_person(
    *,
    actor: User | None,
    name: str,
    sex: str,
    birth_date: datetime.date,
    residence_unit: OrgUnit | None = None,
    hukou_unit: OrgUnit | None = None,
    hukou_division: str = "",
    id_number: str = "",
    ethnic_group: str = "01",
    hukou_type: str = "",
    phone: str = "",
    household: Household | None = None,
    relation_to_head: str = "",
    reason: str = "",
) -> Person:
    """Enter a person already living or registered here (建档); moves are recorded as events."""
    unit = residence_unit or hukou_unit
    if unit is None:
        raise ValidationError(
            {"residence_unit": _("Give the unit where the person lives or is registered.")}
        )
    _authorise(actor, unit)
    for other in (residence_unit, hukou_unit, household.unit if household else None):
        if other is not None:
            require_in_scope(actor, other)
    number = _normalise_id(id_number)
    _raise_if_errors([
        *rules.check_id_number(number or "", birth_date, sex),
        *_check_unique_id(number),
        *_check_date(birth_date, unit, "birth_date"),
    ])  # fmt: skip
    person = Person(
        id_number=number, sex=sex, birth_date=birth_date, ethnic_group=ethnic_group,
        hukou_type=hukou_type, hukou_unit=hukou_unit,
        hukou_division=hukou_division or (hukou_unit.code[:12] if hukou_unit else ""),
        residence_unit=residence_unit, unit=unit, phone=normalise_phone(phone),
        household=household,
        relation_to_head=relation_to_head,
    )  # fmt: skip
    _set_name(person, name)
    person.floating = rules.floating_status(
        hukou_here=hukou_unit is not None, lives_here=residence_unit is not None
    )
    _save(person, actor, reason or _("registered"))
    return person


@transaction.atomic
def update_person(*, actor: User | None, person: Person, reason: str, **fields) -> Person:
    """Correct a person's own facts (not those derived from events); the reason is kept."""
    _authorise(actor, person.unit)
    allowed = {
        "name",
        "former_names",
        "sex",
        "id_number",
        "ethnic_group",
        "phone",
        "only_child_cert_no",
        "only_child_cert_date",
        "relation_to_head",
        "household",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field is derived from events.")})
    if "id_number" in fields:
        fields["id_number"] = _normalise_id(fields["id_number"])
    if "phone" in fields:
        fields["phone"] = normalise_phone(fields["phone"])
    for field, value in fields.items():
        if field == "name":
            _set_name(person, value)
        else:
            setattr(person, field, value)
    _raise_if_errors([
        *rules.check_id_number(person.id_number or "", person.birth_date, person.sex),
        *_check_unique_id(person.id_number, person.pk),
    ])  # fmt: skip
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the correction.")})
    _save(person, actor, reason)
    _tell_listeners(person)
    return person


# --- births ---------------------------------------------------------------------------------


def _current_marriage(mother: Person, father: Person | None, day: datetime.date):
    if father is None:
        return None
    return (
        Marriage.objects.filter(husband=father, wife=mother, start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .first()
    ) or Marriage.objects.filter(husband=father, wife=mother).order_by("start_date").first()


def _birth_problems(mother: Person, father: Person | None, day: datetime.date):
    problems = [
        *rules.check_within_life(day, mother.birth_date, mother.death_date,
                                 who=("母亲", "the mother")),
        *rules.check_mother_age(mother.birth_date, day),
    ]  # fmt: skip
    if mother.sex != "F":
        problems.append(
            rules.Problem("mother", "sex", "母亲的性别应为女", "the mother must be female")
        )
    if father is not None:
        if father.sex != "M":
            problems.append(
                rules.Problem("father", "sex", "父亲的性别应为男", "the father must be male")
            )
        # A father may die before the birth (up to ten months before it).
        latest = father.death_date + datetime.timedelta(days=300) if father.death_date else None
        problems += rules.check_within_life(
            day, father.birth_date, latest, field="father", who=("父亲", "the father")
        )
    return problems


@transaction.atomic
def record_birth(
    *,
    actor: User | None,
    mother: Person,
    date: datetime.date,
    sex: str,
    name: str = "",
    father: Person | None = None,
    place: str = "",
    plurality: int = 1,
    id_number: str = "",
    residence_unit: OrgUnit | None = None,
    reason: str = "",
) -> Event:
    """A live birth to `mother`: the child, its parent links and the birth event."""
    _authorise(actor, mother.unit)
    for other in (father.unit if father else None, residence_unit):
        if other is not None:
            require_in_scope(actor, other)
    marriage = _current_marriage(mother, father, date)
    number = _normalise_id(id_number)
    warnings = _raise_if_errors([
        *_birth_problems(mother, father, date),
        *_check_date(date, mother.unit),
        *rules.check_id_number(number or "", date, sex),
        *_check_unique_id(number),
        *rules.check_birth_before_marriage(date, marriage.start_date if marriage else None),
    ])  # fmt: skip
    if plurality < 1 or plurality > 8:
        raise ValidationError({"plurality": _("Babies in one delivery must be 1 to 8.")})
    residence = residence_unit or mother.residence_unit
    child = Person(
        id_number=number, sex=sex, birth_date=date, ethnic_group=mother.ethnic_group,
        hukou_type=mother.hukou_type, hukou_unit=mother.hukou_unit,
        hukou_division=mother.hukou_division, residence_unit=residence,
        unit=residence or mother.unit, household=mother.household,
    )  # fmt: skip
    _set_name(child, name or _("(not yet named)"))
    child.floating = rules.floating_status(
        hukou_here=child.hukou_unit_id is not None, lives_here=residence is not None
    )
    _save(child, actor, reason or _("birth recorded"))
    for parent in (mother, father):
        if parent is not None:
            link = ParentChild(parent=parent, child=child, since=date)
            _save(link, actor, reason or _("birth recorded"))
    event = Event(
        kind=EventKind.BIRTH, date=date, person=child, unit=child.unit, mother=mother,
        father=father, place=place, plurality=plurality, recorded_by=actor,
        flags=[w.code for w in warnings],
    )  # fmt: skip
    _save(event, actor, reason or _("birth recorded"))
    _rederive_orders(mother, actor, _("birth order"))
    return event


# --- deaths and moves -----------------------------------------------------------------------


@transaction.atomic
def record_death(
    *, actor: User | None, person: Person, date: datetime.date, cause_category: str = "",
    reason: str = "",
) -> Event:  # fmt: skip
    _authorise(actor, person.unit)
    _raise_if_errors([
        *rules.check_within_life(date, person.birth_date, None),
        *_check_date(date, person.unit),
    ])  # fmt: skip
    if person.events.filter(kind=EventKind.DEATH, state=EventState.ACTIVE).exists():
        raise ValidationError({"date": _("A death is already recorded for this person.")})
    later = person.events.filter(state=EventState.ACTIVE, date__gt=date).exclude(
        kind=EventKind.BIRTH
    )
    if later.exists():
        raise ValidationError({"date": _("Events are recorded after this date.")})
    event = Event(
        kind=EventKind.DEATH,
        date=date,
        person=person,
        unit=person.unit,
        cause_category=cause_category,
        recorded_by=actor,
    )
    _save(event, actor, reason or _("death recorded"))
    _rederive([person], actor, reason or _("death recorded"))
    _end_marriages_by_death(person, date, actor)
    return event


def _end_marriages_by_death(person: Person, day: datetime.date, actor: User | None) -> None:
    for marriage in Marriage.objects.filter(
        Q(husband=person) | Q(wife=person), end_date__isnull=True
    ):
        marriage.end_date, marriage.end_reason = day, Marriage.EndReason.DEATH
        _save(marriage, actor, _("death of a spouse"))


def _move_problems(person: Person, date: datetime.date):
    return [
        *rules.check_within_life(date, person.birth_date, person.death_date),
        *_check_date(date, person.unit),
    ]


@transaction.atomic
def record_move_in(
    *,
    actor: User | None,
    person: Person,
    date: datetime.date,
    residence_unit: OrgUnit,
    division_from: str = "",
    moves_hukou: bool = False,
    reason: str = "",
) -> Event:
    """The person comes to live at `residence_unit` (迁入 with the registration, or 流入)."""
    _authorise(actor, residence_unit)
    require_in_scope(actor, person.unit)
    _raise_if_errors(_move_problems(person, date))
    event = Event(
        kind=EventKind.MOVE_IN,
        date=date,
        person=person,
        unit=residence_unit,
        residence_unit=residence_unit,
        division_from=division_from,
        moves_hukou=moves_hukou,
        reason=reason,
        recorded_by=actor,
    )
    _save(event, actor, reason or _("moved in"))
    _rederive([person], actor, reason or _("moved in"))
    return event


@transaction.atomic
def record_move_out(
    *,
    actor: User | None,
    person: Person,
    date: datetime.date,
    division_to: str = "",
    moves_hukou: bool = False,
    reason: str = "",
) -> Event:
    """The person leaves to live elsewhere (迁出 with the registration, or 流出)."""
    _authorise(actor, person.unit)
    _raise_if_errors(_move_problems(person, date))
    event = Event(
        kind=EventKind.MOVE_OUT,
        date=date,
        person=person,
        unit=person.unit,
        division_to=division_to,
        moves_hukou=moves_hukou,
        reason=reason,
        recorded_by=actor,
    )
    _save(event, actor, reason or _("moved out"))
    _rederive([person], actor, reason or _("moved out"))
    return event


@transaction.atomic
def change_hukou_type(
    *, actor: User | None, person: Person, date: datetime.date, hukou_type: str, reason: str = ""
) -> Event:
    _authorise(actor, person.unit)
    _raise_if_errors(_move_problems(person, date))
    event = Event(
        kind=EventKind.HUKOU_TYPE,
        date=date,
        person=person,
        unit=person.unit,
        hukou_type=hukou_type,
        reason=reason,
        recorded_by=actor,
    )
    _save(event, actor, reason or _("registration type changed"))
    _rederive([person], actor, reason or _("registration type changed"))
    return event


# --- marriages --------------------------------------------------------------------------------


def _married_on(person: Person, day: datetime.date) -> bool:
    return (
        Marriage.objects.filter(Q(husband=person) | Q(wife=person), start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=day))
        .exists()
    )


@transaction.atomic
def record_marriage(
    *,
    actor: User | None,
    husband: Person,
    wife: Person,
    date: datetime.date,
    reason: str = "",
) -> Marriage:
    _authorise(actor, wife.unit)
    require_in_scope(actor, husband.unit)
    problems = [
        *rules.check_marriage_age("M", husband.birth_date, date),
        *rules.check_marriage_age("F", wife.birth_date, date),
        *rules.check_within_life(date, husband.birth_date, husband.death_date, field="husband",
                                 who=("男方", "the husband")),
        *rules.check_within_life(date, wife.birth_date, wife.death_date, field="wife",
                                 who=("女方", "the wife")),
        *_check_date(date, wife.unit),
    ]  # fmt: skip
    for field, spouse in (("husband", husband), ("wife", wife)):
        if _married_on(spouse, date):
            problems.append(
                rules.Problem(
                    field,
                    "married",
                    "此人在该日期已有婚姻",
                    "this person is already married on that date",
                )
            )
    if husband.sex != "M" or wife.sex != "F":
        problems.append(
            rules.Problem(
                "wife", "sex", "婚姻双方性别不符", "the spouses' sexes do not fit husband and wife"
            )
        )
    _raise_if_errors(problems)
    kinds = {
        spouse.pk: Marriage.Kind.REMARRIAGE
        if Marriage.objects.filter(Q(husband=spouse) | Q(wife=spouse)).exists()
        else Marriage.Kind.FIRST
        for spouse in (husband, wife)
    }
    marriage = Marriage(
        husband=husband,
        wife=wife,
        start_date=date,
        unit=wife.unit,
        husband_kind=kinds[husband.pk],
        wife_kind=kinds[wife.pk],
    )
    _save(marriage, actor, reason or _("marriage recorded"))
    for spouse in (husband, wife):
        event = Event(
            kind=EventKind.MARRIAGE,
            date=date,
            person=spouse,
            unit=spouse.unit,
            marriage=marriage,
            recorded_by=actor,
        )
        _save(event, actor, reason or _("marriage recorded"))
    _tell_listeners(husband, wife)
    return marriage


@transaction.atomic
def record_divorce(
    *, actor: User | None, marriage: Marriage, date: datetime.date, reason: str = ""
) -> Marriage:
    _authorise(actor, marriage.unit)
    if marriage.end_date is not None:
        raise ValidationError({"date": _("This marriage has already ended.")})
    if date < marriage.start_date:
        raise ValidationError({"date": _("A divorce cannot precede the marriage.")})
    _raise_if_errors(_check_date(date, marriage.unit))
    marriage.end_date, marriage.end_reason = date, Marriage.EndReason.DIVORCE
    _save(marriage, actor, reason or _("divorce recorded"))
    for spouse in (marriage.husband, marriage.wife):
        event = Event(
            kind=EventKind.DIVORCE,
            date=date,
            person=spouse,
            unit=spouse.unit,
            marriage=marriage,
            recorded_by=actor,
        )
        _save(event, actor, reason or _("divorce recorded"))
    _tell_listeners(marriage.husband, marriage.wife)
    return marriage


def _married_to_other_on(person: Person, day: datetime.date, marriage: Marriage) -> bool:
    return (
        Marriage.objects.filter(Q(husband=person) | Q(wife=person), start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=day))
        .exclude(pk=marriage.pk)
        .exists()
    )


def _marriage_correction_problems(
    marriage: Marriage, start: datetime.date, end: datetime.date | None, end_reason: str
) -> list[rules.Problem]:
    husband, wife = marriage.husband, marriage.wife
    problems = [
        *rules.check_marriage_age("M", husband.birth_date, start),
        *rules.check_marriage_age("F", wife.birth_date, start),
        *rules.check_within_life(start, husband.birth_date, husband.death_date, field="start",
                                 who=("男方", "the husband")),
        *rules.check_within_life(start, wife.birth_date, wife.death_date, field="start",
                                 who=("女方", "the wife")),
        *_check_date(start, marriage.unit, "start"),
    ]  # fmt: skip
    if end is not None:
        problems += _check_date(end, marriage.unit, "end")
        if end < start:
            problems.append(
                rules.Problem("end", "order", "婚姻结束日期早于结婚日期",
                              "the marriage cannot end before it starts")
            )  # fmt: skip
        if end_reason not in Marriage.EndReason.values:
            problems.append(
                rules.Problem("end_reason", "missing", "请填写婚姻结束原因",
                              "give why the marriage ended")
            )  # fmt: skip
    for field, spouse in (("husband", husband), ("wife", wife)):
        if _married_to_other_on(spouse, start, marriage):
            problems.append(
                rules.Problem(field, "married", "此人在该日期已有婚姻",
                              "this person is already married on that date")
            )  # fmt: skip
        elif _married_to_other_within(spouse, start, end, marriage):
            problems.append(
                rules.Problem(field, "married", "此人在这段婚姻期间另有婚姻",
                              "this person has another marriage within this one")
            )  # fmt: skip
        if end is None and spouse.death_date is not None:
            problems.append(
                rules.Problem("end", "deceased", "一方已死亡，婚姻须有结束日期",
                              "a spouse has died: the marriage must have an end")
            )  # fmt: skip
    return problems


def _married_to_other_within(
    person: Person, start: datetime.date, end: datetime.date | None, marriage: Marriage
) -> bool:
    """Another marriage of `person` begins while this one (start to end, open if None) lasts."""
    later = Marriage.objects.filter(Q(husband=person) | Q(wife=person), start_date__gt=start)
    if end is not None:
        later = later.filter(start_date__lt=end)
    return later.exclude(pk=marriage.pk).exists()


def _resync_marriage_events(
    marriage: Marriage, kind: str, day: datetime.date | None, actor: User | None, reason: str
) -> None:
    """The marriage (or divorce) events follow the corrected record: a changed date
    supersedes the event with a corrected copy; a removed date voids it; a new one is added."""
    active = list(Event.objects.filter(marriage=marriage, kind=kind, state=EventState.ACTIVE))
    for event in active:
        if day is None:
            event.state = EventState.VOIDED
            _save(event, actor, reason)
        elif event.date != day:
            event.state = EventState.SUPERSEDED
            _save(event, actor, reason)
            replacement = Event.objects.get(pk=event.pk)
            replacement.pk = replacement.id = None
            replacement.source_key = None
            replacement.state, replacement.supersedes = EventState.ACTIVE, event
            replacement.date, replacement.recorded_by = day, actor
            _save(replacement, actor, reason)
    if not active and day is not None:
        for spouse in (marriage.husband, marriage.wife):
            event = Event(kind=kind, date=day, person=spouse, unit=spouse.unit,
                          marriage=marriage, recorded_by=actor)  # fmt: skip
            _save(event, actor, reason)


@transaction.atomic
def correct_marriage(
    marriage: Marriage,
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    end_reason: str | None = None,
    clear_end: bool = False,
    actor: User | None,
    reason: str,
) -> Marriage:
    """Correct a marriage's dates (None: unchanged; `clear_end` removes an end recorded in
    error, making the marriage current again), validated as recording one is; history keeps
    the prior version with the reason, the marriage/divorce events follow, and the
    birth-policy classifications that read the marriage are recomputed."""
    _authorise(actor, marriage.unit)
    require_in_scope(actor, marriage.husband.unit)
    require_in_scope(actor, marriage.wife.unit)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the correction.")})
    if clear_end and end is not None:
        raise ValidationError({"end": _("Give an end date or clear it, not both.")})
    new_start = start or marriage.start_date
    new_end = None if clear_end else end if end is not None else marriage.end_date
    new_reason = end_reason if end_reason is not None else marriage.end_reason
    _raise_if_errors(_marriage_correction_problems(marriage, new_start, new_end, new_reason))
    marriage.start_date, marriage.end_date = new_start, new_end
    marriage.end_reason = new_reason if new_end is not None else ""
    _save(marriage, actor, reason)
    _resync_marriage_events(marriage, EventKind.MARRIAGE, new_start, actor, reason)
    divorced = new_end if marriage.end_reason == Marriage.EndReason.DIVORCE else None
    _resync_marriage_events(marriage, EventKind.DIVORCE, divorced, actor, reason)
    _tell_listeners(marriage.husband, marriage.wife)
    return marriage


# --- corrections ----------------------------------------------------------------------------

MARRIAGE_EVENTS = {EventKind.MARRIAGE, EventKind.DIVORCE}
CORRECTABLE = {"date", "place", "plurality", "cause_category", "division_from", "division_to",
               "residence_unit", "moves_hukou", "hukou_type"}  # fmt: skip


@transaction.atomic
def correct_event(*, actor: User | None, event: Event, reason: str, **changes) -> Event:
    """A new event replaces `event` (kept, marked corrected); the person is re-derived."""
    _authorise(actor, event.unit)
    if event.state != EventState.ACTIVE:
        raise ValidationError({"event": _("Only an event in force can be corrected.")})
    if event.kind in MARRIAGE_EVENTS:
        raise ValidationError({"event": _("A marriage is corrected on the marriage record.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the correction.")})
    unknown = set(changes) - CORRECTABLE
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be corrected here.")})
    person = event.person
    new_date = changes.get("date", event.date)
    problems = [
        *rules.check_within_life(new_date, *_life_of(person, event)),
        *_check_date(new_date, event.unit),
    ]
    if event.kind == EventKind.BIRTH and event.mother_id:
        problems += _birth_problems(event.mother, event.father, new_date)
    _raise_if_errors(problems)
    event.state = EventState.SUPERSEDED
    _save(event, actor, reason)
    replacement = Event.objects.get(pk=event.pk)
    replacement.pk = replacement.id = None
    replacement.source_key = None
    replacement.state = EventState.ACTIVE
    replacement.supersedes = event
    replacement.recorded_by = actor
    for field, value in changes.items():
        setattr(replacement, field, value)
    _save(replacement, actor, reason)
    _after_event_change(replacement, actor, reason)
    return replacement


def _life_of(person: Person, event: Event):
    if event.kind == EventKind.BIRTH:
        return (datetime.date.min, None)
    death = None if event.kind == EventKind.DEATH else person.death_date
    return (person.birth_date, death)


@transaction.atomic
def void_event(*, actor: User | None, event: Event, reason: str) -> Event:
    """Delete an event recorded in error (kept, marked deleted); the person is re-derived."""
    _authorise(actor, event.unit)
    if event.state != EventState.ACTIVE:
        raise ValidationError({"event": _("Only an event in force can be deleted.")})
    if event.kind in MARRIAGE_EVENTS:
        raise ValidationError({"event": _("A marriage is corrected on the marriage record.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the deletion.")})
    event.state = EventState.VOIDED
    _save(event, actor, reason)
    if event.kind == EventKind.BIRTH:
        for link in ParentChild.objects.filter(
            child=event.person, kind=ParentChild.Kind.BIOLOGICAL
        ):
            link._change_reason, link._history_user = reason, actor
            link.delete()
    if event.kind == EventKind.DEATH:
        _reopen_marriages(event, actor, reason)
    _after_event_change(event, actor, reason)
    return event


def _reopen_marriages(event: Event, actor: User | None, reason: str) -> None:
    for marriage in Marriage.objects.filter(
        Q(husband=event.person) | Q(wife=event.person),
        end_reason=Marriage.EndReason.DEATH, end_date=event.date,
    ):  # fmt: skip
        marriage.end_date, marriage.end_reason = None, ""
        _save(marriage, actor, reason)


def _after_event_change(event: Event, actor: User | None, reason: str) -> None:
    _rederive([event.person], actor, reason)
    if event.kind == EventKind.BIRTH:
        _rederive_orders(event.mother, actor, reason)


# --- households -------------------------------------------------------------------------------


@transaction.atomic
def create_household(
    *, actor: User | None, number: str, unit: OrgUnit, address: str = "", reason: str = ""
) -> Household:
    """A household (户) at an address in a group/building."""
    require_in_scope(actor, unit)
    require_perm(actor, "registry.change_household")
    number = number.strip()
    if not number:
        raise ValidationError({"number": _("The household number is required.")})
    if Household.objects.filter(number=number).exists():
        raise ValidationError({"number": _("This household number is already used.")})
    household = Household(number=number, unit=unit, address=address)
    _save(household, actor, reason or _("household created"))
    return household


@transaction.atomic
def join_household(
    *,
    actor: User | None,
    person: Person,
    household: Household | None,
    relation_to_head: str = "",
    reason: str = "",
) -> Person:
    """Put a person in a household with a GB/T 4761 relation (None: leave the household)."""
    _authorise(actor, person.unit)
    if household is not None:
        require_in_scope(actor, household.unit)
    person.household = household
    person.relation_to_head = relation_to_head if household is not None else ""
    _save(person, actor, reason or _("household changed"))
    return person


# --- one dispatch for the event forms and POST /events ------------------------------------------

# kind → the action that records it; each takes `actor`, `date`, `reason` and its own fields.
EVENT_ACTIONS = {
    "birth": "record_birth",
    "death": "record_death",
    "move_in": "record_move_in",
    "move_out": "record_move_out",
    "marriage": "record_marriage",
    "divorce": "record_divorce",
    "hukou_type": "change_hukou_type",
}


def record_event(*, actor: User | None, kind: str, **fields) -> Event | Marriage:
    """Record one event of `kind` (see EVENT_ACTIONS) with that action's fields, persons and
    units already resolved in the caller's scope. A marriage may name the two spouses in any
    order as `person` and `spouse`. Returns the action's answer: the event, or the marriage
    for a marriage or a divorce."""
    if kind not in EVENT_ACTIONS:
        raise ValidationError({"kind": _("Unknown event type.")})
    if kind == "marriage" and "spouse" in fields:
        person, spouse = fields.pop("person"), fields.pop("spouse")
        fields["husband"], fields["wife"] = (
            (person, spouse) if person.sex == "M" else (spouse, person)
        )
    return globals()[EVENT_ACTIONS[kind]](actor=actor, **fields)
