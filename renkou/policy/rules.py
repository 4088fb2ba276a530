"""Pure birth-policy rules: regimes as plain values, the condition tests, `evaluate`, `classify`.

Nothing here touches the database. A regime (`RegimeSpec`) says how many children a married
couple may have (`base_children`) and which named conditions (`ConditionSpec`) raise that
number when met. A couple's facts (`CoupleFacts`) are what the registry knew on a date; every
fact may be unknown (None), and an unknown fact is reported as unknown, never guessed: a
condition is met (True), not met (False) or unknown (None), by three-valued (Kleene) logic.

`evaluate` answers two numbers: `entitled`, what the known facts establish, and `possible`,
what the number would be if every unknown fact turned out in the couple's favour. `classify`
puts a birth within the regime (its order ≤ entitled), outside it (order > possible), or
unknown (in between). docs/architecture.md §0: used only for benefit eligibility and
aggregate statistics.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Tri = bool | None  # True, False, or None = unknown

SCOPES = ("nation", "province", "district")
SPECIFICITY = {"nation": 0, "province": 1, "district": 2}

AGRICULTURAL, NON_AGRICULTURAL, UNIFIED = "agricultural", "non_agricultural", "unified"
FIRST, REMARRIAGE = "first", "remarriage"
HAN = "01"
# GB 3304: 97 其他未识别民族 and 98 外国血统中国籍人士 are neither Han nor a recognised minority.
UNCLASSIFIED_ETHNIC = {"97", "98"}

# How many days before a birth a marriage still counts for it (the registry accepts a father
# who died up to 300 days before the birth, for the same reason: the pregnancy).
MARRIAGE_WINDOW_DAYS = 300

WITHIN, OUTSIDE, NOT_APPLICABLE, UNKNOWN = "within", "outside", "not_applicable", "unknown"


# --- regimes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionSpec:
    """A named exception of a regime: when its test is met, the couple may have `grants`."""

    code: str
    name_zh: str
    name_en: str
    grants: int
    test: str
    params: dict = field(default_factory=dict, hash=False, compare=True)


@dataclass(frozen=True)
class RegimeSpec:
    """A birth-policy rule set in force from `effective_from` to `effective_to` (inclusive)."""

    code: str
    name_zh: str
    name_en: str
    scope: str  # nation | province | district
    scope_code: str  # "" | 2-digit province | 6-digit district
    effective_from: datetime.date
    effective_to: datetime.date | None
    base_children: int
    conditions: tuple[ConditionSpec, ...] = ()
    requires_marriage: bool = True
    version: int = 1
    source: str = ""

    def in_force(self, day: datetime.date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


def regimes_for_area(
    regimes: Iterable[RegimeSpec], province: str, district: str | None = None
) -> list[RegimeSpec]:
    """The regimes that can apply in the area: national, the province's, the district's."""
    codes = {"nation": "", "province": province, "district": district or None}
    return [regime for regime in regimes if codes.get(regime.scope) == regime.scope_code]


def select_regime(regimes: Iterable[RegimeSpec], day: datetime.date) -> RegimeSpec | None:
    """The regime in force on `day`: the most specific scope wins (district > province >
    nation); within one scope, the one that took effect last."""
    candidates = [regime for regime in regimes if regime.in_force(day)]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (SPECIFICITY[r.scope], r.effective_from, r.code))


# --- facts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildFacts:
    """One of the couple's children born before the date."""

    birth_date: datetime.date
    sex: str  # M | F
    alive: bool  # on the date
    disabled: Tri = None  # a certified non-hereditary disability; None = not recorded


@dataclass(frozen=True)
class SpouseFacts:
    """What is known of one spouse on the date. `known=False`: the person is not recorded
    (a birth whose father is unknown); every fact is then unknown."""

    known: bool = True
    birth_date: datetime.date | None = None
    ethnic_group: str = ""  # GB 3304 code; "" unknown
    hukou_type: str | None = None  # on the date; None unknown
    is_only_child: Tri = None
    returned_overseas: Tri = None
    marriage_kind: str | None = None  # first | remarriage (this marriage); None unknown
    other_children: int | None = 0  # with other partners (or none recorded), before the date
    # How each fact was established, (zh, en) by fact name, for the reasons shown.
    basis: dict[str, tuple[str, str]] = field(default_factory=dict, hash=False)

    @classmethod
    def unknown(cls) -> SpouseFacts:
        return cls(known=False, other_children=None)


