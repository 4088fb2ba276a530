"""Benefit endpoints under /api/v1/benefits: programmes, cycles, candidate explanations,
rosters, the bank-result upload and the reconciliation cases. Scoped like the pages: a record
outside the caller's units is 404, a missing permission 403."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from renkou.benefits import actions, programmes, queries, rules, tasks
from renkou.benefits.filters import CandidateFilters, CaseFilters
from renkou.benefits.models import BankAccount, BenefitFact, Candidate, Case, CaseEvent
from renkou.core import actions as core_actions
from renkou.core.filters import MAX_ID, NO_NUL
from renkou.lib import paging as paging_lib
from renkou.lib import scoping
from renkou.lib.apischema import READ_ERRORS, WRITE_ERRORS, ErrorOut
from renkou.lib.apitypes import ApiDate, BodySchema
from renkou.lib.inputschema import model_max_length
from renkou.lib.masking import mask_bank_account, mask_id_number
from renkou.lib.uploads import saved_upload
from renkou.registry import queries as registry_queries

router = Router(tags=["benefits"])

READS: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut}
WRITES: dict[int, Any] = WRITE_ERRORS
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Year = Annotated[int, Field(ge=1950, le=2100)]


def _perm(request: HttpRequest, codename: str) -> None:
    core_actions.require_perm(request.user, f"benefits.{codename}")


PageIn = paging_lib.page_input(50, 500)


# --- schemas ------------------------------------------------------------------------------------


class ProgrammeOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    level: str
    subject: str
    rule: list[dict[str, Any]]
    amounts: list[dict[str, Any]]
    top_ups: list[dict[str, Any]]
    cost_shares: dict[str, Any]
    excludes: list[str]
    reference_day: str
    source: str


class CycleOut(Schema):
    id: int
    programme: str = Field(description="The programme's code.")
    year: int
    unit_id: int
    reference_date: ApiDate
    status: str
    posting_from: ApiDate | None
    posting_to: ApiDate | None


class CycleIn(BodySchema):
    programme_id: Id
    year: Year
    district_id: Id


class CriterionOut(Schema):
    code: str
    label_zh: str
    label_en: str
    met: bool | None = Field(description="true met, false not met, null unknown (to verify).")
    fact_zh: str
    fact_en: str
    source: str


class CandidateOut(Schema):
    id: int
    person_id: int
    name: str
    unit_id: int
    outcome: Literal["eligible", "not_eligible", "unknown"]
    kind: str
    exit_reason: str
    state: str
    amount: Decimal
    shares: dict[str, str]
    criteria: list[CriterionOut]
    sampled: bool
    check_result: str


class CandidatePage(Schema):
    items: list[CandidateOut]
    page: int
    page_size: int
    has_next: bool


class ExplainOut(Schema):
    programme: str
    person_id: int
    year: int
    reference_date: ApiDate
    outcome: Literal["eligible", "not_eligible", "unknown"]
    amount: Decimal
    shares: dict[str, Decimal]
    criteria: list[CriterionOut]


class ConfirmIn(BodySchema):
    candidate_ids: list[Id] = Field(default_factory=list, max_length=5000)
    reject: bool = False
    reason: str = Field("", max_length=500, description="kept in each candidate's history")


class CountOut(Schema):
    updated: int


class RosterOut(Schema):
    id: int
    cycle_id: int
    programme: str
    year: int
    unit_id: int
    line_count: int
    total: Decimal
    totals_by_payer: dict[str, Decimal]


class LineOut(Schema):
    line_no: int
    person_id: int
    name: str
    id_number: str = Field(description="Masked.")
    unit_id: int
    amount: Decimal
    central: Decimal
    provincial: Decimal
    local: Decimal
    account: str = Field(description="Masked.")
    status: str
    failure_reason: str
    requeued: bool


class LinePage(Schema):
    items: list[LineOut]
    page: int
    page_size: int
    has_next: bool


class ImportProblem(Schema):
    row: int
    field: str
    message_zh: str
    message_en: str
    value: str = ""


class ImportOut(Schema):
    id: int
    created: bool = Field(description="false: the same file was imported before; nothing changed.")
    rows: int
    status: Literal["queued", "running", "done", "failed"]
    total: int = Field(description="rows found in the file (0 until parsing starts)")
    progress: int = Field(description="rows parsed so far")
    error_count: int = Field(description="problems in all (a refused file)")
    errors: list[ImportProblem] = Field(description="the first 200 problems")


class CaseOut(Schema):
    id: int
    kind: str
    status: str
    unit_id: int
    roster_id: int | None
    person_id: int | None
    detail_zh: str
    detail_en: str
    resolution: str


class CaseEventOut(Schema):
    action: Literal["resolve", "reopen"]
    actor: str | None
    at: datetime.datetime
    reason: str


class CaseDetail(CaseOut):
    events: list[CaseEventOut]


class ResolveIn(BodySchema):
    resolution: str = Field(min_length=1, max_length=model_max_length(Case, "resolution"))


class ReopenIn(BodySchema):
    reason: str = Field(min_length=1, max_length=model_max_length(CaseEvent, "reason"))


class CasePage(Schema):
    items: list[CaseOut]
    page: int
    page_size: int
    has_next: bool


class FactIn(BodySchema):
    person_id: Id
    kind: Literal["disability_grade", "complication_grade", "recovered"]
    value: int = Field(ge=0, le=4)
    evidence: str = Field(max_length=model_max_length(BenefitFact, "evidence"), pattern=NO_NUL)
    since: ApiDate | None = None
    reason: str = Field("", max_length=200, pattern=NO_NUL, description="Kept in the history.")


class FactOut(Schema):
    id: int
    person_id: int
    kind: str
    value: int
    evidence: str


class AccountIn(BodySchema):
    person_id: Id
    bank_name: str = Field(max_length=model_max_length(BankAccount, "bank_name"), pattern=NO_NUL)
    account_no: str = Field(max_length=40, pattern=NO_NUL)
    reason: str = Field("", max_length=200, pattern=NO_NUL, description="Kept in the history.")


class AccountOut(Schema):
    person_id: int
    bank_name: str
    account: str = Field(description="Masked.")


# --- converters ---------------------------------------------------------------------------------


def _programme(p) -> dict:
    return {
        "id": p.pk, "code": p.code, "name_zh": p.name_zh, "name_en": p.name_en, "level": p.level,
        "subject": p.subject, "rule": p.rule, "amounts": p.amounts, "top_ups": p.top_ups or [],
        "cost_shares": p.cost_shares, "excludes": p.excludes or [],
        "reference_day": p.reference_day, "source": p.source,
    }  # fmt: skip


def _cycle(c) -> dict:
    return {
        "id": c.pk, "programme": c.programme.code, "year": c.year, "unit_id": c.unit_id,
        "reference_date": c.reference_date, "status": c.status,
        "posting_from": c.posting_from, "posting_to": c.posting_to,
    }  # fmt: skip


def _candidate(c: Candidate) -> dict:
    return {
        "id": c.pk, "person_id": c.person_id, "name": c.person.name, "unit_id": c.unit_id,
        "outcome": c.outcome, "kind": c.kind, "exit_reason": c.exit_reason, "state": c.state,
        "amount": c.amount, "shares": c.shares, "criteria": c.criteria, "sampled": c.sampled,
        "check_result": c.check_result,
    }  # fmt: skip


def _roster(r) -> dict:
    from django.db.models import Sum

    sums = r.lines.aggregate(
        central=Sum("central"), provincial=Sum("provincial"), local=Sum("local")
    )
    return {
        "id": r.pk, "cycle_id": r.cycle_id, "programme": r.cycle.programme.code,
        "year": r.cycle.year, "unit_id": r.unit_id, "line_count": r.line_count, "total": r.total,
        "totals_by_payer": {k: v or Decimal(0) for k, v in sums.items()},
    }  # fmt: skip


# --- programmes ---------------------------------------------------------------------------------


@router.get("/benefits/programmes", response={200: list[ProgrammeOut], **READS})
def list_programmes(request: HttpRequest):
    _perm(request, "view_programme")
    return [_programme(p) for p in queries.programmes_visible_to(request.user)]


@router.get("/benefits/programmes/{programme_id}", response={200: ProgrammeOut, **READS})
def get_programme(request: HttpRequest, programme_id: Id):
    programme = queries.get_programme_for(request.user, programme_id)
    _perm(request, "view_programme")
    return _programme(programme)


@router.get(
    "/benefits/programmes/{programme_id}/explain/{person_id}",
    response={200: ExplainOut, **READS},
)
def explain_person(request: HttpRequest, programme_id: Id, person_id: Id, year: Year):
    """Every criterion of the programme for one person of the caller's units, in a year."""
    programme = queries.get_programme_for(request.user, programme_id)
    person = registry_queries.get_person_for(request.user, person_id)
    _perm(request, "view_candidate")
    unit = queries.district_of(person.unit)
    spec = programmes.spec_of(programme)
    ctx = rules.Context(year, spec.reference_date(year), queries.province())
    result, _facts = queries.explain(person, spec, ctx, unit)
    return {
        "programme": programme.code, "person_id": person.pk, "year": year,
        "reference_date": ctx.reference_date, "outcome": result.outcome, "amount": result.amount,
        "shares": result.shares, "criteria": [c.as_dict() for c in result.criteria],
    }  # fmt: skip


