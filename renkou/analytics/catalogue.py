"""The indicator catalogue: each indicator a named, documented Ibis expression.

An indicator is a function `(tables, query) -> ibis.Table` over the snapshot's tables
(`renkou.analytics.snapshot`) with the same output columns for all of them:

    unit         code of the org unit at the query's level (district … group)
    dim          a breakdown ("" when none): "M:15-19", "1", "2", "3+" …
    numerator    float
    denominator  float (null where the indicator has none)
    value        float: the indicator
    lower/upper  95% confidence interval where the indicator has one (null otherwise)

One definition serves every engine Ibis drives (DuckDB in-process, PySpark at scale) and
every unit level and period (month, quarter, year). Numerators and denominators are counts,
so they add up from a unit to its parent; values never do. Definitions and the CI method
are in docs/analytics.md.

Conventions
- Population on a day: persons whose `present_from <= day < present_until` (the registered
  population: born or moved in before, not dead or gone since).
- Rates use the mid-period population (`Period.middle`: 1 July for a year) as the average
  population, and are annualised: a quarter's rate × 4, a month's × 12.
- Ages are completed years on the day in question (on the birth day for mothers).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import ibis
from django.utils.translation import gettext_noop as _  # marks names; translated on display
from ibis import _ as deferred
from ibis.expr.types import Table

from renkou.analytics.exporting import LEVELS
from renkou.analytics.periods import Period, ymd

Z95 = 1.959963984540054  # the 0.975 quantile of the standard normal
AGE_GROUPS = 18  # 0-4 … 80-84, 85+
FERTILE = range(3, 10)  # 5-year groups 15-19 … 45-49 (group index = age // 5)
PAYERS = ("central", "provincial", "local")  # cost shares of benefit payments


def age_group_label(index: int) -> str:
    return "85+" if index >= AGE_GROUPS - 1 else f"{5 * index:02d}-{5 * index + 4:02d}"


@dataclass(frozen=True)
class Query:
    """What to compute: periods (all of one kind), the unit levels to group by, and
    optionally only the units under one unit (`within` = (level, code)): the drill-down.

    Several periods and levels go into one query (a `period` and a `level` column), so a
    dashboard or a whole year for every unit is one round trip to the engine."""

    periods: tuple[Period, ...]
    levels: tuple[str, ...] = ("township",)
    within: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if not self.periods or len({p.kind for p in self.periods}) != 1:
            raise ValueError("give one or more periods of one kind")
        for level in (*self.levels, *(self.within[:1] if self.within else ())):
            if level not in LEVELS:
                raise ValueError(f"unknown level {level!r}")

    @classmethod
    def of(cls, period, level="township", within=None) -> Query:
        """Convenience: a period (or list of them, Period or text) and a level (or list)."""
        periods = period if isinstance(period, list | tuple) else [period]
        levels = (level,) if isinstance(level, str) else tuple(level)
        parsed = tuple(p if isinstance(p, Period) else Period.parse(p) for p in periods)
        return cls(periods=parsed, levels=levels, within=within)

    @property
    def per_year(self) -> int:
        return self.periods[0].per_year

    @property
    def kind(self) -> str:
        return self.periods[0].kind


Tables = dict[str, Table]
Compute = Callable[[Tables, Query], Table]


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str  # English msgid; the Chinese is in zh_Hans.po
    unit: str  # of the value: persons, ‰, %, days, children per woman, boys per 100 girls
    numerator: str
    denominator: str
    description: str
    compute: Compute | None = None  # None: pending (the data are not in the snapshot yet)
    dims: str = ""  # what `dim` holds

    @property
    def pending(self) -> bool:
        return self.compute is None

    @property
    def is_count(self) -> bool:
        """A plain count (no denominator): a unit without rows has zero."""
        return not self.denominator


CATALOGUE: dict[str, Indicator] = {}


def indicator(code: str, name: str, unit: str, numerator: str, denominator: str, dims: str = ""):
    def decorate(fn: Compute) -> Compute:
        CATALOGUE[code] = Indicator(
            code, name, unit, numerator, denominator, (fn.__doc__ or "").strip(), fn, dims
        )
        return fn

    return decorate


def pending(code: str, name: str, unit: str, numerator: str, denominator: str, note: str):
    CATALOGUE[code] = Indicator(code, name, unit, numerator, denominator, note, None)


# --- building blocks ------------------------------------------------------------------------


KEYS = ["level", "unit", "period", "dim"]


def scoped(table: Table, query: Query) -> Table:
    """Rows of the units under `query.within` (the drill-down), all rows otherwise."""
    if query.within:
        table = table.filter(table[f"{query.within[0]}_code"] == query.within[1])
    return table


def grain(query: Query, dim: bool = True) -> list[str]:
    """The finest grouping: the code of each level asked for, the period (and the dim)."""
    return [*(f"{level}_code" for level in query.levels), "period", *(["dim"] if dim else [])]


def rollup(tally: Table, query: Query, *sums: str) -> Table:
    """Counts at the finest grain rolled up to each level asked for: `level`, `unit` (the
    code at that level) and the sums. Counts add up from a unit to its parent, so rows are
    grouped once, at the finest grain, and only the small tally is multiplied by the levels
    (a cross join with a table of level names)."""
    if len(query.levels) == 1:
        level = query.levels[0]
        code = tally[f"{level}_code"]
        units = tally.filter(code.notnull()).mutate(unit=code, level=ibis.literal(level))
    else:
        both = tally.cross_join(_memtable((("level", tuple(query.levels)),)))
        unit = ibis.cases(*((both.level == lvl, both[f"{lvl}_code"]) for lvl in query.levels))
        units = both.mutate(unit=unit)
        units = units.filter(units.unit.notnull())
    return units.group_by(KEYS).aggregate(**{name: units[name].sum() for name in sums})


@functools.lru_cache(maxsize=64)
def _memtable(columns: tuple[tuple[str, tuple], ...]) -> Table:
    """A small constant table, the same object for the same data, so an engine registers it
    once however many indicators use it (Spark plans each registration)."""
    return ibis.memtable({name: list(values) for name, values in columns})


def period_key(table: Table, kind: str):
    """The integer key of the period a dated row falls in (see Period.key)."""
    year = table.year.cast("int32")
    if kind == "year":
        return year
    if kind == "quarter":
        return (year * 10 + table.quarter.cast("int32")).cast("int32")
    return (year * 100 + table.month.cast("int32")).cast("int32")


def dated(table: Table, query: Query) -> Table:
    """Dated rows (events, classifications) in the query's periods, with `period`."""
    table = scoped(table, query)
    table = table.mutate(period=period_key(table, query.kind))
    return table.filter(table.period.isin([p.key for p in query.periods]))


