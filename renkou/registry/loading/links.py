"""Parent–child links (`parent_child` file), and the biological links birth events imply.

Row-local checks are vectorised over the file; one cheap pass in file order handles what
depends on earlier rows (duplicates, a second biological mother or father); a flagged row
takes `_link_slow`, which gives the reason. `check_biological` (the mother's age, the parent
alive at the birth) is shared with the birth events.
"""

from __future__ import annotations

import numpy as np

from renkou.registry import rules

from .common import Rejected, age_on, as_date, blank, np_bool, optional_date, required_problem
from .fields import LINKS as SPEC
from .state import LoadState
from .stores import NEW, REJECTED, Link
from .tables import Table


def check_links(ctx: LoadState, table: Table) -> None:
    """Row-local checks vectorised over the file; then one cheap pass in file order for
    what depends on earlier rows (duplicates, a second biological mother or father).
    Rows a quick check flags take `_link_slow`, which gives the reason."""
    import pyarrow.compute as pc

    ctx.files["parent_child"] = table.file
    counts = ctx.report.counts["parent_child"]
    n = counts.read = table.rows
    store = ctx.persons
    people = ctx.person_arrays()
    parents, children = (
        ctx.positions("parent_child", "parent_key", table),
        ctx.positions("parent_child", "child_key", table),
    )
    kinds, since = table.array("kind"), table.array("since")
    ok = (parents >= 0) & (children >= 0) & table.clean
    p, c = np.where(ok, parents, 0), np.where(ok, children, 0)
    ok &= (people.state[p] != REJECTED) & (people.state[c] != REJECTED) & (p != c)
    ok &= SPEC.fast_codes("kind", kinds) & blank(since)
    ok &= people.birth[p] < people.birth[c]
    mother = (blank(kinds) | np_bool(pc.equal(kinds, "biological"))) & people.female[p]
    age = (people.birth[c] - people.birth[p]) // 10000
    low, high = rules.MOTHER_AGE_USUAL
    alive = (people.death[p] == 0) | (people.death[p] >= people.birth[c])
    ok &= ~mother | ((age >= low) & (age <= high) & alive)
    kind_list = pc.if_else(blank(kinds), "biological", kinds).to_pylist()
    line_of = table.line
    seen: dict[tuple[int, int], int] = {}
    mothers: dict[int, tuple[int, int]] = {}  # child → (mother, line)
    fathers: dict[int, tuple[int, int]] = {}
    links = ctx.links
    sex, birth = store.sex, store.birth
    parent_list, child_list, ok_list = parents.tolist(), children.tolist(), ok.tolist()
    plain = table.lines is None  # row i is on line i + 2
    for start, end in ctx.steps(n, "检查亲子关系 checking links"):
        for i in range(start, end):
            if ok_list[i]:
                parent, child = parent_list[i], child_list[i]
                pair = (parent, child)
                if pair not in seen:
                    line = i + 2 if plain else line_of(i)
                    kind = kind_list[i]
                    if kind != "biological":
                        seen[pair] = line
                        links.append(Link(parent, child, kind, None, line))
                        continue
                    known = mothers if sex[parent] == "F" else fathers
                    other = known.get(child)
                    if other is None or other[0] == parent:
                        known[child] = (parent, line)
                        seen[pair] = line
                        links.append(Link(parent, child, kind, birth[child], line))
                        continue
            _link_slow(ctx, table, i, seen, mothers, fathers)
    for child, (mother, _line) in mothers.items():
        ctx.mother_of[child] = mother
    for child, (father, _line) in fathers.items():
        ctx.father_of[child] = father
    counts.rejected = ctx.rejected_count("parent_child")


