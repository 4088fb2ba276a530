"""Reads of analytics: the latest snapshot and the dashboard's figures, from its Parquet files
through DuckDB (one engine and a result cache per snapshot). Never the operational tables."""

from __future__ import annotations

import functools
import hashlib
import math
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from django.http import Http404

from renkou.analytics.catalogue import AGE_GROUPS, CATALOGUE, Query, age_group_label
from renkou.analytics.engines import Engine
from renkou.analytics.exporting import LEVELS
from renkou.analytics.models import Snapshot
from renkou.analytics.periods import Period

if TYPE_CHECKING:
    from renkou.core.models import OrgUnit, User

CARDS = (
    "population", "births", "crude_birth_rate", "general_fertility_rate",
    "total_fertility_rate", "sex_ratio_at_birth", "policy_compliance_rate", "deaths",
    "crude_death_rate", "natural_growth_rate", "inflow_population", "outflow_population",
    "registrations", "registration_delay",
)  # fmt: skip
TREND = ("births", "deaths", "crude_birth_rate", "crude_death_rate")
UNIT_TABLE = (
    "population", "births", "crude_birth_rate", "total_fertility_rate", "sex_ratio_at_birth",
    "deaths", "policy_compliance_rate",
)  # fmt: skip
TREND_PERIODS = 8
SPARK_PERIODS = 5


def latest_snapshot() -> Snapshot | None:
    """The newest recorded snapshot whose files still exist."""
    for snapshot in Snapshot.objects.order_by("-created_at", "-pk")[:5]:
        if (Path(snapshot.path) / "persons.parquet").exists():
            return snapshot
    return None


@functools.lru_cache(maxsize=2)
def engine_for(path: str) -> Engine:
    return Engine(Path(path), "duckdb")


@functools.lru_cache(maxsize=4)
def units_of(path: str) -> pd.DataFrame:
    """The snapshot's units table (small; read without starting an engine)."""
    return pd.read_parquet(Path(path) / "units.parquet")


def unit_names(path: str) -> dict[str, str]:
    units = units_of(path)
    return dict(zip(units.code, units.name, strict=True))


_cache: dict[tuple, pd.DataFrame] = {}
_cache_lock = threading.Lock()
CACHE_LIMIT = 256


def _disk_key(query: Query, indicators: tuple[str, ...]) -> str:
    text = repr((query.periods, query.levels, query.within, indicators))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def compute(path: str, query: Query, indicators: tuple[str, ...]) -> pd.DataFrame:
    """The catalogue subset for a query, cached in memory and in the snapshot's `cache/`
    directory (a snapshot never changes, so neither do its figures)."""
    key = (path, query, indicators)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    file = Path(path) / "cache" / f"{_disk_key(query, indicators)}.parquet"
    if file.exists():
        frame = pd.read_parquet(file)
    else:
        frame = engine_for(path).run(query, indicators)
        _store(file, frame)
    with _cache_lock:
        if len(_cache) >= CACHE_LIMIT:
            _cache.clear()
        _cache[key] = frame
    return frame


def _store(file: Path, frame: pd.DataFrame) -> None:
    try:
        file.parent.mkdir(exist_ok=True)
        partial = file.with_suffix(f".{os.getpid()}.tmp")
        frame.to_parquet(partial, index=False)
        os.replace(partial, file)
    except OSError:  # a read-only snapshot directory: the memory cache still serves
        pass


def level_of(unit: OrgUnit) -> str:
    return LEVELS[unit.level - 1]


def child_level(unit: OrgUnit) -> str | None:
    return LEVELS[unit.level] if unit.level < len(LEVELS) else None


def dashboard_unit(user: User, code: str | None) -> OrgUnit:
    """The unit asked for if the user may see it (404 otherwise), else the user's own."""
    from renkou.core.queries import units_visible_to

    visible = units_visible_to(user)
    if code:
        unit = visible.filter(code=code).first()
        if unit is None:
            raise Http404
        return unit
    unit = visible.order_by("level", "path").first()
    if unit is None:
        raise Http404
    return unit


def default_period(snapshot: Snapshot) -> Period:
    """The last whole year before the snapshot was made."""
    return Period("year", snapshot.created_at.year - 1)


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _values(frame: pd.DataFrame, indicator: str) -> dict[str, dict[str, Any]]:
    rows = frame[frame.indicator == indicator]
    return {
        str(r.dim): {
            "value": _number(r.value), "numerator": _number(r.numerator),
            "denominator": _number(r.denominator), "lower": _number(r.lower),
            "upper": _number(r.upper),
        }
        for r in rows.itertuples(index=False)
    }  # fmt: skip


FIGURES = tuple(sorted(set(CARDS) | {"population_by_sex_age", "sex_ratio_at_birth_by_order"}))


def figures(path: str, period: Period) -> pd.DataFrame:
    """Every unit's card figures for the period and the one before: one query, cached."""
    return compute(path, Query((period.previous(), period), LEVELS), FIGURES)


def trends(path: str, period: Period) -> pd.DataFrame:
    """Every unit's trend figures for the last periods up to `period`: one query, cached."""
    return compute(path, Query(tuple(period.last(TREND_PERIODS)), LEVELS), TREND)