def on_day(persons: Table, query: Query, which: str) -> Table:
    """Persons present on each period's `which` day ("middle" or "end"), one row per
    person and period, with the day as `day` (yyyymmdd) and `age` in completed years."""
    days = [getattr(p, which) for p in query.periods]
    periods = _memtable((
        ("period", tuple(p.key for p in query.periods)),
        ("day", tuple(ymd(day) for day in days)),
        ("day_year", tuple(day.year for day in days)),
        ("day_md", tuple(day.month * 100 + day.day for day in days)),
    ))  # fmt: skip
    both = scoped(persons, query).cross_join(periods)
    both = both.filter((both.present_from <= both.day) & (both.present_until > both.day))
    age = (both.day_year - both.birth_year) - (both.birth_md > both.day_md).cast("int32")
    return both.mutate(age=age, period=both.period.cast("int32"))


def events_in(tables: Tables, query: Query, kind: str) -> Table:
    events = dated(tables["events"], query)
    return events.filter(events.kind == kind)


def counts(table: Table, query: Query, dim=None) -> Table:
    """Rows per finest grain (level codes, period, dim) as `n`; dim "" when there is none."""
    table = table.mutate(dim=ibis.literal("") if dim is None else dim.cast("string"))
    return table.group_by(grain(query)).aggregate(n=deferred.count())


