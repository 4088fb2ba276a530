"""Snapshot tables of the registry and policy apps: units, persons, events and birth
classifications (see `renkou.analytics.exporting`)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from renkou.analytics.exporting import (
    CHUNK,
    OPEN_END,
    Context,
    age_years,
    chunks,
    column,
    counts_rows,
    dates,
    period_columns,
    register_exporter,
    with_org,
    ymd,
)


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
    child's unit and the birth's period (aggregate statistics only, docs/architecture.md §0)."""
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


@counts_rows
def expected_rows() -> dict[str, int]:
    from renkou.core.models import OrgUnit
    from renkou.policy.models import BirthClassification
    from renkou.registry.models import Event, Person

    return {
        "units": OrgUnit.objects.count(),
        "persons": Person.objects.count(),
        "events": Event.objects.filter(state="active").exclude(kind="hukou_type").count(),
        "birth_classifications": BirthClassification.objects.count(),
    }
