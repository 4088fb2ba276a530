"""Snapshot tables of renkou/benefits: beneficiaries of approved qualification cycles and
payment roster lines.

Registered from the analytics app (imported by AnalyticsConfig.ready()), so the benefits
app stays unaware of the snapshot. No names, no accounts: person ids only, for joins inside
the snapshot. Benefits are annual: `year` is the cycle's year; `quarter` and `month` are
null, so only yearly queries count them.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pyarrow as pa

from renkou.analytics.exporting import (
    Context,
    chunks,
    column,
    counts_rows,
    register_exporter,
    with_org,
)

PAYERS = ("central", "provincial", "local")


def _money(values: list) -> pa.Array:
    """Decimal yuan (or text, or None) → float64 yuan (exact to the cent at these sizes)."""
    return pa.array(
        [float(Decimal(str(v))) if v is not None else None for v in values], type=pa.float64()
    )


def _annual(year: list) -> dict[str, pa.Array]:
    size = len(year)
    return {
        "year": pa.array(year, type=pa.int16()),
        "quarter": pa.nulls(size, pa.int8()),
        "month": pa.nulls(size, pa.int8()),
    }


BENEFICIARY_FIELDS = (
    "pk", "person_id", "cycle__programme__code", "cycle__year", "kind", "amount", "shares",
    "unit_id",
)  # fmt: skip


@register_exporter("benefit_beneficiaries")
def export_benefit_beneficiaries(context: Context) -> Iterator[pa.RecordBatch]:
    """One row per beneficiary (new or continuing, approved) of an approved cycle, by the
    candidate's unit: the programme, the cycle's year, the year's amount and its payer
    shares (central / provincial / local)."""
    from renkou.benefits.models import Candidate

    rows_qs = (
        Candidate.objects.filter(cycle__status="approved", state="approved")
        .exclude(kind="exit")
        .order_by()
    )
    for rows in chunks(rows_qs, BENEFICIARY_FIELDS):
        shares = column(rows, 6)
        batch = {
            "candidate_id": pa.array(column(rows, 0), type=pa.int64()),
            "person_id": pa.array(column(rows, 1), type=pa.int64()),
            "programme": pa.array(column(rows, 2), type=pa.string()),
            **_annual(column(rows, 3)),
            "kind": pa.array(column(rows, 4), type=pa.string()),
            "amount": _money(column(rows, 5)),
            **{payer: _money([(s or {}).get(payer, 0) for s in shares]) for payer in PAYERS},
        }
        yield with_org(batch, context.units, column(rows, 7))


LINE_FIELDS = (
    "pk", "roster_id", "roster__cycle__programme__code", "roster__cycle__year", "person_id",
    "amount", "central", "provincial", "local", "status", "requeued_from_id", "unit_id",
)  # fmt: skip


@register_exporter("benefit_payments")
def export_benefit_payments(context: Context) -> Iterator[pa.RecordBatch]:
    """One row per payment roster line, by the line's unit: the programme, the year of the
    roster's cycle (a failed payment re-queued onto a later roster counts in that year),
    the amount and its payer shares, the status (pending / paid / failed) and whether the
    line re-queues an earlier failed one."""
    from renkou.benefits.models import RosterLine

    for rows in chunks(RosterLine.objects.order_by(), LINE_FIELDS):
        status = column(rows, 9)
        batch = {
            "line_id": pa.array(column(rows, 0), type=pa.int64()),
            "roster_id": pa.array(column(rows, 1), type=pa.int64()),
            "programme": pa.array(column(rows, 2), type=pa.string()),
            **_annual(column(rows, 3)),
            "person_id": pa.array(column(rows, 4), type=pa.int64()),
            "amount": _money(column(rows, 5)),
            "central": _money(column(rows, 6)),
            "provincial": _money(column(rows, 7)),
            "local": _money(column(rows, 8)),
            "status": pa.array(status, type=pa.string()),
            "paid": pa.array([s == "paid" for s in status], type=pa.bool_()),
            "failed": pa.array([s == "failed" for s in status], type=pa.bool_()),
            "requeued": pa.array([r is not None for r in column(rows, 10)], type=pa.bool_()),
        }
        yield with_org(batch, context.units, column(rows, 11))


@counts_rows
def expected_rows() -> dict[str, int]:
    from renkou.benefits.models import Candidate, RosterLine

    beneficiaries = Candidate.objects.filter(cycle__status="approved", state="approved")
    return {
        "benefit_beneficiaries": beneficiaries.exclude(kind="exit").count(),
        "benefit_payments": RosterLine.objects.count(),
    }
