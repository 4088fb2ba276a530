"""Pure eligibility and amount rules of the benefit programmes (no database).

A programme's rule is a list of building blocks, each a dict naming one of `BLOCKS` with its
parameters (`{"block": "age_at_least", "years": 60}`); all must be met. Each block looks at the
`Facts` of one person as they stood on the cycle's cut-off date, and answers met (True), not met
(False) or unknown (None) with the fact it used, in Chinese and English. Unknown is never
guessed: a clerk verifies it. The same functions serve one person (API, page) and the whole
registry (`renkou.benefits.queries.evaluate_bulk`), where each block's `prefilter` first
narrows the registry with numpy to the persons the block could possibly accept.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from renkou.lib.formats import detect_encoding

Tri = bool | None
Outcome = tuple[Tri, str, str]

RURAL = frozenset({"agricultural"})
UNDECIDED_HUKOU = frozenset({"unified", ""})  # 居民户口: rural or not must be defined (界定)
CENT = Decimal("0.01")


# --- facts --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Kid:
    """A child of the person (biological or adopted) with what the programmes read."""

    id: int
    sex: str
    birth_date: datetime.date
    death_date: datetime.date | None = None
    kind: str = "biological"
    policy: str = ""  # within / outside / unknown / not_applicable; "" not classified
    disability_grade: int | None = None
    recovered: bool = False
    since: datetime.date | None = None  # link date (adoption)

    def alive_on(self, day: datetime.date) -> bool:
        return self.birth_date <= day and (self.death_date is None or self.death_date > day)


@dataclass(slots=True)
class Facts:
    """One person as the programmes see them. `spouse_*` describe the current spouse (None:
    no spouse in the registry: single, widowed or divorced)."""

    id: int
    sex: str
    birth_date: datetime.date
    death_date: datetime.date | None = None
    status: str = "alive"
    hukou_type: str = ""
    hukou_here: bool = True
    residence_here: bool = True
    certificate: bool = False
    children: tuple[Kid, ...] = ()
    spouse_id: int | None = None
    spouse_sex: str | None = None
    spouse_birth_date: datetime.date | None = None
    spouse_hukou_type: str | None = None
    complication_grade: int | None = None
    unit_id: int | None = None


@dataclass(frozen=True)
class Context:
    """The cycle: year, cut-off date, province (for top-up layers)."""

    year: int
    reference_date: datetime.date
    province: str = "51"
    previous_reference: datetime.date | None = None


@dataclass(frozen=True)
class Criterion:
    code: str
    label_zh: str
    label_en: str
    met: Tri
    fact_zh: str
    fact_en: str
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "met": self.met,
            "fact_zh": self.fact_zh,
            "fact_en": self.fact_en,
            "source": self.source,
        }


@dataclass(frozen=True)
class Result:
    programme: str
    eligible: Tri
    criteria: tuple[Criterion, ...]
    amount: Decimal
    shares: dict[str, Decimal] = field(default_factory=dict)
    variant: str = ""

    @property
    def outcome(self) -> str:
        return {True: "eligible", False: "not_eligible", None: "unknown"}[self.eligible]


@dataclass(frozen=True)
class ProgrammeSpec:
    """A programme as the evaluator reads it (from a data file or the database row)."""

    code: str
    name_zh: str
    name_en: str
    rule: tuple[dict, ...]
    amounts: tuple[dict, ...]
    top_ups: tuple[dict, ...] = ()
    cost_shares: dict = field(default_factory=lambda: {"local": 1})
    excludes: tuple[str, ...] = ()
    subject: str = "person"
    reference_day: str = "12-31"

    @classmethod
    def from_dict(cls, data: dict) -> ProgrammeSpec:
        return cls(
            code=data["code"],
            name_zh=data["name_zh"],
            name_en=data["name_en"],
            rule=tuple(data.get("rule", ())),
            amounts=tuple(data.get("amounts", ())),
            top_ups=tuple(data.get("top_ups", ())),
            cost_shares=dict(data.get("cost_shares") or {"local": 1}),
            excludes=tuple(data.get("excludes", ())),
            subject=data.get("subject", "person"),
            reference_day=data.get("reference_day", "12-31"),
        )

    def reference_date(self, year: int) -> datetime.date:
        month, day = (int(part) for part in self.reference_day.split("-"))
        return datetime.date(year, month, day)


# --- helpers ------------------------------------------------------------------------------------


def all3(values: Iterable[Tri]) -> Tri:
    answer: Tri = True
    for value in values:
        if value is False:
            return False
        if value is None:
            answer = None
    return answer


def age_on(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _date(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def alive_on(facts: Facts, day: datetime.date) -> bool:
    if facts.death_date is not None:
        return facts.death_date > day
    return facts.status != "deceased"


def _children(facts: Facts, day: datetime.date) -> tuple[list[Kid], list[Kid]]:
    """(children born or adopted by `day`, those of them alive on `day`)."""
    born = [k for k in facts.children if k.birth_date <= day]
    return born, [k for k in born if k.alive_on(day)]


def _sexes(kids: list[Kid]) -> str:
    return "".join("男" if k.sex == "M" else "女" for k in kids) or "无"


def _sexes_en(kids: list[Kid]) -> str:
    return ", ".join("boy" if k.sex == "M" else "girl" for k in kids) or "none"


HUKOU_ZH = {"agricultural": "农业", "non_agricultural": "非农业", "unified": "居民（未界定）"}
HUKOU_EN = {
    "agricultural": "agricultural",
    "non_agricultural": "non-agricultural",
    "unified": "unified resident (not defined)",
}


def _hukou_zh(value: str | None) -> str:
    return HUKOU_ZH.get(value or "", "未登记")


def _hukou_en(value: str | None) -> str:
    return HUKOU_EN.get(value or "", "not recorded")


# --- building blocks ----------------------------------------------------------------------------
# Each block: (label_zh, label_en) from its params, and a test (facts, params, ctx) -> Outcome.

Test = Callable[[Facts, dict, Context], Outcome]


def _alive(facts: Facts, params: dict, ctx: Context) -> Outcome:
    day = ctx.reference_date
    if alive_on(facts, day):
        return True, f"截至{day}健在", f"alive on {day}"
    return False, f"已于{facts.death_date or '不详日期'}死亡", f"died {facts.death_date or ''}"


def _hukou_one(value: str | None, types: frozenset[str]) -> Tri:
    if value in types:
        return True
    if value in UNDECIDED_HUKOU and "agricultural" in types:
        return None
    return False


def _hukou_type(facts: Facts, params: dict, ctx: Context) -> Outcome:
    types = frozenset(params.get("types", ["agricultural"]))
    own = _hukou_one(facts.hukou_type, types)
    zh, en = f"本人：{_hukou_zh(facts.hukou_type)}", f"self: {_hukou_en(facts.hukou_type)}"
    if not params.get("spouse", False) or facts.spouse_id is None:
        return own, zh, en
    other = _hukou_one(facts.spouse_hukou_type, types)
    zh += f"；配偶：{_hukou_zh(facts.spouse_hukou_type)}"
    en += f"; spouse: {_hukou_en(facts.spouse_hukou_type)}"
    return all3([own, other]), zh, en


def _in_district(facts: Facts, params: dict, ctx: Context) -> Outcome:
    which = params.get("of", "hukou")
    here = facts.hukou_here if which == "hukou" else facts.residence_here
    if facts.status == "moved_away":
        return False, "已迁出本区", "moved away from the district"
    what_zh, what_en = (
        ("户籍", "household registration") if which == "hukou" else ("居住", "residence")
    )
    if here:
        return True, f"{what_zh}在本区", f"{what_en} in the district"
    return False, f"{what_zh}不在本区", f"{what_en} not in the district"


def _born_on_or_after(facts: Facts, params: dict, ctx: Context) -> Outcome:
    limit = _date(params["date"])
    met = facts.birth_date >= limit
    return met, f"出生于{facts.birth_date:%Y年%m月}", f"born {facts.birth_date:%Y-%m}"


def _born_before(facts: Facts, params: dict, ctx: Context) -> Outcome:
    limit = _date(params["date"])
    born_zh, born_en = f"出生于{facts.birth_date:%Y年%m月}", f"born {facts.birth_date:%Y-%m}"
    return facts.birth_date < limit, born_zh, born_en


def _whose_birth(facts: Facts, params: dict) -> tuple[datetime.date | None, str, str]:
    if params.get("who") == "wife_or_self" and facts.sex == "M" and facts.spouse_id is not None:
        return facts.spouse_birth_date, "妻子", "wife"
    return facts.birth_date, "本人", "self"


def _age_at_least(facts: Facts, params: dict, ctx: Context) -> Outcome:
    birth, who_zh, who_en = _whose_birth(facts, params)
    day = ctx.reference_date
    if birth is None:
        return None, f"{who_zh}出生日期不详", f"{who_en}: birth date unknown"
    age = age_on(birth, day)
    return (
        age >= int(params["years"]),
        f"{who_zh}{day}时{age}周岁",
        f"{who_en} aged {age} on {day}",
    )


def _age_below(facts: Facts, params: dict, ctx: Context) -> Outcome:
    day = ctx.reference_date
    age = age_on(facts.birth_date, day)
    return age < int(params["years"]), f"{day}时{age}周岁", f"aged {age} on {day}"


def _sex(facts: Facts, params: dict, ctx: Context) -> Outcome:
    return facts.sex == params["sex"], f"性别{facts.sex}", f"sex {facts.sex}"


def _no_birth_outside_policy(facts: Facts, params: dict, ctx: Context) -> Outcome:
    start = _date(params.get("from")) or datetime.date.min
    end = _date(params.get("to")) or ctx.reference_date
    window = [k for k in facts.children if start <= k.birth_date <= end and k.kind != "adopted"]
    span_zh, span_en = f"{start}至{end}", f"{start} to {end}"
    outside = [k for k in window if k.policy == "outside"]
    if outside:
        return (
            False,
            f"{span_zh}有{len(outside)}个政策外生育（{outside[0].birth_date:%Y年%m月}）",
            f"{len(outside)} birth(s) outside the policy {span_en} ({outside[0].birth_date:%Y-%m})",
        )
    unclassified = [k for k in window if k.policy in ("", "unknown")]
    if unclassified:
        return (
            None,
            f"{span_zh}有{len(unclassified)}个生育政策属性不详",
            f"{len(unclassified)} birth(s) {span_en} not classified",
        )
    return (
        True,
        f"{span_zh}生育{len(window)}个，均在政策内",
        f"{len(window)} birth(s) {span_en}, all within",
    )


def _grade_of(kid: Kid) -> int | None:
    return None if kid.recovered else kid.disability_grade


def _children_mode(facts: Facts, params: dict, ctx: Context) -> Outcome:
    day = ctx.reference_date
    born, alive = _children(facts, day)
    base_zh = f"生育/收养{len(born)}个，现存{len(alive)}个（{_sexes(alive)}）"
    base_en = f"{len(born)} born or adopted, {len(alive)} alive ({_sexes_en(alive)})"
    mode = params["mode"]
    if mode == "jiangfu":  # 现存一个子女，或两个女孩，或子女死亡现无子女
        ok = (len(alive) == 1) or (len(alive) == 2 and all(k.sex == "F" for k in alive))
        ok = ok or (not alive and bool(born))
        return ok, base_zh, base_en
    if mode == "died":  # 独生子女死亡：生育过、现无存活子女
        return bool(born) and not alive, base_zh, base_en
    if mode == "disabled":  # 独生子女伤残：现存一个，残疾等级在 max_grade 以内
        if len(alive) != 1:
            return False, base_zh, base_en
        grade = _grade_of(alive[0])
        limit = int(params.get("max_grade", 3))
        if grade is None:
            extra = "，已康复" if alive[0].recovered else "，无残疾证记录"
            extra_en = ", recovered" if alive[0].recovered else ", no disability certificate"
            return False, base_zh + extra, base_en + extra_en
        return (
            grade <= limit,
            f"{base_zh}，残疾{grade}级",
            f"{base_en}, disability grade {grade}",
        )
    if mode == "count":  # generic: alive / dead counts within bounds
        dead = len(born) - len(alive)
        checks = [
            len(alive) >= int(params.get("alive_min", 0)),
            len(alive) <= int(params.get("alive_max", 99)),
            dead >= int(params.get("dead_min", 0)),
        ]
        return all(checks), base_zh, base_en
    raise ValueError(f"unknown children mode {mode}")


def _certificate(facts: Facts, params: dict, ctx: Context) -> Outcome:
    if facts.certificate:
        return True, "持有独生子女父母光荣证", "holds the only-child parents' certificate"
    return False, "无独生子女父母光荣证记录", "no only-child certificate recorded"


def _only_child_age_below(facts: Facts, params: dict, ctx: Context) -> Outcome:
    day = ctx.reference_date
    _born, alive = _children(facts, day)
    if not alive:
        return False, "无存活子女", "no living child"
    youngest = max(alive, key=lambda k: k.birth_date)
    age = age_on(youngest.birth_date, day)
    return age < int(params["years"]), f"子女{day}时{age}周岁", f"child aged {age} on {day}"


def _complication(facts: Facts, params: dict, ctx: Context) -> Outcome:
    grade = facts.complication_grade
    if grade is None:
        return False, "无并发症鉴定记录", "no complication assessment recorded"
    grades = {int(g) for g in params.get("grades", [1, 2, 3])}
    return grade in grades, f"并发症鉴定为{grade}级", f"complication grade {grade}"


def months_paid(birth: datetime.date, year: int, years: int, start: datetime.date) -> int:
    """Months of `year` paid for a child: the `years`×12 months after the birth month (a child
    born in December 2023 is paid 24 months from January 2025), none before `start`."""
    first = birth.year * 12 + birth.month  # the month after the birth month (0-based + 1)
    last = first + years * 12 - 1
    low = max(first, year * 12, start.year * 12 + start.month - 1)
    high = min(last, year * 12 + 11)
    return max(0, high - low + 1)


def _child_months(facts: Facts, params: dict, ctx: Context) -> Outcome:
    start = _date(params.get("from")) or datetime.date(ctx.year, 1, 1)
    months = months_paid(facts.birth_date, ctx.year, int(params["years"]), start)
    return (
        months > 0,
        f"出生于{facts.birth_date:%Y年%m月}，{ctx.year}年计发{months}个月",
        f"born {facts.birth_date:%Y-%m}: {months} month(s) paid in {ctx.year}",
    )


@dataclass(frozen=True)
class Block:
    label_zh: str
    label_en: str
    test: Test


BLOCKS: dict[str, Block] = {
    "alive": Block("健在", "alive", _alive),
    "hukou_type": Block("户口性质", "household-registration type", _hukou_type),
    "in_district": Block("户籍/居住在本区", "registered or living in the district", _in_district),
    "born_on_or_after": Block("出生日期不早于", "born on or after", _born_on_or_after),
    "born_before": Block("出生日期早于", "born before", _born_before),
    "age_at_least": Block("年龄达到", "age at least", _age_at_least),
    "age_below": Block("年龄低于", "age below", _age_below),
    "sex": Block("性别", "sex", _sex),
    "no_birth_outside_policy": Block(
        "无政策外生育", "no birth outside the policy", _no_birth_outside_policy
    ),
    "children": Block("子女情况", "children", _children_mode),
    "certificate": Block("独生子女父母光荣证", "only-child certificate", _certificate),
    "only_child_age_below": Block("独生子女年龄", "only child's age", _only_child_age_below),
    "complication_grade": Block("手术并发症等级", "complication grade", _complication),
    "child_months": Block("补贴月数", "months of subsidy", _child_months),
}


CHILDREN_LABELS = {
    "jiangfu": ("现存一个子女，或两个女孩，或子女死亡现无子女",
                "one living child, or two girls, or none left after births"),
    "died": ("生育过子女，现无存活子女", "had children, none alive"),
    "count": ("子女数", "number of children"),
}  # fmt: skip


def _label(block: dict) -> tuple[str, str]:
    name, b = block["block"], block
    if name == "hukou_type":
        types = b.get("types", ["agricultural"])
        zh = "、".join(HUKOU_ZH.get(t, t) for t in types) + "户口"
        en = " / ".join(HUKOU_EN.get(t, t) for t in types) + " registration"
        if b.get("spouse"):
            return f"{zh}（本人及配偶）", f"{en} (self and spouse)"
        return zh, en
    if name == "in_district":
        if b.get("of", "hukou") == "hukou":
            return "户籍在本区", "household registration in the district"
        return "居住在本区", "living in the district"
    if name == "born_on_or_after":
        return f"{b['date']}以后出生", f"born on or after {b['date']}"
    if name == "born_before":
        return f"{b['date']}以前出生", f"born before {b['date']}"
    if name == "age_at_least":
        if b.get("who") == "wife_or_self":
            return (f"女方（单亲为本人）年满{b['years']}周岁",
                    f"the wife (a single parent) aged {b['years']} or over")  # fmt: skip
        return f"年满{b['years']}周岁", f"aged {b['years']} or over"
    if name == "age_below":
        return f"未满{b['years']}周岁", f"under {b['years']}"
    if name == "sex":
        return ("女性" if b["sex"] == "F" else "男性"), ("female" if b["sex"] == "F" else "male")
    if name == "no_birth_outside_policy":
        start, end = b.get("from", ""), b.get("to", "")
        return f"{start}至{end}无政策外生育", f"no birth outside the policy {start} to {end}"
    if name == "children":
        if b["mode"] == "disabled":
            grade = b.get("max_grade", 3)
            return (f"现存一个子女，残疾等级{grade}级以上",
                    f"one living child, disabled grade 1–{grade}")  # fmt: skip
        return CHILDREN_LABELS[b["mode"]]
    if name == "complication_grade":
        grades = "、".join(str(g) for g in b.get("grades", [1, 2, 3]))
        return f"手术并发症{grades}级", f"surgery complication grade {grades}"
    if name == "only_child_age_below":
        return f"独生子女未满{b['years']}周岁", f"the only child under {b['years']}"
    if name == "child_months":
        start = b.get("from", "")
        return (f"未满{b['years']}周岁的月份（{start}起）",
                f"months under {b['years']} (from {start})")  # fmt: skip
    spec = BLOCKS[name]
    return spec.label_zh, spec.label_en


def label(block: dict) -> tuple[str, str]:
    """A criterion's label in Chinese and English, with its parameters."""
    if block.get("label_zh"):
        return block["label_zh"], block.get("label_en", BLOCKS[block["block"]].label_en)
    return _label(block)