def _link_slow(
    ctx: LoadState,
    table: Table,
    index: int,
    seen: dict[tuple[int, int], int],
    mothers: dict[int, tuple[int, int]],
    fathers: dict[int, tuple[int, int]],
) -> None:
    store = ctx.persons
    try:
        parent_key, child_key, kind_text, since_text = ctx.row_cells(
            table, index, ("parent_key", "child_key", "kind", "since")
        )
    except Rejected as problem:
        label = f"{table.get('parent_key')[index]}>{table.get('child_key')[index]}"
        ctx.reject(table, index, label, problem)
        return
    label = f"{parent_key}>{child_key}"
    try:
        if not parent_key:
            raise required_problem("parent_key")
        if not child_key:
            raise required_problem("child_key")
        kind = SPEC.code_map("kind").get(kind_text)
        if kind is None:
            raise Rejected(
                "kind", "kind",
                f"关系类型“{kind_text}”无效（biological、adopted、step）",
                f"invalid kind '{kind_text}' (biological, adopted, step)",
            )  # fmt: skip
        since = optional_date("since", since_text)
        parent = ctx.person("parent_key", parent_key)
        child = ctx.person("child_key", child_key)
        if parent == child:
            raise Rejected(
                "child_key", "self", "父母和子女不能是同一人",
                "the parent and the child are the same person",
            )  # fmt: skip
        if (parent, child) in seen:
            first = seen[parent, child]
            raise Rejected(
                "child_key", "duplicate",
                f"同一亲子关系在文件中重复（第{first}行已有）",
                f"the same link appears more than once (first on line {first})",
            )  # fmt: skip
        parent_birth, child_birth = store.birth[parent], store.birth[child]
        if parent_birth >= child_birth:
            raise Rejected(
                "parent_key", "parent_younger",
                f"父母（{parent_birth}出生）不比子女（{child_birth}出生）年长",
                f"the parent (born {parent_birth}) is not older than the child "
                f"(born {child_birth})",
            )  # fmt: skip
        if kind == "biological":
            check_biological(ctx, table, index, label, parent, child)
            female = store.sex[parent] == "F"
            known = mothers if female else fathers
            other = known.get(child)
            if other is not None and other[0] != parent:
                who = ("母亲", "mother") if female else ("父亲", "father")
                raise Rejected(
                    "parent_key", "second_parent",
                    f"该子女已有亲生{who[0]}（第{other[1]}行）",
                    f"the child already has a biological {who[1]} (line {other[1]})",
                )  # fmt: skip
            known[child] = (parent, table.line(index))
            if since is None:
                since = child_birth
    except Rejected as problem:
        ctx.reject(table, index, label, problem)
        return
    seen[parent, child] = table.line(index)
    ctx.links.append(Link(parent, child, kind, since, table.line(index)))


def check_biological(
    ctx: LoadState,
    table: Table,
    index: int,
    key: str,
    parent: int,
    child: int,
    field_name: str = "parent_key",
) -> list[str]:
    """Mother's age (rules.check_mother_age) and the parent alive at the birth.

    Errors raise; warnings are reported and their codes returned (birth events carry them
    as flags).
    """
    store = ctx.persons
    child_birth = store.birth[child]
    parent_birth = store.birth[parent]
    flags: list[str] = []
    if store.sex[parent] == "F":
        low, high = rules.MOTHER_AGE_USUAL
        age = age_on(parent_birth, child_birth)
        if not low <= age <= high:
            for problem in rules.check_mother_age(as_date(parent_birth), as_date(child_birth)):
                if problem.is_error:
                    raise Rejected(field_name, problem.code, problem.message_zh, problem.message_en)
                ctx.warn(table, index, key, problem)
                flags.append(problem.code)
        death = store.death[parent]
        if death is not None and child_birth > death:
            problem = rules.check_within_life(
                as_date(child_birth), as_date(parent_birth), as_date(death),
                field=field_name, who=("母亲", "the mother"),
            )[0]  # fmt: skip
            raise Rejected(field_name, problem.code, problem.message_zh, problem.message_en)
    return flags


def add_links_of_births(ctx: LoadState) -> int:
    """Biological links a birth event implies but parent_child lacks (as record_birth
    makes them), for a child or parent inserted now; returns how many were added."""
    persons = ctx.persons
    linked = {(link.parent, link.child) for link in ctx.links}
    added = 0
    for event in ctx.events:
        if event.kind != "birth" or event.state != NEW:
            continue
        for parent in (event.mother, event.father):
            if parent is None or (parent, event.person) in linked:
                continue
            if persons.state[event.person] != NEW and persons.state[parent] != NEW:
                continue  # both known before: the link, if any, is the database's business
            linked.add((parent, event.person))
            ctx.links.append(
                Link(parent, event.person, "biological", event.date, event.line, derived=True)
            )
            added += 1
    return added