# --- cycles -------------------------------------------------------------------------------------


@router.get("/benefits/cycles", response={200: list[CycleOut], **READS})
def list_cycles(request: HttpRequest, year: Year | None = None):
    _perm(request, "view_cycle")
    cycles = queries.cycles_visible_to(request.user)
    if year:
        cycles = cycles.filter(year=year)
    return [_cycle(c) for c in cycles[:500]]


@router.get("/benefits/cycles/{cycle_id}", response={200: CycleOut, **READS})
def get_cycle(request: HttpRequest, cycle_id: Id):
    cycle = queries.get_cycle_for(request.user, cycle_id)
    _perm(request, "view_cycle")
    return _cycle(cycle)


@router.post("/benefits/cycles", response={201: CycleOut, **WRITES})
def open_cycle(request: HttpRequest, payload: CycleIn):
    programme = queries.get_programme_for(request.user, payload.programme_id)
    _perm(request, "add_cycle")
    district = scoping.get_in_scope(
        queries.district_units(request.user), request.user, pk=payload.district_id
    )
    cycle = actions.open_cycle(
        actor=request.user, programme=programme, year=payload.year, district=district
    )
    return Status(201, _cycle(cycle))


@router.get("/benefits/cycles/{cycle_id}/candidates", response={200: CandidatePage, **READS})
def list_candidates(
    request: HttpRequest,
    cycle_id: Id,
    filters: Query[CandidateFilters],
    paging: Query[PageIn],
):
    """The cycle's candidates in the caller's units, each with every criterion explained."""
    cycle = queries.get_cycle_for(request.user, cycle_id)
    _perm(request, "view_candidate")
    page = paging_lib.api_page(queries.filtered_candidates(request.user, cycle, filters), paging)
    return page.as_api([_candidate(c) for c in page.rows])


