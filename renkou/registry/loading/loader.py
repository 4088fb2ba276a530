"""The bulk loader of the registry: `renkou load DIR` (docs/data-formats.md, "Registry load
directory").

`load_directory(path)` imports `units` (through the org-unit importer), then reads
`households`, `persons`, `parent_child`, `marriages` and `events` (CSV or Parquet), checks every
row in memory against the rules and the database, derives the stored fields (responsible unit,
floating status and since-date, birth orders, pinyin keys, a death event for the deceased
without one) and writes the accepted rows with raw batched SQL — `executemany` on SQLite, `COPY`
on PostgreSQL — in one transaction per batch (per table in bulk mode, see
`renkou.registry.loading.writer`). Rejected rows go to `DIR/rejected.csv`
(`file,line,key,field,reason`); the accepted ones are committed. Checking happens before any
row is written, so a row is never half-loaded: a person rejected also rejects the rows that
name it ("person row N was rejected").

Idempotent: every row has a stable key (`person_key`, `household_no`, `marriage_key`,
`event_key`, the parent–child pair); a key already in the database is counted "already
present" (and "differs" when its values changed) and not updated: each differing field of a
person goes to rejected.csv with the stored and the file's value, and `update=True`
(`renkou load --update`) writes the file's values over them, with history
(`renkou.registry.loading.updates`). Loading the same directory twice adds nothing.

Every file is checked row by row before anything is written: a row with more or fewer fields
than the header (a file cut short) or a cell holding a control character (NUL included) is
rejected with its line, never loaded padded or passed to the database.

Biological parent–child links a birth event implies (its mother and father) are created when
the parent_child file lacks them, as `record_birth` does, so `renkou.registry.derive` finds
the same children later. Existing rows are never updated, not even derived fields: a child
loaded after its younger siblings does not renumber them.

A bulk load writes no per-row history for the rows it inserts (django-simple-history): one
summary line, without personal data, goes to the `renkou.registry.loader` log instead. The
updates of `--update` do write history, one row per person changed.

This module only conducts: each kind is checked by its own module (`units`, `households`,
`persons`, `links`, `marriages`, `events`, sharing a `state.LoadState`), the derived fields
come from `derived` and the rows are written by `persist`.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from renkou.core.models import User

from . import events, households, links, marriages, persist, persons
from .derived import derive
from .fields import SPECS
from .report import KINDS, BulkLoadReport, KindCounts, LoadError, Rejection
from .state import LoadState
from .tables import Table, read_directory
from .units import load_units, units_in_scope
from .updates import apply_updates
from .writer import BATCH_SIZE, Writer

__all__ = ["KINDS", "BulkLoadReport", "KindCounts", "LoadError", "Rejection", "load_directory"]

logger = logging.getLogger("renkou.registry.loader")

Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]


def load_directory(
    path: str | os.PathLike[str],
    *,
    actor: User | None = None,
    progress: Progress | None = None,
    rebuild_indexes: bool | None = None,
    batch_size: int = BATCH_SIZE,
    update: bool = False,
) -> BulkLoadReport:
    """Load the registry directory at `path`; see the module docstring.

    `actor` None is the operator at the command line; a user needs `registry.change_person`
    and sees only the units in their scope (others are unknown codes). `progress(iterable,
    total, description)` wraps each stage (the CLI passes its progress bar).
    `rebuild_indexes`: None decides per table (a first load of ≥ 20,000 rows into a table of
    at most 10,000 drops the secondary indexes and rebuilds them after; see
    `renkou.registry.loading.writer`), True/False forces it. Raises :class:`LoadError` when
    the directory cannot be loaded at all; nothing is written then.
    """
    started = time.perf_counter()
    directory = Path(path)
    if not directory.is_dir():
        raise LoadError(f"找不到目录“{directory}”", f"no such directory: '{directory}'")
    if actor is not None and not actor.has_perm("registry.change_person"):
        raise PermissionDenied("registry.change_person")
    with _no_cycle_collection():
        report = _load(directory, actor, progress, rebuild_indexes, batch_size, update)
    report.elapsed = time.perf_counter() - started
    logger.info(
        "registry bulk load of %s: %s; %d problem(s); %.1f s; per-row history not written",
        directory.name,
        ", ".join(
            f"{kind} {c.inserted}+{c.present}/{c.read}"
            for kind, c in report.counts.items()
            if c.read
        ),
        len(report.rejected),
        report.elapsed,
    )
    return report


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The load holds millions of small objects (checked rows, indexes of keys) that live
    until it ends, and makes no reference cycles worth collecting meanwhile; each full pass
    of the cycle collector walks all of them (11% of a 300k-person load's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(
    directory: Path,
    actor: User | None,
    progress: Progress | None,
    rebuild_indexes: bool | None,
    batch_size: int,
    update: bool = False,
) -> BulkLoadReport:
    report = BulkLoadReport(path=os.fspath(directory))
    stage = _Stages(report)

    # Every file is read (its encoding detected, its header checked) before anything is
    # written, units included: a file refused whole leaves the database as it was.
    with stage("read"):
        required = {kind: spec.required_columns() for kind, spec in SPECS.items()}
        tables = read_directory(directory, required, progress)
    with stage("units"):
        load_units(directory, report, actor, progress)

    with Writer(
        progress=progress, batch_size=batch_size, rebuild_indexes=rebuild_indexes
    ) as writer:
        ctx = LoadState(
            report=report,
            writer=writer,
            units=units_in_scope(actor),
            progress=progress,
            today=timezone.localdate(),
            update=update,
        )
        with stage("check"):
            _check(ctx, tables, stage)
        tables.clear()  # the checked values live in the stores now
        with stage("derive"):
            derive(ctx)
            links.add_links_of_births(ctx)
        with stage("write"):
            persist.write(ctx, writer, report, actor)
            apply_updates(ctx, report, actor)
        report.rebuilt_indexes = list(writer.bulk_tables)
        if writer.vendor == "postgresql" and writer.bulk_tables:
            # Searches join the units: on a fresh database the planner would otherwise take
            # the unit tree for one row until autovacuum gets to it (p50 0.5 s, not 7 ms).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE core_orgunit")
        for table, seconds in writer.timings.items():
            report.stages[f"write {table.removeprefix('registry_')}"] = seconds

    report.rejected.sort(key=lambda item: (KINDS.index(_kind_of(item.file)), item.line))
    try:
        report.write_rejected(directory / "rejected.csv")
    except OSError as error:  # a read-only directory: the report still holds the rows
        logger.warning("cannot write rejected.csv in %s: %s", directory.name, error)
    return report


# --------------------------------------------------------------------------- stages


class _Stages:
    """Times the stages into report.stages."""

    def __init__(self, report: BulkLoadReport) -> None:
        self.report = report

    def __call__(self, name: str) -> _Stages._Timer:
        return _Stages._Timer(self.report, name)

    class _Timer:
        def __init__(self, report: BulkLoadReport, name: str) -> None:
            self.report, self.name = report, name

        def __enter__(self) -> None:
            self.started = time.perf_counter()

        def __exit__(self, *exc_info: object) -> None:
            self.report.stages[self.name] = time.perf_counter() - self.started


def _kind_of(file_name: str) -> str:
    stem = file_name.rsplit(".", 1)[0]
    return stem if stem in KINDS else "events"


def _check(ctx: LoadState, tables: dict[str, Table], stage: _Stages) -> None:
    """Each kind against what was accepted before it, in load order."""
    people = tables["persons"]
    with stage("check households"):
        households.check_households(
            ctx, tables.get("households"), lambda: people.get("household_no")
        )
    with stage("check persons"):
        persons.check_persons(ctx, people)
    with stage("check references"):
        ctx.resolve(
            {
                (kind, column): table.array(column)
                for kind, columns in (
                    ("parent_child", ("parent_key", "child_key")),
                    ("marriages", ("husband_key", "wife_key")),
                    ("events", ("person_key", "mother_key", "father_key")),
                )
                if (table := tables.get(kind)) is not None
                for column in columns
            }
        )
    if "parent_child" in tables:
        with stage("check links"):
            links.check_links(ctx, tables["parent_child"])
    event_table = tables.get("events")
    with stage("check marriages"):
        marriages.check_marriages(
            ctx,
            tables.get("marriages"),
            event_table.get("marriage_key") if event_table is not None else (),
        )
    if event_table is not None:
        with stage("check events"):
            events.check_events(ctx, event_table)
