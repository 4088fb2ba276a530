"""The only write path of the benefits app: programmes, facts, accounts, the qualification cycle,
rosters, bank results, reconciliation and cases. Keyword-only, validated, one transaction each.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import random
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from renkou.benefits import programmes, queries, rules
from renkou.benefits.models import (
    BankAccount,
    BankImport,
    BankResult,
    BenefitFact,
    Candidate,
    CandidateDecision,
    Case,
    CaseEvent,
    Cycle,
    Objection,
    Programme,
    Roster,
    RosterLine,
)
from renkou.core.actions import require_perm
from renkou.core.models import OrgUnit, User
from renkou.lib import formats, idnumber, scoping
from renkou.lib.i18n import pick
from renkou.registry.models import Person

PROGRAMME_FIELDS = (
    "name_zh", "name_en", "rule", "amounts", "top_ups", "cost_shares", "excludes", "subject",
    "reference_day", "source", "active",
)  # fmt: skip


def _error(message_zh: str, message_en: str, field: str = "__all__") -> ValidationError:
    return ValidationError({field: [pick(message_zh, message_en)]})


# --- programmes, facts, accounts ----------------------------------------------------------------


def save_programme(
    *, actor: User | None, programme: Programme | None = None, unit: OrgUnit | None = None, **fields
) -> Programme:
    """Create a district programme or edit one (a loaded programme edited here is marked
    `edited_locally`, and a later load keeps the edit)."""
    problems = rules.check_rule(fields.get("rule", programme.rule if programme else []))
    if problems:
        raise _error("规则有误：" + "；".join(problems), "rule: " + "; ".join(problems), "rule")
    for row in fields.get("amounts", []):
        if "from" not in row or "monthly" not in row:
            raise _error(
                "金额表每行需有起始日期和月标准", "each amount needs from and monthly", "amounts"
            )
    if programme is None:
        code = fields.pop("code")
        if Programme.objects.filter(code=code).exists():
            raise _error("代码已存在", "the code exists", "code")
        programme = Programme(code=code, level=Programme.Level.DISTRICT, unit=unit)
    for key, value in fields.items():
        if key in PROGRAMME_FIELDS:
            setattr(programme, key, value)
    if programme.loaded_from:
        programme.edited_locally = True
    programme.save()
    return programme


def _check_person(actor: User | None, person: Person, permission: str) -> None:
    """The actor's units cover the person (404 otherwise, as a read would be) and the actor
    holds the permission (403); `actor=None` is the system (demo, migrations)."""
    if actor is None:
        return
    if not scoping.path_in_scope(actor, person.unit.path):
        raise scoping.OutOfScope()
    require_perm(actor, permission)


def _save_with_reason(obj, actor: User | None, reason: str) -> None:
    obj._change_reason = reason  # read by django-simple-history
    obj._history_user = actor
    obj.save()


def record_fact(
    *,
    actor: User | None,
    person: Person,
    kind: str,
    value: int,
    evidence: str,
    since: datetime.date | None = None,
    reason: str = "",
) -> BenefitFact:
    """Record (or correct) a fact the registry lacks about a person of the actor's units,
    with the evidence seen; the prior value stays in the history with the reason."""
    _check_person(actor, person, "benefits.change_benefitfact")
    if kind not in BenefitFact.Kind.values:
        raise _error("未知的事实类型", "unknown fact", "kind")
    if kind != "recovered" and not 1 <= int(value) <= 4:
        raise _error("等级应为1–4", "a grade is 1 to 4", "value")
    if not evidence.strip():
        raise _error("请填写证明材料", "the evidence is required", "evidence")
    with transaction.atomic():
        _lock(Person, person.pk)  # two first records of the fact at once: one row, two versions
        fact = BenefitFact.objects.filter(person=person, kind=kind).first()
        if fact is None:
            fact = BenefitFact(person=person, kind=kind)
        fact.value, fact.evidence, fact.since = int(value), evidence, since
        fact.recorded_by = actor
        _save_with_reason(fact, actor, reason.strip() or f"fact recorded: {evidence.strip()}")
    return fact


def set_bank_account(
    *, actor: User | None, person: Person, bank_name: str, account_no: str, reason: str = ""
) -> BankAccount:
    """Set the account a person of the actor's units is paid into; the prior account stays
    in the history with the reason."""
    _check_person(actor, person, "benefits.change_bankaccount")
    cleaned = "".join(account_no.split())
    if not cleaned.isdigit() or not 8 <= len(cleaned) <= 32:
        raise _error("账号应为8–32位数字", "an account number is 8 to 32 digits", "account_no")
    with transaction.atomic():
        _lock(Person, person.pk)  # two first accounts at once: one row, two versions
        account = BankAccount.objects.filter(person=person).first()
        if account is None:
            account = BankAccount(person=person)
        account.bank_name, account.account_no = bank_name, cleaned
        _save_with_reason(account, actor, reason.strip() or "bank account set")
    return account


# --- the qualification cycle --------------------------------------------------------------------


def _context(cycle: Cycle) -> rules.Context:
    previous = (
        Cycle.objects.filter(programme=cycle.programme, unit=cycle.unit, year__lt=cycle.year)
        .order_by("-year")
        .first()
    )
    return rules.Context(
        year=cycle.year,
        reference_date=cycle.reference_date,
        province=queries.province(),
        previous_reference=previous.reference_date if previous else None,
    )


def _insert_once(obj, duplicate: ValidationError):
    """Insert `obj` in a savepoint. A concurrent request that passed the same existence
    check and wrote first makes the unique constraint refuse this row: the caller gets the
    check's clear message (`duplicate`), never an IntegrityError."""
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError as error:
        raise duplicate from error
    return obj