@router.get("/benefits/candidates/{candidate_id}", response={200: CandidateOut, **READS})
def get_candidate(request: HttpRequest, candidate_id: Id):
    candidate = queries.get_candidate_for(request.user, candidate_id)
    _perm(request, "view_candidate")
    return _candidate(candidate)


@router.post("/benefits/cycles/{cycle_id}/confirm", response={200: CountOut, **WRITES})
def confirm_candidates(request: HttpRequest, cycle_id: Id, payload: ConfirmIn):
    """Township confirmation of candidates in the caller's units (others are ignored)."""
    cycle = queries.get_cycle_for(request.user, cycle_id)
    _perm(request, "confirm_candidate")
    count = actions.confirm_candidates(
        actor=request.user, cycle=cycle, candidate_ids=list(payload.candidate_ids),
        reject=payload.reject, reason=payload.reason,
    )  # fmt: skip
    return {"updated": count}


@router.post("/benefits/cycles/{cycle_id}/approve", response={200: CycleOut, **WRITES})
def approve_cycle(request: HttpRequest, cycle_id: Id):
    cycle = queries.get_cycle_for(request.user, cycle_id)
    _perm(request, "approve_cycle")
    return _cycle(actions.approve_cycle(actor=request.user, cycle=cycle))


# --- rosters ------------------------------------------------------------------------------------