def warm(path: str, period: Period) -> None:
    """Compute and cache what the dashboard needs for `period` (after making a snapshot)."""
    figures(path, period)
    trends(path, period)


def _of(frame: pd.DataFrame, unit_code: str, period: Period | None = None) -> pd.DataFrame:
    rows = frame[frame.unit == unit_code]
    return rows if period is None else rows[rows.period == period.code]


def cards(path: str, unit: OrgUnit, period: Period) -> list[dict[str, Any]]:
    mine = _of(figures(path, period), unit.code)
    now, before = mine[mine.period == period.code], mine[mine.period == period.previous().code]
    result = []
    for code in CARDS:
        value = _card_value(now, code)
        previous = _card_value(before, code)
        change = value - previous if value is not None and previous is not None else None
        result.append({
            "code": code, "indicator": CATALOGUE[code], "value": value,
            "previous": previous, "change": change,
        })  # fmt: skip
    return result


def _card_value(frame: pd.DataFrame, code: str) -> float | None:
    """The value; a count missing where the unit has figures at all (a population) is 0."""
    value = _values(frame, code).get("", {}).get("value")
    if value is None and CATALOGUE[code].is_count and len(frame):
        return 0.0
    return value


def pyramid(path: str, unit: OrgUnit, period: Period) -> dict[str, Any]:
    mine = _of(figures(path, period), unit.code, period)
    counts = _values(mine, "population_by_sex_age")
    labels = [age_group_label(i) for i in range(AGE_GROUPS)]
    return {
        "labels": labels,
        "male": [-(counts.get(f"M:{g}", {}).get("value") or 0) for g in labels],
        "female": [counts.get(f"F:{g}", {}).get("value") or 0 for g in labels],
    }


def srb_by_order(path: str, unit: OrgUnit, period: Period) -> dict[str, Any]:
    mine = _of(figures(path, period), unit.code, period)
    overall = _values(mine, "sex_ratio_at_birth").get("", {})
    by_order = _values(mine, "sex_ratio_at_birth_by_order")
    rows = [("all", overall)] + [(key, by_order.get(key, {})) for key in ("1", "2", "3+")]
    return {
        "labels": [key for key, _ in rows],
        "value": [row.get("value") for _, row in rows],
        "lower": [row.get("lower") for _, row in rows],
        "upper": [row.get("upper") for _, row in rows],
        "boys": [row.get("numerator") for _, row in rows],
        "girls": [row.get("denominator") for _, row in rows],
    }


def trend(path: str, unit: OrgUnit, period: Period) -> dict[str, Any]:
    periods = period.last(TREND_PERIODS)
    mine = _of(trends(path, period), unit.code)
    series: dict[str, list] = {code: [] for code in TREND}
    for each in periods:
        frame = mine[mine.period == each.code]
        for code in TREND:
            series[code].append(_card_value(frame, code))
    return {"labels": [p.code for p in periods], "series": series}


def unit_table(path: str, unit: OrgUnit, period: Period) -> list[dict[str, Any]]:
    """The children of `unit` with the table's indicators and a births sparkline."""
    level = child_level(unit)
    if level is None:
        return []
    names = unit_names(path)
    prefix = f"{level_of(unit)}_code"
    units = units_of(path)
    codes = sorted(
        units[(units.level == LEVELS.index(level) + 1) & (units[prefix] == unit.code)].code
    )
    now = figures(path, period)
    now = now[(now.level == level) & (now.period == period.code) & (now.dim == "")]
    history = trends(path, period)
    history = history[(history.level == level) & (history.indicator == "births")]
    spark_periods = [p.code for p in period.last(SPARK_PERIODS)]
    rows = []
    for code in codes:
        mine = now[now.unit == code]
        values = {r.indicator: _number(r.value) for r in mine.itertuples(index=False)}
        past = history[history.unit == code]
        births = dict(zip(past.period, past.value, strict=True))
        spark = [float(births.get(p, 0.0)) for p in spark_periods]
        rows.append({"code": code, "name": names.get(code, code), "values": values, "spark": spark})
    return rows


def unit_table_frame(path: str, unit: OrgUnit, period: Period) -> pd.DataFrame:
    """The unit table for the XLSX download: one row per child unit, one column per indicator."""
    rows = unit_table(path, unit, period)
    data = [
        {"unit": r["code"], "unit_name": r["name"], "period": period.code,
         **{code: r["values"].get(code) for code in UNIT_TABLE}}
        for r in rows
    ]  # fmt: skip
    return pd.DataFrame(data, columns=["unit", "unit_name", "period", *UNIT_TABLE])


def indicators_frame(path: str, unit: OrgUnit, period: Period) -> pd.DataFrame:
    """Every indicator of the unit for the period (all breakdowns), for the XLSX download."""
    from renkou.analytics.catalogue import active

    level = level_of(unit)
    query = Query((period,), (level,), (level, unit.code))
    frame = compute(path, query, tuple(i.code for i in active())).copy()
    frame.insert(1, "indicator_name", [str(CATALOGUE[c].name) for c in frame.indicator])
    frame.insert(4, "unit_name", unit.name)
    return frame


def sparkline(values: list[float], width: int = 80, height: int = 20) -> str:
    """An SVG polyline's points for the values (drawn by the template, no script)."""
    if not values:
        return ""
    top = max(values) or 1.0
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values)
    )