def _lock(model, pk: int):
    """The row, locked until the transaction ends (PostgreSQL; SQLite's IMMEDIATE
    transactions already hold the database's write lock): concurrent writers of the same
    cycle or roster queue here instead of racing past each other's checks."""
    return model.objects.select_for_update().get(pk=pk)


@transaction.atomic
def open_cycle(
    *,
    actor: User | None,
    programme: Programme,
    year: int,
    district: OrgUnit,
    registry_facts: queries.RegistryFacts | None = None,
) -> Cycle:
    """Open the programme's cycle for the year and find its candidates. Several programmes
    opened together pass one `registry_facts` (`queries.RegistryFacts.load(district)`): the
    district is read once, not once per programme (issue 14: 84% of `qualify all`)."""
    if district.level != 1:
        raise _error("资格确认以区县为单位", "a cycle runs for a district", "unit")
    exists = _error("该项目本年度已有资格确认", "this programme already has a cycle this year")
    if Cycle.objects.filter(programme=programme, year=year, unit=district).exists():
        raise exists
    spec = programmes.spec_of(programme)
    cycle = _insert_once(
        Cycle(
            programme=programme,
            year=year,
            unit=district,
            reference_date=spec.reference_date(year),
            created_by=actor,
        ),
        exists,
    )
    find_candidates(cycle=cycle, registry_facts=registry_facts)
    return cycle


def find_candidates(
    *, cycle: Cycle, registry_facts: queries.RegistryFacts | None = None
) -> dict[str, int]:
    """Evaluate the district; store the eligible and unknown, and every earlier beneficiary
    (continuing, or an exit with its reason). Replaces the candidates while none is decided."""
    with transaction.atomic():
        _lock(Cycle, cycle.pk)
        return _find_candidates(cycle, registry_facts)


def _find_candidates(cycle: Cycle, registry_facts: queries.RegistryFacts | None) -> dict[str, int]:
    if cycle.candidates.exclude(state="found").exists():
        raise _error("已有确认结果，不能重新查找", "decisions exist: candidates cannot be re-found")
    spec = programmes.spec_of(cycle.programme)
    ctx = _context(cycle)
    before = queries.previous_beneficiaries(cycle)
    reg = registry_facts or queries.RegistryFacts.load(cycle.unit)
    bulk = queries.evaluate_bulk(reg, spec, ctx, also=before)
    payees = queries.payees_of(bulk.results) if spec.subject == "child" else {}
    rows = []
    counts: dict[str, int] = defaultdict(int)
    for pk, (result, facts) in bulk.results.items():
        kind, reason = _kind_of(pk in before, result, spec, facts, ctx)
        if kind is None:
            continue
        counts[kind if kind == "exit" else result.outcome] += 1
        payee = payees.get(pk, pk) if spec.subject == "child" else pk
        rows.append((
            cycle.pk, pk, payee, facts.unit_id, result.outcome, kind, reason,
            json.dumps([c.as_dict() for c in result.criteria], ensure_ascii=False),
            result.variant, result.amount,
            json.dumps({k: str(v) for k, v in result.shares.items()}),
        ))  # fmt: skip
    with transaction.atomic():
        cycle.candidates.all().delete()
        _insert_candidates(rows)
    counts["considered"] = bulk.considered
    return dict(counts)


CANDIDATE_COLUMNS = (
    "cycle_id", "person_id", "payee_id", "unit_id", "outcome", "kind", "exit_reason", "criteria",
    "variant", "amount", "shares",
)  # fmt: skip


def _insert_candidates(rows: list[tuple], batch: int = 5000) -> None:
    """Candidates by `executemany` (the ORM's bulk_create spends ~0.3 ms a row on a row of
    JSON): the same columns, the model's defaults for the rest."""
    table = connection.ops.quote_name(Candidate._meta.db_table)
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    marks = ", ".join(
        f"%s{json_cast}" if column in ("criteria", "shares") else "%s"
        for column in CANDIDATE_COLUMNS
    )
    columns = ", ".join(connection.ops.quote_name(c) for c in CANDIDATE_COLUMNS)
    # Table and column names come from the model's _meta; every value is a bound parameter.
    sql = f"INSERT INTO {table} ({columns}, state, sampled, check_result, check_note) VALUES "  # noqa: S608
    sql += f"({marks}, 'found', %s, '', '')"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(sql, [(*row, False) for row in rows[start : start + batch]])