@router.get("/benefits/rosters", response={200: list[RosterOut], **READS})
def list_rosters(request: HttpRequest, cycle_id: Id | None = None):
    _perm(request, "view_roster")
    rosters = queries.rosters_visible_to(request.user)
    if cycle_id:
        rosters = rosters.filter(cycle_id=cycle_id)
    return [_roster(r) for r in rosters[:200]]


@router.get("/benefits/rosters/{roster_id}", response={200: RosterOut, **READS})
def get_roster(request: HttpRequest, roster_id: Id):
    roster = queries.get_roster_for(request.user, roster_id)
    _perm(request, "view_roster")
    return _roster(roster)


@router.get("/benefits/rosters/{roster_id}/lines", response={200: LinePage, **READS})
def list_roster_lines(request: HttpRequest, roster_id: Id, paging: Query[PageIn]):
    """The roster's lines in the caller's units; account and ID numbers masked."""
    roster = queries.get_roster_for(request.user, roster_id)
    _perm(request, "view_rosterline")
    page = paging_lib.api_page(queries.roster_lines(request.user, roster), paging)
    items = page.rows
    return {
        "items": [
            {
                "line_no": x.line_no,
                "person_id": x.person_id,
                "name": x.person.name,
                "id_number": mask_id_number(x.person.id_number),
                "unit_id": x.unit_id,
                "amount": x.amount,
                "central": x.central,
                "provincial": x.provincial,
                "local": x.local,
                "account": mask_bank_account(x.account_no),
                "status": x.status,
                "failure_reason": x.failure_reason,
                "requeued": x.requeued_from_id is not None,
            }
            for x in items
        ],  # fmt: skip
        **page.meta(),
    }


def _import(bank_import, created: bool) -> dict[str, Any]:
    fields = ("id", "rows", "status", "total", "progress", "error_count", "errors")
    return {name: getattr(bank_import, name) for name in fields} | {"created": created}


@router.post(
    "/benefits/rosters/{roster_id}/bank-results",
    response={201: ImportOut, 202: ImportOut, 200: ImportOut, **WRITES},
)
def upload_bank_result(request: HttpRequest, roster_id: Id, file: File[UploadedFile]):
    """The bank's result file (CSV UTF-8/GB18030 or XLSX, at most
    `RENKOU_BANK_FILE_MAX_BYTES`), parsed and matched in the background: 202 while queued
    (follow `GET /benefits/bank-imports/{id}`), 201 when already processed. The same content
    again (line endings, encoding and line order do not matter): 200, nothing changes. A
    bad row refuses the whole file (422 when known at once) naming the row and field."""
    roster = queries.get_roster_for(request.user, roster_id)
    _perm(request, "change_roster")
    with saved_upload(file) as path:
        bank_import, created = tasks.queue_bank_import(
            actor=request.user, roster=roster, path=path, file_name=file.name or ""
        )
    if created and bank_import.status == "failed":
        raise actions.BankFileError(bank_import.errors, total=bank_import.error_count)
    if not created:
        return Status(200, _import(bank_import, False))
    return Status(201 if bank_import.status == "done" else 202, _import(bank_import, True))


@router.get("/benefits/bank-imports/{import_id}", response={200: ImportOut, **READS})
def get_bank_import(request: HttpRequest, import_id: Id):
    """A bank file's state and progress (queued, running, done, failed), with the first 200
    problems of a refused file and their count."""
    bank_import = queries.get_bank_import_for(request.user, import_id)
    _perm(request, "view_roster")
    return _import(bank_import, True)


