"""Demo district: a qualification cycle and a payment cycle of every programme, end to end,
through `benefits.actions` (`renkou demo`).

1. Facts the registry lacks, with the evidence seen: a disabled only child (残疾人证, grades
   1–3), surgery complications (并发症鉴定, grades 1 and 3).
2. For the last full year, each national and provincial programme: candidates with every
   criterion explained, township confirmation (the two demo townships by their own staff, the
   other townships by the district staff; candidates whose facts are unknown count as verified
   except about one in five, not confirmed), public posting with an objection recorded and
   dismissed, district approval, a random check.
3. Payment: the beneficiaries get (simulated) bank accounts, a roster per programme, and a
   simulated bank result file (CSV in GB18030 under DATA_DIR/demo-district/bank/) imported
   through the real import; the largest roster's file carries injected discrepancies (an
   amount, an account, two failures, a missing line, a line not on the roster), so the
   reconciliation opens a case of each kind on the worklist.

Deterministic for a seed (`random.Random`).
"""

from __future__ import annotations

import csv
import datetime
import io
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from renkou.benefits import actions, queries
from renkou.benefits.models import BankAccount, Candidate, Case, Cycle, Programme, Roster
from renkou.core.models import OrgUnit, User
from renkou.lib import idnumber, scoping
from renkou.registry.models import ParentChild, Person, PersonStatus

Line = tuple[str, str]  # (Chinese, English)

DISTRICT_STAFF, DISTRICT_ADMIN = "qu_staff", "qu_admin"
TOWNSHIP_STAFF = ("dc_staff", "qs_staff")
BANKS = ("四川省农村信用社", "中国农业银行", "中国邮政储蓄银行")
UNVERIFIED_SHARE = 5  # one unknown candidate in five stays unconfirmed
SAMPLE_SIZE = 3
# The kinds of discrepancy injected into the largest roster's bank file.
INJECTED = ("amount_mismatch", "account_mismatch", "payment_failed", "missing_line", "unknown_line")
OUTCOME_ZH = {"eligible": "符合", "unknown": "待核实", "exit": "退出"}
BANK_HEADER = ("序号", "身份证号", "姓名", "账号", "金额", "状态", "失败原因")


@dataclass
class Actors:
    district_staff: User | None
    district_admin: User | None
    township: list[tuple[User, OrgUnit]] = field(default_factory=list)

    @classmethod
    def load(cls) -> Actors:
        users = {
            u.username: u
            for u in User.objects.filter(
                username__in=(DISTRICT_STAFF, DISTRICT_ADMIN, *TOWNSHIP_STAFF)
            )
        }
        township = []
        for name in TOWNSHIP_STAFF:
            user = users.get(name)
            assignment = user.assignments.select_related("unit").first() if user else None
            if assignment is not None:
                township.append((user, assignment.unit))
        return cls(users.get(DISTRICT_STAFF), users.get(DISTRICT_ADMIN), township)

    def for_unit(self, unit: OrgUnit) -> User | None:
        """The township staff whose unit holds `unit`, else the district staff."""
        for user, own in self.township:
            if unit.path.startswith(own.path):
                return user
        return self.district_staff


# --- facts ----------------------------------------------------------------------------------------


def _only_children(district: OrgUnit, rng: random.Random, count: int) -> list[Person]:
    """Living only children of mothers aged 49+ at the end of last year, alive, with their
    household registration in the district (特扶 candidates once a disability is recorded)."""
    last_day = datetime.date(timezone.localdate().year - 1, 12, 31)
    mothers = Person.objects.filter(
        scoping.prefix_q("hukou_unit__path", district.path),
        sex="F",
        status=PersonStatus.ALIVE,
        birth_date__gte=datetime.date(1933, 1, 1),
        birth_date__lte=last_day.replace(year=last_day.year - 49),
    )
    single = (
        ParentChild.objects.filter(parent__in=mothers)
        .values("parent_id")
        .annotate(n=Count("child_id"))
        .filter(n=1)
        .values_list("parent_id", flat=True)
    )
    children = list(
        Person.objects.filter(
            parent_links__parent_id__in=single,
            parent_links__kind=ParentChild.Kind.BIOLOGICAL,
            status=PersonStatus.ALIVE,
        )
        .select_related("unit")
        .order_by("pk")[:400]
    )
    return rng.sample(children, min(count, len(children)))