def _kind_of(was, result, spec, facts, ctx) -> tuple[str | None, str]:
    if result.eligible is False:
        if not was:
            return None, ""
        return "exit", rules.exit_reason(spec, facts, result, ctx)
    return ("continuing" if was else "new"), ""


def _require_status(cycle: Cycle, *allowed: str) -> None:
    if cycle.status not in allowed:
        raise _error(
            f"资格确认当前状态为“{cycle.get_status_display()}”，不能进行此操作",
            f"the cycle is {cycle.status}: not allowed now",
        )


def _record_decisions(
    pairs: list[tuple[int, str]], action: str, to_state: str, actor: User | None, reason: str
) -> None:
    """One `CandidateDecision` row per (candidate id, state before)."""
    CandidateDecision.objects.bulk_create(
        [
            CandidateDecision(
                candidate_id=pk,
                action=action,
                from_state=before,
                to_state=to_state,
                actor=actor,
                reason=reason[:500],
            )  # fmt: skip
            for pk, before in pairs
        ],
        batch_size=1000,
    )


@transaction.atomic
def confirm_candidates(
    *, actor: User, cycle: Cycle, candidate_ids: list[int], reject: bool = False, reason: str = ""
) -> int:
    """Township confirmation (乡镇确认) of the actor's candidates; or rejection. Each
    decision is kept (`CandidateDecision`), a later one never erases an earlier one."""
    cycle = _lock(Cycle, cycle.pk)
    _require_status(cycle, "open")
    visible = (
        queries.candidates_visible_to(actor)
        .filter(cycle=cycle, pk__in=candidate_ids, state__in=["found", "confirmed", "rejected"])
        .exclude(kind="exit")
    )
    pairs = list(visible.values_list("pk", "state"))
    state = "rejected" if reject else "confirmed"
    Candidate.objects.filter(pk__in=[pk for pk, _before in pairs]).update(
        state=state, confirmed_by=actor, confirmed_at=timezone.now()
    )
    _record_decisions(pairs, "reject" if reject else "confirm", state, actor, reason.strip())
    return len(pairs)


@transaction.atomic
def post_cycle(
    *, actor: User | None, cycle: Cycle, posting_from: datetime.date, posting_to: datetime.date
) -> Cycle:
    """Start the public posting (公示) once every candidate is confirmed or rejected."""
    _require_status(cycle, "open")
    if posting_to < posting_from:
        raise _error("公示结束日期早于开始日期", "the posting ends before it starts", "posting_to")
    waiting = cycle.candidates.exclude(kind="exit").filter(state="found").count()
    if waiting:
        raise _error(f"还有{waiting}人待乡镇确认", f"{waiting} candidate(s) not yet confirmed")
    cycle.status, cycle.posting_from, cycle.posting_to = "posted", posting_from, posting_to
    cycle.save()
    return cycle


def record_objection(
    *, actor: User | None, candidate: Candidate, text: str, raised_on: datetime.date
) -> Objection:
    _require_status(candidate.cycle, "posted")
    if not text.strip():
        raise _error("请填写异议内容", "the objection is empty", "text")
    return Objection.objects.create(
        candidate=candidate, text=text.strip(), raised_on=raised_on, recorded_by=actor
    )


@transaction.atomic
def settle_objection(
    *, actor: User | None, objection: Objection, upheld: bool, resolution: str
) -> Objection:
    if not resolution.strip():
        raise _error("请填写处理意见", "the resolution is required", "resolution")
    objection.outcome = "upheld" if upheld else "dismissed"
    objection.resolution = resolution
    objection.save()
    if upheld:
        before = Candidate.objects.filter(pk=objection.candidate_id).values_list("state", flat=True)
        _record_decisions(
            [(objection.candidate_id, before.get())], "objection", "rejected", actor, resolution
        )
        Candidate.objects.filter(pk=objection.candidate_id).update(
            state="rejected", kind="exit", exit_reason="objection"
        )
    return objection


@transaction.atomic
def approve_cycle(*, actor: User | None, cycle: Cycle, today: datetime.date | None = None) -> Cycle:
    """District approval (区县审批) after the posting window, with no objection pending."""
    _require_status(cycle, "posted")
    today = today or timezone.localdate()
    if cycle.posting_to and cycle.posting_to > today:
        raise _error(f"公示期至{cycle.posting_to}，尚未结束", f"posting runs to {cycle.posting_to}")
    pending = Objection.objects.filter(candidate__cycle=cycle, outcome="pending").count()
    if pending:
        raise _error(f"还有{pending}条异议未处理", f"{pending} objection(s) pending")
    approving = cycle.candidates.filter(Q(state="confirmed") | Q(kind="exit", state="found"))
    pairs = list(approving.values_list("pk", "state"))
    _record_decisions(pairs, "approve", "approved", actor, "")
    Candidate.objects.filter(pk__in=[pk for pk, _before in pairs]).update(state="approved")
    cycle.status, cycle.approved_by, cycle.approved_at = "approved", actor, timezone.now()
    cycle.save()
    return cycle


