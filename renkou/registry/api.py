"""Registry endpoints under /api/v1/: persons, households and events, all scoped like the pages.

Reads go through `registry.queries` (scoped: a record outside the caller's units is a 404, the
same as a missing one); writes go through `registry.actions` only, which check the scope and
the `registry.change_person` permission (403). ID numbers are masked in every answer unless
the caller holds `core.reveal_id_number` and asks `?reveal=1`; each revealed number is
written to the access log. Phones are always masked here.
"""

import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Body, Field, Query, Router, Schema, Status
from pydantic import field_validator

from renkou.core import actions as core_actions
from renkou.core import queries as core_queries
from renkou.core.filters import MAX_ID, NO_NUL
from renkou.core.lockout import client_address
from renkou.lib import disclosure, scoping
from renkou.lib import paging as paging_lib
from renkou.lib.apischema import READ_ERRORS, WRITE_ERRORS, ErrorOut
from renkou.lib.apitypes import ApiDate, ApiDateTime, BodySchema
from renkou.lib.codes import ETHNIC_GROUPS, FAMILY_RELATIONS
from renkou.lib.inputschema import model_max_length
from renkou.lib.masking import mask_id_number, mask_phone
from renkou.registry import actions, queries
from renkou.registry.filters import HouseholdFilters, PersonFilters
from renkou.registry.models import Event, EventKind, Household, Marriage, Person

router = Router(tags=["registry"])

# Reads check `registry.view_*` as well, so they can answer 403 too.
READS: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut}
WRITES: dict[int, Any] = WRITE_ERRORS

VIEW_PERSON, VIEW_HOUSEHOLD = "registry.view_person", "registry.view_household"
REVEAL = "core.reveal_id_number"

# Column limits, declared so that breaking them is a 422 and never a database error (500).
REASON_MAX = model_max_length(Event, "reason")  # moves and registration-type changes store it there
NAME_MAX = model_max_length(Person, "name")
ID_INPUT_MAX = 40  # typed ID numbers may carry spaces; stored normalised (18 characters)
PAGE_SIZE_MAX = 100

Sex = Literal["M", "F"]
HukouType = Literal["agricultural", "non_agricultural", "unified"]
EthnicGroup = Literal[tuple(sorted(ETHNIC_GROUPS))]  # type: ignore[valid-type]
Relation = Literal[("", *sorted(FAMILY_RELATIONS))]  # type: ignore[valid-type]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _check_name(value: str | None) -> str | None:
    """A name must not be blank (its pinyin keys are bounded by lib.pinyin)."""
    if value is None:
        return value
    name = value.strip()
    if not name:
        raise ValueError("the name is empty")
    return name


def _text(max_length: int, default: Any = "", **extra: Any) -> Any:
    return Field(default, max_length=max_length, pattern=NO_NUL, **extra)


PageIn = paging_lib.page_input(20, PAGE_SIZE_MAX)


# --- persons: output ----------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: ApiDate | None = Field(
        description="The exact birth date for callers holding core.reveal_id_number; null for "
        "everyone else, who get `birth_month` only (docs/privacy.md)."
    )
    birth_month: str = Field(description="Year and month of birth, YYYY-MM (出生年月).")
    id_number: str = Field(
        description="Region code and stars (110105************) unless revealed (reveal=1 and "
        "the permission)."
    )
    status: str
    floating: str
    unit_id: int
    unit_name: str
    residence_unit_id: int | None
    hukou_unit_id: int | None
    household_id: int | None


class PersonPage(Schema):
    items: list[PersonOut]
    page: int
    page_size: int
    has_next: bool


class ParentOut(Schema):
    id: int
    name: str
    sex: str
    kind: str


class ChildOut(Schema):
    id: int
    name: str
    sex: str
    kind: str
    birth_order_mother: int | None
    parity_mother: int | None
    birth_order_couple: int | None


class SpouseOut(Schema):
    marriage_id: int
    spouse_id: int
    spouse_name: str
    start_date: ApiDate
    end_date: ApiDate | None
    end_reason: str
    kind: str = Field(description="This person's marriage: first or remarriage.")


class PersonDetail(PersonOut):
    former_names: str
    ethnic_group: str
    hukou_type: str
    hukou_type_since: ApiDate | None
    hukou_division: str
    phone: str = Field(description="Always masked.")
    death_date: ApiDate | None
    floating_since: ApiDate | None
    household_number: str | None
    relation_to_head: str
    birth_order_mother: int | None
    parity_mother: int | None
    birth_order_couple: int | None
    only_child_cert_no: str
    only_child_cert_date: ApiDate | None
    created_at: ApiDateTime
    updated_at: ApiDateTime
    parents: list[ParentOut]
    children: list[ChildOut]
    marriages: list[SpouseOut]


