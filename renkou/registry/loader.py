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
present" (and "differs" when its values changed) and never updated. Loading the same directory
twice adds nothing.

Biological parent–child links a birth event implies (its mother and father) are created when
the parent_child file lacks them, as `record_birth` does, so `renkou.registry.derive` finds
the same children later. Existing rows are never updated, not even derived fields: a child
loaded after its younger siblings does not renumber them.

A bulk load writes no per-row history (django-simple-history): one summary line, without
personal data, goes to the `renkou.registry.loader` log instead.
"""

# The SQL strings hold only placeholders built here; values are bound.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import gc
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import compress
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from renkou.core.models import OrgUnit, User
from renkou.lib import scoping
from renkou.lib.formats import TableError
from renkou.registry.loading.checks import (
    NEW,
    PERSON_VALUES,
    PRESENT,
    REJECTED,
    REQUIRED,
    Checker,
    death_key,
    flags_json,
)
from renkou.registry.loading.report import KINDS, KindCounts, LoadError, LoadReport, Rejection
from renkou.registry.loading.tables import Table, find_file, read_kind
from renkou.registry.loading.writer import BATCH_SIZE, Writer

__all__ = ["KINDS", "KindCounts", "LoadError", "LoadReport", "Rejection", "load_directory"]

logger = logging.getLogger("renkou.registry.loader")

Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]

MARRIAGE_COLUMNS = (
    "id", "source_key", "husband_id", "wife_id", "start_date", "end_date", "end_reason",
    "husband_kind", "wife_kind", "unit_id",
)  # fmt: skip
EVENT_COLUMNS = (
    "source_key", "kind", "date", "person_id", "unit_id", "mother_id", "father_id", "place",
    "plurality", "cause_category", "division_from", "division_to", "residence_unit_id",
    "moves_hukou", "hukou_type", "reason", "marriage_id", "flags",
)  # fmt: skip


def load_directory(
    path: str | os.PathLike[str],
    *,
    actor: User | None = None,
    progress: Progress | None = None,
    rebuild_indexes: bool | None = None,
    batch_size: int = BATCH_SIZE,
) -> LoadReport:
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
        report = _load(directory, actor, progress, rebuild_indexes, batch_size)
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
) -> LoadReport:
    report = LoadReport(path=os.fspath(directory))
    stage = _Stages(report)

    with stage("units"):
        _load_units(directory, report, actor, progress)
    with stage("read"):
        tables = _read_tables(directory, progress)

    with Writer(
        progress=progress, batch_size=batch_size, rebuild_indexes=rebuild_indexes
    ) as writer:
        checker = Checker(
            report=report,
            writer=writer,
            units=_units(actor),
            progress=progress,
            today=timezone.localdate(),
        )
        with stage("check"):
            _check(checker, tables, stage)
        tables.clear()  # the checked values live in the checker now
        with stage("derive"):
            checker.derive(lambda mothers: _existing_children(writer, mothers))
            checker.add_links_of_births()
        with stage("write"):
            _write(checker, writer, report, actor)
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

    def __init__(self, report: LoadReport) -> None:
        self.report = report

    def __call__(self, name: str) -> _Stages._Timer:
        return _Stages._Timer(self.report, name)

    class _Timer:
        def __init__(self, report: LoadReport, name: str) -> None:
            self.report, self.name = report, name

        def __enter__(self) -> None:
            self.started = time.perf_counter()

        def __exit__(self, *exc_info: object) -> None:
            self.report.stages[self.name] = time.perf_counter() - self.started


def _kind_of(file_name: str) -> str:
    stem = file_name.rsplit(".", 1)[0]
    return stem if stem in KINDS else "events"


# --------------------------------------------------------------------------- units, reading


def _load_units(
    directory: Path, report: LoadReport, actor: User | None, progress: Progress | None
) -> None:
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


def _read_tables(directory: Path, progress: Progress | None) -> dict[str, Table]:
    kinds = [kind for kind in KINDS if kind != "units"]
    found: dict[str, Path] = {}
    try:
        for kind in kinds:
            path = find_file(directory, kind)
            if path is not None:
                found[kind] = path
    except TableError as error:
        raise LoadError(error.message_zh, error.message_en) from error
    if "persons" not in found:
        raise LoadError(
            f"目录“{directory}”中没有 persons.csv 或 persons.parquet",
            f"the directory '{directory}' has no persons.csv or persons.parquet",
        )
    tables: dict[str, Table] = {}
    items: Iterable[str] = list(found)
    if progress is not None:
        items = progress(list(found), len(found), "读取文件 reading files")
    for kind in items:
        try:
            tables[kind] = read_kind(found[kind], kind, REQUIRED[kind])
        except TableError as error:
            raise LoadError(error.message_zh, error.message_en) from error
    return tables


def _units(actor: User | None) -> dict[str, tuple[int, bool]]:
    """Division code → (id, open) of the units the actor may load into."""
    units: dict[str, tuple[int, bool]] = {}
    for pk, code, path, closed_on in OrgUnit.objects.values_list("pk", "code", "path", "closed_on"):
        if actor is None or scoping.path_in_scope(actor, path):
            units[code] = (pk, closed_on is None)
    return units


# --------------------------------------------------------------------------- checking


def _check(checker: Checker, tables: dict[str, Table], stage: _Stages) -> None:
    persons = tables["persons"]
    with stage("check households"):
        checker.check_households(tables.get("households"), lambda: persons.get("household_no"))
    with stage("check persons"):
        checker.check_persons(persons)
    with stage("check references"):
        checker.resolve(
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
            checker.check_links(tables["parent_child"])
    events = tables.get("events")
    with stage("check marriages"):
        checker.check_marriages(
            tables.get("marriages"), events.get("marriage_key") if events is not None else ()
        )
    if events is not None:
        with stage("check events"):
            checker.check_events(events)


def _existing_children(writer: Writer, mother_pks: list[int]) -> list[tuple]:
    """(mother, child, father, child's birth date) for biological children in the database."""
    rows: list[tuple] = []
    size = 450 if writer.vendor == "sqlite" else 20_000  # each chunk is bound twice
    with connection.cursor() as cursor:
        for start in range(0, len(mother_pks), size):
            chunk = mother_pks[start : start + size]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                "SELECT pc.parent_id, pc.child_id, p.birth_date FROM registry_parentchild pc "
                "JOIN registry_person p ON p.id = pc.child_id "
                f"WHERE pc.kind = 'biological' AND pc.parent_id IN ({marks}) "
                "UNION SELECT e.mother_id, e.person_id, p.birth_date FROM registry_event e "
                "JOIN registry_person p ON p.id = e.person_id "
                f"WHERE e.kind = 'birth' AND e.state = 'active' AND e.mother_id IN ({marks})",
                chunk + chunk,
            )
            rows.extend(cursor.fetchall())
        children = sorted({child for _mother, child, _birth in rows})
        fathers: dict[int, int] = {}
        for start in range(0, len(children), size):
            chunk = children[start : start + size]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                "SELECT pc.child_id, pc.parent_id FROM registry_parentchild pc "
                "JOIN registry_person f ON f.id = pc.parent_id "
                f"WHERE pc.kind = 'biological' AND f.sex = 'M' AND pc.child_id IN ({marks}) "
                "UNION SELECT e.person_id, e.father_id FROM registry_event e "
                "WHERE e.kind = 'birth' AND e.state = 'active' AND e.father_id IS NOT NULL "
                f"AND e.person_id IN ({marks})",
                chunk + chunk,
            )
            for child, father in cursor.fetchall():
                fathers.setdefault(child, father)
    return [(mother, child, fathers.get(child), birth) for mother, child, birth in rows]


