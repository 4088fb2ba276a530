"""Policy endpoints under /api/v1/policy: the regimes, and a couple's entitlement on a date.

The evaluation reads personal facts, so both persons must be in the caller's units (404
otherwise, as for a missing person) and the caller needs `policy.evaluate_entitlement` (403).
docs/architecture.md §0: the answer serves benefit eligibility and statistics, never penalties.
"""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from renkou.core import actions as core_actions
from renkou.core.filters import MAX_ID
from renkou.lib.apischema import READ_ERRORS, ErrorOut
from renkou.lib.apitypes import ApiDate, BodySchema
from renkou.policy import queries
from renkou.registry import queries as registry_queries

router = Router(tags=["policy"])

READS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}
EVALUATE: dict[int, Any] = {**READ_ERRORS, 400: ErrorOut, 403: ErrorOut}

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class ConditionOut(Schema):
    code: str
    name_zh: str
    name_en: str
    grants: int | None = Field(description="Children allowed when met (null: a requirement).")
    met: bool | None = Field(description="true met, false not met, null unknown (not guessed).")
    fact_zh: str = Field(description="The fact used, in Chinese.")
    fact_en: str = Field(description="The fact used, in English.")


class RegimeConditionOut(Schema):
    code: str
    name_zh: str
    name_en: str
    grants: int
    test: str
    params: dict[str, Any]
    source: str = ""


class RegimeOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    scope: str
    scope_code: str
    effective_from: ApiDate
    effective_to: ApiDate | None
    base_children: int
    requires_marriage: bool
    conditions: list[RegimeConditionOut]
    source: str
    version: int
    loaded_from: str
    edited_locally: bool


class RegimeBrief(Schema):
    code: str
    name_zh: str
    name_en: str
    scope: str
    scope_code: str
    effective_from: ApiDate
    effective_to: ApiDate | None
    base_children: int
    version: int


class EvaluateIn(BodySchema):
    husband_id: Id
    wife_id: Id
    date: ApiDate


class EntitlementOut(Schema):
    date: ApiDate
    province: str
    regime: RegimeBrief | None = Field(description="null: no regime recorded for the date.")
    entitled: int | None = Field(
        description="Children the known facts allow (null: no limit recorded)."
    )
    possible: int | None = Field(
        description="Children allowed if every unknown fact turned out in the couple's favour."
    )
    unknown_could_raise: bool
    children_counted: int = Field(
        description="Children counted so far: the couple's, and each spouse's with others."
    )
    requirements: list[ConditionOut]
    conditions: list[ConditionOut]
    met: list[str]
    unknown: list[str]
    summary_zh: str
    summary_en: str


@router.get("/policy/regimes", response={200: list[RegimeOut], **READS})
def list_regimes(request: HttpRequest):
    """Every birth-policy regime of the database copy (national, provincial, district)."""
    core_actions.require_perm(request.user, "policy.view_regime")
    return list(queries.regimes_visible_to(request.user))


@router.post("/policy/evaluate", response={200: EntitlementOut, **EVALUATE})
def evaluate_couple(request: HttpRequest, payload: EvaluateIn):
    """The couple's entitlement on the date under the regime then in force, each condition
    met / not met / unknown with the fact used, in Chinese and English."""
    user = request.user
    husband = registry_queries.get_person_for(user, payload.husband_id)
    wife = registry_queries.get_person_for(user, payload.wife_id)
    core_actions.require_perm(user, "policy.evaluate_entitlement")
    core_actions.require_perm(user, "registry.view_person")
    errors: dict[str, list[str]] = {}
    if husband.sex != "M":
        errors["husband_id"] = ["男方应为男性 / the husband must be male"]
    if wife.sex != "F":
        errors["wife_id"] = ["女方应为女性 / the wife must be female"]
    if errors:
        return Status(422, {"detail": errors})
    province = queries.policy_province()
    entitlement = queries.evaluate_couple(husband, wife, payload.date, province=province)
    return entitlement.as_dict(province)
