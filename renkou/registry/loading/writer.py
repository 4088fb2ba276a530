"""Raw, batched inserts for the bulk loader, on SQLite and PostgreSQL.

* SQLite: `executemany` of `INSERT … ON CONFLICT DO NOTHING` in batches on the raw sqlite3
  cursor, with a 256 MiB page cache on the load connection (restored afterwards). No None is
  bound: `_sqlite_without_nulls` swaps it for a value the column lacks and `NULLIF` turns it
  back (binding None costs three times a string in Python's sqlite3).
* PostgreSQL: psycopg 3 `COPY` into a temporary table, then `INSERT … SELECT … ON CONFLICT DO
  NOTHING`; `synchronous_commit` is off for the load's transactions.
* Columns holding one value for every row (timestamps, empty optional columns) are written
  into the statement once instead of being bound a million times.

Every batch is its own `transaction.atomic()` (a savepoint when the caller is already in a
transaction, as `--dry-run` is). The primary keys of new households, persons and marriages are
reserved before inserting (SQLite: by moving `sqlite_sequence` past them; PostgreSQL: by
moving the identity sequence past them while the table is locked against inserts), so the
rows that refer to them are built without reading ids back. A row skipped because of a
conflict (a concurrent writer) is reported back by its reserved id.

*Bulk mode* (`rebuild_indexes`; by default for a load of ≥ 20,000 rows into a table of at
most 10,000): the table's indexes, unique ones included — and on PostgreSQL its foreign keys,
whose deferred per-row checks cost as much as the insert itself — are dropped, the rows
inserted and everything re-created, in ONE transaction per table, so no other connection ever
sees the table without them (SQLite readers keep their snapshot; PostgreSQL locks the table
until the end). With no unique index to conflict with, the rows that would conflict — with
what the table holds, or with an earlier row of the load — are left out first (no other
writer can add any: SQLite's write lock is taken by the first DROP INDEX, PostgreSQL's table
lock before). The registry declares its unique keys as separate indexes
(`registry.models.unique_index`) because SQLite cannot drop the ones inside CREATE TABLE. On
PostgreSQL the rows are then copied straight into the table — one COPY for all its batches,
each batch a CSV block written by pyarrow and sent from psycopg's writer thread while the next
is formatted — and constant columns are column defaults for the duration.

On SQLite, outside a caller's transaction, the per-row foreign-key lookups are switched off
for the table's transaction and `PRAGMA foreign_key_check` checks the whole table once before
the commit (a fifth of the cost; a missing reference rolls the table back, as the re-added
foreign keys do on PostgreSQL). Building an index once, from sorted data, costs a fraction of
maintaining it row by row.
"""

# SQL here is built from table and column names of our own models (quoted by the backend);
# values are always bound parameters or, for constants, literals of values we generated.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import Any

from django.db import IntegrityError, connection, transaction

from .indexes import drop_secondary, restore_secondary
from .postgres import PostgresWrites
from .sql import (
    CopyStream,
    all_distinct,
    chunks,
    conflict_keys,
    sqlite_literal,
    sqlite_without_nulls,
)

__all__ = ["BULK_MIN_ROWS", "InsertResult", "Writer", "chunks"]

BATCH_SIZE = 50_000
SQLITE_CACHE_KIB = 262_144  # PRAGMA cache_size=-262144: 256 MiB
# While a table is loaded in bulk mode: enough to keep a million-row table and its new indexes
# in the cache (otherwise each CREATE INDEX reads the table back through the WAL).
SQLITE_BULK_CACHE_KIB = 1_048_576
# Bulk mode pays off when the load is big and the table (nearly) empty.
BULK_MIN_ROWS = 20_000
BULK_MAX_EXISTING = 10_000

Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]


@dataclass
class InsertResult:
    attempted: int = 0
    inserted: int = 0
    missing_ids: list[int] | None = None  # reserved ids whose row was not inserted
    bulk: bool = False