def _women(district: OrgUnit, rng: random.Random, count: int) -> list[Person]:
    """Women of 30–65 registered in the district (surgery-complication candidates)."""
    today = timezone.localdate()
    women = list(
        Person.objects.filter(
            scoping.prefix_q("hukou_unit__path", district.path),
            sex="F",
            status=PersonStatus.ALIVE,
            birth_date__gte=today.replace(year=today.year - 65),
            birth_date__lte=today.replace(year=today.year - 30),
        )
        .select_related("unit")
        .order_by("pk")[:400]
    )
    return rng.sample(women, min(count, len(women)))


def declare_facts(district: OrgUnit, actors: Actors, rng: random.Random) -> int:
    """Disability grades of two only children, complication grades of two women."""
    made = 0
    year = timezone.localdate().year
    for child, grade in zip(_only_children(district, rng, 2), (2, 3), strict=False):
        actions.record_fact(
            actor=actors.for_unit(child.unit),
            person=child,
            kind="disability_grade",
            value=grade,
            evidence=f"残疾人证（{grade}级，肢体），{year - 3}年核发 / disability certificate, "
            f"grade {grade}",
            since=datetime.date(year - 3, 3, 1),
        )
        made += 1
    for woman, grade in zip(_women(district, rng, 2), (1, 3), strict=False):
        actions.record_fact(
            actor=actors.for_unit(woman.unit),
            person=woman,
            kind="complication_grade",
            value=grade,
            evidence=f"计划生育手术并发症鉴定书（{grade}级），区鉴定组 / complication assessment, "
            f"grade {grade}",
            since=datetime.date(year - 5, 6, 1),
        )
        made += 1
    return made


# --- qualification ------------------------------------------------------------------------------


def _confirm(cycle: Cycle, actors: Actors, rng: random.Random) -> tuple[int, int]:
    """Township confirmation: each demo township's staff first, the district staff for the
    rest. Unknown candidates count as verified, except about one in five."""
    confirmed = rejected = 0
    deciders = [user for user, _unit in actors.township]
    if actors.district_staff is not None:
        deciders.append(actors.district_staff)
    for user in deciders:
        rows = (
            queries.candidates_visible_to(user)
            .filter(cycle=cycle, state="found")
            .exclude(kind="exit")
            .order_by("pk")
            .values_list("pk", "outcome")
        )
        accept, refuse = [], []
        for pk, outcome in rows:
            unverified = outcome == "unknown" and rng.randrange(UNVERIFIED_SHARE) == 0
            (refuse if unverified else accept).append(pk)
        for chunk in queries._chunks(accept):
            confirmed += actions.confirm_candidates(actor=user, cycle=cycle, candidate_ids=chunk)
        for chunk in queries._chunks(refuse):
            rejected += actions.confirm_candidates(
                actor=user, cycle=cycle, candidate_ids=chunk, reject=True
            )
    return confirmed, rejected


