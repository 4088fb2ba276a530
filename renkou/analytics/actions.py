"""The write path of analytics: making a snapshot and recording it."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied

from renkou.analytics.models import Snapshot
from renkou.analytics.snapshot import Progress, build_snapshot

if TYPE_CHECKING:
    from renkou.core.models import User


def default_directory(now: datetime.datetime | None = None) -> Path:
    """RENKOU_DATA_DIR/snapshots/<UTC timestamp>/."""
    now = now or datetime.datetime.now(datetime.UTC)
    return Path(settings.DATA_DIR) / "snapshots" / now.strftime("%Y%m%dT%H%M%S%fZ")


def make_snapshot(
    *, actor: User | None, out: Path | None = None, progress: Progress | None = None
) -> Snapshot:
    """Export the registry to Parquet under `out` (default: a new timestamped directory)
    and record it; the dashboard reads the latest recorded snapshot."""
    if actor is not None and not actor.has_perm("analytics.build_snapshot"):
        raise PermissionDenied
    result = build_snapshot(Path(out) if out else default_directory(), progress=progress)
    return Snapshot.objects.create(
        path=str(result.path.resolve()),
        counts=result.counts,
        seconds=round(result.seconds, 3),
        created_by=actor,
    )