@transaction.atomic
def draw_sample(*, actor: User | None, cycle: Cycle, size: int, seed: int | None = None) -> int:
    """The random check (抽查) for the upper level: `size` approved beneficiaries."""
    _require_status(cycle, "approved")
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 2**31)
    pool = list(
        cycle.candidates.filter(state="approved").exclude(kind="exit").values_list("pk", flat=True)
    )
    chosen = random.Random(seed).sample(sorted(pool), min(size, len(pool)))
    cycle.candidates.update(sampled=False)
    cycle.candidates.filter(pk__in=chosen).update(sampled=True)
    cycle.sample_seed = seed
    cycle.save(update_fields=["sample_seed"])
    return len(chosen)


def record_check(*, actor: User | None, candidate: Candidate, result: str, note: str = "") -> None:
    if not candidate.sampled:
        raise _error("此人不在抽查样本中", "not in the sample")
    if result not in ("correct", "wrong"):
        raise _error("结果应为属实或不实", "result is correct or wrong", "result")
    candidate.check_result, candidate.check_note = result, note
    candidate.save(update_fields=["check_result", "check_note"])


# --- rosters ------------------------------------------------------------------------------------


@transaction.atomic
def build_roster(*, actor: User | None, cycle: Cycle, unit: OrgUnit) -> Roster:
    """The payment roster of an approved cycle for `unit` (and the units below it): approved
    beneficiaries, plus last cycles' failed payments re-queued (失败重发)."""
    _require_status(cycle, "approved")
    if not unit.path.startswith(cycle.unit.path):
        raise _error("单位不在该区县内", "the unit is not in the cycle's district", "unit")
    exists = _error("该单位本期名册已生成", "the roster of this unit exists")
    if Roster.objects.filter(cycle=cycle, unit=unit).exists():
        raise exists
    roster = _insert_once(Roster(cycle=cycle, unit=unit, created_by=actor), exists)
    in_unit = scoping.prefix_q("unit__path", unit.path)
    candidates = list(
        cycle.candidates.filter(in_unit, state="approved")
        .exclude(kind="exit")
        .order_by("unit__path", "person_id")
    )
    payees = {c.payee_id or c.person_id for c in candidates}
    failed = list(
        RosterLine.objects.filter(
            in_unit,
            roster__cycle__programme=cycle.programme,
            roster__cycle__year__lt=cycle.year,
            status="failed",
            requeued_to__isnull=True,
        ).order_by("pk")
    )
    payees |= {line.person_id for line in failed}
    accounts = dict(
        (p, (b, a))
        for p, b, a in BankAccount.objects.filter(person_id__in=payees).values_list(
            "person_id", "bank_name", "account_no"
        )
    )
    lines = []
    for candidate in candidates:
        bank, account = accounts.get(candidate.payee_id or candidate.person_id, ("", ""))
        shares = {k: Decimal(v) for k, v in candidate.shares.items()}
        lines.append(
            RosterLine(
                roster=roster,
                line_no=len(lines) + 1,
                candidate=candidate,
                person_id=candidate.person_id,
                unit_id=candidate.unit_id,
                amount=candidate.amount,
                central=shares.get("central", 0),
                provincial=shares.get("provincial", 0),
                local=shares.get("local", 0),
                bank_name=bank,
                account_no=account,
            )  # fmt: skip
        )
    for old in failed:
        bank, account = accounts.get(old.person_id, (old.bank_name, old.account_no))
        lines.append(
            RosterLine(
                roster=roster,
                line_no=len(lines) + 1,
                candidate=old.candidate,
                person_id=old.person_id,
                unit_id=old.unit_id,
                amount=old.amount,
                central=old.central,
                provincial=old.provincial,
                local=old.local,
                bank_name=bank,
                account_no=account,
                requeued_from=old,
            )  # fmt: skip
        )
    RosterLine.objects.bulk_create(lines, batch_size=500)
    roster.line_count = len(lines)
    roster.total = sum((line.amount for line in lines), Decimal(0))
    roster.save()
    _flag_lines_without_account(roster)
    return roster


def _flag_lines_without_account(roster: Roster) -> None:
    """A line with no account cannot be paid: it goes on the worklist now, before the file
    reaches the bank, so the township records the account (or the payee) first."""
    for line in roster.lines.filter(account_no="").order_by("line_no"):
        _case(
            f"no_account:{roster.pk}:{line.pk}", "no_account", line.unit_id, roster,
            f"名册第{line.line_no}行没有发放账户，银行无法发放：请先登记账户",
            f"line {line.line_no} has no bank account: the bank cannot pay it; record one first",
            line=line, person_id=line.person_id,
        )  # fmt: skip


