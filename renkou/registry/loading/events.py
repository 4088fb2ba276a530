"""Events (`events` file): births, deaths, moves, marriages and divorces, registration-type
changes of the persons in the store.

As the links: vectorised row-local checks, one pass in file order for duplicates, second
birth events, conflicts with the links and the flags; `_event_row` for the rows a quick check
flags. Both read `fields.EVENTS`. Every death row, even a rejected one, stops the loader
inventing a death event for the person.
"""

from __future__ import annotations

import numpy as np

from renkou.lib import divisions
from renkou.registry import rules

from .common import (
    Rejected,
    as_date,
    blank,
    day_numbers,
    duplicate,
    filled,
    ids_at,
    index_in,
    iso_dates,
    member,
    np_bool,
    optional_date,
    required_problem,
    value_iso,
)
from .fields import EVENTS as SPEC
from .links import check_biological
from .state import LoadState
from .stores import PRESENT, REJECTED, EventRow
from .tables import Table

EVENT_INPUT = tuple(SPEC.fields)  # the cells `_event_row` takes, in this order


def check_events(ctx: LoadState, table: Table) -> None:
    """As check_links: vectorised row-local checks, one pass in file order for duplicates,
    second birth events, conflicts with the links and the flags; `_event_row` for the
    rows a quick check flags."""
    import pyarrow.compute as pc

    ctx.files["events"] = table.file
    counts = ctx.report.counts["events"]
    n = counts.read = table.rows
    people = ctx.person_arrays()
    persons = ctx.persons
    column = table.array
    keys, kinds, dates = column("event_key"), column("kind"), column("date")
    who = ctx.positions("events", "person_key", table)
    mothers = ctx.positions("events", "mother_key", table)
    fathers = ctx.positions("events", "father_key", table)
    ok = filled(keys) & SPEC.within_length("event_key", keys) & SPEC.fast_codes("kind", kinds)
    ok &= table.clean  # ragged rows, control characters
    ok &= iso_dates(dates) & np_bool(pc.less_equal(dates, ctx.today)) & (who >= 0)
    person = np.where(who >= 0, who, 0)
    ok &= people.state[person] != REJECTED
    day = day_numbers(dates)
    kind_is = {kind: np_bool(pc.equal(kinds, kind)) for kind in SPEC.stored_codes("kind")}
    born, died = people.birth[person], people.death[person]
    ok &= np.where(kind_is["birth"], day == born, (day >= born) & ((died == 0) | (day <= died)))
    ok &= blank(column("unit_code"))
    for name in ("place", "cause_category", "reason"):
        ok &= SPEC.within_length(name, column(name))
    # Births: known parents of the right sex, older than the child, the mother 15–50 and
    # alive at the birth.
    low, high = rules.MOTHER_AGE_USUAL
    m, f = np.where(mothers >= 0, mothers, 0), np.where(fathers >= 0, fathers, 0)
    no_mother, no_father = blank(column("mother_key")), blank(column("father_key"))
    age = (born - people.birth[m]) // 10000
    mother_ok = no_mother | (
        (mothers >= 0) & (people.state[m] != REJECTED) & people.female[m]
        & (people.birth[m] < born) & (age >= low) & (age <= high)
        & ((people.death[m] == 0) | (people.death[m] >= born))
    )  # fmt: skip
    father_ok = no_father | (
        (fathers >= 0) & (people.state[f] != REJECTED) & people.male[f]
        & (people.birth[f] < born)
    )  # fmt: skip
    plurality = column("plurality")
    plurality_ok = member(plurality, ("", "1", "2", "3", "4", "5", "6", "7", "8"))
    ok &= ~kind_is["birth"] | (mother_ok & father_ok & plurality_ok)
    ok &= ~kind_is["death"] | (people.deceased[person] & (day == died))
    moves = kind_is["move_in"] | kind_is["move_out"]
    twelve = r"^[0-9]{12}$"
    residence_at = index_in(column("residence_unit_code"), list(ctx.units))
    move_ok = (blank(column("residence_unit_code")) | (residence_at >= 0)) & SPEC.fast_codes(
        "moves_hukou", column("moves_hukou")
    )
    for name in ("division_from", "division_to"):
        move_ok &= blank(column(name)) | np_bool(pc.match_substring_regex(column(name), twelve))
    ok &= ~moves | move_ok
    ok &= ~kind_is["hukou_type"] | member(column("hukou_type"), SPEC.stored_codes("hukou_type"))
    marriage_at = index_in(column("marriage_key"), list(ctx.marriages.index))
    marriage_at[marriage_at >= 0] = np.asarray(
        list(ctx.marriages.index.values()) or [0], dtype=np.int64
    )[marriage_at[marriage_at >= 0]]
    mar = np.where(marriage_at >= 0, marriage_at, 0)
    store = ctx.marriages
    marriage_state = np.asarray(store.state + [REJECTED], dtype=np.int8)[mar]
    husband = np.asarray(store.husband + [-1], dtype=np.int64)[mar]
    wife = np.asarray(store.wife + [-1], dtype=np.int64)[mar]
    spouse_ok = (marriage_at >= 0) & (marriage_state != REJECTED)
    spouse_ok &= ((husband == -1) | (wife == -1)) | (husband == person) | (wife == person)
    ok &= ~(kind_is["marriage"] | kind_is["divorce"]) | spouse_ok
    # Every death row (even one rejected below) stops the loader inventing another.
    ctx.death_event_for.update(who[kind_is["death"] & (who >= 0)].tolist())

    unit_ids = np.array([pk for pk, _open in ctx.units.values()] + [0], dtype=np.int64)
    values = {
        name: table.get(name)
        for name in (
            "event_key", "kind", "date", "place", "cause_category", "reason",
            "division_from", "division_to", "hukou_type",
        )
    }  # fmt: skip
    plurality_list = pc.if_else(blank(plurality), "1", plurality).to_pylist()
    residence_list = ids_at(unit_ids, np.where(moves, residence_at, -1))
    moving = np_bool(pc.equal(column("moves_hukou"), "1")).tolist()
    lists = (
        ok.tolist(), who.tolist(), mothers.tolist(), fathers.tolist(),
        marriage_at.tolist(), kind_is["birth"].tolist(),
    )  # fmt: skip
    ok_list, who_list, mother_list, father_list, marriage_list, birth_list = lists
    seen: dict[str, int] = {}
    births: dict[int, int] = {}  # child → line of its birth event
    couples = _marriages_by_couple(
        ctx,
    )
    mother_of, father_of = ctx.mother_of, ctx.father_of
    unit_of, events, line_of = persons.unit, ctx.events, table.line
    key_list, kind_list, date_list = values["event_key"], values["kind"], values["date"]
    for start, end in ctx.steps(n, "检查事件 checking events"):
        for i in range(start, end):
            key = key_list[i]
            if ok_list[i] and key not in seen:
                child = who_list[i]
                mother = mother_list[i] if mother_list[i] >= 0 else None
                father = father_list[i] if father_list[i] >= 0 else None
                if birth_list[i] and (
                    child in births
                    or (mother is not None and mother_of.get(child, mother) != mother)
                    or (father is not None and father_of.get(child, father) != father)
                ):
                    pass  # the slow path names the problem
                else:
                    line = line_of(i)
                    kind = kind_list[i]
                    move = kind == "move_in" or kind == "move_out"
                    event = EventRow(
                        key=key, kind=kind, date=date_list[i], person=child,
                        unit=unit_of[child], mother=mother, father=father,
                        place=values["place"][i], plurality=int(plurality_list[i]),
                        cause_category=values["cause_category"][i],
                        division_from=values["division_from"][i] if move else "",
                        division_to=values["division_to"][i] if move else "",
                        residence_unit=residence_list[i], moves_hukou=move and moving[i],
                        hukou_type=values["hukou_type"][i] if kind == "hukou_type"
                        else "",
                        reason=values["reason"][i],
                        marriage=marriage_list[i] if marriage_list[i] >= 0 else None,
                        line=line,
                    )  # fmt: skip
                    if birth_list[i]:
                        births[child] = line
                        _flag_before_marriage(ctx, table, i, event, couples)
                    elif kind != "marriage" and kind != "divorce":
                        event.marriage = None
                    seen[key] = line
                    events.append(event)
                    continue
            _event_slow(ctx, table, i, seen, births, couples)
    existing = ctx.writer.fetch_in(
        "registry_event",
        ("id", "source_key", "kind", "date", "person_id"),
        "source_key",
        seen,
    )
    if existing:
        by_key = {event.key: event for event in events}
        for _pk, key, kind, date, person_pk in existing:
            event = by_key[key]
            event.state = PRESENT
            counts.present += 1
            if (
                kind != event.kind
                or value_iso(date) != event.date
                or person_pk != persons.pk[event.person]
            ):
                counts.differs += 1
    counts.rejected = ctx.rejected_count("events")


