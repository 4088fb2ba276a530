"""The PostgreSQL half of the bulk writer (`Writer` mixes it in): COPY into a temporary table
then `INSERT … SELECT … ON CONFLICT DO NOTHING`, or, in bulk mode, COPY straight into the
table with the constant columns as column defaults (see `renkou.registry.loading.writer`)."""

# SQL here is built from table and column names of our own models (quoted by the backend);
# values are always bound parameters or, for constants, literals of values we generated.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import compress
from typing import Any

from django.db import connection, transaction

from .sql import CopyStream, csv_block, pg_literal, pg_params


class PostgresWrites:
    """Methods of `Writer` used on PostgreSQL only."""

    quote: Callable[[str], str]
    _column_types: dict[str, dict[str, str]]

    def _stream_postgresql(
        self,
        stream: CopyStream,
        table: str,
        columns: Sequence[str],
        spans: list[list[Any]],
        chosen: list[bool] | None,
    ) -> int:
        """Bulk mode on PostgreSQL: the batch as a CSV block into the table's running COPY
        (see `CopyStream`); a batch pyarrow cannot format goes row by row in a COPY of its
        own (constants are column defaults, see insert)."""
        block = csv_block(spans, chosen)
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
                pg_params(constants),
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
                    f"SET DEFAULT {pg_literal(value, types[column])}"
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