# --------------------------------------------------------------------------- writing


def _write(checker: Checker, writer: Writer, report: LoadReport, actor: User | None) -> None:
    now = writer.datetime_value(timezone.now())
    late = _LateRejections(checker, report)
    _write_households(checker, writer, report, now, late)
    _write_persons(checker, writer, report, now, late)
    _write_links(checker, writer, report, late)
    _write_marriages(checker, writer, report, late)
    _write_events(checker, writer, report, now, actor, late)


class _LateRejections:
    """Rows that could not be written after all (a concurrent writer took a key or number)."""

    def __init__(self, checker: Checker, report: LoadReport) -> None:
        self.checker, self.report = checker, report

    def add(self, kind: str, line: int, key: str, field: str, zh: str, en: str) -> None:
        self.report.rejected.append(
            Rejection(
                file=self.checker.files.get(kind, f"{kind}.csv"),
                line=line,
                key=key,
                field=field,
                code="not_written",
                message_zh=zh,
                message_en=en,
            )
        )
        counts = self.report.counts[kind]
        counts.rejected += 1

    def conflict(self, kind: str, line: int, key: str, field: str) -> None:
        self.add(
            kind,
            line,
            key,
            field,
            "与同时写入的数据冲突，未写入",
            "conflicts with a record written at the same time; not written",
        )

    def depends(self, kind: str, line: int, key: str, field: str, what: str, row: int) -> None:
        labels = {"persons": ("人员", "person"), "marriages": ("婚姻", "marriage")}
        zh, en = labels[what]
        self.add(
            kind, line, key, field, f"{zh}第{row}行未能写入", f"{en} row {row} could not be written"
        )


