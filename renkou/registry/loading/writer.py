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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import Any

from django.db import IntegrityError, connection, transaction

__all__ = ["BULK_MIN_ROWS", "InsertResult", "Writer"]

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


class Writer:
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
                    saved = self._drop_secondary(table)
                    keep = self._leave_out_conflicts(table, varying, constants, unique)
                    if self.vendor == "sqlite":
                        self._sqlite_pragma(f"cache_size=-{SQLITE_BULK_CACHE_KIB}")
                    if self.vendor == "postgresql":
                        defaults = self._set_defaults(table, constants)
                stream = (
                    _CopyStream(self.quote(table), columns, self.quote)
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
                    self._restore_secondary(table, saved)
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
            spans, marks = _sqlite_without_nulls(spans)
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

    def _stream_postgresql(
        self,
        stream: _CopyStream,
        table: str,
        columns: Sequence[str],
        spans: list[list[Any]],
        chosen: list[bool] | None,
    ) -> int:
        """Bulk mode on PostgreSQL: the batch as a CSV block into the table's running COPY
        (see `_CopyStream`); a batch pyarrow cannot format goes row by row in a COPY of its
        own (constants are column defaults, see insert)."""
        block = _csv_block(spans, chosen)
        if block is not None:
            data, count = block
            stream.write(data)
            return count
        stream.close()  # the next block opens a new COPY
        batch = list(zip(*spans, strict=True))
        if chosen is not None:
            batch = list(compress(batch, chosen))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            quoted = ", ".join(self.quote(column) for column in columns)
            self._copy(cursor, self.quote(table), quoted, batch)
        return len(batch)

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
        values = ", ".join([*marks, *(_sqlite_literal(v) for v in constants.values())])
        sql = f"INSERT INTO {self.quote(table)} ({names}) VALUES ({values}) ON CONFLICT DO NOTHING"
        cursor = connection.connection.cursor()  # the raw sqlite3 cursor: no per-row wrapping
        try:
            cursor.executemany(sql, batch)
            return max(cursor.rowcount, 0)
        finally:
            cursor.close()

    def _insert_postgresql(
        self, table: str, columns: Sequence[str], batch: Sequence[tuple], constants: dict
    ) -> int:
        """COPY into a temporary table, then INSERT … SELECT … ON CONFLICT DO NOTHING."""
        quoted = ", ".join(self.quote(column) for column in columns)
        temp = self.quote(f"_load_{table}")
        types = self._types(table)
        const_names = "".join(f", {self.quote(column)}" for column in constants)
        const_values = "".join(f", %s::{types[column]}" for column in constants)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute(f"DROP TABLE IF EXISTS {temp}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {temp} AS SELECT {quoted} FROM {self.quote(table)} "
                "WITH NO DATA"
            )
            self._copy(cursor, temp, quoted, batch)
            cursor.execute(
                f"INSERT INTO {self.quote(table)} ({quoted}{const_names}) "
                f"SELECT {quoted}{const_values} FROM {temp} ON CONFLICT DO NOTHING",
                _pg_params(constants),
            )
            inserted = cursor.rowcount
            cursor.execute(f"DROP TABLE {temp}")
        return max(inserted, 0)

    @staticmethod
    def _copy(cursor: Any, target: str, quoted: str, batch: Sequence[tuple]) -> None:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {target} ({quoted}) FROM STDIN") as copy:
            write_row = copy.write_row
            for row in batch:
                write_row(row)

    def _set_defaults(self, table: str, constants: dict[str, Any]) -> dict[str, str | None]:
        """Bulk mode on PostgreSQL: the constant columns become column defaults for the load
        (COPY leaves them out); returns the previous defaults to put back."""
        previous: dict[str, str | None] = {}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name, column_default FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s",
                [table],
            )
            current = dict(cursor.fetchall())
            types = self._types(table)
            for column, value in constants.items():
                previous[column] = current.get(column)
                cursor.execute(
                    f"ALTER TABLE {self.quote(table)} ALTER COLUMN {self.quote(column)} "
                    f"SET DEFAULT {_pg_literal(value, types[column])}"
                )
        return previous

    def _restore_defaults(self, table: str, previous: dict[str, str | None]) -> None:
        with connection.cursor() as cursor:
            for column, default in previous.items():
                action = f"SET DEFAULT {default}" if default is not None else "DROP DEFAULT"
                cursor.execute(
                    f"ALTER TABLE {self.quote(table)} ALTER COLUMN {self.quote(column)} {action}"
                )

    def _lock(self, table: str) -> None:
        """Bulk mode on PostgreSQL: lock out other writers until the table's transaction ends."""
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {self.quote(table)} IN SHARE ROW EXCLUSIVE MODE")

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
            keys = _keys(names, varying, constants, count)
            taken: set[Any] = set()
            if existing:
                with connection.cursor() as cursor:
                    select = ", ".join(self.quote(name) for name in names)
                    cursor.execute(f"SELECT {select} FROM {self.quote(table)}")
                    rows = cursor.fetchall()
                taken = {row[0] for row in rows} if len(names) == 1 else {tuple(r) for r in rows}
            elif _all_distinct(keys):
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

    def _types(self, table: str) -> dict[str, str]:
        if table not in self._column_types:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                    [self.quote(table)],
                )
                self._column_types[table] = dict(cursor.fetchall())
        return self._column_types[table]

    def _missing_ids(self, table: str, ids: list[int]) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {self.quote(table)} WHERE id >= %s AND id <= %s",
                [min(ids), max(ids)],
            )
            present = {row[0] for row in cursor.fetchall()}
        return [pk for pk in ids if pk not in present]

    # --- bulk mode ---------------------------------------------------------------------------

    def _drop_secondary(self, table: str) -> dict[str, list[tuple[str, str]]]:
        """Drop the non-unique indexes (on PostgreSQL also the foreign keys and the unique
        constraints other than the primary key, which the rows were filtered against and a
        sort rebuilds faster than COPY maintains them); return how to rebuild."""
        saved: dict[str, list[tuple[str, str]]] = {
            "indexes": [], "unique": [], "foreign_keys": [],
        }  # fmt: skip
        with connection.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                    "AND sql IS NOT NULL",
                    [table],
                )
                saved["indexes"] = list(cursor.fetchall())
            else:
                _flush_deferred_checks(cursor)
                # Plain and unique indexes (not those behind a constraint, or that a foreign
                # key refers to).
                cursor.execute(
                    "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
                    "AND NOT i.indisprimary AND NOT EXISTS ("
                    "SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                    [self.quote(table)],
                )
                saved["indexes"] = list(cursor.fetchall())
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f'",
                    [self.quote(table)],
                )
                saved["foreign_keys"] = list(cursor.fetchall())
                # unique constraints no foreign key refers to (those stay)
                cursor.execute(
                    "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                    "WHERE c.conrelid = %s::regclass AND c.contype = 'u' AND NOT EXISTS ("
                    "SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
                    "AND f.conindid = c.conindid)",
                    [self.quote(table)],
                )
                saved["unique"] = list(cursor.fetchall())
                for name, _definition in saved["foreign_keys"] + saved["unique"]:
                    cursor.execute(
                        f"ALTER TABLE {self.quote(table)} DROP CONSTRAINT {self.quote(name)}"
                    )
            for name, _definition in saved["indexes"]:
                cursor.execute(f"DROP INDEX {self.quote(name)}")
        return saved

    def _restore_secondary(self, table: str, saved: dict[str, list[tuple[str, str]]]) -> None:
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                _flush_deferred_checks(cursor)
                cursor.execute("SET LOCAL maintenance_work_mem TO '512MB'")
            for name, definition in saved["unique"]:
                table_name, constraint = self.quote(table), self.quote(name)
                cursor.execute(f"ALTER TABLE {table_name} ADD CONSTRAINT {constraint} {definition}")
            for _name, definition in saved["indexes"]:
                cursor.execute(definition)
            for name, definition in saved["foreign_keys"]:
                table_name, constraint = self.quote(table), self.quote(name)
                cursor.execute(f"ALTER TABLE {table_name} ADD CONSTRAINT {constraint} {definition}")
            if self.vendor == "postgresql":
                cursor.execute(f"ANALYZE {self.quote(table)}")


class _CopyStream:
    """Bulk mode on PostgreSQL: ONE `COPY … FROM STDIN (FORMAT csv)` for all of a table's
    batches, opened at the first block. psycopg's queued writer sends each block from a
    worker thread (the GIL is released while it waits on the socket), so the server parses
    batch n while this thread formats batch n + 1 instead of the two taking turns. No
    statement can run while the COPY is open: `close()` it first (an error passed to it
    aborts the COPY, and with it the table's transaction)."""

    def __init__(self, table: str, columns: Sequence[str], quote: Callable[[str], str]) -> None:
        names = ", ".join(quote(column) for column in columns)
        self.sql = f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)"
        self._stack: contextlib.ExitStack | None = None
        self._copy: Any = None

    def write(self, data: bytes) -> None:
        if self._stack is None:
            from psycopg.copy import QueuedLibpqWriter

            stack = contextlib.ExitStack()
            try:
                cursor = stack.enter_context(connection.cursor())
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with connection.wrap_database_errors:
                    self._copy = stack.enter_context(
                        raw.copy(self.sql, writer=QueuedLibpqWriter(raw))
                    )
            except BaseException:
                stack.close()
                raise
            self._stack = stack
        with connection.wrap_database_errors:  # as django.db's IntegrityError etc.
            self._copy.write(data)

    def close(self, error: BaseException | None = None) -> None:
        stack, self._stack, self._copy = self._stack, None, None
        if stack is None:
            return
        if error is None:
            with connection.wrap_database_errors:
                stack.close()
        else:
            stack.__exit__(type(error), error, error.__traceback__)