# --- bank results -------------------------------------------------------------------------------

HEADERS = {
    "line_no": ("序号", "line", "line_no"),
    "id_number": ("身份证号", "身份证号码", "id_number"),
    "name": ("姓名", "name"),
    "account_no": ("账号", "银行账号", "account_no", "account"),
    "amount": ("金额", "发放金额", "amount"),
    "status": ("状态", "结果", "status"),
    "reason": ("失败原因", "原因", "reason"),
}
STATUS_WORDS = {
    "成功": "paid",
    "paid": "paid",
    "已发放": "paid",
    "失败": "failed",
    "failed": "failed",
}


class BankFileError(ValidationError):
    """The file is refused as a whole; each problem names its row and field (the first
    `rules.BANK_ERRORS_SHOWN` of them, then how many there are in all)."""

    def __init__(self, problems: list[dict], total: int | None = None):
        self.problems = problems
        self.total = len(problems) if total is None else total
        shown = problems[: rules.BANK_ERRORS_SHOWN]
        lines = [
            f"第{p['row']}行 {p['field']}：{p['message_zh']} / row {p['row']} {p['field']}: "
            f"{p['message_en']}"
            for p in shown
        ]  # fmt: skip
        if self.total > len(shown):
            lines.append(
                f"共{self.total}个问题，仅列出前{len(shown)}个；完整清单见问题报告 / "
                f"{self.total} problems in all, the first {len(shown)} shown; see the report"
            )
        super().__init__(lines)


def _column(values: dict[str, str], key: str) -> str:
    for alias in HEADERS[key]:
        if alias in values:
            return (values[alias] or "").strip()
    return ""


def _parse_bank_row(row: formats.Row, limit: Decimal) -> tuple[dict, list[dict]]:
    values, problems = row.values, []

    def problem(field: str, zh: str, en: str, value: str = "") -> None:
        problems.append(
            {"row": row.line, "field": field, "message_zh": zh, "message_en": en,
             "value": value[:60]}
        )  # fmt: skip

    parsed = {
        "row": row.line,
        "id_number": _column(values, "id_number").upper(),
        "name": _column(values, "name"),
        "account_no": "".join(_column(values, "account_no").split()),
        "reason": _column(values, "reason")[:200],
    }
    line_text = _column(values, "line_no")
    parsed["line_no"] = int(line_text) if line_text.isdigit() and len(line_text) <= 9 else None
    if line_text and parsed["line_no"] is None:
        problem("序号/line_no", "不是整数", "not a whole number", line_text)
    amount_text = _column(values, "amount")
    amount, zh, en = rules.parse_bank_amount(amount_text, limit)
    if amount is None:
        problem("金额/amount", zh, en, amount_text)
    parsed["amount"] = amount
    status = STATUS_WORDS.get(_column(values, "status").lower())
    if status is None:
        problem("状态/status", "应为“成功”或“失败”", "must be paid or failed",
                _column(values, "status"))  # fmt: skip
    parsed["status"] = status
    if not parsed["id_number"] and parsed["line_no"] is None:
        problem("身份证号/id_number", "序号和身份证号都为空", "neither line nor ID number given")
    return parsed, problems


def bank_file_max_bytes() -> int:
    """`RENKOU_BANK_FILE_MAX_BYTES` (docs/benefits.md): the largest bank file accepted."""
    return int(getattr(settings, "RENKOU_BANK_FILE_MAX_BYTES", 5 * 1024 * 1024))


def _file_problem(zh: str, en: str) -> BankFileError:
    return BankFileError([{"row": 1, "field": "file", "message_zh": zh, "message_en": en}])


def _existing_import(roster: Roster, digest: str) -> BankImport | None:
    return BankImport.objects.filter(roster=roster, digest=digest).exclude(status="failed").first()


@transaction.atomic
def start_bank_import(
    *, actor: User | None, roster: Roster, path: str | Path, file_name: str = ""
) -> tuple[BankImport, bool]:
    """Accept the bank's result file for processing: refused above the size limit; the same
    content again (by fingerprint: line endings, encoding and line order do not matter)
    returns the earlier import and created False, also when the uploads arrive together
    (the roster row is locked; the unique constraint is the backstop). The file is kept
    on the import (status queued) for `run_bank_import`."""
    limit = bank_file_max_bytes()
    size = Path(path).stat().st_size
    if size > limit:
        raise _file_problem(
            f"文件过大（{size}字节），上限为{limit}字节；请分批导出",
            f"the file is too large ({size} bytes; the limit is {limit}): split it",
        )
    data = Path(path).read_bytes()
    digest = rules.bank_file_fingerprint(data)
    _lock(Roster, roster.pk)  # one upload of a roster at a time
    existing = _existing_import(roster, digest)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            bank_import = BankImport.objects.create(
                roster=roster, digest=digest, file_name=file_name[:200], imported_by=actor,
                status="queued", content=data,
            )  # fmt: skip
    except IntegrityError:  # the same file, accepted meanwhile by a concurrent upload
        existing = _existing_import(roster, digest)
        if existing is None:
            raise
        return existing, False
    return bank_import, True