def ratio(
    num: Table, den: Table, scale: float, query: Query, *, drop_empty_den: bool = True
) -> Table:
    """numerator / denominator × scale per level, unit, period and dim; a union, not an
    outer join, so keys present on one side only keep zeros (and every engine agrees)."""
    keys = grain(query)
    both = num.select(
        *keys, numerator=deferred.n.cast("float64"), denominator=ibis.literal(0.0)
    ).union(den.select(*keys, numerator=ibis.literal(0.0), denominator=deferred.n.cast("float64")))
    summed = rollup(both, query, "numerator", "denominator")
    if drop_empty_den:
        summed = summed.filter(deferred.denominator > 0)
    value = ibis.ifelse(
        summed.denominator > 0, summed.numerator * scale / summed.denominator, ibis.null()
    )
    return finish(summed.mutate(value=value))


def finish(table: Table, lower=None, upper=None) -> Table:
    null = ibis.null().cast("float64")
    return table.select(
        level=table.level,
        unit=table.unit,
        period=table.period.cast("int32"),
        dim=table.dim,
        numerator=table.numerator.cast("float64"),
        denominator=table.denominator.cast("float64") if "denominator" in table.columns else null,
        value=table.value.cast("float64"),
        lower=null if lower is None else lower.cast("float64"),
        upper=null if upper is None else upper.cast("float64"),
    )


def count_indicator(table: Table, query: Query, dim=None) -> Table:
    tally = rollup(counts(table, query, dim), query, "n")
    return finish(
        tally.mutate(numerator=tally.n, denominator=ibis.null().cast("float64"), value=tally.n)
    )


def sum_indicator(table: Table, query: Query) -> Table:
    """Σ `n` (an amount) per level, unit, period and `dim`: value = numerator = the sum."""
    tally = table.group_by(grain(query)).aggregate(n=table.n.cast("float64").sum())
    tally = rollup(tally, query, "n")
    return finish(
        tally.mutate(numerator=tally.n, denominator=ibis.null().cast("float64"), value=tally.n)
    )


def mean_indicator(table: Table, query: Query, days: str) -> Table:
    """Mean of the column `days` per level, unit and period: Σ days / rows."""
    table = table.mutate(dim=ibis.literal(""))
    tally = table.group_by(grain(query)).aggregate(
        numerator=table[days].sum().cast("float64"), denominator=deferred.count()
    )
    tally = rollup(tally, query, "numerator", "denominator")
    return finish(tally.mutate(value=tally.numerator / tally.denominator))


def issued_in(tables: Tables, query: Query) -> Table:
    """Birth applications whose registration number was issued in the period."""
    rows = dated(tables["birth_registrations"], query)
    return rows.filter(rows.issued)


def paid_lines(tables: Tables, query: Query) -> Table:
    rows = dated(tables["benefit_payments"], query)
    return rows.filter(rows.paid)


def mid_population(tables: Tables, query: Query) -> Table:
    return counts(on_day(tables["persons"], query, "middle"), query)