_ROW_FIELDS = (
    "id", "name", "sex", "birth_date", "status", "floating", "unit_id", "residence_unit_id",
    "hukou_unit_id", "household_id",
)  # fmt: skip
_DETAIL_FIELDS = (
    "former_names", "ethnic_group", "hukou_type", "hukou_type_since", "hukou_division",
    "death_date", "floating_since", "relation_to_head", "birth_order_mother", "parity_mother",
    "birth_order_couple", "only_child_cert_no", "only_child_cert_date", "created_at", "updated_at",
)  # fmt: skip


def _shown_ids(request: HttpRequest, persons: list[Person], reveal: bool) -> dict[int, str]:
    """Each person's ID number as this caller may see it. Unmasked only when asked for and
    permitted, and then one access-log row per person whose number is shown; a caller
    without the permission who asks gets them masked (not an error)."""
    allowed = reveal and request.user.has_perm(REVEAL)
    shown = {}
    for person in persons:
        if allowed:
            shown[person.pk] = core_actions.reveal_id_number(
                actor=request.user,
                obj=person,
                field="id_number",
                reason="API reveal=1",
                ip_address=client_address(request),
            )
        else:
            shown[person.pk] = mask_id_number(person.id_number)
    return shown


def _row(person: Person, id_number: str, full_birth_date: bool) -> dict[str, Any]:
    row = {field: getattr(person, field) for field in _ROW_FIELDS}
    return row | {
        "id_number": id_number,
        "unit_name": person.unit.name,
        "birth_date": person.birth_date if full_birth_date else None,
        "birth_month": disclosure.birth_month(person.birth_date),
    }


def _rows(request: HttpRequest, persons: list[Person], reveal: bool) -> list[dict[str, Any]]:
    shown = _shown_ids(request, persons, reveal)
    full = disclosure.may_see_birth_date(request.user)
    return [_row(person, shown[person.pk], full) for person in persons]


def _detail(request: HttpRequest, person: Person, reveal: bool) -> dict[str, Any]:
    family = queries.family_of(person)
    full = disclosure.may_see_birth_date(request.user)
    detail = _row(person, _shown_ids(request, [person], reveal)[person.pk], full)
    detail |= {field: getattr(person, field) for field in _DETAIL_FIELDS}
    detail["phone"] = mask_phone(person.phone)
    detail["household_number"] = person.household.number if person.household_id else None
    detail["parents"] = [
        {"id": link.parent_id, "name": link.parent.name, "sex": link.parent.sex, "kind": link.kind}
        for link in family.parents
    ]
    detail["children"] = [
        {
            "id": link.child_id,
            "name": link.child.name,
            "sex": link.child.sex,
            "kind": link.kind,
            "birth_order_mother": link.child.birth_order_mother,
            "parity_mother": link.child.parity_mother,
            "birth_order_couple": link.child.birth_order_couple,
        }
        for link in family.children
    ]
    detail["marriages"] = [_spouse(person, marriage) for marriage in family.marriages]
    return detail


def _spouse(person: Person, marriage: Marriage) -> dict[str, Any]:
    is_husband = marriage.husband_id == person.pk
    spouse = marriage.wife if is_husband else marriage.husband
    return {
        "marriage_id": marriage.pk,
        "spouse_id": spouse.pk,
        "spouse_name": spouse.name,
        "start_date": marriage.start_date,
        "end_date": marriage.end_date,
        "end_reason": marriage.end_reason,
        "kind": marriage.husband_kind if is_husband else marriage.wife_kind,
    }


# --- persons: input -----------------------------------------------------------------------------


class PersonIn(BodySchema):
    name: str = _text(NAME_MAX, ...)
    sex: Sex
    birth_date: ApiDate
    residence_unit_id: Id | None = Field(None, description="Where the person lives, if here.")
    hukou_unit_id: Id | None = Field(None, description="Where the hukou is, if here.")
    hukou_division: str = _text(
        model_max_length(Person, "hukou_division"),
        description="Division code of the hukou if elsewhere.",
    )
    id_number: str = _text(ID_INPUT_MAX)
    ethnic_group: EthnicGroup = "01"
    hukou_type: HukouType | Literal[""] = ""
    phone: str = _text(model_max_length(Person, "phone"))
    household_id: Id | None = None
    relation_to_head: Relation = ""
    reason: str = _text(REASON_MAX)

    _name = field_validator("name")(_check_name)