def _progress(bank_import: BankImport, **fields) -> None:
    BankImport.objects.filter(pk=bank_import.pk).update(**fields)


def _problem_report(problems: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["行号 row", "字段 field", "文件中的值 value", "问题", "problem"])
    keys = ("row", "field", "value", "message_zh", "message_en")
    for p in problems:
        writer.writerow([rules.csv_safe(p.get(k, "")) for k in keys])
    return out.getvalue()


def _read_bank_rows(bank_import: BankImport, limit: Decimal) -> tuple[list[dict], list[dict]]:
    handle, name = tempfile.mkstemp(suffix=".bank")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(bytes(bank_import.content or b""))
        parsed, problems = [], []
        try:
            table = list(formats.read_table(name, required=()))
        except formats.TableError as error:
            return [], [{"row": 1, "field": "file", "message_zh": error.message_zh,
                         "message_en": error.message_en}]  # fmt: skip
        _progress(bank_import, total=len(table), status="running")
        for index, row in enumerate(table, 1):
            item, found = _parse_bank_row(row, limit)
            parsed.append(item)
            problems += found
            if index % 500 == 0:
                _progress(bank_import, progress=index)
        return parsed, problems
    finally:
        os.unlink(name)


def run_bank_import(*, import_id: int) -> BankImport:
    """Parse, validate and match a queued bank file (the background task's work; also run
    directly by `import_bank_result`). A file with any bad row is refused whole: the import
    keeps the first problems, their count and the full report. Otherwise the results are
    written, the roster lines marked, and `reconcile` opens the cases."""
    bank_import = BankImport.objects.select_related("roster__cycle__programme").get(pk=import_id)
    if bank_import.status not in ("queued", "running"):
        return bank_import
    roster = bank_import.roster
    programme = roster.cycle.programme
    limit = rules.max_bank_amount(programme.amounts or [], programme.top_ups or [])
    parsed, problems = _read_bank_rows(bank_import, limit)
    if problems:
        _progress(
            bank_import, status="failed", content=None, progress=len(parsed),
            error_count=len(problems), errors=problems[: rules.BANK_ERRORS_SHOWN],
            error_report=_problem_report(problems),
        )  # fmt: skip
        bank_import.refresh_from_db()
        return bank_import
    with transaction.atomic():
        _lock(Roster, roster.pk)
        _write_results(bank_import, roster, parsed)
        _progress(bank_import, status="done", content=None, rows=len(parsed), progress=len(parsed))
        reconcile(roster=roster)
    bank_import.refresh_from_db()
    return bank_import


def _write_results(bank_import: BankImport, roster: Roster, parsed: list[dict]) -> None:
    lines = list(roster.lines.select_related("person"))
    by_no = {line.line_no: line for line in lines}
    by_id = {(line.person.id_number or "").upper(): line for line in lines if line.person.id_number}
    results = []
    for item in parsed:
        line = by_no.get(item["line_no"]) if item["line_no"] is not None else None
        if line is None and item["id_number"]:
            line = by_id.get(item["id_number"])
        results.append(BankResult(bank_import=bank_import, line=line, **item))
    BankResult.objects.bulk_create(results, batch_size=1000)
    paid = [r.line_id for r in results if r.line is not None and r.status == "paid"]
    for start in range(0, len(paid), 900):
        RosterLine.objects.filter(pk__in=paid[start : start + 900]).update(
            status="paid", failure_reason=""
        )
    for result in results:
        if result.line is not None and result.status == "failed":
            RosterLine.objects.filter(pk=result.line_id).update(
                status="failed", failure_reason=result.reason
            )


@transaction.atomic
def import_bank_result(
    *, actor: User | None, roster: Roster, path: str | Path, file_name: str = ""
) -> tuple[BankImport, bool]:
    """Import the bank's result file (CSV UTF-8/GB18030 or XLSX) at once, in this
    transaction (the demo, the command line, tests; pages and the API queue it instead,
    `benefits.tasks`). The same file again changes nothing (returns created False); a file
    with any bad row is refused whole (BankFileError, nothing stored)."""
    bank_import, created = start_bank_import(
        actor=actor, roster=roster, path=path, file_name=file_name
    )
    if not created:
        return bank_import, False
    bank_import = run_bank_import(import_id=bank_import.pk)
    if bank_import.status == "failed":
        raise BankFileError(bank_import.errors, total=bank_import.error_count)
    return bank_import, True


# --- reconciliation -----------------------------------------------------------------------------


def _case(key: str, kind: str, unit_id: int, roster: Roster, zh: str, en: str, **links) -> bool:
    _obj, created = Case.objects.get_or_create(
        key=key[:120],
        defaults={
            "kind": kind,
            "unit_id": unit_id,
            "roster": roster,
            "detail_zh": zh[:300],
            "detail_en": en[:300],
            **links,
        },  # fmt: skip
    )
    return created