def _write_households(checker: Checker, writer: Writer, report: LoadReport, now: Any, late) -> None:
    store = checker.households
    new = [position for position, state in enumerate(store.state) if state == NEW]
    counts = report.counts["households"]
    if not new:
        return
    ids = writer.reserve_ids("registry_household", len(new))
    for position, pk in zip(new, ids, strict=True):
        store.pk[position] = pk
    result = writer.insert(
        "registry_household",
        {
            "id": ids,
            "number": [store.number[p] for p in new],
            "address": [store.address[p] for p in new],
            "unit_id": [store.unit[p] for p in new],
        },
        constants={"created_at": now},
        unique=[("number",)],
        description="写入户 writing households",
        has_ids=True,
    )
    counts.inserted += result.inserted
    if result.missing_ids:
        by_pk = {store.pk[p]: p for p in new}
        missing = [by_pk[pk] for pk in result.missing_ids]
        found = {
            number: pk
            for pk, number in writer.fetch_in(
                "registry_household", ("id", "number"), "number", [store.number[p] for p in missing]
            )
        }
        for position in missing:
            number = store.number[position]
            if number in found:
                store.pk[position] = found[number]
                store.state[position] = PRESENT
                counts.present += 1
            else:
                store.pk[position] = None
                store.state[position] = REJECTED
                late.conflict("households", store.line[position], number, "household_no")