def _event_slow(
    ctx: LoadState,
    table: Table,
    index: int,
    seen: dict[str, int],
    births: dict[int, int],
    couples: dict[tuple[int, int], str],
) -> None:
    try:
        row = ctx.row_cells(table, index, EVENT_INPUT)
    except Rejected as problem:
        ctx.reject(table, index, table.get("event_key")[index], problem)
        return
    try:
        event = _event_row(ctx, table, index, row, seen, births, couples)
    except Rejected as problem:
        ctx.reject(table, index, row[0], problem)
        return
    seen[event.key] = event.line
    ctx.events.append(event)


def _flag_before_marriage(
    ctx: LoadState, table: Table, index: int, event: EventRow, couples: dict[tuple[int, int], str]
) -> None:
    mother = event.mother if event.mother is not None else ctx.mother_of.get(event.person)
    father = event.father if event.father is not None else ctx.father_of.get(event.person)
    if mother is None or father is None:
        return
    married = couples.get((father, mother))
    if married is not None and event.date < married:
        for problem in rules.check_birth_before_marriage(as_date(event.date), as_date(married)):
            ctx.warn(table, index, event.key, problem)
            event.flags.append(problem.code)


def _marriages_by_couple(ctx: LoadState) -> dict[tuple[int, int], str]:
    store = ctx.marriages
    couples: dict[tuple[int, int], str] = {}
    for position, state in enumerate(store.state):
        if state != REJECTED and store.husband[position] >= 0 and store.wife[position] >= 0:
            pair = (store.husband[position], store.wife[position])
            couples[pair] = min(couples.get(pair, store.start[position]), store.start[position])
    return couples


