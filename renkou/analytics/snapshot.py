"""The analytics snapshot: the registry exported to Parquet "analytics tables".

Every table registered with `renkou.analytics.exporting.register_exporter` is written to
`out/<table>.parquet` (see that module for the columns), rows streamed from the database with
`.values_list().iterator(chunk_size=…)` into pyarrow record batches; nothing holds a whole
table of model instances. Web requests never aggregate the operational tables: they read the
latest snapshot.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from renkou.analytics.exporting import EXPORTERS, Context, UnitIndex

Progress = Callable[[str, int], None]  # (table, rows written so far)


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
