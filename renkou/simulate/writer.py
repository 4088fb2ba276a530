"""Write the load tables: CSV (UTF-8, header row, via pyarrow) or Parquet (dates as date32)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FORMATS = ("csv", "parquet")
LOAD_ORDER = ("units", "households", "persons", "parent_child", "marriages", "events")
_CSV_OPTIONS = pacsv.WriteOptions(quoting_style="none", quoting_header="none")


def write_table(table: pa.Table, directory: Path, name: str, fmt: str = "csv") -> Path:
    """Write ``table`` as ``directory/name.csv`` or ``.parquet``; returns the path.

    CSV values are never quoted: the simulator's values contain no commas, quotes or line
    breaks, and pyarrow refuses to write one that does, so a bad value cannot slip through.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.{fmt}"
    if fmt == "csv":
        pacsv.write_csv(table, path, _CSV_OPTIONS)
    else:
        pq.write_table(table, path, compression="zstd")
    return path


def write_registry(tables: dict[str, pa.Table], directory: Path, fmt: str = "csv") -> list[Path]:
    return [write_table(tables[name], directory, name, fmt) for name in LOAD_ORDER]