def _keys(
    names: Sequence[str], varying: dict[str, list[Any]], constants: dict[str, Any], count: int
) -> list[Any]:
    """Each row's value of the unique column set `names` (a tuple when several)."""
    columns = [varying[name] if name in varying else [constants[name]] * count for name in names]
    return columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))


def _all_distinct(keys: list[Any]) -> bool:
    """No key twice (NULLs aside: they never conflict)."""
    distinct = set(keys)
    nulls = keys.count(None)
    return len(distinct) - (1 if nulls else 0) + nulls == len(keys)


def _pg_literal(value: Any, sql_type: str) -> str:
    """A constant as a PostgreSQL literal of the column's type (values we generated)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, datetime.date | datetime.datetime):
        value = value.isoformat()
    return "'" + str(value).replace("'", "''") + f"'::{sql_type}"


def _pg_params(constants: dict[str, Any]) -> list[Any]:
    return [
        value.isoformat() if isinstance(value, datetime.date | datetime.datetime) else value
        for value in constants.values()
    ]


def _csv_block(spans: list[list[Any]], chosen: list[bool] | None) -> tuple[bytes, int] | None:
    """The rows as CSV for `COPY … WITH (FORMAT csv)`: NULL unquoted and empty, strings quoted
    (so '' stays an empty string), dates ISO, booleans true/false. None when a column mixes
    types pyarrow will not convert (the caller then copies row by row)."""
    import io

    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        arrays = [pa.array(values) for values in spans]
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return None
    if any(pa.types.is_timestamp(array.type) for array in arrays):
        return None  # leave time zones to psycopg
    block = pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(arrays))])
    if chosen is not None:
        block = block.filter(pa.array(chosen, type=pa.bool_()))
    sink = io.BytesIO()
    pacsv.write_csv(block, sink, pacsv.WriteOptions(include_header=False))
    return sink.getvalue(), block.num_rows


def _flush_deferred_checks(cursor: Any) -> None:
    """Run the transaction's pending deferred foreign-key checks now (PostgreSQL refuses DDL
    on a table with pending trigger events), then defer again."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _sqlite_without_nulls(spans: list[list[Any]]) -> tuple[list[list[Any]], list[str]]:
    """The columns with None replaced by a value the column does not hold, and the placeholders
    that turn it back into NULL (`NULLIF(?, '')`).

    Python's sqlite3 binds a None through its adapter protocol (a registry lookup and two
    attribute lookups per value): about 0.6 µs, three times an int or a string; a person row
    has about ten optional columns, and that was a third of the time of inserting it. A
    column whose values are neither all strings nor all ints keeps binding None."""
    columns: list[list[Any]] = []
    marks: list[str] = []
    for values in spans:
        sentinel = _null_sentinel(values) if None in values else None
        if sentinel is None:
            columns.append(values)
            marks.append("?")
            continue
        columns.append([sentinel if value is None else value for value in values])
        marks.append(f"NULLIF(?, {_sqlite_literal(sentinel)})")
    return columns, marks


def _null_sentinel(values: list[Any]) -> str | int | None:
    present = set(values)
    present.discard(None)
    kinds = {type(value) for value in present}
    if kinds <= {str}:
        text = ""
        while text in present:
            text += "\x1f"
        return text
    if kinds == {int}:
        return min(present) - 1 if -1 in present else -1
    return None


def _sqlite_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
