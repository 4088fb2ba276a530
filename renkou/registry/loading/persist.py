"""Writing the accepted rows of a load: households, persons, links, marriages, events, in that
order, with the primary keys reserved first so the rows that refer to them are built without
reading ids back (see `renkou.registry.loading.writer`).

A row that could not be written after all (a concurrent writer took its key or number, or a
row it depends on was not written) is a late rejection with the code `not_written`.
"""

from __future__ import annotations

from itertools import compress
from typing import Any

from django.utils import timezone

from renkou.core.models import User

from .common import death_key, flags_json
from .derived import deceased_without_death_event
from .report import BulkLoadReport, Rejection
from .state import LoadState
from .stores import NEW, PRESENT, REJECTED
from .writer import Writer

MARRIAGE_COLUMNS = (
    "id", "source_key", "husband_id", "wife_id", "start_date", "end_date", "end_reason",
    "husband_kind", "wife_kind", "unit_id",
)  # fmt: skip
EVENT_COLUMNS = (
    "source_key", "kind", "date", "person_id", "unit_id", "mother_id", "father_id", "place",
    "plurality", "cause_category", "division_from", "division_to", "residence_unit_id",
    "moves_hukou", "hukou_type", "reason", "marriage_id", "flags",
)  # fmt: skip


def write(ctx: LoadState, writer: Writer, report: BulkLoadReport, actor: User | None) -> None:
    """Insert the accepted rows, kind by kind, in load order."""
    now = writer.datetime_value(timezone.now())
    late = _LateRejections(ctx, report)
    _write_households(ctx, writer, report, now, late)
    _write_persons(ctx, writer, report, now, late)
    _write_links(ctx, writer, report, late)
    _write_marriages(ctx, writer, report, late)
    _write_events(ctx, writer, report, now, actor, late)


class _LateRejections:
    """Rows that could not be written after all (a concurrent writer took a key or number)."""

    def __init__(self, ctx: LoadState, report: BulkLoadReport) -> None:
        self.ctx, self.report = ctx, report

    def add(self, kind: str, line: int, key: str, field: str, zh: str, en: str) -> None:
        self.report.rejected.append(
            Rejection(
                file=self.ctx.files.get(kind, f"{kind}.csv"),
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


def _write_households(
    ctx: LoadState, writer: Writer, report: BulkLoadReport, now: Any, late
) -> None:
    store = ctx.households
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


def _write_persons(ctx: LoadState, writer: Writer, report: BulkLoadReport, now: Any, late) -> None:
    store = ctx.persons
    households = ctx.households
    counts = report.counts["persons"]
    file_rows = store.file_rows
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
    for name, values in store.columns.items():
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
    store.columns = None  # free the memory


def _write_links(ctx: LoadState, writer: Writer, report: BulkLoadReport, late) -> None:
    persons = ctx.persons
    counts = report.counts["parent_child"]
    pk = persons.pk
    data: dict[str, list[Any]] = {"parent_id": [], "child_id": [], "kind": [], "since": []}
    derived = 0
    for link in ctx.links:
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


def _write_marriages(ctx: LoadState, writer: Writer, report: BulkLoadReport, late) -> None:
    store = ctx.marriages
    persons = ctx.persons
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
                    store.values[position].key,
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
        keys = [store.values[p].key for p in missing]
        found = {
            key: pk
            for pk, key in writer.fetch_in(
                "registry_marriage", ("id", "source_key"), "source_key", keys
            )
        }
        for position in missing:
            key = store.values[position].key
            if key in found:
                store.pk[position] = found[key]
                store.state[position] = PRESENT
                counts.present += 1
            else:
                store.pk[position] = None
                store.state[position] = REJECTED
                late.conflict("marriages", store.line[position], key, "marriage_key")


def _write_events(
    ctx: LoadState, writer: Writer, report: BulkLoadReport, now: Any, actor: User | None, late
) -> None:
    persons = ctx.persons
    marriages = ctx.marriages
    counts = report.counts["events"]
    pk = persons.pk
    rows = []
    for event in ctx.events:
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
    for position in deceased_without_death_event(ctx):
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
