"""Marriages (`marriages` file): a husband and a wife of the person store, dates, end.

Vectorised checks for the common case (both spouses known, of the right sex, of the legal age
and alive on the day), `_marriage_row` for the rest; both read `fields.MARRIAGES`. The
marriages the events name that the database holds are read into the store (DB).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np

from renkou.registry import rules

from .common import (
    Rejected,
    age_on,
    as_date,
    blank,
    day_numbers,
    duplicate,
    filled,
    if_blank,
    iso_dates,
    none_if_blank,
    optional_date,
    required_problem,
    value_iso,
)
from .fields import MARRIAGES as SPEC
from .state import LoadState
from .stores import DB, NEW, PRESENT, REJECTED, MarriageValues
from .tables import Table


def check_marriages(ctx: LoadState, table: Table | None, keys_in_events: Iterable[str]) -> None:
    store = ctx.marriages
    persons = ctx.persons
    wanted = itertools.chain(keys_in_events, table.get("marriage_key") if table else ())
    existing = {
        row[1]: row
        for row in ctx.writer.fetch_in(
            "registry_marriage",
            ("id", "source_key", "husband_id", "wife_id", "start_date"),
            "source_key",
            wanted,
        )
    }
    if table is not None:
        _marriage_rows(ctx, table, existing)
    missing = [key for key in existing if key not in store.index]
    if missing:
        pk_to_person = {pk: i for i, pk in enumerate(persons.pk) if pk is not None}
        for key in missing:
            pk, _key, husband_id, wife_id, start_date = existing[key]
            ctx.marriages.add(
                key,
                DB,
                0,
                pk,
                pk_to_person.get(husband_id, -1),
                pk_to_person.get(wife_id, -1),
                value_iso(start_date),
            )


def _marriage_rows(ctx: LoadState, table: Table, existing: dict[str, tuple]) -> None:
    """Vectorised checks for the common case, `_marriage_row` for the rest."""
    store = ctx.marriages
    persons = ctx.persons
    ctx.files["marriages"] = table.file
    counts = ctx.report.counts["marriages"]
    n = counts.read = table.rows
    people = ctx.person_arrays()
    column = table.array
    keys, start, end = column("marriage_key"), column("start_date"), column("end_date")
    husbands = ctx.positions("marriages", "husband_key", table)
    wives = ctx.positions("marriages", "wife_key", table)
    ok = filled(keys) & SPEC.within_length("marriage_key", keys) & (husbands >= 0) & (wives >= 0)
    ok &= table.clean  # ragged rows, control characters
    h, w = np.where(husbands >= 0, husbands, 0), np.where(wives >= 0, wives, 0)
    ok &= (people.state[h] != REJECTED) & (people.state[w] != REJECTED)
    ok &= people.male[h] & people.female[w]
    ok &= iso_dates(start) & (blank(end) | iso_dates(end))
    day, until = day_numbers(start), day_numbers(end)
    ok &= (until == 0) | (until >= day)
    for spouse, sex in ((h, "M"), (w, "F")):
        legal = _legal_marriage_age(day, sex)
        born, died = people.birth[spouse], people.death[spouse]
        ok &= ((day - born) // 10000 >= legal) & ((died == 0) | (day <= died))
    for name in ("end_reason", "husband_kind", "wife_kind"):
        ok &= SPEC.fast_codes(name, column(name))
    key_list, line_of = table.get("marriage_key"), table.line
    start_list, end_list = none_if_blank(start), none_if_blank(end)
    reasons = table.get("end_reason")
    kinds = [if_blank(column(name), "first") for name in ("husband_kind", "wife_kind")]
    ok_list, husband_list, wife_list = ok.tolist(), husbands.tolist(), wives.tolist()
    unit = persons.unit
    names = tuple(SPEC.fields)
    for i in range(n):
        key = key_list[i]
        if ok_list[i] and key not in store.index:
            values = MarriageValues(
                key, husband_list[i], wife_list[i], start_list[i], end_list[i], reasons[i],
                kinds[0][i], kinds[1][i],
            )  # fmt: skip
        else:
            try:
                values = _marriage_row(ctx, ctx.row_cells(table, i, names))
            except Rejected as problem:
                ctx.reject(table, i, key, problem)
                if key and key not in store.index:
                    ctx.marriages.add(key, REJECTED, line_of(i), None, -1, -1, "")
                continue
        husband, wife = values.husband, values.wife
        found = existing.get(key)
        if found is None:
            position = ctx.marriages.add(key, NEW, line_of(i), None, husband, wife, values.start)
            store.values[position] = values
            store.unit[position] = unit[husband] if unit[husband] is not None else unit[wife]
            continue
        ctx.marriages.add(key, PRESENT, line_of(i), found[0], husband, wife, values.start)
        counts.present += 1
        if (
            found[2] != persons.pk[husband]
            or found[3] != persons.pk[wife]
            or value_iso(found[4]) != values.start
        ):
            counts.differs += 1
    counts.rejected = ctx.rejected_count("marriages")


def _marriage_row(ctx: LoadState, row: tuple[str, ...]) -> MarriageValues:
    key, husband_key, wife_key, start, end, end_reason, husband_kind, wife_kind = row
    persons = ctx.persons
    SPEC.check_text("marriage_key", key)
    if key in ctx.marriages.index:
        position = ctx.marriages.index[key]
        raise duplicate("marriage_key", key, ctx.marriages.line[position])
    for column, value in (("husband_key", husband_key), ("wife_key", wife_key)):
        if not value:
            raise required_problem(column)
    if not start:
        raise required_problem("start_date")
    start = optional_date("start_date", start)
    end = optional_date("end_date", end)
    husband = ctx.person("husband_key", husband_key)
    wife = ctx.person("wife_key", wife_key)
    if persons.sex[husband] != "M":
        raise Rejected(
            "husband_key",
            "husband_sex",
            "丈夫的性别不是男",
            "the husband is not recorded as male",
        )
    if persons.sex[wife] != "F":
        raise Rejected(
            "wife_key", "wife_sex", "妻子的性别不是女", "the wife is not recorded as female"
        )
    for column, person, who in (
        ("husband_key", husband, ("男方", "the man")),
        ("wife_key", wife, ("女方", "the woman")),
    ):
        birth, death = persons.birth[person], persons.death[person]
        if start < birth or (death is not None and start > death):
            problem = rules.check_within_life(
                as_date(start), as_date(birth), as_date(death) if death else None,
                field="start_date", who=who,
            )[0]  # fmt: skip
            raise Rejected(column, problem.code, problem.message_zh, problem.message_en)
        sex = persons.sex[person]
        if age_on(birth, start) < rules.marriage_age_on(as_date(start))[sex]:
            problem = rules.check_marriage_age(sex, as_date(birth), as_date(start))[0]
            raise Rejected(column, problem.code, problem.message_zh, problem.message_en)
    if end is not None and end < start:
        raise Rejected(
            "end_date", "end_before_start", "结束日期早于结婚日期",
            "the end date is before the start date",
        )  # fmt: skip
    reason = SPEC.code_map("end_reason").get(end_reason)
    if reason is None:
        raise Rejected(
            "end_reason", "end_reason", f"结束原因“{end_reason}”无效（divorce、death）",
            f"invalid end_reason '{end_reason}' (divorce, death)",
        )  # fmt: skip
    kinds = []
    for column, text in (("husband_kind", husband_kind), ("wife_kind", wife_kind)):
        value = SPEC.code_map(column).get(text)
        if value is None:
            raise Rejected(
                column, "marriage_kind", f"{column}“{text}”无效（first、remarriage）",
                f"invalid {column} '{text}' (first, remarriage)",
            )  # fmt: skip
        kinds.append(value)
    return MarriageValues(key, husband, wife, start, end, reason, kinds[0], kinds[1])


def _legal_marriage_age(day: np.ndarray, sex: str) -> np.ndarray:
    """The minimum age by the marriage law in force on each day (yyyymmdd numbers)."""
    legal = np.zeros(len(day), dtype=np.int64)
    for since, ages in reversed(rules.MARRIAGE_AGES):
        number = since.year * 10000 + since.month * 100 + since.day if since.year > 1 else 0
        legal = np.where(day >= number, ages[sex], legal)
    return legal