def _event_row(
    ctx: LoadState,
    table: Table,
    index: int,
    row: tuple[str, ...],
    keys: dict[str, int],
    births: dict[int, int],
    couples: dict[tuple[int, int], str],
) -> EventRow:
    (
        key, kind, date_text, person_key, unit_code, mother_key, father_key, place,
        plurality_text, cause, division_from, division_to, residence_code, moves_hukou,
        reason, hukou_type, marriage_key,
    ) = row  # fmt: skip
    persons = ctx.persons
    SPEC.check_text("event_key", key)
    if key in keys:
        raise duplicate("event_key", key, keys[key])
    if not kind:
        raise required_problem("kind")
    kinds = SPEC.stored_codes("kind")
    if kind not in SPEC.code_map("kind"):
        raise Rejected(
            "kind", "kind", f"事件类型“{kind}”无效（{'、'.join(kinds)}）",
            f"invalid kind '{kind}' ({', '.join(kinds)})",
        )  # fmt: skip
    if not date_text:
        raise required_problem("date")
    date = optional_date("date", date_text)
    if not person_key:
        raise required_problem("person_key")
    # A death row, even a rejected one, means the loader must not invent another.
    position = persons.index.get(person_key)
    if kind == "death" and position is not None:
        ctx.death_event_for.add(position)
    person = ctx.person("person_key", person_key)
    birth, death = persons.birth[person], persons.death[person]
    if kind == "birth":
        if date != birth:
            raise Rejected(
                "date", "birth_date_mismatch", f"出生事件日期与人员的出生日期（{birth}）不一致",
                f"the birth event's date differs from the person's birth date ({birth})",
            )  # fmt: skip
    elif date < birth or (death is not None and date > death):
        problem = rules.check_within_life(
            as_date(date), as_date(birth), as_date(death) if death else None
        )[0]
        raise Rejected(problem.field, problem.code, problem.message_zh, problem.message_en)
    if date > ctx.today:
        raise Rejected("date", "future", "事件日期晚于今天", "the event date is in the future")
    for column, text in (("place", place), ("cause_category", cause), ("reason", reason)):
        SPEC.check_length(column, text)
    unit = (
        ctx.unit("unit_code", unit_code, must_be_open=False) if unit_code else persons.unit[person]
    )
    event = EventRow(
        key=key, kind=kind, date=date, person=person, unit=unit, line=table.line(index)
    )
    event.place, event.cause_category, event.reason = place, cause, reason
    if kind == "birth":
        _birth_event(
            ctx, table, index, event, mother_key, father_key, plurality_text, births, couples
        )
    elif kind == "death":
        if persons.status[person] != "deceased":
            raise Rejected(
                "kind", "not_deceased", "该人员的状态不是死亡，不能有死亡事件",
                "the person is not recorded as deceased",
            )  # fmt: skip
        if death is not None and date != death:
            raise Rejected(
                "date", "death_date_mismatch", f"死亡事件日期与人员的死亡日期（{death}）不一致",
                f"the death event's date differs from the person's death date ({death})",
            )  # fmt: skip
    elif kind in ("move_in", "move_out"):
        for column, text in (("division_from", division_from), ("division_to", division_to)):
            if text:
                code = divisions.normalise_code(text)
                if len(code) != 12 or not code.isdigit():
                    raise Rejected(
                        column, "division", f"{column}“{text}”应为12位区划代码",
                        f"{column} '{text}' must be a 12-digit division code",
                    )  # fmt: skip
                setattr(event, column, code)
        if residence_code:
            event.residence_unit = ctx.unit(
                "residence_unit_code", residence_code, must_be_open=False
            )
        flag = SPEC.code_map("moves_hukou").get(moves_hukou.strip().lower())
        event.moves_hukou = flag == "1"
        if flag is None:
            raise Rejected(
                "moves_hukou", "boolean", f"moves_hukou“{moves_hukou}”应为 1 或 0",
                f"moves_hukou '{moves_hukou}' must be 1 or 0",
            )  # fmt: skip
    elif kind == "hukou_type":
        value = SPEC.code_map("hukou_type").get(hukou_type)
        if value is None:
            raise Rejected(
                "hukou_type", "hukou_type",
                f"户口性质“{hukou_type}”无效（agricultural、non_agricultural、unified）",
                f"hukou_type '{hukou_type}' is missing or invalid "
                "(agricultural, non_agricultural, unified)",
            )  # fmt: skip
        event.hukou_type = value
    elif kind in ("marriage", "divorce"):
        if not marriage_key:
            raise required_problem("marriage_key")
        position = ctx.marriages.index.get(marriage_key)
        if position is None:
            raise Rejected(
                "marriage_key", "unknown_marriage", f"未知的婚姻“{marriage_key}”",
                f"unknown marriage '{marriage_key}'",
            )  # fmt: skip
        if ctx.marriages.state[position] == REJECTED:
            line = ctx.marriages.line[position]
            raise Rejected(
                "marriage_key", "marriage_rejected", f"婚姻第{line}行被拒绝",
                f"marriage row {line} was rejected",
            )  # fmt: skip
        spouses = (ctx.marriages.husband[position], ctx.marriages.wife[position])
        if -1 not in spouses and person not in spouses:
            raise Rejected(
                "person_key", "not_spouse", "该人员不是这段婚姻的一方",
                "the person is not a spouse in this marriage",
            )  # fmt: skip
        event.marriage = position
    return event