def _write_persons(checker: Checker, writer: Writer, report: LoadReport, now: Any, late) -> None:
    store = checker.persons
    households = checker.households
    counts = report.counts["persons"]
    file_rows = len(store.columns[0]) if store.columns else 0
    state = store.state
    # A person whose household could not be written after all is not written either.
    for position in range(file_rows):
        household = store.household[position]
        if state[position] == NEW and household is not None and households.pk[household] is None:
            state[position] = REJECTED
            late.add(
                "persons",
                store.line[position],
                store.key[position],
                "household_no",
                f"户第{households.line[household]}行未能写入",
                f"household row {households.line[household]} could not be written",
            )
    new_mask = [s == NEW for s in state[:file_rows]]
    everyone = all(new_mask)
    new = list(range(file_rows)) if everyone else list(compress(range(file_rows), new_mask))
    if not new:
        return
    ids = writer.reserve_ids("registry_person", len(new))
    for position, pk in zip(new, ids, strict=True):
        store.pk[position] = pk

    def pick(values: list[Any]) -> list[Any]:
        return values if everyone else list(compress(values, new_mask))

    data: dict[str, list[Any]] = {"id": ids}
    for name, values in zip(PERSON_VALUES, store.columns, strict=True):
        data[name] = pick(values)
    since, orders = store.floating_since, store.orders
    data["floating_since"] = [since.get(p) for p in new]
    no_orders = (None, None, None)
    ordered = [orders.get(p, no_orders) for p in new]
    data["birth_order_mother"] = [o[0] for o in ordered]
    data["parity_mother"] = [o[1] for o in ordered]
    data["birth_order_couple"] = [o[2] for o in ordered]
    household_pk = households.pk
    data["household_id"] = [
        household_pk[h] if h is not None else None for h in pick(store.household[:file_rows])
    ]
    del ordered
    result = writer.insert(
        "registry_person",
        data,
        constants={"created_at": now, "updated_at": now},
        unique=[("source_key",), ("id_number",)],
        description="写入人员 writing persons",
        has_ids=True,
    )
    del data
    counts.inserted += result.inserted
    if result.missing_ids:
        by_pk = {store.pk[p]: p for p in new}
        missing = [by_pk[pk] for pk in result.missing_ids]
        found = {
            key: pk
            for pk, key in writer.fetch_in(
                "registry_person",
                ("id", "source_key"),
                "source_key",
                [store.key[p] for p in missing],
            )
        }
        for position in missing:
            key = store.key[position]
            if key in found:
                store.pk[position] = found[key]
                state[position] = PRESENT
                counts.present += 1
            else:
                store.pk[position] = None
                state[position] = REJECTED
                late.conflict("persons", store.line[position], key, "id_number")
    store.columns = []  # free the memory


def _write_links(checker: Checker, writer: Writer, report: LoadReport, late) -> None:
    persons = checker.persons
    counts = report.counts["parent_child"]
    pk = persons.pk
    data: dict[str, list[Any]] = {"parent_id": [], "child_id": [], "kind": [], "since": []}
    derived = 0
    for link in checker.links:
        parent_pk, child_pk = pk[link.parent], pk[link.child]
        if parent_pk is None or child_pk is None:
            missing = link.parent if parent_pk is None else link.child
            late.depends(
                "parent_child",
                link.line,
                f"{persons.key[link.parent]}>{persons.key[link.child]}",
                "parent_key" if parent_pk is None else "child_key",
                "persons",
                persons.line[missing],
            )
            continue
        data["parent_id"].append(parent_pk)
        data["child_id"].append(child_pk)
        data["kind"].append(link.kind)
        data["since"].append(link.since)
        derived += link.derived
    result = writer.insert(
        "registry_parentchild",
        data,
        unique=[("parent_id", "child_id")],
        description="写入亲子关系 writing links",
    )
    # Derived links involve a person inserted just now: they cannot have been present.
    report.derived_links = min(derived, result.inserted)
    counts.inserted += result.inserted - report.derived_links
    counts.present += result.attempted - result.inserted


