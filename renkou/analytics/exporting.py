"""What every analytics-snapshot table is built with: the org-unit index, the exporter
registry and the column helpers.

Each table has one column pair per org-unit level (`district_code`/`district_name`,
`township_…`, `village_…`, `group_…`, as DHIS2's analytics tables do) and, for dated rows,
period columns (`year`, `quarter`, `month`) and the date as an integer `yyyymmdd` so every
engine compares dates the same way. An exporter module registers its tables with
`@register_exporter("name")` and their expected sizes with `@counts_rows`; the analytics app
imports the exporter modules in AnalyticsConfig.ready() (registry, births, benefits, in that
order), so `renkou.analytics.snapshot` only writes what is registered.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CHUNK = 50_000
LEVELS = ("district", "township", "village", "group")
OPEN_END = 99991231  # present_until of a person still present


@dataclass
class UnitIndex:
    """Every org unit with its ancestors' codes and names at each level, by unit pk."""

    position: np.ndarray  # unit pk → row in the arrays below (-1: unknown)
    columns: dict[str, pa.Array] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def build(cls) -> UnitIndex:
        from renkou.core.models import OrgUnit

        units = list(OrgUnit.objects.values_list("pk", "code", "name", "level", "path", "kind"))
        by_pk = {pk: (code, name, level) for pk, code, name, level, _path, _kind in units}
        size = max((pk for pk, *_ in units), default=0) + 1
        position = np.full(size, -1, dtype=np.int64)
        values: dict[str, list] = {
            f"{lvl}_{part}": [] for lvl in LEVELS for part in ("code", "name")
        }
        rows = []
        for row, (pk, code, name, level, path, kind) in enumerate(units):
            position[pk] = row
            ancestors = [int(seg) for seg in path.split(".") if seg]
            found = {by_pk[a][2]: by_pk[a] for a in ancestors if a in by_pk}
            for number, lvl in enumerate(LEVELS, start=1):
                anc = found.get(number)
                values[f"{lvl}_code"].append(anc[0] if anc else None)
                values[f"{lvl}_name"].append(anc[1] if anc else None)
            parent = by_pk.get(ancestors[-2]) if len(ancestors) > 1 else None
            rows.append({
                "unit_id": pk, "code": code, "name": name, "level": level, "kind": kind,
                "parent_code": parent[0] if parent else None, "path": path,
            })  # fmt: skip
        columns = {key: pa.array(vals, type=pa.string()) for key, vals in values.items()}
        return cls(position=position, columns=columns, rows=rows)

    def org_columns(self, unit_ids: np.ndarray) -> dict[str, pa.Array]:
        """The level columns for a batch of unit pks."""
        safe = np.where(unit_ids < len(self.position), unit_ids, 0)
        rows = self.position[safe]
        rows = np.where(unit_ids < len(self.position), rows, -1)
        index = pa.array(rows, mask=rows < 0, type=pa.int64())
        return {key: pc.take(array, index) for key, array in self.columns.items()}


@dataclass
class Context:
    units: UnitIndex
    today: datetime.date


Exporter = Callable[[Context], Iterator[pa.RecordBatch]]
EXPORTERS: dict[str, Exporter] = {}


RowCounter = Callable[[], dict[str, int]]
ROW_COUNTERS: list[RowCounter] = []


def register_exporter(name: str) -> Callable[[Exporter], Exporter]:
    """Add a table to every snapshot: `fn(context)` yields pyarrow record batches."""

    def decorate(fn: Exporter) -> Exporter:
        EXPORTERS[name] = fn
        return fn

    return decorate


def counts_rows(counter: RowCounter) -> RowCounter:
    """Register `counter() -> {table: rows}`, the totals of the snapshot's progress bar."""
    ROW_COUNTERS.append(counter)
    return counter


def expected_rows() -> dict[str, int]:
    """Row counts to expect per table, for the progress bar's totals."""
    return {table: rows for counter in ROW_COUNTERS for table, rows in counter().items()}


# --- helpers ------------------------------------------------------------------------------


def chunks(queryset, fields: tuple[str, ...], size: int = CHUNK) -> Iterator[list[tuple]]:
    """Lists of up to `size` rows; at least one (maybe empty) list, so that every table is
    written with its columns even when it has no rows."""
    rows: list[tuple] = []
    sent = False
    for row in queryset.values_list(*fields).iterator(chunk_size=size):
        rows.append(row)
        if len(rows) >= size:
            yield rows
            sent, rows = True, []
    if rows or not sent:
        yield rows


def column(rows: list[tuple], index: int) -> list:
    return [row[index] for row in rows]


def dates(values: list) -> pa.Array:
    """datetime.date (or ISO text, or None) → date32."""
    if values and any(isinstance(v, str) for v in values):
        values = [datetime.date.fromisoformat(v) if isinstance(v, str) else v for v in values]
    return pa.array(values, type=pa.date32())


def ymd(array: pa.Array, missing: int | None = None) -> pa.Array:
    """date32 → int32 yyyymmdd (null stays null unless `missing` is given)."""
    number = pc.add(
        pc.add(pc.multiply(pc.year(array), 10000), pc.multiply(pc.month(array), 100)),
        pc.day(array),
    ).cast(pa.int32())
    if missing is not None:
        number = pc.fill_null(number, missing)
    return number


def period_columns(array: pa.Array) -> dict[str, pa.Array]:
    return {
        "year": pc.year(array).cast(pa.int16()),
        "quarter": pc.quarter(array).cast(pa.int8()),
        "month": pc.month(array).cast(pa.int8()),
    }


def age_years(born: pa.Array, on: pa.Array) -> pa.Array:
    """Completed years between two yyyymmdd int arrays."""
    b = born.to_numpy(zero_copy_only=False)
    o = on.to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        age = (o // 10000 - b // 10000) - ((o % 10000) < (b % 10000))
    mask = pc.or_(pc.is_null(born), pc.is_null(on)).to_numpy(zero_copy_only=False)
    return pa.array(np.where(mask, 0, age).astype(np.int16), mask=mask)


def with_org(batch: dict[str, pa.Array], units: UnitIndex, unit_ids: list) -> pa.RecordBatch:
    ids = np.asarray([u if u is not None else -1 for u in unit_ids], dtype=np.int64)
    ids = np.where(ids < 0, len(units.position), ids)
    batch.update(units.org_columns(ids))
    return pa.RecordBatch.from_pydict(batch)