def reconcile(*, roster: Roster, today: datetime.date | None = None) -> dict[str, int]:
    """Roster ↔ bank (amount, account, missing, unknown, failed) and roster ↔ registry (paid
    after death or exit, exclusive programmes, two persons who are one). Idempotent: a case is
    keyed by what it is about, so running again adds nothing."""
    found: dict[str, int] = defaultdict(int)
    for kind, key, unit_id, zh, en, links in _bank_findings(roster) + _registry_findings(
        roster, today or timezone.localdate()
    ):
        if _case(key, kind, unit_id, roster, zh, en, **links):
            found[kind] += 1
    return dict(found)


def _bank_findings(roster: Roster) -> list[tuple]:
    findings = []
    results = list(
        BankResult.objects.filter(bank_import__roster=roster).select_related("line").order_by("pk")
    )
    if not results:
        return findings
    seen_lines = set()
    paid_lines: set[int] = set()
    district_id = roster.unit_id
    for r in results:
        tag = f"{roster.pk}:{r.bank_import_id}:{r.row}"
        if r.line_id is None:
            findings.append(("unknown_line", f"unknown:{tag}", district_id,
                             f"银行回盘第{r.row}行不在名册上（金额{r.amount}）",
                             f"bank row {r.row} is not on the roster (amount {r.amount})",
                             {"bank_result": r}))  # fmt: skip
            continue
        line = r.line
        seen_lines.add(line.pk)
        on_line = {"line": line, "bank_result": r, "person_id": line.person_id}
        if r.amount != line.amount:
            findings.append(("amount_mismatch", f"amount:{tag}", line.unit_id,
                             f"名册第{line.line_no}行应发{line.amount}，银行回盘{r.amount}",
                             f"line {line.line_no}: roster {line.amount}, bank {r.amount}",
                             on_line))  # fmt: skip
        if r.account_no and r.account_no != line.account_no:
            findings.append(("account_mismatch", f"account:{tag}", line.unit_id,
                             f"名册第{line.line_no}行账号与银行回盘不符",
                             f"line {line.line_no}: account differs from the bank's",
                             on_line))  # fmt: skip
        if r.status == "paid" and line.pk in paid_lines:
            findings.append(("duplicate_paid", f"dup:{tag}", line.unit_id,
                             f"名册第{line.line_no}行重复回盘为成功（银行回盘第{r.row}行）",
                             f"line {line.line_no} reported paid again (bank row {r.row})",
                             on_line))  # fmt: skip
        if r.status == "paid":
            paid_lines.add(line.pk)
        if r.status == "failed":
            findings.append(("payment_failed", f"failed:{tag}", line.unit_id,
                             f"名册第{line.line_no}行发放失败：{r.reason or '未说明'}（下期重发）",
                             f"line {line.line_no} failed: {r.reason or 'no reason'} (re-queued)",
                             on_line))  # fmt: skip
    for line in (x for x in roster.lines.order_by("line_no") if x.pk not in seen_lines):
        findings.append(("missing_line", f"missing:{roster.pk}:{line.pk}", line.unit_id,
                         f"名册第{line.line_no}行不在银行回盘中",
                         f"line {line.line_no} is missing from the bank file",
                         {"line": line, "person_id": line.person_id}))  # fmt: skip
    return findings


def _registry_findings(roster: Roster, today: datetime.date) -> list[tuple]:
    findings = []
    cycle = roster.cycle
    lines = list(roster.lines.select_related("person", "candidate").order_by("line_no"))
    exits = set(
        cycle.candidates.filter(Q(kind="exit") | Q(state="rejected")).values_list(
            "person_id", flat=True
        )
    )
    approved = set(
        cycle.candidates.filter(state="approved")
        .exclude(kind="exit")
        .values_list("person_id", flat=True)
    )
    for line in lines:
        person = line.person
        links = {"line": line, "person_id": person.pk}
        paid = line.status != "failed"
        dead = person.death_date is not None or person.status == "deceased"
        if (
            paid
            and dead
            and (person.death_date is None or person.death_date <= cycle.reference_date)
        ):
            findings.append(("paid_after_death", f"death:{line.pk}", line.unit_id,
                             f"名册第{line.line_no}行：此人已于{person.death_date or '不详'}死亡",
                             f"line {line.line_no}: the person died {person.death_date or ''}",
                             links))  # fmt: skip
        elif paid and (
            person.pk in exits or (line.requeued_from_id is None and person.pk not in approved)
        ):
            findings.append(("paid_after_exit", f"exit:{line.pk}", line.unit_id,
                             f"名册第{line.line_no}行：此人已退出或未获批准",
                             f"line {line.line_no}: the person exited or was not approved",
                             links))  # fmt: skip
    findings += _exclusive_findings(roster, lines)
    findings += _same_person_findings(roster, lines)
    return findings