class PersonPatch(BodySchema):
    """Only the fields given change; events change the rest. `reason` is required."""

    reason: str = _text(REASON_MAX)
    name: str | None = _text(NAME_MAX, None)
    former_names: str | None = _text(model_max_length(Person, "former_names"), None)
    sex: Sex | None = None
    id_number: str | None = _text(ID_INPUT_MAX, None, description="Empty or null clears it.")
    ethnic_group: EthnicGroup | None = None
    phone: str | None = _text(model_max_length(Person, "phone"), None)
    only_child_cert_no: str | None = _text(model_max_length(Person, "only_child_cert_no"), None)
    only_child_cert_date: ApiDate | None = None
    relation_to_head: Relation | None = None
    household_id: Id | None = Field(None, description="null takes the person off a household.")

    _name = field_validator("name")(_check_name)


# Fields a PATCH may set to null; null for any other field means "leave it".
_NULLABLE = {"id_number", "only_child_cert_date", "household_id"}


def _person(request: HttpRequest, person_id: int) -> Person:
    person = queries.get_person_for(request.user, person_id)  # scope first, then permission
    core_actions.require_perm(request.user, VIEW_PERSON)
    return person


def _reloaded(person: Person) -> Person:
    """The person as stored, with what the detail shows (units and household) loaded."""
    return Person.objects.select_related("unit", "household").get(pk=person.pk)


# --- persons: endpoints -------------------------------------------------------------------------


@router.get("/persons", response={200: PersonPage, **READS})
def list_persons(
    request: HttpRequest,
    filters: Query[PersonFilters],
    paging: Query[PageIn],
    reveal: bool = False,
):
    """Persons in the caller's units, filtered; paged by `page` and `has_next`."""
    core_actions.require_perm(request.user, VIEW_PERSON)
    persons = queries.find_persons(request.user, filters)
    page = paging_lib.api_page(persons, paging)
    return page.as_api(_rows(request, page.rows, reveal))


@router.get("/persons/{person_id}", response={200: PersonDetail, **READS})
def get_person(request: HttpRequest, person_id: int, reveal: bool = False):
    person = _person(request, person_id)
    return _detail(request, person, reveal)


@router.post("/persons", response={201: PersonDetail, **WRITES})
def create_person(request: HttpRequest, payload: PersonIn, reveal: bool = False):
    """Register (建档) a person already living or registered here; moves are events."""
    user = request.user
    units = {
        field: core_queries.get_unit_for(user, unit_id) if unit_id else None
        for field, unit_id in (
            ("residence_unit", payload.residence_unit_id),
            ("hukou_unit", payload.hukou_unit_id),
        )
    }
    household = (
        queries.get_household_for(user, payload.household_id) if payload.household_id else None
    )
    person = actions.register_person(
        actor=user,
        name=payload.name,
        sex=payload.sex,
        birth_date=payload.birth_date,
        hukou_division=payload.hukou_division,
        id_number=payload.id_number,
        ethnic_group=payload.ethnic_group,
        hukou_type=payload.hukou_type,
        phone=payload.phone,
        household=household,
        relation_to_head=payload.relation_to_head,
        reason=payload.reason,
        **units,
    )
    return Status(201, _detail(request, _reloaded(person), reveal))


@router.patch("/persons/{person_id}", response={200: PersonDetail, **WRITES})
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch, reveal: bool = False):
    """Correct a person's own facts, with the reason kept in the history."""
    person = _person(request, person_id)
    given = payload.dict(exclude_unset=True)
    reason = given.pop("reason", "")
    fields: dict[str, Any] = {}
    for field, value in given.items():
        if value is None and field not in _NULLABLE:
            continue
        if field == "household_id":
            fields["household"] = (
                queries.get_household_for(request.user, value) if value is not None else None
            )
        else:
            fields[field] = "" if field == "id_number" and value is None else value
    person = actions.update_person(actor=request.user, person=person, reason=reason, **fields)
    return _detail(request, _reloaded(person), reveal)


# --- households -----------------------------------------------------------------------------------


class HouseholdOut(Schema):
    id: int
    number: str
    address: str
    unit_id: int
    unit_name: str


class HouseholdPage(Schema):
    items: list[HouseholdOut]
    page: int
    page_size: int
    has_next: bool


class MemberOut(PersonOut):
    relation_to_head: str


class HouseholdDetail(HouseholdOut):
    members: list[MemberOut] = Field(description="The members the caller's units cover.")


def _household_row(household: Household) -> dict[str, Any]:
    return {
        "id": household.pk,
        "number": household.number,
        "address": household.address,
        "unit_id": household.unit_id,
        "unit_name": household.unit.name,
    }