@dataclass(frozen=True)
class CoupleFacts:
    """A couple as the registry knew them on `on_date`."""

    on_date: datetime.date
    husband: SpouseFacts
    wife: SpouseFacts
    children: tuple[ChildFacts, ...] = ()  # the couple's children born before the date
    married: Tri = None  # married to each other on the date (or within the pregnancy)
    married_basis: tuple[str, str] = ("", "")

    @property
    def children_counted(self) -> int:
        """Children that count against the entitlement: the couple's, and each spouse's with
        other partners (a remarried couple's children from before count too)."""
        others = (self.husband.other_children or 0) + (self.wife.other_children or 0)
        return len(self.children) + others


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionResult:
    code: str
    name_zh: str
    name_en: str
    grants: int | None
    met: Tri
    fact_zh: str
    fact_en: str

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "grants": self.grants,
            "met": self.met,
            "fact_zh": self.fact_zh,
            "fact_en": self.fact_en,
        }


@dataclass(frozen=True)
class Entitlement:
    """The evaluator's answer. `entitled` is None when no regime was in force (no limit is
    recorded for the date)."""

    on_date: datetime.date
    regime: RegimeSpec | None
    entitled: int | None
    possible: int | None
    children_counted: int
    requirements: tuple[ConditionResult, ...]
    conditions: tuple[ConditionResult, ...]
    summary_zh: str
    summary_en: str

    @property
    def unknown_could_raise(self) -> bool:
        """An unknown fact, if it turned out in the couple's favour, would raise the number."""
        return self.entitled is not None and (self.possible or 0) > self.entitled

    @property
    def met(self) -> list[str]:
        return [c.code for c in self.conditions if c.met is True]

    @property
    def unknown(self) -> list[str]:
        return [c.code for c in (*self.requirements, *self.conditions) if c.met is None]

    def as_dict(self, province: str) -> dict[str, Any]:
        """The answer as plain data (dates as dates): the policy API's answer, and what a
        birth application keeps of its evaluation (`births.actions.entitlement_record`)."""
        regime = self.regime
        return {
            "date": self.on_date,
            "province": province,
            "regime": None
            if regime is None
            else {
                "code": regime.code,
                "name_zh": regime.name_zh,
                "name_en": regime.name_en,
                "scope": regime.scope,
                "scope_code": regime.scope_code,
                "effective_from": regime.effective_from,
                "effective_to": regime.effective_to,
                "base_children": regime.base_children,
                "requires_marriage": regime.requires_marriage,
                "version": regime.version,
            },
            "entitled": self.entitled,
            "possible": self.possible,
            "unknown_could_raise": self.unknown_could_raise,
            "children_counted": self.children_counted,
            "requirements": [c.as_dict() for c in self.requirements],
            "conditions": [c.as_dict() for c in self.conditions],
            "met": self.met,
            "unknown": self.unknown,
            "summary_zh": self.summary_zh,
            "summary_en": self.summary_en,
        }


# --- three-valued logic ----------------------------------------------------------------------


def all3(values: Iterable[Tri]) -> Tri:
    values = list(values)
    if any(value is False for value in values):
        return False
    if all(value is True for value in values):
        return True
    return None


def any3(values: Iterable[Tri]) -> Tri:
    values = list(values)
    if any(value is True for value in values):
        return True
    if all(value is False for value in values):
        return False
    return None


def _yes_no(value: Tri) -> tuple[str, str]:
    return {True: ("是", "yes"), False: ("否", "no"), None: ("不详", "unknown")}[value]


def _date(value) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


# --- the condition tests ---------------------------------------------------------------------
# Each test takes the facts, the regime and the condition's params and returns
# (met, fact_zh, fact_en). The vocabulary is fixed: a data file names one of TESTS.

Outcome = tuple[Tri, str, str]


def _spouses(facts: CoupleFacts) -> tuple[tuple[str, str, SpouseFacts], ...]:
    return (("男方", "husband", facts.husband), ("女方", "wife", facts.wife))


