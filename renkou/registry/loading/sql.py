"""Values for the bulk writer's SQL: literals for constant columns, NULL sentinels for SQLite,
CSV blocks for PostgreSQL's COPY and the stream that sends them (see
`renkou.registry.loading.writer`)."""

# ruff: noqa: S608

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import connection


class CopyStream:
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


def conflict_keys(
    names: Sequence[str], varying: dict[str, list[Any]], constants: dict[str, Any], count: int
) -> list[Any]:
    """Each row's value of the unique column set `names` (a tuple when several)."""
    columns = [varying[name] if name in varying else [constants[name]] * count for name in names]
    return columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))


def all_distinct(keys: list[Any]) -> bool:
    """No key twice (NULLs aside: they never conflict)."""
    distinct = set(keys)
    nulls = keys.count(None)
    return len(distinct) - (1 if nulls else 0) + nulls == len(keys)


def pg_literal(value: Any, sql_type: str) -> str:
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


def pg_params(constants: dict[str, Any]) -> list[Any]:
    return [
        value.isoformat() if isinstance(value, datetime.date | datetime.datetime) else value
        for value in constants.values()
    ]


def csv_block(spans: list[list[Any]], chosen: list[bool] | None) -> tuple[bytes, int] | None:
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


def flush_deferred_checks(cursor: Any) -> None:
    """Run the transaction's pending deferred foreign-key checks now (PostgreSQL refuses DDL
    on a table with pending trigger events), then defer again."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def sqlite_without_nulls(spans: list[list[Any]]) -> tuple[list[list[Any]], list[str]]:
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
        marks.append(f"NULLIF(?, {sqlite_literal(sentinel)})")
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


def sqlite_literal(value: Any) -> str:
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
