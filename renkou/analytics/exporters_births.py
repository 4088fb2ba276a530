"""Snapshot table of renkou/births: one row per birth application (生育登记/再生育审批).

Registered from the analytics app (imported by AnalyticsConfig.ready()), so the births
app stays unaware of the snapshot. Aggregate statistics only (docs/architecture.md §0): no
names, no ID numbers; the wife's person id is kept for joins inside the snapshot.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
from django.utils import timezone

from renkou.analytics.exporting import (
    CHUNK,
    Context,
    chunks,
    column,
    counts_rows,
    dates,
    period_columns,
    register_exporter,
    with_org,
    ymd,
)

DECISIONS = ("register", "approve", "reject")  # the actions that decide an application
IN_FORCE = ("registered", "approved")  # states whose registration is valid now

APPLICATION_FIELDS = (
    "pk", "wife_id", "unit_id", "child_order", "procedure", "state", "applied_on", "issued_on",
)  # fmt: skip


def _local_day(moment) -> datetime.date:
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.date()


def transition_days() -> tuple[dict[int, datetime.date], dict[int, datetime.date]]:
    """Per application: the day of its first submission and of its last decision
    (register, approve or reject), in local time."""
    from renkou.births.models import Transition

    submitted: dict[int, datetime.date] = {}
    decided: dict[int, datetime.date] = {}
    rows = (
        Transition.objects.filter(action__in=("submit", *DECISIONS))
        .order_by("application_id", "at", "pk")
        .values_list("application_id", "action", "at")
    )
    for pk, action, at in rows.iterator(chunk_size=CHUNK):
        if action == "submit":
            submitted.setdefault(pk, _local_day(at))
        else:
            decided[pk] = _local_day(at)
    return submitted, decided


@register_exporter("birth_registrations")
def export_birth_registrations(context: Context) -> Iterator[pa.RecordBatch]:
    """One row per birth application, by the wife's unit (the application's unit). `date`
    and the period columns are the registration (issue) date: null for applications not
    issued. `issued` is true once a registration number was issued (also when it was later
    cancelled); `in_force` when the application is registered or approved now.
    `submit_to_issue_days` = issue date − first submission date."""
    from renkou.births.models import BirthApplication

    submitted, decided = transition_days()
    for rows in chunks(BirthApplication.objects.order_by(), APPLICATION_FIELDS):
        pks = column(rows, 0)
        states = column(rows, 5)
        issued = dates(column(rows, 7))
        sent = dates([submitted.get(pk) for pk in pks])
        batch = {
            "application_id": pa.array(pks, type=pa.int64()),
            "wife_id": pa.array(column(rows, 1), type=pa.int64()),
            "child_order": pa.array(column(rows, 3), type=pa.int16()),
            "procedure": pa.array(column(rows, 4), type=pa.string()),
            "state": pa.array(states, type=pa.string()),
            "applied_on": dates(column(rows, 6)),
            "submitted_on": sent,
            "submitted_ymd": ymd(sent),
            "decided_on": dates([decided.get(pk) for pk in pks]),
            "date": issued,
            "date_ymd": ymd(issued),
            **period_columns(issued),
            "issued": pc.is_valid(issued),
            "in_force": pa.array([s in IN_FORCE for s in states], type=pa.bool_()),
            "submit_to_issue_days": pc.subtract(issued.cast(pa.int32()), sent.cast(pa.int32())),
        }
        yield with_org(batch, context.units, column(rows, 2))


@counts_rows
def expected_rows() -> dict[str, int]:
    from renkou.births.models import BirthApplication

    return {"birth_registrations": BirthApplication.objects.count()}