def check_rule(rule: Iterable[dict]) -> list[str]:
    """Problems of a rule built by hand (unknown block, missing parameter); empty if sound."""
    problems = []
    required = {"born_on_or_after": "date", "born_before": "date", "age_at_least": "years",
                "age_below": "years", "sex": "sex", "children": "mode",
                "only_child_age_below": "years", "child_months": "years"}  # fmt: skip
    for index, block in enumerate(rule, start=1):
        name = block.get("block")
        if name not in BLOCKS:
            problems.append(f"#{index}: unknown block {name!r}")
        elif name in required and required[name] not in block:
            problems.append(f"#{index}: {name} needs {required[name]!r}")
    return problems


# --- amounts ------------------------------------------------------------------------------------


def _when_matches(when: dict, facts: Facts, variant: dict) -> bool:
    return all(variant.get(key) == wanted for key, wanted in when.items())


def variant_of(facts: Facts, ctx: Context) -> dict[str, Any]:
    """What amount rows may depend on: urban/rural, complication grade, an only daughter."""
    _born, alive = _children(facts, ctx.reference_date)
    return {
        "hukou": "rural" if facts.hukou_type in RURAL else "urban",
        "grade": facts.complication_grade,
        "only_daughter": len(alive) == 1 and alive[0].sex == "F",
        "no_surviving_child": not alive,
    }


