"""Persons already in the database whose row in the file says something else.

Without `--update` (the default) the stored record wins: each differing field is reported in
rejected.csv with both values — stored and file — and the way to apply the file's
(`renkou load --update`); the events of the file are then checked against the stored facts.
With `--update` the file's values are kept for the checks and written over the stored ones
after the new rows, each change a django-simple-history row (the load's actor, a reason
naming the file and line), and the policy listeners are told, as an action would.

Compared (and updated): ID number, name, sex, birth date, death date, status and the two
units; the derived name keys, responsible unit and floating status follow. Other columns of
a present person (phone, former names, …) are neither compared nor updated.
"""

from __future__ import annotations

import datetime
from typing import Any

from .common import value_iso
from .report import BulkLoadReport, Rejection
from .state import LoadState
from .stores import PersonColumns

# (label, column of PersonColumns, index in the fetched database row)
COMPARED = (
    ("id_number", "id_number", 2),
    ("name", "name", 3),
    ("sex", "sex", 4),
    ("birth_date", "birth_date", 5),
    ("death_date", "death_date", 6),
    ("status", "status", 7),
    ("hukou_unit_code", "hukou_unit_id", 9),
    ("residence_unit_code", "residence_unit_id", 10),
)
UPDATED_FIELDS = (
    "id_number", "name", "name_pinyin", "name_initials", "sex", "birth_date", "death_date",
    "status", "hukou_unit_id", "residence_unit_id", "unit_id", "floating",
)  # fmt: skip


def differences(
    ctx: LoadState, rows: PersonColumns, at: int, found: tuple
) -> list[tuple[str, str, str]]:
    """(field, stored value, file value) for each compared field that differs."""
    codes = {pk: code for code, (pk, _open) in ctx.units.items()}
    changed = []
    for label, column, index in COMPARED:
        stored = value_iso(found[index])
        if column == "id_number":
            stored = stored or None
        value = getattr(rows, column)[at]
        if stored != value:
            if column.endswith("_unit_id"):
                stored, value = codes.get(stored, stored), codes.get(value, value)
            changed.append((label, _shown(stored), _shown(value)))
    return changed


def _shown(value: Any) -> str:
    return "" if value is None else str(value)


def report_differences(
    ctx: LoadState, file: str, line: int, key: str, changed: list[tuple[str, str, str]]
) -> None:
    """One rejected.csv line per differing field (the row itself counts as present)."""
    for field, stored, value in changed:
        ctx.report.rejected.append(
            Rejection(
                file=file,
                line=line,
                key=key,
                field=field,
                code="differs",
                message_zh=f"已有记录的值为“{stored}”，文件中为“{value}”；未更新"
                "（用 renkou load --update 按文件更新，更新记入历史）",
                message_en=f"stored '{stored}', file '{value}'; not updated "
                "(renkou load --update applies the file's value, recorded in the history)",
            )
        )


def apply_updates(ctx: LoadState, report: BulkLoadReport, actor: Any) -> None:
    """Write the file's values over the differing present persons (`--update`), with one
    history row each; an ID number another person holds refuses that update."""
    from django.db import transaction
    from simple_history.utils import bulk_update_with_history

    from renkou.registry.listeners import facts_changed
    from renkou.registry.models import Person

    if not ctx.person_updates:
        return
    store = ctx.persons
    columns = store.columns
    positions = {found[0]: position for position, found in ctx.person_updates.items()}
    file = ctx.files.get("persons", "persons.csv")
    numbers = {columns.id_number[p]: pk for pk, p in positions.items() if columns.id_number[p]}
    taken = dict(
        Person.objects.filter(id_number__in=list(numbers))
        .exclude(pk__in=list(positions))
        .values_list("id_number", "pk")
    )
    people = []
    for person in Person.objects.filter(pk__in=list(positions)):
        position = positions[person.pk]
        number = columns.id_number[position]
        if number and number in taken:
            report.rejected.append(
                Rejection(
                    file=file, line=store.line[position], key=store.key[position],
                    field="id_number", code="not_written",
                    message_zh="身份证号已属于另一人，未按文件更新",
                    message_en="the ID number belongs to another person; not updated",
                )
            )  # fmt: skip
            continue
        for field in UPDATED_FIELDS:
            value = getattr(columns, field)[position]
            if field in ("birth_date", "death_date") and value:
                value = datetime.date.fromisoformat(value)
            setattr(person, field, value)
        person._change_reason = (
            f"批量导入更新 bulk load --update: {file} 第{store.line[position]}行"
        )
        people.append(person)
    if not people:
        return
    with transaction.atomic():
        bulk_update_with_history(people, Person, list(UPDATED_FIELDS), default_user=actor)
        facts_changed(*people)
    report.counts["persons"].updated = len(people)