def _exclusive_findings(roster: Roster, lines: list[RosterLine]) -> list[tuple]:
    programme = roster.cycle.programme
    excluded = set(programme.excludes or ()) | {
        p.code
        for p in Programme.objects.only("code", "excludes")
        if programme.code in (p.excludes or [])
    }
    if not excluded:
        return []
    persons = {line.person_id: line for line in lines}
    others = []
    for chunk in queries._chunks(persons):
        others += RosterLine.objects.filter(
            roster__cycle__year=roster.cycle.year,
            roster__cycle__programme__code__in=sorted(excluded),
            person_id__in=chunk,
        ).values_list("person_id", "roster__cycle__programme__code")
    findings = []
    for person_id, code in others:
        line = persons[person_id]
        pair = "|".join(sorted((programme.code, code)))
        findings.append(("exclusive", f"excl:{roster.cycle.year}:{pair}:{person_id}", line.unit_id,
                         f"名册第{line.line_no}行：同时享受{programme.name_zh}与{code}（互斥）",
                         f"line {line.line_no}: also paid by {code} (excludes {programme.code})",
                         {"line": line, "person_id": person_id}))  # fmt: skip
    return findings


def _normalised_id(number: str | None) -> str:
    text = (number or "").strip().upper()
    if len(text) == 15 and text.isdigit():
        try:
            return idnumber.to_18(text)
        except (ValueError, TypeError):
            return text
    return text


def _same_person_findings(roster: Roster, lines: list[RosterLine]) -> list[tuple]:
    """Two roster persons who are one: the same ID number (15 and 18 digits alike), or the same
    name and birth date, among the lines of every roster of the programme and year."""
    cycle = roster.cycle
    rows = RosterLine.objects.filter(
        roster__cycle__programme=cycle.programme, roster__cycle__year=cycle.year
    ).values_list(
        "pk",
        "person_id",
        "person__id_number",
        "person__name",
        "person__birth_date",
        "unit_id",
        "line_no",
    )
    groups: dict[str, set] = defaultdict(set)
    info = {}
    for pk, person_id, number, name, birth, unit_id, line_no in rows:
        info[person_id] = (pk, unit_id, line_no)
        normalised = _normalised_id(number)
        if normalised:
            groups[f"id:{normalised}"].add(person_id)
        groups[f"nb:{name}|{birth}"].add(person_id)
    ours = {line.person_id for line in lines}
    findings = []
    for key, persons in groups.items():
        if len(persons) < 2 or not persons & ours:
            continue
        ordered = sorted(persons)
        first = ordered[0]
        _pk, unit_id, line_no = info[first]
        how_zh = "身份证号相同" if key.startswith("id:") else "姓名和出生日期相同"
        how_en = "the same ID number" if key.startswith("id:") else "the same name and birth date"
        ids = ",".join(str(p) for p in ordered)
        findings.append(("same_person", f"same:{cycle.pk}:{key[:3]}{ids}"[:120], unit_id,
                         f"名册中{len(ordered)}人疑似同一人（{how_zh}）：人员{ids}",
                         f"{len(ordered)} persons may be one ({how_en}): persons {ids}",
                         {"person_id": first}))  # fmt: skip
    return findings


@transaction.atomic
def resolve_case(*, actor: User | None, case: Case, resolution: str) -> Case:
    """Resolve an open case. A resolved case is refused (it reopens only through
    `reopen_case`, with a reason), so nobody overwrites another's resolution; every step is a
    `CaseEvent`."""
    if not resolution.strip():
        raise _error("请填写处理结果", "the resolution is required", "resolution")
    case = _lock(Case, case.pk)
    if case.status == "resolved":
        raise _error(
            "该问题已处理，不能再次处理；如需更改，请先重新打开并说明理由",
            "this case is already resolved; reopen it first, giving the reason",
            "status",
        )
    case.status, case.resolution = "resolved", resolution.strip()[:500]
    case.resolved_by, case.resolved_at = actor, timezone.now()
    case.save()
    CaseEvent.objects.create(case=case, action="resolve", actor=actor, reason=case.resolution)
    return case


@transaction.atomic
def reopen_case(*, actor: User | None, case: Case, reason: str) -> Case:
    """Reopen a resolved case, with the reason; the earlier resolution stays in the case's
    history."""
    if not reason.strip():
        raise _error("请填写重新打开的理由", "give the reason for reopening", "reason")
    case = _lock(Case, case.pk)
    if case.status != "resolved":
        raise _error(
            "该问题尚未处理，无需重新打开", "this case is open: nothing to reopen", "status"
        )
    case.status, case.resolution, case.resolved_by, case.resolved_at = "open", "", None, None
    case.save()
    CaseEvent.objects.create(case=case, action="reopen", actor=actor, reason=reason.strip()[:500])
    return case


def next_line_no(roster: Roster) -> int:
    return (roster.lines.aggregate(m=Max("line_no"))["m"] or 0) + 1
