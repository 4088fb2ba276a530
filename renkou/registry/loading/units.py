"""Units (`units` file, imported first through the org-unit importer) and the units an actor
may load into."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from renkou.core.models import OrgUnit, User
from renkou.lib import scoping
from renkou.lib.formats import TableError

from .common import Progress
from .report import BulkLoadReport, LoadError, Rejection
from .tables import find_file


def load_units(
    directory: Path, report: BulkLoadReport, actor: User | None, progress: Progress | None
) -> None:
    """Import `units.csv` (or .parquet/.xlsx) through the org-unit importer, if the directory
    has one; its rejections join the report's."""
    from renkou.core.unit_import import import_units

    try:
        path = find_file(directory, "units")
    except TableError as error:
        raise LoadError(error.message_zh, error.message_en) from error
    if path is None:
        return
    source = path
    temporary = None
    if path.suffix.lower() == ".parquet":
        # The unit importer reads CSV/XLSX: hand it the Parquet rows as a CSV.
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        handle, temporary = tempfile.mkstemp(suffix=".csv")
        os.close(handle)
        pacsv.write_csv(pq.read_table(path), temporary)
        source = Path(temporary)
    try:
        result = import_units(source, actor=actor, partial=True, progress=progress)
    except TableError as error:
        raise LoadError(
            f"{path.name}：{error.message_zh}", f"{path.name}: {error.message_en}"
        ) from error
    finally:
        if temporary:
            os.unlink(temporary)
    counts = report.counts["units"]
    counts.read = result.rows
    counts.inserted = len(result.created)
    counts.present = len(result.unchanged)
    counts.rejected = len(result.rejected_lines())
    for item in result.rejected:
        report.rejected.append(
            Rejection(
                file=path.name,
                line=item.line,
                key=_unit_key(item),
                field=item.field,
                code=item.code or "unit",
                message_zh=item.message_zh,
                message_en=item.message_en,
            )
        )


def _unit_key(item: Any) -> str:
    return str(getattr(item, "code", "") or "")


def units_in_scope(actor: User | None) -> dict[str, tuple[int, bool]]:
    """Division code → (id, open) of the units the actor may load into."""
    units: dict[str, tuple[int, bool]] = {}
    for pk, code, path, closed_on in OrgUnit.objects.values_list("pk", "code", "path", "closed_on"):
        if actor is None or scoping.path_in_scope(actor, path):
            units[code] = (pk, closed_on is None)
    return units
