"""Birth-registration endpoints under /api/v1/births: list (scoped, by state and unit),
create, read, transitions, and the document checklist.

Reads go through `births.queries` (an application outside the caller's units is a 404, like
a missing one) and need `births.view_birthapplication` (403); writes go through
`births.actions`, which check scope, permission and the workflow's rules (422 with the
message by field). ID numbers and phones are always masked here.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from renkou.births import actions, queries, rules
from renkou.births.filters import ApplicationFilters
from renkou.births.models import BirthApplication, DocumentItem, Transition
from renkou.core import actions as core_actions
from renkou.core.filters import MAX_ID, NO_NUL
from renkou.lib import disclosure, paging
from renkou.lib.apischema import READ_ERRORS, WRITE_ERRORS, ErrorOut
from renkou.lib.apitypes import ApiDate, ApiDateTime, BodySchema, date_within
from renkou.lib.inputschema import model_max_length
from renkou.lib.masking import mask_id_number, mask_phone
from renkou.registry import queries as registry_queries

router = Router(tags=["births"])

READS: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut}
VIEW = "births.view_birthapplication"
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
ActionName = Literal[rules.ACTIONS]  # type: ignore[valid-type]
DocumentCode = Literal[tuple(rules.DOCUMENTS)]  # type: ignore[valid-type]
DAY_MIN, DAY_MAX = datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)
Day = date_within(DAY_MIN, DAY_MAX)


def _text(max_length: int, default: Any = "") -> Any:
    return Field(default, max_length=max_length, pattern=NO_NUL)


class ApplicationIn(BodySchema):
    wife_id: Id
    husband_id: Id | None = Field(None, description="Empty: an unmarried applicant.")
    child_order: int = Field(..., ge=1, le=actions.MAX_ORDER)
    applied_on: Day | None = None
    expected_birth_date: Day | None = None
    actual_birth_date: Day | None = None
    contact_name: str = _text(model_max_length(BirthApplication, "contact_name"))
    contact_phone: str = _text(model_max_length(BirthApplication, "contact_phone"))
    reason: str = _text(200)


class TransitionIn(BodySchema):
    action: ActionName
    note: str = _text(model_max_length(Transition, "note"))
    reason: str = _text(model_max_length(BirthApplication, "decision_reason"), default="")


class DocumentIn(BodySchema):
    received: bool = True
    note: str = _text(model_max_length(DocumentItem, "note"))


class DocumentOut(Schema):
    code: str
    name_zh: str
    name_en: str
    received: bool
    checked_at: ApiDateTime | None


class TransitionOut(Schema):
    action: str
    from_state: str
    to_state: str
    at: ApiDateTime
    note: str


class ApplicationOut(Schema):
    id: int
    wife_id: int
    wife_name: str
    wife_id_number: str = Field(description="Always masked.")
    husband_id: int | None
    husband_name: str | None
    husband_id_number: str | None = Field(description="Always masked.")
    child_order: int
    applied_on: ApiDate
    expected_birth_date: ApiDate | None
    actual_birth_date: ApiDate | None = Field(
        description="The child's birth date; null for callers without core.reveal_id_number, "
        "who get `actual_birth_month` (docs/privacy.md)."
    )
    actual_birth_month: str = Field(description="YYYY-MM of the birth, or empty.")
    contact_name: str
    contact_phone: str = Field(description="Always masked.")
    unit_id: int
    unit_name: str
    procedure: str
    state: str
    entitled: int | None
    possible: int | None
    within_entitlement: bool | None
    registration_number: str | None
    issued_on: ApiDate | None
    decision_reason: str
    legal_actions: list[str]


class ApplicationDetail(ApplicationOut):
    evaluation: dict[str, Any]
    documents: list[DocumentOut]
    transitions: list[TransitionOut]
    verification_requests: list[dict[str, Any]]


class ApplicationPage(Schema):
    items: list[ApplicationOut]
    page: int
    page_size: int
    has_next: bool


PageIn = paging.page_input(20, 100)


def _out(application: BirthApplication, request: HttpRequest) -> dict[str, Any]:
    full = disclosure.may_see_birth_date(request.user)
    husband = application.husband
    return {
        "id": application.pk,
        "wife_id": application.wife_id,
        "wife_name": application.wife.name,
        "wife_id_number": mask_id_number(application.wife.id_number),
        "husband_id": application.husband_id,
        "husband_name": husband.name if husband else None,
        "husband_id_number": mask_id_number(husband.id_number) if husband else None,
        "child_order": application.child_order,
        "applied_on": application.applied_on,
        "expected_birth_date": application.expected_birth_date,
        "actual_birth_date": application.actual_birth_date if full else None,
        "actual_birth_month": disclosure.birth_month(application.actual_birth_date),
        "contact_name": application.contact_name,
        "contact_phone": mask_phone(application.contact_phone),
        "unit_id": application.unit_id,
        "unit_name": application.unit.name,
        "procedure": application.procedure,
        "state": application.state,
        "entitled": application.entitled,
        "possible": application.possible,
        "within_entitlement": application.within_entitlement,
        "registration_number": application.registration_number,
        "issued_on": application.issued_on,
        "decision_reason": application.decision_reason,
        "legal_actions": application.legal_actions,
    }


def _detail(application: BirthApplication, request: HttpRequest) -> dict[str, Any]:
    documents = [
        {
            "code": item.code, "name_zh": item.label[0], "name_en": item.label[1],
            "received": item.received, "checked_at": item.checked_at,
        }
        for item in application.documents.all()
    ]  # fmt: skip
    transitions = list(
        application.transitions.values("action", "from_state", "to_state", "at", "note")
    )
    verifications = list(
        application.verification_requests.values("person_id", "division_code", "status")
    )
    return _out(application, request) | {
        "evaluation": application.evaluation,
        "documents": documents,
        "transitions": transitions,
        "verification_requests": verifications,
    }


@router.get("/births/applications", response={200: ApplicationPage, **READS})
def list_birth_applications(
    request: HttpRequest, filters: Query[ApplicationFilters], page: Query[PageIn]
):
    """Applications in the caller's units, newest first; by state and unit subtree."""
    core_actions.require_perm(request.user, VIEW)
    found = paging.api_page(queries.filtered_applications(request.user, filters), page)
    return found.as_api([_out(a, request) for a in found.rows])


