"""Bulk mode's indexes: drop a table's secondary indexes (on PostgreSQL also its foreign keys
and unique constraints) before a big first load and rebuild them after, in the same
transaction (see `renkou.registry.loading.writer`)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection

from .sql import flush_deferred_checks

Saved = dict[str, list[tuple[str, str]]]


def drop_secondary(vendor: str, quote: Callable[[str], str], table: str) -> Saved:
    """Drop the non-unique indexes (on PostgreSQL also the foreign keys and the unique
    constraints other than the primary key, which the rows were filtered against and a
    sort rebuilds faster than COPY maintains them); return how to rebuild."""
    saved: dict[str, list[tuple[str, str]]] = {
        "indexes": [], "unique": [], "foreign_keys": [],
    }  # fmt: skip
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [table],
            )
            saved["indexes"] = list(cursor.fetchall())
        else:
            flush_deferred_checks(cursor)
            # Plain and unique indexes (not those behind a constraint, or that a foreign
            # key refers to).
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
                "AND NOT i.indisprimary AND NOT EXISTS ("
                "SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                [quote(table)],
            )
            saved["indexes"] = list(cursor.fetchall())
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [quote(table)],
            )
            saved["foreign_keys"] = list(cursor.fetchall())
            # unique constraints no foreign key refers to (those stay)
            cursor.execute(
                "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.conrelid = %s::regclass AND c.contype = 'u' AND NOT EXISTS ("
                "SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
                "AND f.conindid = c.conindid)",
                [quote(table)],
            )
            saved["unique"] = list(cursor.fetchall())
            for name, _definition in saved["foreign_keys"] + saved["unique"]:
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _definition in saved["indexes"]:
            cursor.execute(f"DROP INDEX {quote(name)}")
    return saved


def restore_secondary(vendor: str, quote: Callable[[str], str], table: str, saved: Saved) -> None:
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            flush_deferred_checks(cursor)
            cursor.execute("SET LOCAL maintenance_work_mem TO '512MB'")
        for name, definition in saved["unique"]:
            table_name, constraint = quote(table), quote(name)
            cursor.execute(f"ALTER TABLE {table_name} ADD CONSTRAINT {constraint} {definition}")
        for _name, definition in saved["indexes"]:
            cursor.execute(definition)
        for name, definition in saved["foreign_keys"]:
            table_name, constraint = quote(table), quote(name)
            cursor.execute(f"ALTER TABLE {table_name} ADD CONSTRAINT {constraint} {definition}")
        if vendor == "postgresql":
            cursor.execute(f"ANALYZE {quote(table)}")