def _per_spouse(
    facts: CoupleFacts, value: Callable[[SpouseFacts], Tri], name: str, label: tuple[str, str]
) -> tuple[list[Tri], str, str]:
    values, parts_zh, parts_en = [], [], []
    for who_zh, who_en, spouse in _spouses(facts):
        v = value(spouse) if spouse.known else None
        values.append(v)
        yes_zh, yes_en = _yes_no(v)
        basis_zh, basis_en = spouse.basis.get(name, ("", "")) if spouse.known else ("未登记", "")
        if not spouse.known:
            basis_en = "not recorded"
        parts_zh.append(f"{who_zh}{label[0]}：{yes_zh}" + (f"（{basis_zh}）" if basis_zh else ""))
        parts_en.append(f"{who_en} {label[1]}: {yes_en}" + (f" ({basis_en})" if basis_en else ""))
    return values, "；".join(parts_zh), "; ".join(parts_en)


def _combine(params: dict, values: list[Tri], default: str = "both") -> Tri:
    return all3(values) if params.get("who", default) == "both" else any3(values)


def check_both_only_children(facts: CoupleFacts, regime: RegimeSpec, params: dict) -> Outcome:
    """双独: both spouses are only children."""
    values, zh, en = _per_spouse(
        facts, lambda s: s.is_only_child, "only_child", ("独生子女", "only child")
    )
    return all3(values), zh, en


def check_one_only_child(facts: CoupleFacts, regime: RegimeSpec, params: dict) -> Outcome:
    """单独: at least one spouse is an only child."""
    values, zh, en = _per_spouse(
        facts, lambda s: s.is_only_child, "only_child", ("独生子女", "only child")
    )
    return any3(values), zh, en


def _rural(spouse: SpouseFacts) -> Tri:
    if spouse.hukou_type == AGRICULTURAL:
        return True
    if spouse.hukou_type == NON_AGRICULTURAL:
        return False
    return None  # unknown, or the unified resident type (居民户口), which does not say


def _hukou_fact(facts: CoupleFacts, params: dict) -> tuple[Tri, str, str]:
    who = params.get("hukou", "both")
    spouses = [s for s in _spouses(facts) if who in ("both", "either") or s[1] == who]
    labels = {
        AGRICULTURAL: ("农业户口", "agricultural"),
        NON_AGRICULTURAL: ("非农业户口", "non-agricultural"),
        UNIFIED: ("居民户口（不区分农业/非农业）", "unified resident (not rural/urban)"),
    }
    values, parts_zh, parts_en = [], [], []
    for who_zh, who_en, spouse in spouses:
        values.append(_rural(spouse) if spouse.known else None)
        zh, en = labels.get(spouse.hukou_type or "", ("户口性质不详", "registration type unknown"))
        basis_zh, basis_en = spouse.basis.get("hukou_type", ("", ""))
        if not spouse.known:
            zh, en, basis_zh, basis_en = "未登记", "not recorded", "", ""
        parts_zh.append(f"{who_zh}{zh}" + (f"（{basis_zh}）" if basis_zh else ""))
        parts_en.append(f"{who_en} {en}" + (f" ({basis_en})" if basis_en else ""))
    value = any3(values) if who == "either" else all3(values)
    return value, "，".join(parts_zh), ", ".join(parts_en)


def check_rural_first_child_girl(facts: CoupleFacts, regime: RegimeSpec, params: dict) -> Outcome:
    """农村一孩半: a rural couple (agricultural registration) whose first child is a girl."""
    rural, zh, en = _hukou_fact(facts, params)
    if not facts.children:
        return False, f"{zh}；尚无子女", f"{en}; no child yet"
    first = facts.children[0]
    girl = first.sex == "F"
    sex_zh, sex_en = ("女孩", "a girl") if girl else ("男孩", "a boy")
    return (
        all3([rural, girl]),
        f"{zh}；第一个子女为{sex_zh}（{first.birth_date:%Y年%m月}出生）",
        f"{en}; the first child is {sex_en} (born {first.birth_date:%Y-%m})",
    )


def _minority(spouse: SpouseFacts) -> Tri:
    code = spouse.ethnic_group or ""
    if not code or code in UNCLASSIFIED_ETHNIC:
        return None
    return code != HAN