@router.get("/benefits/cases", response={200: CasePage, **READS})
def list_cases(request: HttpRequest, filters: Query[CaseFilters], paging: Query[PageIn]):
    """Reconciliation results: the cases of the caller's units."""
    _perm(request, "view_case")
    page = paging_lib.api_page(queries.filtered_cases(request.user, filters), paging)
    items = page.rows
    return {
        "items": [
            {
                "id": c.pk,
                "kind": c.kind,
                "status": c.status,
                "unit_id": c.unit_id,
                "roster_id": c.roster_id,
                "person_id": c.person_id,
                "detail_zh": c.detail_zh,
                "detail_en": c.detail_en,
                "resolution": c.resolution,
            }
            for c in items
        ],  # fmt: skip
        **page.meta(),
    }


# --- facts and accounts -------------------------------------------------------------------------


@router.post("/benefits/facts", response={201: FactOut, **WRITES})
def record_benefit_fact(request: HttpRequest, payload: FactIn):
    """A fact the registry lacks (a child's disability grade, a complication grade, a
    recovery), with the evidence seen."""
    person = registry_queries.get_person_for(request.user, payload.person_id)
    _perm(request, "change_benefitfact")
    fact = actions.record_fact(
        actor=request.user, person=person, kind=payload.kind, value=payload.value,
        evidence=payload.evidence, since=payload.since, reason=payload.reason,
    )  # fmt: skip
    body = {"id": fact.pk, "person_id": person.pk, "kind": fact.kind, "value": fact.value,
            "evidence": fact.evidence}  # fmt: skip
    return Status(201, body)


@router.post("/benefits/accounts", response={201: AccountOut, **WRITES})
def set_bank_account(request: HttpRequest, payload: AccountIn):
    person = registry_queries.get_person_for(request.user, payload.person_id)
    _perm(request, "change_bankaccount")
    account = actions.set_bank_account(
        actor=request.user, person=person, bank_name=payload.bank_name,
        account_no=payload.account_no, reason=payload.reason,
    )  # fmt: skip
    body = {"person_id": person.pk, "bank_name": account.bank_name,
            "account": mask_bank_account(account.account_no)}  # fmt: skip
    return Status(201, body)


# --- case steps ----------------------------------------------------------------------------------


def _case_detail(case) -> dict[str, Any]:
    fields = ("id", "kind", "status", "unit_id", "roster_id", "person_id", "detail_zh",
              "detail_en", "resolution")  # fmt: skip
    events = [
        {
            "action": e.action,
            "actor": e.actor.get_username() if e.actor else None,
            "at": e.at,
            "reason": e.reason,
        }  # fmt: skip
        for e in case.events.select_related("actor")
    ]
    return {**{name: getattr(case, name) for name in fields}, "events": events}


@router.get("/benefits/cases/{case_id}", response={200: CaseDetail, **READS})
def get_case(request: HttpRequest, case_id: Id):
    """One case with its history: every resolution and reopening, by whom, when, why."""
    case = queries.get_case_for(request.user, case_id)
    _perm(request, "view_case")
    return _case_detail(case)


@router.post("/benefits/cases/{case_id}/resolve", response={200: CaseDetail, **WRITES})
def resolve_case(request: HttpRequest, case_id: Id, payload: ResolveIn):
    """Resolve an open case; a resolved case is a 422 (reopen it first)."""
    case = queries.get_case_for(request.user, case_id)
    _perm(request, "change_case")
    actions.resolve_case(actor=request.user, case=case, resolution=payload.resolution)
    return _case_detail(queries.get_case_for(request.user, case_id))


@router.post("/benefits/cases/{case_id}/reopen", response={200: CaseDetail, **WRITES})
def reopen_case(request: HttpRequest, case_id: Id, payload: ReopenIn):
    """Reopen a resolved case, with the reason; an open case is a 422."""
    case = queries.get_case_for(request.user, case_id)
    _perm(request, "change_case")
    actions.reopen_case(actor=request.user, case=case, reason=payload.reason)
    return _case_detail(queries.get_case_for(request.user, case_id))