@router.get("/households", response={200: HouseholdPage, **READS})
def list_households(request: HttpRequest, filters: Query[HouseholdFilters], paging: Query[PageIn]):
    core_actions.require_perm(request.user, VIEW_HOUSEHOLD)
    households = filters.filter(queries.households_visible_to(request.user))
    page = paging_lib.api_page(households.select_related("unit").order_by("number", "pk"), paging)
    return page.as_api([_household_row(household) for household in page.rows])


@router.get("/households/{household_id}", response={200: HouseholdDetail, **READS})
def get_household(request: HttpRequest, household_id: int, reveal: bool = False):
    household = queries.get_household_for(request.user, household_id)  # scope, then perm
    core_actions.require_perm(request.user, VIEW_HOUSEHOLD)
    members = list(
        queries.persons_visible_to(request.user)
        .filter(household=household)
        .select_related("unit")
        .order_by("relation_to_head", "birth_date", "pk")
    )
    shown = _shown_ids(request, members, reveal)
    full = disclosure.may_see_birth_date(request.user)
    return _household_row(household) | {
        "members": [
            _row(person, shown[person.pk], full) | {"relation_to_head": person.relation_to_head}
            for person in members
        ],
    }


# --- events ---------------------------------------------------------------------------------------


class EventOut(Schema):
    id: int
    kind: str
    date: ApiDate | None = Field(
        description="null for a birth event when the caller does not hold "
        "core.reveal_id_number: a birth event's date is the child's birth date, shown to "
        "such callers as `month` only (docs/privacy.md)."
    )
    month: str = Field(description="Year and month of the event, YYYY-MM.")
    state: str = Field(description="active, superseded (corrected) or voided (deleted).")
    person_id: int
    person_name: str
    unit_id: int
    supersedes_id: int | None = Field(description="The event this one corrects.")
    mother_id: int | None
    father_id: int | None
    marriage_id: int | None
    place: str
    plurality: int
    cause_category: str
    division_from: str
    division_to: str
    residence_unit_id: int | None
    moves_hukou: bool
    hukou_type: str
    reason: str
    flags: list[str] = Field(description="Warnings accepted with the event.")
    recorded_at: ApiDateTime

    @staticmethod
    def resolve_person_name(obj: Event) -> str:
        return obj.person.name

    @staticmethod
    def resolve_date(obj: Event, context: Any) -> datetime.date | None:
        if obj.kind == EventKind.BIRTH:
            user = getattr(context.get("request"), "user", None) if context else None
            if not disclosure.may_see_birth_date(user):
                return None
        return obj.date

    @staticmethod
    def resolve_month(obj: Event) -> str:
        return disclosure.birth_month(obj.date)


class EventPage(Schema):
    items: list[EventOut]
    page: int
    page_size: int
    has_next: bool


class RecordedOut(Schema):
    events: list[EventOut] = Field(description="The events written (two for a marriage).")
    child_id: int | None = Field(None, description="For a birth: the child registered.")
    marriage_id: int | None = Field(None, description="For a marriage or a divorce.")


class _EventIn(BodySchema):
    date: ApiDate
    reason: str = _text(REASON_MAX)