def _monthly(rows: Iterable[dict], day: datetime.date, facts: Facts, variant: dict) -> Decimal:
    """The monthly amount in force on `day`: the latest row started by then that matches."""
    best: tuple[datetime.date, Decimal] | None = None
    for row in rows:
        start, end = _date(row["from"]), _date(row.get("to"))
        if start > day or (end is not None and end < day):
            continue
        if not _when_matches(row.get("when", {}), facts, variant):
            continue
        if best is None or start >= best[0]:
            best = (start, Decimal(str(row["monthly"])))
    return best[1] if best else Decimal(0)


def _months_of(spec: ProgrammeSpec, facts: Facts, ctx: Context) -> list[datetime.date]:
    """The first days of the months paid in the year."""
    months = [datetime.date(ctx.year, m, 1) for m in range(1, 13)]
    for block in spec.rule:
        if block["block"] == "child_months":
            years = int(block["years"])
            start = _date(block.get("from")) or datetime.date(ctx.year, 1, 1)
            first = facts.birth_date.year * 12 + facts.birth_date.month
            last = first + years * 12 - 1
            low = start.year * 12 + start.month - 1
            months = [m for m in months if low <= m.year * 12 + m.month - 1 and
                      first <= m.year * 12 + m.month - 1 <= last]  # fmt: skip
    return months


