"""Org-unit endpoints under /api/v1/units, all scoped like the pages."""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from renkou.core import actions, queries
from renkou.core.filters import NO_NUL, UnitFilters
from renkou.core.models import OrgUnit, OrgUnitChange
from renkou.lib.apischema import READ_ERRORS, WRITE_ERRORS, ErrorOut
from renkou.lib.apitypes import ApiDate, BodySchema
from renkou.lib.inputschema import model_max_length
from renkou.lib.paging import MAX_PAGE

router = Router(tags=["units"])

# Input limits the database imposes, declared in the schema so that breaking them is a 422
# and never a database error (500). NO_NUL and MAX_ID live with the shared filters.
REASON_MAX = model_max_length(OrgUnitChange, "reason")  # and history_change_reason (text)


class UnitPages(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1)


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    level: int
    parent_id: int | None
    opened_on: ApiDate
    closed_on: ApiDate | None


class UnitIn(BodySchema):
    parent_id: int
    code: str = Field(..., max_length=model_max_length(OrgUnit, "code"), pattern=NO_NUL)
    name: str = Field(..., max_length=model_max_length(OrgUnit, "name"), pattern=NO_NUL)
    kind: str = Field(..., max_length=model_max_length(OrgUnit, "kind"), pattern=NO_NUL)
    opened_on: ApiDate | None = None
    reason: str = Field("", max_length=REASON_MAX, pattern=NO_NUL)


class UnitPatch(BodySchema):
    name: str | None = Field(None, max_length=model_max_length(OrgUnit, "name"), pattern=NO_NUL)
    effective_on: ApiDate | None = None
    reason: str = Field("", max_length=REASON_MAX, pattern=NO_NUL)


class MoveIn(BodySchema):
    parent_id: int
    effective_on: ApiDate | None = None
    reason: str = Field("", max_length=REASON_MAX, pattern=NO_NUL)


class CloseIn(BodySchema):
    closed_on: ApiDate | None = None
    reason: str = Field("", max_length=REASON_MAX, pattern=NO_NUL)


class ChangeOut(Schema):
    id: int
    change_type: str
    effective_on: ApiDate
    before: dict
    after: dict
    related_unit_id: int | None
    reason: str


class MeOut(Schema):
    username: str
    role: str
    units: list[UnitOut]


@router.get("/me", response={200: MeOut, 401: ErrorOut}, tags=["accounts"])
def me(request: HttpRequest):
    user = request.user
    return {
        "username": user.username,
        "role": user.role,
        "units": list(queries.root_units_for(user)),
    }


@router.get("/units", response={200: list[UnitOut], 401: ErrorOut, 422: ErrorOut})
@paginate(UnitPages, page_size=100)
def list_units(request: HttpRequest, filters: Query[UnitFilters]):
    return queries.find_units(request.user, filters)


@router.get("/units/{unit_id}", response={200: UnitOut, **READ_ERRORS})
def get_unit(request: HttpRequest, unit_id: int):
    return queries.get_unit_for(request.user, unit_id)


@router.post("/units", response={201: UnitOut, **WRITE_ERRORS})
def create_unit(request: HttpRequest, payload: UnitIn):
    parent = queries.get_unit_for(request.user, payload.parent_id)
    unit = actions.create_unit(
        actor=request.user,
        parent=parent,
        code=payload.code,
        name=payload.name,
        kind=payload.kind,
        opened_on=payload.opened_on,
        reason=payload.reason,
    )
    return Status(201, unit)


@router.patch("/units/{unit_id}", response={200: UnitOut, **WRITE_ERRORS})
def rename_unit(request: HttpRequest, unit_id: int, payload: UnitPatch):
    unit = queries.get_unit_for(request.user, unit_id)
    actions.require_perm(request.user, "change_orgunit")
    if payload.name is not None:
        unit = actions.rename_unit(
            actor=request.user,
            unit=unit,
            name=payload.name,
            effective_on=payload.effective_on,
            reason=payload.reason,
        )
    return unit


@router.post("/units/{unit_id}/move", response={200: UnitOut, **WRITE_ERRORS})
def move_unit(request: HttpRequest, unit_id: int, payload: MoveIn):
    unit = queries.get_unit_for(request.user, unit_id)
    actions.require_perm(request.user, "restructure_orgunit")
    new_parent = queries.get_unit_for(request.user, payload.parent_id)
    return actions.move_unit(
        actor=request.user,
        unit=unit,
        new_parent=new_parent,
        effective_on=payload.effective_on,
        reason=payload.reason,
    )


@router.post("/units/{unit_id}/close", response={200: UnitOut, **WRITE_ERRORS})
def close_unit(request: HttpRequest, unit_id: int, payload: CloseIn):
    unit = queries.get_unit_for(request.user, unit_id)
    return actions.close_unit(
        actor=request.user, unit=unit, closed_on=payload.closed_on, reason=payload.reason
    )


@router.get("/units/{unit_id}/changes", response={200: list[ChangeOut], **READ_ERRORS})
def unit_changes(request: HttpRequest, unit_id: int) -> list[OrgUnitChange]:
    unit: OrgUnit = queries.get_unit_for(request.user, unit_id)
    return list(unit.changes.order_by("effective_on", "id"))