def _write_marriages(checker: Checker, writer: Writer, report: LoadReport, late) -> None:
    store = checker.marriages
    persons = checker.persons
    counts = report.counts["marriages"]
    new = []
    for position, state in enumerate(store.state):
        if state != NEW:
            continue
        spouses = (("husband_key", store.husband[position]), ("wife_key", store.wife[position]))
        for column, person in spouses:
            if persons.pk[person] is None:
                store.state[position] = REJECTED
                late.depends(
                    "marriages",
                    store.line[position],
                    store.values[position][0],
                    column,
                    "persons",
                    persons.line[person],
                )
                break
        else:
            new.append(position)
    if not new:
        return
    ids = writer.reserve_ids("registry_marriage", len(new))
    data: dict[str, list[Any]] = {name: [] for name in MARRIAGE_COLUMNS}
    for position, pk in zip(new, ids, strict=True):
        store.pk[position] = pk
        key, husband, wife, start, end, reason, husband_kind, wife_kind = store.values[position]
        row = (pk, key, persons.pk[husband], persons.pk[wife], start, end, reason, husband_kind,
               wife_kind, store.unit[position])  # fmt: skip
        for name, value in zip(MARRIAGE_COLUMNS, row, strict=True):
            data[name].append(value)
    result = writer.insert(
        "registry_marriage",
        data,
        unique=[("source_key",)],
        description="写入婚姻 writing marriages",
        has_ids=True,
    )
    counts.inserted += result.inserted
    if result.missing_ids:
        by_pk = {store.pk[p]: p for p in new}
        missing = [by_pk[pk] for pk in result.missing_ids]
        keys = [store.values[p][0] for p in missing]
        found = {
            key: pk
            for pk, key in writer.fetch_in(
                "registry_marriage", ("id", "source_key"), "source_key", keys
            )
        }
        for position in missing:
            key = store.values[position][0]
            if key in found:
                store.pk[position] = found[key]
                store.state[position] = PRESENT
                counts.present += 1
            else:
                store.pk[position] = None
                store.state[position] = REJECTED
                late.conflict("marriages", store.line[position], key, "marriage_key")


def _write_events(
    checker: Checker, writer: Writer, report: LoadReport, now: Any, actor: User | None, late
) -> None:
    persons = checker.persons
    marriages = checker.marriages
    counts = report.counts["events"]
    pk = persons.pk
    rows = []
    for event in checker.events:
        if event.state != NEW:
            continue
        person_pk = pk[event.person]
        mother_pk = pk[event.mother] if event.mother is not None else None
        father_pk = pk[event.father] if event.father is not None else None
        marriage_pk = marriages.pk[event.marriage] if event.marriage is not None else None
        broken = (
            ("person_key", event.person) if person_pk is None
            else ("mother_key", event.mother) if event.mother is not None and mother_pk is None
            else ("father_key", event.father) if event.father is not None and father_pk is None
            else None
        )  # fmt: skip
        if broken is not None:
            late.depends(
                "events", event.line, event.key, broken[0], "persons", persons.line[broken[1]]
            )
            continue
        if event.marriage is not None and marriage_pk is None:
            late.depends(
                "events", event.line, event.key, "marriage_key", "marriages",
                marriages.line[event.marriage],
            )  # fmt: skip
            continue
        rows.append(
            (event.key, event.kind, event.date, person_pk, event.unit, mother_pk, father_pk,
             event.place, event.plurality, event.cause_category, event.division_from,
             event.division_to, event.residence_unit, event.moves_hukou, event.hukou_type,
             event.reason, marriage_pk, flags_json(event.flags))
        )  # fmt: skip
    file_rows = len(rows)
    for position in checker.deceased_without_death_event():
        if pk[position] is None:
            continue
        rows.append(
            (death_key(persons.key[position]), "death", persons.death[position], pk[position],
             persons.unit[position], None, None, "", 1, "", "", "", None, False, "", "", None,
             "[]")
        )  # fmt: skip
    if not rows:
        return
    data = {
        name: list(values)
        for name, values in zip(EVENT_COLUMNS, zip(*rows, strict=True), strict=True)
    }
    del rows
    result = writer.insert(
        "registry_event",
        data,
        unique=[("source_key",)],
        constants={
            "state": "active",
            "recorded_at": now,
            "recorded_by_id": actor.pk if actor is not None else None,
        },
        description="写入事件 writing events",
    )
    derived = len(data["source_key"]) - file_rows
    # The derived deaths belong to persons inserted just now: they cannot have been present.
    report.derived_deaths = min(derived, result.inserted)
    inserted_from_file = result.inserted - report.derived_deaths
    counts.inserted += inserted_from_file
    counts.present += file_rows - inserted_from_file
