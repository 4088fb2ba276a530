"""The analytics snapshot: the registry exported to Parquet "analytics tables".

Each table has one column pair per org-unit level (`district_code`/`district_name`,
`township_…`, `village_…`, `group_…`, as DHIS2's analytics tables do) and, for dated rows,
period columns (`year`, `quarter`, `month`) and the date as an integer `yyyymmdd` so every
engine compares dates the same way. Rows are streamed from the database with
`.values_list().iterator(chunk_size=…)` into pyarrow record batches; nothing holds a whole
table of model instances.

Tables come from a registry of exporters (`EXPORTERS`): an app adds its own with
`@register_exporter("name")`; births registrations and benefits are registered from this
app (exporters_births.py, exporters_benefits.py) so those apps stay untouched.
Web requests never aggregate the operational tables: they read the latest snapshot.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

CHUNK = 50_000
LEVELS = ("district", "township", "village", "group")
OPEN_END = 99991231  # present_until of a person still present

Progress = Callable[[str, int], None]  # (table, rows written so far)


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


def register_exporter(name: str) -> Callable[[Exporter], Exporter]:
    """Add a table to every snapshot: `fn(context)` yields pyarrow record batches."""

    def decorate(fn: Exporter) -> Exporter:
        EXPORTERS[name] = fn
        return fn

    return decorate


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


# --- exporters ----------------------------------------------------------------------------


@register_exporter("units")
def export_units(context: Context) -> Iterator[pa.RecordBatch]:
    """Every org unit: code, name, level, kind, parent code, and its ancestors by level."""
    rows = context.units.rows
    if not rows:
        return
    batch = {key: pa.array([r[key] for r in rows]) for key in rows[0]}
    batch["level"] = batch["level"].cast(pa.int8())
    batch.update(context.units.columns)
    yield pa.RecordBatch.from_pydict(batch)


def _presence() -> tuple[dict[int, datetime.date], dict[int, datetime.date]]:
    """Per person: the date they came (first move being a move in) and the last move out."""
    from renkou.registry.models import Event, EventKind, EventState

    came: dict[int, datetime.date] = {}
    left: dict[int, datetime.date] = {}
    seen: set[int] = set()
    moves = (
        Event.objects.filter(kind__in=[EventKind.MOVE_IN, EventKind.MOVE_OUT])
        .filter(state=EventState.ACTIVE)
        .order_by("person_id", "date", "pk")
    )
    for pk, kind, day in moves.values_list("person_id", "kind", "date").iterator(chunk_size=CHUNK):
        if isinstance(day, str):
            day = datetime.date.fromisoformat(day)
        if pk not in seen:
            seen.add(pk)
            if kind == EventKind.MOVE_IN:
                came[pk] = day
        if kind == EventKind.MOVE_OUT:
            left[pk] = day
        else:
            left.pop(pk, None)
    return came, left


PERSON_FIELDS = (
    "pk", "sex", "birth_date", "hukou_type", "status", "death_date", "floating",
    "floating_since", "unit_id", "birth_order_mother",
)  # fmt: skip


@register_exporter("persons")
def export_persons(context: Context) -> Iterator[pa.RecordBatch]:
    """One row per person. `present_from`/`present_until` (yyyymmdd, until exclusive) bound
    the time the person belongs to the district's registered population: from birth, or
    from the first move in when their first move is one; until death, or until the last
    move out when they have since gone (status moved away)."""
    from renkou.registry.models import Person

    came, left = _presence()
    for rows in chunks(Person.objects.order_by(), PERSON_FIELDS):
        pks = column(rows, 0)
        born = dates(column(rows, 2))
        death = dates(column(rows, 5))
        status = column(rows, 4)
        start = dates([came.get(pk) for pk in pks])
        gone = dates(
            [
                left.get(pk) if st == "moved_away" else None
                for pk, st in zip(pks, status, strict=True)
            ]
        )
        born_ymd = ymd(born)
        present_from = pc.max_element_wise(born_ymd, ymd(start), skip_nulls=True)
        until = pc.min_element_wise(ymd(death), ymd(gone), skip_nulls=True)
        floating = column(rows, 6)
        batch = {
            "person_id": pa.array(pks, type=pa.int64()),
            "sex": pa.array(column(rows, 1), type=pa.string()),
            "birth_date": born,
            "birth_ymd": born_ymd,
            "birth_year": pc.year(born).cast(pa.int16()),
            "birth_md": pc.add(pc.multiply(pc.month(born), 100), pc.day(born)).cast(pa.int16()),
            "hukou_type": pa.array(column(rows, 3), type=pa.string()),
            "status": pa.array(status, type=pa.string()),
            "death_date": death,
            "death_ymd": ymd(death),
            "floating": pa.array(floating, type=pa.string()),
            "floating_since_ymd": ymd(dates(column(rows, 7)), missing=0),
            "inflow": pa.array([f == "inflow" for f in floating], type=pa.bool_()),
            "outflow": pa.array([f == "outflow" for f in floating], type=pa.bool_()),
            "birth_order": pa.array(column(rows, 9), type=pa.int16()),
            "present_from": present_from.cast(pa.int32()),
            "present_until": pc.fill_null(until, OPEN_END).cast(pa.int32()),
        }
        yield with_org(batch, context.units, column(rows, 8))


EVENT_FIELDS = (
    "pk", "kind", "date", "person_id", "unit_id", "plurality", "recorded_at", "person__sex",
    "person__birth_order_mother", "mother__birth_date",
)  # fmt: skip


@register_exporter("events")
def export_events(context: Context) -> Iterator[pa.RecordBatch]:
    """Vital and migration events in force. Births carry the child's sex, the mother's age
    (completed years at the birth), the birth order among the mother's children (孩次),
    the plurality and the registration delay (days from the birth to when it was recorded)."""
    from renkou.registry.models import Event, EventKind, EventState

    events = Event.objects.filter(state=EventState.ACTIVE).exclude(kind=EventKind.HUKOU_TYPE)
    for rows in chunks(events.order_by(), EVENT_FIELDS):
        kinds = column(rows, 1)
        births = pa.array([k == EventKind.BIRTH for k in kinds], type=pa.bool_())
        day = dates(column(rows, 2))
        day_ymd = ymd(day)
        recorded = pa.array(
            [r.date() if r is not None else None for r in column(rows, 6)], type=pa.date32()
        )
        delay = pc.subtract(recorded.cast(pa.int32()), day.cast(pa.int32()))
        mother_age = age_years(ymd(dates(column(rows, 9))), day_ymd)
        none16 = pa.nulls(len(rows), pa.int16())
        batch = {
            "event_id": pa.array(column(rows, 0), type=pa.int64()),
            "kind": pa.array(kinds, type=pa.string()),
            "date": day,
            "date_ymd": day_ymd,
            **period_columns(day),
            "person_id": pa.array(column(rows, 3), type=pa.int64()),
            "sex": pa.array(column(rows, 7), type=pa.string()),
            "mother_age": pc.if_else(births, mother_age, none16),
            "birth_order": pc.if_else(births, pa.array(column(rows, 8), type=pa.int16()), none16),
            "plurality": pa.array(column(rows, 5), type=pa.int16()),
            "registration_delay_days": pc.if_else(births, delay, pa.nulls(len(rows), pa.int32())),
        }
        yield with_org(batch, context.units, column(rows, 4))


CLASS_FIELDS = ("child_id", "birth_date", "status", "order_used", "plurality", "child__unit_id")


@register_exporter("birth_classifications")
def export_birth_classifications(context: Context) -> Iterator[pa.RecordBatch]:
    """Each registry birth's policy status (within/outside/not applicable/unknown), by the
    child's unit and the birth's period (aggregate statistics only, DESIGN §1)."""
    from renkou.policy.models import BirthClassification

    for rows in chunks(BirthClassification.objects.order_by(), CLASS_FIELDS):
        day = dates(column(rows, 1))
        batch = {
            "child_id": pa.array(column(rows, 0), type=pa.int64()),
            "date": day,
            "date_ymd": ymd(day),
            **period_columns(day),
            "status": pa.array(column(rows, 2), type=pa.string()),
            "order_used": pa.array(column(rows, 3), type=pa.int16()),
            "plurality": pa.array(column(rows, 4), type=pa.int16()),
        }
        yield with_org(batch, context.units, column(rows, 5))


# The tables of other apps, registered from here so those apps stay unaware of the snapshot.
from renkou.analytics import exporters_benefits, exporters_births  # noqa: E402

# --- writing ------------------------------------------------------------------------------


@dataclass
class SnapshotResult:
    path: Path
    counts: dict[str, int]
    seconds: float


def write_table(path: Path, batches: Iterable[pa.RecordBatch], progress: Progress | None) -> int:
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for batch in batches:
            if writer is None:
                writer = pq.ParquetWriter(path, batch.schema, compression="zstd")
            writer.write_batch(batch)
            rows += batch.num_rows
            if progress:
                progress(path.stem, rows)
    finally:
        if writer is not None:
            writer.close()
    return rows


def build_snapshot(
    out: Path, *, progress: Progress | None = None, tables: Iterable[str] | None = None
) -> SnapshotResult:
    """Write every registered table to `out/<table>.parquet` and a manifest.json."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    context = Context(units=UnitIndex.build(), today=datetime.date.today())
    counts: dict[str, int] = {}
    for name in tables or list(EXPORTERS):
        counts[name] = write_table(out / f"{name}.parquet", EXPORTERS[name](context), progress)
    seconds = time.perf_counter() - started
    manifest = {
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "counts": counts,
        "seconds": round(seconds, 3),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return SnapshotResult(path=out, counts=counts, seconds=seconds)


def expected_rows() -> dict[str, int]:
    """Row counts to expect, for the progress bar's totals."""
    from renkou.core.models import OrgUnit
    from renkou.policy.models import BirthClassification
    from renkou.registry.models import Event, Person

    return {
        "units": OrgUnit.objects.count(),
        "persons": Person.objects.count(),
        "events": Event.objects.filter(state="active").exclude(kind="hukou_type").count(),
        "birth_classifications": BirthClassification.objects.count(),
        **exporters_births.expected_rows(),
        **exporters_benefits.expected_rows(),
    }