def amount_for(spec: ProgrammeSpec, facts: Facts, ctx: Context) -> tuple[Decimal, dict, str]:
    """The year's amount and who pays what: the base schedule split by `cost_shares`, each
    top-up layer of the province (or district) paid by its own payer."""
    variant = variant_of(facts, ctx)
    months = _months_of(spec, facts, ctx)
    base = sum((_monthly(spec.amounts, m, facts, variant) for m in months), Decimal(0))
    shares = {"central": Decimal(0), "provincial": Decimal(0), "local": Decimal(0)}
    allocated = Decimal(0)
    payers = [p for p in ("central", "provincial", "local") if spec.cost_shares.get(p)]
    for index, payer in enumerate(payers):
        if index == len(payers) - 1:
            part = base - allocated  # the last payer takes the rounding remainder
        else:
            part = (base * Decimal(str(spec.cost_shares[payer]))).quantize(CENT, ROUND_HALF_UP)
        shares[payer] += part
        allocated += part
    for layer in spec.top_ups:
        if layer.get("province") and layer["province"] != ctx.province:
            continue
        extra = sum((_monthly([layer], m, facts, variant) for m in months), Decimal(0))
        shares[layer.get("payer", "provincial")] += extra
    total = sum(shares.values(), Decimal(0))
    tag = ",".join(f"{k}={v}" for k, v in variant.items() if k in ("hukou", "grade") and v)
    return total.quantize(CENT), {k: v.quantize(CENT) for k, v in shares.items()}, tag