def _birth_event(
    ctx: LoadState,
    table: Table,
    index: int,
    event: EventRow,
    mother_key: str,
    father_key: str,
    plurality_text: str,
    births: dict[int, int],
    couples: dict[tuple[int, int], str],
) -> None:
    persons = ctx.persons
    child = event.person
    if child in births:
        raise Rejected(
            "person_key", "second_birth", f"该人员已有出生事件（第{births[child]}行）",
            f"the person already has a birth event (line {births[child]})",
        )  # fmt: skip
    if plurality_text:
        if not plurality_text.isdigit() or not 1 <= int(plurality_text) <= 8:
            raise Rejected(
                "plurality", "plurality", f"一胎婴儿数“{plurality_text}”应为1–8",
                f"plurality '{plurality_text}' must be 1 to 8",
            )  # fmt: skip
        event.plurality = int(plurality_text)
    for column, key, sex, known in (
        ("mother_key", mother_key, "F", ctx.mother_of),
        ("father_key", father_key, "M", ctx.father_of),
    ):
        if not key:
            continue
        parent = ctx.person(column, key)
        if persons.sex[parent] != sex:
            raise Rejected(
                column, "parent_sex",
                "母亲的性别不是女" if sex == "F" else "父亲的性别不是男",
                "the mother is not recorded as female" if sex == "F"
                else "the father is not recorded as male",
            )  # fmt: skip
        if persons.birth[parent] >= persons.birth[child]:
            raise Rejected(
                column, "parent_younger",
                f"父母（{persons.birth[parent]}出生）不比子女（{persons.birth[child]}出生）年长",
                f"the parent (born {persons.birth[parent]}) is not older than the child "
                f"(born {persons.birth[child]})",
            )  # fmt: skip
        linked = known.get(child)
        if linked is not None and linked != parent:
            raise Rejected(
                column, "parent_conflict", "与亲子关系文件中的亲生父母不一致",
                "differs from the biological parent in the parent_child file",
            )  # fmt: skip
        if sex == "F":
            event.mother = parent
            event.flags.extend(
                check_biological(ctx, table, index, event.key, parent, child, column)
            )
        else:
            event.father = parent
    _flag_before_marriage(ctx, table, index, event, couples)
    births[child] = event.line