@router.post("/births/applications", response={201: ApplicationDetail, **WRITE_ERRORS})
def create_birth_application(request: HttpRequest, payload: ApplicationIn):
    """A draft application for the couple, evaluated by the policy engine on creation."""
    wife = registry_queries.get_person_for(request.user, payload.wife_id)
    husband = (
        registry_queries.get_person_for(request.user, payload.husband_id)
        if payload.husband_id
        else None
    )
    application = actions.create_application(
        actor=request.user, wife=wife, husband=husband, child_order=payload.child_order,
        applied_on=payload.applied_on, expected_birth_date=payload.expected_birth_date,
        actual_birth_date=payload.actual_birth_date,
        contact_name=payload.contact_name, contact_phone=payload.contact_phone,
        reason=payload.reason,
    )  # fmt: skip
    return Status(201, _detail(queries.get_application_for(request.user, application.pk), request))


@router.get("/births/applications/{application_id}", response={200: ApplicationDetail, **READS})
def get_birth_application(request: HttpRequest, application_id: Id):
    application = queries.get_application_for(request.user, application_id)
    core_actions.require_perm(request.user, VIEW)
    return _detail(application, request)


@router.post(
    "/births/applications/{application_id}/transitions",
    response={200: ApplicationDetail, **WRITE_ERRORS},
)
def transition_birth_application(request: HttpRequest, application_id: Id, payload: TransitionIn):
    """One workflow action: submit, review, approve, register, reject (reason), withdraw,
    cancel (reason). An action the state does not allow is a 422 naming from and to."""
    application = queries.get_application_for(request.user, application_id)
    actions.transition(
        actor=request.user, application=application, action=payload.action,
        note=payload.note, reason=payload.reason,
    )  # fmt: skip
    return _detail(queries.get_application_for(request.user, application_id), request)


@router.post(
    "/births/applications/{application_id}/documents/{code}",
    response={200: ApplicationDetail, **WRITE_ERRORS},
)
def check_birth_document(
    request: HttpRequest, application_id: Id, code: DocumentCode, payload: DocumentIn
):
    """Mark a checklist item received (or not)."""
    application = queries.get_application_for(request.user, application_id)
    actions.check_document(
        actor=request.user, application=application, code=code, received=payload.received,
        note=payload.note,
    )  # fmt: skip
    return _detail(queries.get_application_for(request.user, application_id), request)