# --- evaluation ---------------------------------------------------------------------------------


_LABELS: dict[tuple, tuple[str, str]] = {}
_AMOUNTS: dict[tuple, tuple[Decimal, dict, str]] = {}


def _label_of(spec: ProgrammeSpec, index: int, block: dict) -> tuple[str, str]:
    key = (spec.code, id(spec), index)
    found = _LABELS.get(key)
    if found is None:
        found = _LABELS[key] = label(block)
    return found


def _cached_amount(spec: ProgrammeSpec, facts: Facts, ctx: Context) -> tuple[Decimal, dict, str]:
    """The amount depends only on the variant and the months paid: memoised on them (the
    bulk path evaluates a programme for 10^5 persons with a handful of distinct answers)."""
    variant = variant_of(facts, ctx)
    months = tuple(_months_of(spec, facts, ctx))
    key = (id(spec), spec.code, ctx, tuple(sorted(variant.items())), months)
    found = _AMOUNTS.get(key)
    if found is None:
        if len(_AMOUNTS) > 100_000:
            _AMOUNTS.clear()
        found = _AMOUNTS[key] = amount_for(spec, facts, ctx)
    return found


def evaluate(spec: ProgrammeSpec, facts: Facts, ctx: Context) -> Result:
    """Every criterion of the programme for one person, the answer and the amount."""
    criteria = []
    for index, block in enumerate(spec.rule):
        met, fact_zh, fact_en = BLOCKS[block["block"]].test(facts, block, ctx)
        label_zh, label_en = _label_of(spec, index, block)
        criteria.append(
            Criterion(
                f"{index + 1}:{block['block']}",
                label_zh,
                label_en,
                met,
                fact_zh,
                fact_en,
                block.get("source", ""),
            )
        )
    eligible = all3(c.met for c in criteria)
    if eligible is False:
        return Result(spec.code, False, tuple(criteria), Decimal(0))
    amount, shares, variant = _cached_amount(spec, facts, ctx)
    return Result(spec.code, eligible, tuple(criteria), amount, dict(shares), variant)


