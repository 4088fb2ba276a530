"""The demo district's first analytics snapshot, so the dashboard has figures on first run."""

from __future__ import annotations

from renkou.analytics import queries
from renkou.analytics.actions import make_snapshot

Line = tuple[str, str]


def populate() -> list[Line]:
    """Snapshot everything the other demo steps wrote, and precompute the default period."""
    snapshot = make_snapshot(actor=None)
    period = queries.default_period(snapshot)
    queries.warm(snapshot.path, period)
    rows = sum(snapshot.counts.values())
    return [
        (
            f"分析快照 {rows:,} 行（{snapshot.seconds:.1f} 秒），已预先计算 {period} 年图表",
            f"analytics snapshot of {rows:,} rows in {snapshot.seconds:.1f} s; "
            f"{period} figures ready",
        )
    ]