class Writer(PostgresWrites):
    """Inserts rows into one database connection (Django's default one)."""

    def __init__(
        self,
        *,
        progress: Progress | None = None,
        batch_size: int = BATCH_SIZE,
        rebuild_indexes: bool | None = None,
    ) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        if self.vendor not in ("sqlite", "postgresql"):
            raise NotImplementedError(
                f"the bulk loader supports SQLite and PostgreSQL, not {self.vendor}"
            )
        self.progress = progress
        self.batch_size = batch_size
        self.rebuild_indexes = rebuild_indexes
        self.bulk_tables: list[str] = []
        self.timings: dict[str, float] = {}  # seconds spent inserting, per table
        self._column_types: dict[str, dict[str, str]] = {}
        self._counts: dict[str, int] = {}
        self._saved_cache: int | None = None

    # --- connection set-up -----------------------------------------------------------------

    def __enter__(self) -> Writer:
        if self.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size")
                self._saved_cache = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
                if not connection.in_atomic_block:
                    # Settings set these already; cannot be changed inside a transaction.
                    cursor.execute("PRAGMA synchronous=NORMAL")
                    cursor.execute("PRAGMA temp_store=MEMORY")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.vendor == "sqlite" and self._saved_cache is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size={int(self._saved_cache)}")

    def _sqlite_foreign_keys_off(self) -> bool:
        """Bulk mode on SQLite: no per-row foreign-key lookups while the table is written;
        `_sqlite_check_foreign_keys` checks the whole table once before the commit instead
        (a fifth of the cost). Only outside a transaction (the pragma is a no-op inside one,
        as under --dry-run); True when switched off."""
        if self.vendor != "sqlite" or connection.in_atomic_block:
            return False
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys")
            if not cursor.fetchone()[0]:
                return False
            cursor.execute("PRAGMA foreign_keys=OFF")
        return True

    def _sqlite_check_foreign_keys(self, table: str) -> None:
        """Every reference of the rows in `table` must exist, as the per-row checks would have
        required; a violation (a unit or person deleted while loading) rolls the table back."""
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA foreign_key_check({self.quote(table)})")
            broken = cursor.fetchmany(5)
        if broken:
            raise IntegrityError(
                f"FOREIGN KEY constraint failed in {table} after the bulk load: "
                + ", ".join(f"row {row[1]} → {row[2]}" for row in broken)
            )

    @staticmethod
    def _sqlite_pragma(pragma: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA {pragma}")

    # --- values ------------------------------------------------------------------------------

    def datetime_value(self, value: datetime.datetime) -> Any:
        """A datetime as this backend stores it (SQLite: text in UTC)."""
        return connection.ops.adapt_datetimefield_value(value)

    def quote(self, name: str) -> str:
        return connection.ops.quote_name(name)

    # --- reading -----------------------------------------------------------------------------

    def count(self, table: str) -> int:
        """Rows in `table` (remembered until this writer inserts into it)."""
        if table not in self._counts:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM {self.quote(table)}")
                self._counts[table] = int(cursor.fetchone()[0])
        return self._counts[table]

    def fetch_in(
        self,
        table: str,
        columns: Sequence[str],
        key: str,
        values: Iterable[Any],
        *,
        total: int | None = None,
        where: str = "",
    ) -> list[tuple]:
        """Rows of `table` whose `key` is one of `values` (`columns` selected).

        A table not much bigger than the list is scanned once and filtered here; otherwise the
        values go in chunks (SQLite binds at most 999 parameters per statement in Django).
        """
        total = self.count(table) if total is None else total
        if total == 0:
            return []
        wanted = set(values)
        wanted.discard(None)
        wanted.discard("")
        if not wanted:
            return []
        select = ", ".join(self.quote(column) for column in columns)
        extra = f" AND ({where})" if where else ""
        position = list(columns).index(key)
        rows: list[tuple] = []
        with connection.cursor() as cursor:
            if total <= 4 * len(wanted):
                cursor.execute(
                    f"SELECT {select} FROM {self.quote(table)} "
                    f"WHERE {self.quote(key)} IS NOT NULL{extra}"
                )
                rows = [row for row in cursor.fetchall() if row[position] in wanted]
            elif self.vendor == "postgresql":
                ordered = sorted(wanted, key=str)
                for start in range(0, len(ordered), 50_000):
                    cursor.execute(
                        f"SELECT {select} FROM {self.quote(table)} "
                        f"WHERE {self.quote(key)} = ANY(%s){extra}",
                        [ordered[start : start + 50_000]],
                    )
                    rows.extend(cursor.fetchall())
            else:
                ordered = sorted(wanted, key=str)
                for start in range(0, len(ordered), 900):
                    chunk = ordered[start : start + 900]
                    marks = ", ".join(["%s"] * len(chunk))
                    cursor.execute(
                        f"SELECT {select} FROM {self.quote(table)} "
                        f"WHERE {self.quote(key)} IN ({marks}){extra}",
                        chunk,
                    )
                    rows.extend(cursor.fetchall())
        return [tuple(row) for row in rows]

    # --- ids ---------------------------------------------------------------------------------

    def reserve_ids(self, table: str, count: int) -> list[int]:
        """`count` primary keys no one else will be given (see the module docstring)."""
        if count <= 0:
            return []
        if self.vendor == "postgresql":
            # Only INSERTs into the table draw from its identity sequence, and the lock keeps
            # them out while the block is taken: nextval, then move the sequence past it.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {self.quote(table)} IN SHARE ROW EXCLUSIVE MODE")
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                cursor.execute("SELECT nextval(%s)", [sequence])
                start = int(cursor.fetchone()[0])
                cursor.execute("SELECT setval(%s, %s)", [sequence, start + count - 1])
            return list(range(start, start + count))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            cursor.execute(f"SELECT MAX(id) FROM {self.quote(table)}")
            highest = cursor.fetchone()[0] or 0
            start = max(row[0] if row else 0, highest) + 1
            end = start + count - 1
            if row:
                cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [end, table])
            else:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, end]
                )
        return list(range(start, end + 1))

    # --- inserting ---------------------------------------------------------------------------

    def wants_bulk(self, table: str, rows: int) -> bool:
        if self.rebuild_indexes is not None:
            return self.rebuild_indexes and rows > 0
        return rows >= BULK_MIN_ROWS and self.count(table) <= BULK_MAX_EXISTING

    def insert(
        self,
        table: str,
        data: dict[str, list[Any]],
        *,
        constants: dict[str, Any] | None = None,
        unique: Sequence[Sequence[str]] = (),
        description: str = "",
        has_ids: bool = False,
    ) -> InsertResult:
        """Insert the rows given as columns (`data[name][i]` is row i's value), skipping rows
        that conflict.

        `constants` are columns with one value for every row; a column of `data` that turns
        out to hold one value is treated as one too (written once into the statement rather
        than bound a million times). `unique` names the table's unique column sets (bulk mode
        on PostgreSQL copies straight into the table and must leave out conflicting rows
        itself). With `has_ids`, `data["id"]` holds reserved primary keys and the ids of rows
        that were not inserted are returned.
        """
        count = len(next(iter(data.values()))) if data else 0
        result = InsertResult(attempted=count)
        if not count:
            return result
        started = time.perf_counter()
        self._counts.pop(table, None)
        constants = dict(constants or {})
        varying: dict[str, list[Any]] = {}
        for name, values in data.items():
            if name != "id" and count > 1 and values.count(values[0]) == count:
                constants[name] = values[0]
            else:
                varying[name] = values
        if not varying:  # one row per… nothing varies: bind the first column anyway
            name = next(iter(data))
            varying[name] = data[name]
            del constants[name]
        columns = list(varying)
        bulk = self.wants_bulk(table, count)
        result.bulk = bulk
        size = self.batch_size
        spans = [(start, min(start + size, count)) for start in range(0, count, size)]
        iterable: Iterable[tuple[int, int]] = spans
        if self.progress is not None:
            iterable = self.progress(spans, len(spans), description or table)
        missing: list[int] = []
        keep: list[bool] | None = None
        outer = transaction.atomic() if bulk else contextlib.nullcontext()
        checked_keys = bulk and self._sqlite_foreign_keys_off()
        try:
            with outer:
                saved = None
                defaults: dict[str, str | None] = {}
                if bulk:
                    if self.vendor == "postgresql":
                        self._lock(table)
                    # On SQLite dropping the first index takes the write lock.
                    saved = drop_secondary(self.vendor, self.quote, table)
                    keep = self._leave_out_conflicts(table, varying, constants, unique)
                    if self.vendor == "sqlite":
                        self._sqlite_pragma(f"cache_size=-{SQLITE_BULK_CACHE_KIB}")
                    if self.vendor == "postgresql":
                        defaults = self._set_defaults(table, constants)
                stream = (
                    CopyStream(self.quote(table), columns, self.quote)
                    if bulk and self.vendor == "postgresql"
                    else None
                )
                short: list[tuple[int, int]] = []  # batches with rows not inserted
                try:
                    for start, end in iterable:
                        chosen = keep[start:end] if keep is not None else None
                        spans = [values[start:end] for values in varying.values()]
                        if stream is not None:
                            inserted = self._stream_postgresql(
                                stream, table, columns, spans, chosen
                            )
                        else:
                            inserted = self._insert_batch(table, columns, spans, chosen, constants)
                        result.inserted += inserted
                        if has_ids and inserted < end - start:
                            short.append((start, end))
                except BaseException as error:
                    if stream is not None:
                        stream.close(error)
                    raise
                if stream is not None:
                    stream.close()
                for start, end in short:  # asked once the COPY is over
                    missing.extend(self._missing_ids(table, varying["id"][start:end]))
                if checked_keys:
                    self._sqlite_check_foreign_keys(table)
                if saved is not None:
                    if defaults:
                        self._restore_defaults(table, defaults)
                    rebuilding = time.perf_counter()
                    restore_secondary(self.vendor, self.quote, table, saved)
                    self.timings[f"{table} indexes"] = time.perf_counter() - rebuilding
                    if self.vendor == "sqlite":
                        self._sqlite_pragma(f"cache_size=-{SQLITE_CACHE_KIB}")
        finally:
            if checked_keys:
                self._sqlite_pragma("foreign_keys=ON")
        if bulk:
            self.bulk_tables.append(table)
        self.timings[table] = self.timings.get(table, 0.0) + time.perf_counter() - started
        if has_ids:
            result.missing_ids = missing
        return result

    def _insert_batch(
        self,
        table: str,
        columns: Sequence[str],
        spans: list[list[Any]],
        chosen: list[bool] | None,
        constants: dict,
    ) -> int:
        """One batch in its own transaction (a savepoint inside the caller's)."""
        if self.vendor == "sqlite":
            spans, marks = sqlite_without_nulls(spans)
            # sqlite3 takes the rows from an iterator: no list of tuples to build.
            rows: Iterable[tuple] = zip(*spans, strict=True)
            if chosen is not None:
                rows = compress(rows, chosen)
            with transaction.atomic():
                return self._insert_sqlite(table, columns, rows, constants, marks)
        batch = list(zip(*spans, strict=True))
        if chosen is not None:
            batch = list(compress(batch, chosen))
        with transaction.atomic():
            return self._insert_postgresql(table, columns, batch, constants)

    def _insert_sqlite(
        self,
        table: str,
        columns: Sequence[str],
        batch: Iterable[tuple],
        constants: dict,
        marks: Sequence[str],
    ) -> int:
        """`marks` are the columns' placeholders (see `_sqlite_without_nulls`)."""
        names = ", ".join(self.quote(column) for column in [*columns, *constants])
        values = ", ".join([*marks, *(sqlite_literal(v) for v in constants.values())])
        sql = f"INSERT INTO {self.quote(table)} ({names}) VALUES ({values}) ON CONFLICT DO NOTHING"
        cursor = connection.connection.cursor()  # the raw sqlite3 cursor: no per-row wrapping
        try:
            cursor.executemany(sql, batch)
            return max(cursor.rowcount, 0)
        finally:
            cursor.close()

    def _leave_out_conflicts(
        self,
        table: str,
        varying: dict[str, list[Any]],
        constants: dict[str, Any],
        unique: Sequence[Sequence[str]],
    ) -> list[bool] | None:
        """Bulk mode, no other writer: the rows to keep. The table's unique indexes are
        dropped and rebuilt after the rows are in, so the rows that would conflict — with
        what the (small) table holds now, or with an earlier row of this load — are left out
        here, as ON CONFLICT DO NOTHING would. None: keep every row."""
        self._counts.pop(table, None)  # counted again now that no one else can insert
        existing = self.count(table)
        count = len(next(iter(varying.values())))
        keep: list[bool] | None = None
        for names in unique:
            if any(name not in varying and name not in constants for name in names):
                continue
            keys = conflict_keys(names, varying, constants, count)
            taken: set[Any] = set()
            if existing:
                with connection.cursor() as cursor:
                    select = ", ".join(self.quote(name) for name in names)
                    cursor.execute(f"SELECT {select} FROM {self.quote(table)}")
                    rows = cursor.fetchall()
                taken = {row[0] for row in rows} if len(names) == 1 else {tuple(r) for r in rows}
            elif all_distinct(keys):
                continue  # the usual case: all distinct, none in the table
            for i, key in enumerate(keys):
                if key is None or (len(names) > 1 and None in key):
                    continue  # NULLs never conflict
                if keep is not None and not keep[i]:
                    continue  # left out already: takes nothing
                if key in taken:
                    if keep is None:
                        keep = [True] * count
                    keep[i] = False
                else:
                    taken.add(key)
        return keep

    def _missing_ids(self, table: str, ids: list[int]) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {self.quote(table)} WHERE id >= %s AND id <= %s",
                [min(ids), max(ids)],
            )
            present = {row[0] for row in cursor.fetchall()}
        return [pk for pk in ids if pk not in present]