def exit_reason(spec: ProgrammeSpec, facts: Facts, result: Result, ctx: Context) -> str:
    """Why a beneficiary of last year leaves (only called when `result` is not eligible)."""
    failed = {c.code.split(":", 1)[1] for c in result.criteria if c.met is False}
    if "alive" in failed or not alive_on(facts, ctx.reference_date):
        return "death"
    if "in_district" in failed or facts.status == "moved_away":
        return "moved_away"
    since = ctx.previous_reference or datetime.date(ctx.year - 1, 12, 31)
    if "children" in failed and any(
        k.birth_date > since or (k.since and k.since > since) for k in facts.children
    ):
        return "new_child"
    if failed & {"age_below", "only_child_age_below", "child_months"}:
        return "age_limit"
    return "no_longer"


def exclusive_pairs(specs: Iterable[ProgrammeSpec]) -> set[frozenset[str]]:
    """Pairs of programme codes that exclude each other (declared on either side)."""
    return {frozenset((s.code, other)) for s in specs for other in s.excludes if other != s.code}


def same_person_keys(id_number: str, name: str, birth_date: datetime.date) -> tuple[str, str]:
    """The keys under which two records are one person: the ID number, name + birth date."""
    return (id_number.strip().upper(), f"{name.strip()}|{birth_date}")