def check_ethnic_minority(facts: CoupleFacts, regime: RegimeSpec, params: dict) -> Outcome:
    """少数民族: both spouses (or, with who=either, one of them) belong to an ethnic minority."""
    from renkou.lib.codes import ETHNIC_GROUPS

    values, parts_zh, parts_en = [], [], []
    for who_zh, who_en, spouse in _spouses(facts):
        values.append(_minority(spouse) if spouse.known else None)
        code = spouse.ethnic_group if spouse.known else ""
        name = ETHNIC_GROUPS.get(code, "民族不详") if code else "民族不详"
        parts_zh.append(f"{who_zh}{name}")
        parts_en.append(f"{who_en} {code or 'unknown'} ({name})")
    return _combine(params, values), "，".join(parts_zh), ", ".join(parts_en)


def check_first_child_disabled(facts: CoupleFacts, regime: RegimeSpec, params: dict) -> Outcome:
    """第一个子女为非遗传性残疾: the couple's first child has a certified non-hereditary
    disability. The registry records no disability: only a declared fact answers it."""
    if not facts.children:
        return False, "尚无子女", "no child yet"
    disabled = facts.children[0].disabled
    zh = {True: "第一个子女经鉴定为非遗传性残疾", False: "第一个子女无非遗传性残疾记录（已核实）",
          None: "第一个子女是否残疾未记录"}[disabled]  # fmt: skip
    en = {True: "the first child is certified as having a non-hereditary disability",
          False: "the first child has no such disability (checked)",
          None: "whether the first child has a disability is not recorded"}[disabled]  # fmt: skip
    return disabled, zh, en


def check_remarried_fewer_than_two(facts: CoupleFacts, regime: RegimeSpec, params: dict) -> Outcome:
    """再婚夫妻: at least one spouse is remarried and the two had fewer than two children
    (with other partners) before (`max_children`, default 1)."""
    limit = int(params.get("max_children", 1))
    kinds = []
    parts_zh, parts_en = [], []
    for who_zh, who_en, spouse in _spouses(facts):
        kind = spouse.marriage_kind if spouse.known else None
        kinds.append(None if kind is None else kind == REMARRIAGE)
        kind_zh = {FIRST: "初婚", REMARRIAGE: "再婚", None: "婚姻状况不详"}[kind]
        kind_en = {FIRST: "first marriage", REMARRIAGE: "remarried", None: "marriage unknown"}[kind]
        others = spouse.other_children if spouse.known else None
        count_zh = "个数不详" if others is None else f"{others}个"
        parts_zh.append(f"{who_zh}{kind_zh}，此前与他人所生子女{count_zh}")
        parts_en.append(
            f"{who_en} {kind_en}, {'unknown' if others is None else others} child(ren) with "
            "others before"
        )
    remarried = any3(kinds)
    counts = [facts.husband.other_children, facts.wife.other_children]
    total_known = sum(c or 0 for c in counts)
    if total_known > limit:
        few: Tri = False
    elif any(c is None for c in counts):
        few = None
    else:
        few = True
    return all3([remarried, few]), "；".join(parts_zh), "; ".join(parts_en)


def check_returned_overseas(facts: CoupleFacts, regime: RegimeSpec, params: dict) -> Outcome:
    """归侨: one spouse (who=either, default) or both are returned overseas Chinese. The
    registry does not record it: only a declared fact answers it."""
    values, zh, en = _per_spouse(
        facts, lambda s: s.returned_overseas, "returned_overseas", ("归国华侨", "returned overseas")
    )
    return _combine(params, values, default="either"), zh, en


def check_child_died(facts: CoupleFacts, regime: RegimeSpec, params: dict) -> Outcome:
    """子女死亡: a child of the couple has died and fewer children survive than the regime's
    base number."""
    dead = [child for child in facts.children if not child.alive]
    surviving = len(facts.children) - len(dead)
    if not dead:
        return False, f"无死亡子女（现存{surviving}个）", f"no child has died ({surviving} alive)"
    below = surviving < regime.base_children
    return (
        below,
        f"已有{len(dead)}个子女死亡，现存{surviving}个",
        f"{len(dead)} child(ren) died, {surviving} alive",
    )