class BirthIn(_EventIn):
    kind: Literal["birth"]
    mother_id: Id
    father_id: Id | None = None
    sex: Sex = Field(description="The child's.")
    name: str = _text(NAME_MAX, description="The child's; may be given later.")
    place: str = _text(model_max_length(Event, "place"))
    plurality: int = Field(1, ge=1, le=8, description="Babies in the delivery.")
    id_number: str = _text(ID_INPUT_MAX, description="The child's, if issued.")
    residence_unit_id: Id | None = Field(None, description="Default: the mother's.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_name(value) if value.strip() else ""


class DeathIn(_EventIn):
    kind: Literal["death"]
    person_id: Id
    cause_category: str = _text(model_max_length(Event, "cause_category"))


class MoveInIn(_EventIn):
    kind: Literal["move_in"]
    person_id: Id
    residence_unit_id: Id
    division_from: str = _text(model_max_length(Event, "division_from"))
    moves_hukou: bool = False


class MoveOutIn(_EventIn):
    kind: Literal["move_out"]
    person_id: Id
    division_to: str = _text(model_max_length(Event, "division_to"))
    moves_hukou: bool = False


class MarriageIn(_EventIn):
    kind: Literal["marriage"]
    husband_id: Id
    wife_id: Id


class DivorceIn(_EventIn):
    kind: Literal["divorce"]
    marriage_id: Id


class HukouTypeIn(_EventIn):
    kind: Literal["hukou_type"]
    person_id: Id
    hukou_type: HukouType


EventIn = Annotated[
    BirthIn | DeathIn | MoveInIn | MoveOutIn | MarriageIn | DivorceIn | HukouTypeIn,
    Field(discriminator="kind"),
]


class CorrectIn(BodySchema):
    """The fields to correct (only those given change) and the reason for the correction."""

    reason: str = _text(REASON_MAX)
    date: ApiDate | None = None
    place: str | None = _text(model_max_length(Event, "place"), None)
    plurality: int | None = Field(None, ge=1, le=8)
    cause_category: str | None = _text(model_max_length(Event, "cause_category"), None)
    division_from: str | None = _text(model_max_length(Event, "division_from"), None)
    division_to: str | None = _text(model_max_length(Event, "division_to"), None)
    residence_unit_id: Id | None = None
    moves_hukou: bool | None = None
    hukou_type: HukouType | None = None


class VoidIn(BodySchema):
    reason: str = _text(REASON_MAX)


def _event(request: HttpRequest, event_id: int) -> Event:
    event = queries.get_event_for(request.user, event_id)  # scope first, then permission
    core_actions.require_perm(request.user, VIEW_PERSON)
    return event


def _marriage_events(marriage: Marriage, kind: str) -> list[Event]:
    latest = marriage.events.filter(kind=kind).select_related("person").order_by("-pk")[:2]
    return sorted(latest, key=lambda event: event.pk)


@router.get("/events", response={200: EventPage, **READS})
def list_events(
    request: HttpRequest,
    paging: Query[PageIn],
    person: int | None = Query(None, ge=1, le=MAX_ID, description="A person's id."),
):
    """With `person`: that person's timeline, oldest first — their own events and the births
    they are a parent in, corrected and deleted ones included (see `state`). Without: the
    events of the caller's units, newest first."""
    core_actions.require_perm(request.user, VIEW_PERSON)
    if person is not None:
        events = queries.timeline(queries.get_person_for(request.user, person))
    else:
        events = (
            queries.events_visible_to(request.user)
            .select_related("person")
            .order_by("-date", "-pk")
        )
    return paging_lib.api_page(events, paging).as_api()


@router.post("/events", response={201: RecordedOut, **WRITES})
def record_event(request: HttpRequest, payload: Body[EventIn]):
    """Record one event; `kind` says which, and which fields it takes."""
    user = request.user

    def person(pk: int) -> Person:
        return queries.get_person_for(user, pk)

    def unit(pk: int | None):
        return core_queries.get_unit_for(user, pk) if pk else None

    fields = payload.dict(exclude={"kind"})
    for name in ("mother", "father", "husband", "wife", "person"):
        pk = fields.pop(f"{name}_id", None)
        if pk is not None:
            fields[name] = person(pk)
    if "residence_unit_id" in fields:
        fields["residence_unit"] = unit(fields.pop("residence_unit_id"))
    if isinstance(payload, DivorceIn):
        fields["marriage"] = scoping.get_in_scope(
            Marriage.objects.select_related("husband", "wife", "unit"),
            user,
            pk=fields.pop("marriage_id"),
        )
    recorded = actions.record_event(actor=user, kind=payload.kind, **fields)
    if isinstance(payload, BirthIn):
        return Status(201, {"events": [recorded], "child_id": recorded.person_id})
    if isinstance(payload, (MarriageIn, DivorceIn)):
        kind = EventKind.MARRIAGE if isinstance(payload, MarriageIn) else EventKind.DIVORCE
        return Status(201, {"events": _marriage_events(recorded, kind), "marriage_id": recorded.pk})
    return Status(201, {"events": [recorded]})


@router.post("/events/{event_id}/correct", response={201: EventOut, **WRITES})
def correct_event(request: HttpRequest, event_id: int, payload: CorrectIn):
    """A new event replaces this one, which is kept and marked `superseded`."""
    event = _event(request, event_id)
    changes = {
        field: value
        for field, value in payload.dict(exclude_unset=True).items()
        if value is not None and field != "reason"
    }
    if "residence_unit_id" in changes:
        changes["residence_unit"] = core_queries.get_unit_for(
            request.user, changes.pop("residence_unit_id")
        )
    replacement = actions.correct_event(
        actor=request.user, event=event, reason=payload.reason, **changes
    )
    return Status(201, replacement)


@router.post("/events/{event_id}/void", response={200: EventOut, **WRITES})
def void_event(request: HttpRequest, event_id: int, payload: VoidIn):
    """Delete an event recorded in error: it is kept, marked `voided`."""
    event = _event(request, event_id)
    return actions.void_event(actor=request.user, event=event, reason=payload.reason)