def women_by_age_group(tables: Tables, query: Query) -> Table:
    women = on_day(tables["persons"], query, "middle").filter(deferred.sex == "F")
    women = women.mutate(group=women.age // 5)
    women = women.filter(women.group.isin(list(FERTILE)))
    return counts(women, query, women.group.cast("string"))


def births_by_mother_age_group(tables: Tables, query: Query) -> Table:
    births = events_in(tables, query, "birth")
    births = births.mutate(group=births.mother_age // 5)
    births = births.filter(births.group.isin(list(FERTILE)))
    return counts(births, query, births.group.cast("string"))


def order_label(column):
    return ibis.cases(
        (column.isnull(), "unknown"),
        (column >= 3, "3+"),
        else_=column.cast("string"),
    )


def sex_ratio(births: Table, query: Query, dim=None) -> Table:
    """Boys per 100 girls with the 95% interval exp(ln(m/f) ± z·√(1/m + 1/f)) × 100."""
    births = births.mutate(
        dim=ibis.literal("") if dim is None else dim, boy=(deferred.sex == "M").cast("int64"),
        girl=(deferred.sex == "F").cast("int64"),
    )  # fmt: skip
    tally = births.group_by(grain(query)).aggregate(m=deferred.boy.sum(), f=deferred.girl.sum())
    tally = rollup(tally, query, "m", "f")
    m, f = tally.m.cast("float64"), tally.f.cast("float64")
    both = (tally.m > 0) & (tally.f > 0)
    spread = Z95 * (1.0 / m + 1.0 / f).sqrt()
    log_ratio = (m / f).log()
    tally = tally.mutate(
        numerator=m,
        denominator=f,
        value=ibis.ifelse(tally.f > 0, 100.0 * m / f, ibis.null()),
    )
    lower = ibis.ifelse(both, 100.0 * (log_ratio - spread).exp(), ibis.null())
    upper = ibis.ifelse(both, 100.0 * (log_ratio + spread).exp(), ibis.null())
    return finish(tally, lower, upper)


# --- population ----------------------------------------------------------------------------


@indicator(
    "population",
    _("Population"),
    _("people"),
    "persons present at the end of the period",
    "",
)
def population(tables: Tables, query: Query) -> Table:
    """Registered population at the end of the period (last day)."""
    return count_indicator(on_day(tables["persons"], query, "end"), query)


@indicator(
    "population_mid", _("Average population"), _("people"),
    "persons present on the middle day of the period (1 July for a year)", "",
)  # fmt: skip
def population_mid(tables: Tables, query: Query) -> Table:
    """The average population of the rates: the population on the period's middle day."""
    return count_indicator(on_day(tables["persons"], query, "middle"), query)


@indicator(
    "population_by_sex_age", _("Population by sex and age group"), _("people"),
    "persons present at the end of the period, by sex and 5-year age group", "",
    dims="sex:age group, e.g. F:15-19 (85+ is the last group)",
)  # fmt: skip
def population_by_sex_age(tables: Tables, query: Query) -> Table:
    """The population pyramid: persons present at the end of the period."""
    persons = on_day(tables["persons"], query, "end")
    group = ibis.least(persons.age // 5, AGE_GROUPS - 1)
    labels = ibis.cases(*((group == i, age_group_label(i)) for i in range(AGE_GROUPS)))
    return count_indicator(persons, query, persons.sex + ":" + labels)


@indicator(
    "inflow_population", _("Inflow population"), _("people"),
    "inflow (流入) persons present at the end of the period, floating since before it ended", "",
)  # fmt: skip
def inflow_population(tables: Tables, query: Query) -> Table:
    """Persons living here with their household registration elsewhere (流入人口)."""
    persons = on_day(tables["persons"], query, "end")
    inflow = persons.filter(persons.inflow & (persons.floating_since_ymd <= deferred.day))
    return count_indicator(inflow, query)


@indicator(
    "outflow_population", _("Outflow population"), _("people"),
    "outflow (流出) persons registered here at the end of the period, living elsewhere", "",
)  # fmt: skip
def outflow_population(tables: Tables, query: Query) -> Table:
    """Persons registered here who live elsewhere (流出人口)."""
    persons = on_day(tables["persons"], query, "end")
    outflow = persons.filter(persons.outflow & (persons.floating_since_ymd <= deferred.day))
    return count_indicator(outflow, query)


@indicator("moves_in", _("Moves in"), _("moves"), "move-in events in the period", "")
def moves_in(tables: Tables, query: Query) -> Table:
    """Move-in events (迁入 and 流入) dated in the period."""
    return count_indicator(events_in(tables, query, "move_in"), query)


@indicator(
    "moves_out",
    _("Moves out"),
    _("moves"),
    "move-out events in the period",
    "",
)
def moves_out(tables: Tables, query: Query) -> Table:
    """Move-out events (迁出 and 流出) dated in the period."""
    return count_indicator(events_in(tables, query, "move_out"), query)


# --- births and fertility ------------------------------------------------------------------


@indicator("births", _("Births"), _("live births"), "live births in the period", "")
def births(tables: Tables, query: Query) -> Table:
    """Live births dated in the period (each baby of a multiple birth counts)."""
    return count_indicator(events_in(tables, query, "birth"), query)


@indicator(
    "births_by_order", _("Births by order"), _("live births"),
    "live births in the period by the child's order among the mother's children", "",
    dims="1, 2, 3+ or unknown",
)  # fmt: skip
def births_by_order(tables: Tables, query: Query) -> Table:
    """Births by birth order (孩次) among the mother's live-born children."""
    births = events_in(tables, query, "birth")
    return count_indicator(births, query, order_label(births.birth_order))


@indicator(
    "crude_birth_rate", _("Crude birth rate"), "‰", "live births in the period",
    "average (mid-period) population",
)  # fmt: skip
def crude_birth_rate(tables: Tables, query: Query) -> Table:
    """Births per 1000 of the average population, annualised."""
    scale = 1000.0 * query.per_year
    return ratio(
        counts(events_in(tables, query, "birth"), query),
        mid_population(tables, query),
        scale,
        query,
    )


@indicator(
    "general_fertility_rate", _("General fertility rate"), "‰", "live births in the period",
    "women aged 15–49 on the middle day of the period",
)  # fmt: skip
def general_fertility_rate(tables: Tables, query: Query) -> Table:
    """Births (to mothers of any age) per 1000 women aged 15–49, annualised."""
    women = women_by_age_group(tables, query)
    women = women.group_by(grain(query, dim=False)).aggregate(n=deferred.n.sum())
    women = women.mutate(dim=ibis.literal(""))
    scale = 1000.0 * query.per_year
    return ratio(counts(events_in(tables, query, "birth"), query), women, scale, query)


@indicator(
    "age_specific_fertility_rate", _("Age-specific fertility rate"), "‰",
    "live births to mothers of the age group (age at the birth)",
    "women of the age group on the middle day of the period", dims="age group 15-19 … 45-49",
)  # fmt: skip
def age_specific_fertility_rate(tables: Tables, query: Query) -> Table:
    """ASFR: births to mothers aged a–a+4 per 1000 women aged a–a+4, annualised."""
    scale = 1000.0 * query.per_year
    rates = ratio(
        births_by_mother_age_group(tables, query),
        women_by_age_group(tables, query),
        scale,
        query,
    )
    labels = ibis.cases(*((rates.dim == str(i), age_group_label(i)) for i in FERTILE))
    return rates.mutate(dim=labels)


@indicator(
    "total_fertility_rate", _("Total fertility rate"), _("children per woman"),
    "live births to mothers aged 15–49", "women aged 15–49 (mid-period)",
)  # fmt: skip
def total_fertility_rate(tables: Tables, query: Query) -> Table:
    """TFR = 5 × Σ ASFR (7 five-year groups 15–49) / 1000."""
    rates = age_specific_fertility_rate(tables, query)
    tfr = rates.group_by(KEYS[:3]).aggregate(
        numerator=deferred.numerator.sum(),
        denominator=deferred.denominator.sum(),
        value=deferred.value.sum(),
    )
    return finish(tfr.mutate(dim=ibis.literal(""), value=tfr.value * 5.0 / 1000.0))


@indicator(
    "sex_ratio_at_birth", _("Sex ratio at birth"), _("boys per 100 girls"), "boys born",
    "girls born",
)  # fmt: skip
def sex_ratio_at_birth(tables: Tables, query: Query) -> Table:
    """SRB = 100 × boys / girls, 95% CI exp(ln(m/f) ± 1.96·√(1/m + 1/f)) × 100."""
    return sex_ratio(events_in(tables, query, "birth"), query)


@indicator(
    "sex_ratio_at_birth_by_order", _("Sex ratio at birth by birth order"),
    _("boys per 100 girls"),
    "boys born of the order", "girls born of the order", dims="1, 2, 3+ or unknown",
)  # fmt: skip
def sex_ratio_at_birth_by_order(tables: Tables, query: Query) -> Table:
    """SRB of first, second, third and later births, each with its 95% interval."""
    births = events_in(tables, query, "birth")
    return sex_ratio(births, query, order_label(births.birth_order))


@indicator(
    "policy_compliance_rate", _("Policy-compliance rate"), "%",
    "births within the regime in force", "births within or outside the regime",
)  # fmt: skip
def policy_compliance_rate(tables: Tables, query: Query) -> Table:
    """Share of classified births within the regime (政策内); 'unknown' and 'not applicable'
    are left out of both numerator and denominator."""
    rows = dated(tables["birth_classifications"], query)
    rows = rows.filter(rows.status.isin(["within", "outside"]))
    within = counts(rows.filter(rows.status == "within"), query)
    return ratio(within, counts(rows, query), 100.0, query)


@indicator(
    "registrations", _("Birth registrations issued"), _("registrations"),
    "birth registrations and approvals issued in the period (renkou/births)", "",
)  # fmt: skip
def registrations(tables: Tables, query: Query) -> Table:
    """Registration numbers issued (生育登记 and 再生育审批) dated by the issue date, by the
    wife's unit; a registration cancelled later still counts where it was issued."""
    return count_indicator(issued_in(tables, query), query)


@indicator(
    "registration_delay", _("Registration timeliness (mean days)"), _("days"),
    "days from submission to issue, summed over the registrations issued in the period",
    "registrations issued in the period with a submission date",
)  # fmt: skip
def registration_delay(tables: Tables, query: Query) -> Table:
    """Mean days from an application's first submission to the issue of its registration
    number, over the registrations issued in the period (renkou/births)."""
    rows = issued_in(tables, query)
    rows = rows.filter(rows.submit_to_issue_days.notnull())
    return mean_indicator(rows, query, "submit_to_issue_days")


@indicator(
    "registration_within_30_days", _("Registrations issued within 30 days of submission"), "%",
    "registrations issued at most 30 days after submission",
    "registrations issued in the period with a submission date",
)  # fmt: skip
def registration_within_30_days(tables: Tables, query: Query) -> Table:
    """Share of the period's registrations issued within 30 days of submission."""
    rows = issued_in(tables, query)
    rows = rows.filter(rows.submit_to_issue_days.notnull())
    timely = counts(rows.filter(rows.submit_to_issue_days <= 30), query)
    return ratio(timely, counts(rows, query), 100.0, query)


@indicator(
    "recording_delay", _("Birth recording delay (mean days)"), _("days"),
    "days from birth to recording in the registry, summed over the period's births",
    "births with a record date",
)  # fmt: skip
def recording_delay(tables: Tables, query: Query) -> Table:
    """Mean days from a birth to its recording in the registry (meaningful only for births
    entered through the application; bulk-loaded births carry the load time)."""
    births = events_in(tables, query, "birth")
    births = births.filter(births.registration_delay_days.notnull())
    return mean_indicator(births, query, "registration_delay_days")


@indicator(
    "recorded_within_30_days", _("Births recorded within 30 days"), "%",
    "births recorded at most 30 days after the birth", "births with a record date",
)  # fmt: skip
def recorded_within_30_days(tables: Tables, query: Query) -> Table:
    """Share of the period's births recorded in the registry within 30 days."""
    births = events_in(tables, query, "birth")
    births = births.filter(births.registration_delay_days.notnull())
    timely = counts(births.filter(births.registration_delay_days <= 30), query)
    return ratio(timely, counts(births, query), 100.0, query)


# --- deaths and growth ---------------------------------------------------------------------


@indicator("deaths", _("Deaths"), _("deaths"), "deaths in the period", "")
def deaths(tables: Tables, query: Query) -> Table:
    """Deaths dated in the period."""
    return count_indicator(events_in(tables, query, "death"), query)


@indicator(
    "crude_death_rate", _("Crude death rate"), "‰", "deaths in the period",
    "average (mid-period) population",
)  # fmt: skip
def crude_death_rate(tables: Tables, query: Query) -> Table:
    """Deaths per 1000 of the average population, annualised."""
    scale = 1000.0 * query.per_year
    return ratio(
        counts(events_in(tables, query, "death"), query),
        mid_population(tables, query),
        scale,
        query,
    )


@indicator(
    "natural_growth_rate", _("Natural growth rate"), "‰", "births minus deaths in the period",
    "average (mid-period) population",
)  # fmt: skip
def natural_growth_rate(tables: Tables, query: Query) -> Table:
    """(Births − deaths) per 1000 of the average population, annualised (= CBR − CDR)."""
    net = counts(events_in(tables, query, "birth"), query).union(
        counts(events_in(tables, query, "death"), query).mutate(n=-deferred.n)
    )
    net = net.group_by(grain(query)).aggregate(n=deferred.n.sum())
    scale = 1000.0 * query.per_year
    return ratio(net, mid_population(tables, query), scale, query)


# --- benefits ------------------------------------------------------------------------------


@indicator(
    "benefit_beneficiaries", _("Benefit beneficiaries by programme"), _("people"),
    "approved beneficiaries (new and continuing) of the year's approved cycles", "",
    dims="programme code",
)  # fmt: skip
def benefit_beneficiaries(tables: Tables, query: Query) -> Table:
    """Persons approved in the year's qualification cycle of each programme (exits left
    out), by the beneficiary's unit. Annual: quarters and months have no rows."""
    rows = dated(tables["benefit_beneficiaries"], query)
    return count_indicator(rows, query, rows.programme)


@indicator(
    "benefit_amounts", _("Benefit amounts paid by programme"), _("yuan"),
    "amounts of the roster lines paid (bank result: paid) on the year's rosters", "",
    dims="programme code",
)  # fmt: skip
def benefit_amounts(tables: Tables, query: Query) -> Table:
    """Yuan paid per programme: roster lines with status paid, by the line's unit and the
    year of the roster's cycle (a failed payment re-paid later counts once, when paid)."""
    rows = paid_lines(tables, query)
    return sum_indicator(rows.mutate(dim=rows.programme, n=rows.amount), query)


@indicator(
    "benefit_amounts_by_payer", _("Benefit amounts paid by payer"), _("yuan"),
    "shares of the paid amounts borne by each level of government", "",
    dims="central, provincial or local",
)  # fmt: skip
def benefit_amounts_by_payer(tables: Tables, query: Query) -> Table:
    """The paid amounts split by cost share (central / provincial / local government);
    the three add up to `benefit_amounts` over all programmes."""
    rows = paid_lines(tables, query)
    keys = [*(f"{level}_code" for level in query.levels), "period"]
    parts = [rows.select(*keys, dim=ibis.literal(payer), n=rows[payer]) for payer in PAYERS]
    both = ibis.union(*parts, distinct=False)
    return sum_indicator(both.filter(both.n != 0), query)


# --- pending: their tables are not in the snapshot yet -------------------------------------

pending(
    "service_coverage", _("Service coverage"), "%", "persons served in the period",
    "persons eligible for the service",
    "Pending: needs the care (service records) tables in the snapshot.",
)  # fmt: skip


def active() -> list[Indicator]:
    """The indicators that can be computed now (not pending)."""
    return [item for item in CATALOGUE.values() if not item.pending]