TESTS: dict[str, Callable[[CoupleFacts, RegimeSpec, dict], Outcome]] = {
    "both_only_children": check_both_only_children,
    "one_only_child": check_one_only_child,
    "rural_first_child_girl": check_rural_first_child_girl,
    "ethnic_minority": check_ethnic_minority,
    "first_child_disabled": check_first_child_disabled,
    "remarried_fewer_than_two": check_remarried_fewer_than_two,
    "returned_overseas": check_returned_overseas,
    "child_died": check_child_died,
}

# The params each test understands, besides the window params every condition takes.
TEST_PARAMS: dict[str, set[str]] = {
    "both_only_children": set(),
    "one_only_child": set(),
    "rural_first_child_girl": {"hukou"},
    "ethnic_minority": {"who"},
    "first_child_disabled": set(),
    "remarried_fewer_than_two": {"max_children"},
    "returned_overseas": {"who"},
    "child_died": set(),
}
# from / to: the condition applies only between these dates (inclusive);
# unknown_before: before this date whether the province applied the condition is not recorded;
# in_force_unknown: whether the province applied it at all is not recorded.
WINDOW_PARAMS = {"from", "to", "unknown_before", "in_force_unknown"}
PARAM_CHOICES = {
    "hukou": {"both", "either", "husband", "wife"},
    "who": {"both", "either"},
}


def _in_force(params: dict, day: datetime.date) -> Outcome:
    start, end = _date(params.get("from")), _date(params.get("to"))
    if start and day < start:
        return False, f"该条件自{start}起适用", f"the condition applies from {start}"
    if end and day > end:
        return False, f"该条件适用至{end}", f"the condition applied until {end}"
    if params.get("in_force_unknown"):
        return (
            None,
            "本地是否施行该条件未记录",
            "whether this province applied the condition is not recorded",
        )
    unknown_before = _date(params.get("unknown_before"))
    if unknown_before and day < unknown_before:
        return (
            None,
            f"本地施行该条件的日期未记录（{unknown_before}起确定施行）",
            f"when this province began applying it is not recorded (certain from {unknown_before})",
        )
    return True, "", ""


def evaluate_condition(
    condition: ConditionSpec, facts: CoupleFacts, regime: RegimeSpec, day: datetime.date
) -> ConditionResult:
    in_force, window_zh, window_en = _in_force(condition.params, day)
    met, fact_zh, fact_en = TESTS[condition.test](facts, regime, condition.params)
    if window_zh:
        fact_zh, fact_en = f"{window_zh}；{fact_zh}", f"{window_en}; {fact_en}"
    return ConditionResult(
        condition.code, condition.name_zh, condition.name_en, condition.grants,
        all3([in_force, met]), fact_zh, fact_en,
    )  # fmt: skip


# --- evaluate ----------------------------------------------------------------------------------


def _marriage_requirement(facts: CoupleFacts) -> ConditionResult:
    basis_zh, basis_en = facts.married_basis
    zh = {True: "夫妻双方在该日期为婚姻关系", False: "该日期双方不是夫妻",
          None: "未登记双方的婚姻"}[facts.married]  # fmt: skip
    en = {True: "the two were married to each other on the date",
          False: "the two were not married to each other on the date",
          None: "no marriage between the two is recorded"}[facts.married]  # fmt: skip
    return ConditionResult(
        "married_couple", "夫妻", "married couple", None, facts.married,
        zh + (f"（{basis_zh}）" if basis_zh else ""), en + (f" ({basis_en})" if basis_en else ""),
    )  # fmt: skip