# --- bank result files ------------------------------------------------------------------------

BANK_ERRORS_SHOWN = 200  # problems kept on the import and shown; the full list is the report
MONEY_LIMIT = Decimal("9999999999.99")  # the MONEY field: 12 digits, 2 decimals


def bank_file_fingerprint(data: bytes) -> str:
    """The content fingerprint of a bank result file: for a text table, the decoded text with
    line endings, trailing blanks and blank lines normalised and the data lines sorted (the
    header stays first), so the same file re-saved with CRLF, in another encoding or
    re-sorted is the same file; an XLSX (a zip) by its bytes."""
    if data.startswith(b"PK"):
        return hashlib.sha256(data).hexdigest()
    try:
        text = data.decode(detect_encoding(data))
    except (UnicodeDecodeError, ValueError):
        return hashlib.sha256(data).hexdigest()
    lines = [line.rstrip() for line in text.lstrip("\ufeff").splitlines()]
    lines = [line for line in lines if line.strip(" ,\t")]
    canonical = "\n".join(lines[:1] + sorted(lines[1:]))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _monthly_values(rows: Iterable[Any]) -> list[Decimal]:
    found: list[Decimal] = []
    for row in rows:
        if isinstance(row, dict):
            for key, value in row.items():
                if key == "monthly" and isinstance(value, int | float | str):
                    try:
                        found.append(Decimal(str(value)))
                    except ArithmeticError:
                        continue
                elif isinstance(value, list | dict):
                    found += _monthly_values(value if isinstance(value, list) else [value])
    return [v for v in found if v.is_finite()]


def max_bank_amount(amounts: Iterable[Any], top_ups: Iterable[Any]) -> Decimal:
    """The most one bank line of the programme can be: twelve months of the highest monthly
    standard of its schedule plus the highest of each top-up layer (a failed payment
    re-queued is one year's amount too). Without a schedule: the money field's limit."""
    base = _monthly_values(list(amounts))
    if not base:
        return MONEY_LIMIT
    layers = [max(_monthly_values([layer]), default=Decimal(0)) for layer in top_ups]
    extra = sum(layers, Decimal(0))
    return min(MONEY_LIMIT, (max(base) + extra) * 12)


def parse_bank_amount(text: str, limit: Decimal) -> tuple[Decimal | None, str, str]:
    """(amount, "", "") for a finite decimal of at most two places between 0 and `limit`;
    (None, problem zh, problem en) otherwise. `Infinity`, `NaN` and `1E+20` are refused."""

    cleaned = text.strip().replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None, "不是有效金额", "not a valid amount"
    if not amount.is_finite():
        return None, "不是有限的数", "not a finite number"
    if amount < 0:
        return None, "金额不能为负", "the amount is negative"
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return None, "金额最多两位小数", "at most two decimal places"
    if amount > limit:
        return None, f"金额超过本项目上限{limit}", f"above the programme's limit {limit}"
    return amount.quantize(Decimal("0.01")), "", ""


def csv_safe(value: object) -> str:
    """A cell for a CSV report that a spreadsheet will not run as a formula (OWASP: a cell
    starting with = + - @ tab or CR gets a leading apostrophe)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