def _posting_window(year: int, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Seven days in early January after the cycle's year (ended by today)."""
    end = min(datetime.date(year + 1, 1, 12), today)
    return end - datetime.timedelta(days=6), end


def _object_and_dismiss(cycle: Cycle, actors: Actors, rng: random.Random) -> int:
    """One objection recorded during the posting and dismissed after verification."""
    pool = list(
        cycle.candidates.filter(state="confirmed").order_by("pk").values_list("pk", flat=True)
    )
    if not pool:
        return 0
    candidate = Candidate.objects.select_related("cycle", "unit").get(pk=rng.choice(pool))
    actor = actors.for_unit(candidate.unit)
    objection = actions.record_objection(
        actor=actor,
        candidate=candidate,
        text="群众反映其子女情况与登记不符 / "
        "a neighbour reports the children differ from the record",
        raised_on=cycle.posting_from,
    )
    actions.settle_objection(
        actor=actor,
        objection=objection,
        upheld=False,
        resolution="经入户核实，与户籍登记一致，异议不成立 / verified at home: the record is right",
    )
    return 1


def qualify(
    programme: Programme, year: int, district: OrgUnit, actors: Actors, rng: random.Random
) -> tuple[Cycle, dict]:
    """One programme's cycle from candidates to district approval and the random check."""
    today = timezone.localdate()
    cycle = actions.open_cycle(
        actor=actors.district_staff, programme=programme, year=year, district=district
    )
    confirmed, rejected = _confirm(cycle, actors, rng)
    start, end = _posting_window(year, today)
    actions.post_cycle(actor=actors.district_staff, cycle=cycle, posting_from=start, posting_to=end)
    objections = _object_and_dismiss(cycle, actors, rng) if programme.code == "jiangfu" else 0
    actions.approve_cycle(actor=actors.district_admin, cycle=cycle, today=today)
    sampled = actions.draw_sample(
        actor=actors.district_admin, cycle=cycle, size=SAMPLE_SIZE, seed=rng.randrange(1, 2**31)
    )
    for candidate in cycle.candidates.filter(sampled=True).order_by("pk"):
        actions.record_check(
            actor=actors.district_admin, candidate=candidate, result="correct", note="入户核查属实"
        )
    kinds = Counter(
        "exit" if kind == "exit" else outcome
        for outcome, kind in cycle.candidates.values_list("outcome", "kind")
    )
    return cycle, {
        "found": dict(kinds),
        "confirmed": confirmed,
        "rejected": rejected,
        "objections": objections,
        "sampled": sampled,
    }


# --- payment --------------------------------------------------------------------------------------


def _account_number(rng: random.Random) -> str:
    return "6217" + "".join(str(rng.randrange(10)) for _ in range(15))


def open_accounts(cycles: list[Cycle], actors: Actors, rng: random.Random) -> int:
    """A (simulated) bank account for every approved payee who has none."""
    payees: set[int] = set()
    for cycle in cycles:
        for person, payee in cycle.candidates.filter(state="approved").values_list(
            "person_id", "payee_id"
        ):
            payees.add(payee or person)
    have = set(BankAccount.objects.filter(person_id__in=payees).values_list("person_id", flat=True))
    made = 0
    persons = Person.objects.select_related("unit").in_bulk(sorted(payees - have))
    for pk in sorted(persons):
        person = persons[pk]
        actions.set_bank_account(
            actor=actors.for_unit(person.unit),
            person=person,
            bank_name=rng.choice(BANKS),
            account_no=_account_number(rng),
        )
        made += 1
    return made


def _fake_id(rng: random.Random, district: OrgUnit) -> str:
    first17 = f"{district.code[:6]}1956{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
    first17 += f"{rng.randrange(1000):03d}"
    return first17 + idnumber.check_character(first17)


def bank_rows(
    roster: Roster, rng: random.Random, *, inject: bool
) -> tuple[list[tuple], dict[str, int]]:
    """The bank's answer to a roster: every line paid, or (inject) with one amount and one
    account differing, two failures, one line left out and one line not on the roster."""
    lines = list(roster.lines.select_related("person").order_by("line_no"))
    injected: dict[str, int] = {}
    chosen: dict[int, str] = {}
    if inject and len(lines) >= 5:
        picks = rng.sample([line.line_no for line in lines], 5)
        kinds = ("amount_mismatch", "account_mismatch", "payment_failed", "payment_failed")
        chosen = dict(zip(picks, (*kinds, "missing_line"), strict=True))
    rows = []
    failures = iter(("账户已销户", "户名与账号不符"))  # as a bank writes them
    for line in lines:
        kind = chosen.get(line.line_no)
        if kind == "missing_line":
            injected[kind] = injected.get(kind, 0) + 1
            continue
        amount, account, status, reason = line.amount, line.account_no, "成功", ""
        if kind == "amount_mismatch":
            amount = line.amount + Decimal(10)
        elif kind == "account_mismatch":
            account = account[:-4] + f"{(int(account[-4:] or 0) + 1) % 10000:04d}"
        elif kind == "payment_failed":
            status, reason = "失败", next(failures)
        if kind:
            injected[kind] = injected.get(kind, 0) + 1
        rows.append(
            (line.line_no, line.person.id_number or "", line.person.name, account, amount, status,
             reason)
        )  # fmt: skip
    if chosen:
        unknown = (len(lines) + 1, _fake_id(rng, roster.unit), "王某某", _account_number(rng),
                   Decimal("960.00"), "成功", "")  # fmt: skip
        rows.insert(rng.randrange(len(rows) + 1), unknown)
        injected["unknown_line"] = 1
    return rows, injected


def write_bank_file(path: Path, rows: list[tuple]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(BANK_HEADER)
    for row in rows:
        writer.writerow([f"{v:.2f}" if isinstance(v, Decimal) else v for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.getvalue().encode("gb18030"))


def pay(
    cycles: list[Cycle], district: OrgUnit, actors: Actors, rng: random.Random, folder: Path
) -> tuple[list[Roster], dict[str, int]]:
    """Rosters of the approved cycles; bank files imported (reconciled on import)."""
    rosters = [
        actions.build_roster(actor=actors.district_staff, cycle=cycle, unit=district)
        for cycle in cycles
    ]
    largest = max(rosters, key=lambda r: r.line_count, default=None)
    injected: dict[str, int] = {}
    for roster in rosters:
        if not roster.line_count:
            continue
        rows, found = bank_rows(roster, rng, inject=roster is largest)
        injected.update(found)
        path = folder / f"{roster.cycle.programme.code}-{roster.cycle.year}-回盘.csv"
        write_bank_file(path, rows)
        actions.import_bank_result(
            actor=actors.district_staff, roster=roster, path=path, file_name=path.name
        )
        actions.reconcile(roster=roster)
    return rosters, injected


# --- the demo -------------------------------------------------------------------------------------


def _kind_zh(kind: str) -> str:
    """The Chinese term in a case kind's label such as "payment failed (发放失败)"."""
    label = str(Case.Kind(kind).label) if kind in Case.Kind.values else kind
    return label.rsplit("(", 1)[-1].rstrip(")")


def _programmes(district: OrgUnit):
    return Programme.objects.filter(Q(unit__isnull=True) | Q(unit=district), active=True).exclude(
        level=Programme.Level.DISTRICT
    )


def populate(
    *, district: OrgUnit | None = None, seed: int = 2026, year: int | None = None
) -> list[Line]:
    """Run the qualification and payment cycles of the demo district; summary lines."""
    district = district or OrgUnit.objects.filter(level=1).order_by("code").first()
    if district is None:
        return []
    rng = random.Random(seed)
    actors = Actors.load()
    year = year or timezone.localdate().year - 1
    lines: list[Line] = []
    facts = declare_facts(district, actors, rng)
    lines.append((f"登记扶助事实 {facts} 条（残疾等级、并发症等级）",
                  f"{facts} benefit facts recorded (disability, complication grades)"))  # fmt: skip
    cycles = []
    for programme in _programmes(district).order_by("code"):
        cycle, info = qualify(programme, year, district, actors, rng)
        cycles.append(cycle)
        found = (
            "，".join(f"{OUTCOME_ZH.get(k, k)} {v:,}" for k, v in sorted(info["found"].items()))
            or "0"
        )
        found_en = ", ".join(f"{k} {v:,}" for k, v in sorted(info["found"].items())) or "none"
        lines.append((
            f"{programme.name_zh} {year}：对象 {found}；确认 {info['confirmed']:,}，不予确认 "
            f"{info['rejected']:,}；已审批，抽查 {info['sampled']} 人",
            f"{programme.name_en} {year}: {found_en}; confirmed {info['confirmed']:,}, not "
            f"confirmed {info['rejected']:,}; approved, {info['sampled']} sampled",
        ))  # fmt: skip
    accounts = open_accounts(cycles, actors, rng)
    folder = Path(settings.DATA_DIR) / "demo-district" / "bank"
    rosters, injected = pay(cycles, district, actors, rng, folder)
    total = sum((r.total for r in rosters), Decimal(0))
    line_count = sum(r.line_count for r in rosters)
    lines.append((
        f"银行账户 {accounts:,} 个；发放名册 {len(rosters)} 份，共 {line_count:,} 行，"
        f"{total:,.2f} 元；银行回盘已导入",
        f"{accounts:,} bank accounts; {len(rosters)} rosters, {line_count:,} lines, "
        f"{total:,.2f} yuan; bank result files imported: {folder}",
    ))  # fmt: skip
    cases = Counter(Case.objects.filter(roster__in=rosters).values_list("kind", flat=True))
    listed = "，".join(f"{_kind_zh(k)} {v}" for k, v in sorted(cases.items())) or "0"
    listed_en = ", ".join(f"{k} {v}" for k, v in sorted(cases.items())) or "none"
    lines.append((
        f"对账：注入差错 {sum(injected.values())} 处，"
        f"待处理事项 {sum(cases.values())} 件（{listed}）",
        f"reconciliation: {sum(injected.values())} discrepancies injected, "
        f"{sum(cases.values())} cases ({listed_en})",
    ))  # fmt: skip
    return lines