def evaluate(
    facts: CoupleFacts, regimes: Iterable[RegimeSpec], on_date: datetime.date | None = None
) -> Entitlement:
    """The couple's entitlement on the date under the regime then in force (see the module)."""
    day = on_date or facts.on_date
    regime = select_regime(regimes, day)
    counted = facts.children_counted
    if regime is None:
        return Entitlement(
            day, None, None, None, counted, (), (),
            f"{day}无生育政策规定的记录（1980-09-25公开信之前），不设生育数量限制",
            f"no birth-policy regime is recorded for {day} (before the open letter of "
            "1980-09-25): no limit is recorded",
        )  # fmt: skip
    results = tuple(evaluate_condition(c, facts, regime, day) for c in regime.conditions)
    base = regime.base_children
    entitled = max([base, *(c.grants for c in results if c.met is True and c.grants)])
    possible = max([base, *(c.grants for c in results if c.met is not False and c.grants)])
    requirements: tuple[ConditionResult, ...] = ()
    if regime.requires_marriage:
        requirement = _marriage_requirement(facts)
        requirements = (requirement,)
        if requirement.met is False:
            entitled = possible = 0
        elif requirement.met is None:
            entitled = 0
    summary_zh, summary_en = _summary(regime, entitled, possible, counted, results, requirements)
    return Entitlement(
        day, regime, entitled, possible, counted, requirements, results, summary_zh, summary_en
    )


def _summary(regime, entitled, possible, counted, results, requirements) -> tuple[str, str]:
    met = [c for c in results if c.met is True]
    unknown = [c for c in (*requirements, *results) if c.met is None]
    zh = f"{regime.name_zh}：可生育{entitled}个子女"
    en = f"{regime.name_en}: entitled to {entitled} child(ren)"
    if met:
        zh += "（" + "、".join(c.name_zh for c in met) + "）"
        en += " (" + ", ".join(c.name_en for c in met) + ")"
    if possible != entitled:
        zh += f"；若不详事实（{'、'.join(c.name_zh for c in unknown)}）成立，可至{possible}个"
        en += (
            f"; up to {possible} if unknown facts ({', '.join(c.name_en for c in unknown)}) "
            "turn out in the couple's favour"
        )
    if any(r.met is False for r in requirements):
        zh += "；该日期双方不是夫妻"
        en += "; the two were not married on the date"
    zh += f"；已计子女{counted}个"
    en += f"; {counted} child(ren) counted so far"
    return zh, en


# --- classify ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Classification:
    status: str
    order_used: int | None
    delivery_order: int | None  # the counted order of the delivery's first baby
    summary_zh: str
    summary_en: str


def classify(
    entitlement: Entitlement, order: int | None, delivery_order: int | None = None
) -> Classification:
    """A birth of counted order `order` whose delivery began at `delivery_order` (plural
    births: if the delivery's first baby is within the entitlement, every baby of it is)."""
    first = delivery_order if delivery_order is not None else order
    plural = first is not None and order is not None and order != first
    if entitlement.regime is None:
        return Classification(
            NOT_APPLICABLE, order, first, "出生时无生育政策规定记录：不适用",
            "no birth-policy regime recorded at the birth: not applicable",
        )  # fmt: skip
    if first is None:
        return Classification(
            UNKNOWN, order, first, "孩次不详，无法判断", "the birth order is unknown"
        )
    zh = f"第{order}孩" + (f"（同胎第一个为第{first}孩）" if plural else "")
    en = f"child {order}" + (f" (the delivery began at child {first})" if plural else "")
    entitled, possible = entitlement.entitled or 0, entitlement.possible or 0
    if first <= entitled:
        return Classification(
            WITHIN, order, first, f"{zh}，在可生育{entitled}个之内：政策内",
            f"{en}, within the entitlement of {entitled}: within the regime",
        )  # fmt: skip
    if first > possible:
        return Classification(
            OUTSIDE, order, first, f"{zh}，超过可生育的{possible}个：政策外",
            f"{en}, beyond the entitlement of {possible}: outside the regime",
        )  # fmt: skip
    unknown = "、".join(entitlement.unknown) or "—"
    return Classification(
        UNKNOWN, order, first,
        f"{zh}，已知事实可生育{entitled}个，若不详事实（{unknown}）成立可至{possible}个：不详",
        f"{en}; the known facts allow {entitled}, up to {possible} if unknown facts ({unknown}) "
        "hold: unknown",
    )  # fmt: skip


def window_start(day: datetime.date) -> datetime.date:
    """The earliest day a marriage may have been in force and still count for a birth on
    `day` (the pregnancy)."""
    try:
        return day - datetime.timedelta(days=MARRIAGE_WINDOW_DAYS)
    except OverflowError:
        return datetime.date.min
