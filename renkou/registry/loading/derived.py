"""The stored fields the bulk loader derives for the NEW persons: the floating-since date (the
latest move in for inflow, the latest move out for outflow) and the birth orders (孩次, 胎次
and the couple's order, by `renkou.registry.rules.birth_orders`); and the death events it adds
for the deceased without one.

`renkou.registry.derive` computes the same fields through the ORM after every action. The
floating-since date is its own function (`derive.floating_since`) and the birth orders its own
rule (`rules.birth_orders`), here over the stores; tests/registry/loading/test_derived.py loads
a simulated district and checks that `derive` finds nothing to change in what was loaded. The
bulk path takes a person's residence, household registration and status from the file (they
are not replayed from the events as `derive_person` does).
"""

# The SQL strings hold only placeholders built here; values are bound.
# ruff: noqa: S608

from __future__ import annotations

from collections import defaultdict
from operator import attrgetter

from django.db import connection

from renkou.registry import rules
from renkou.registry.derive import floating_since

from .common import as_date, value_iso
from .state import LoadState
from .stores import DB, NEW, REJECTED, EventRow
from .writer import Writer


def derive(ctx: LoadState) -> None:
    """Birth orders, floating-since dates; mothers/fathers from links and birth events.

    The children of a known mother already in the database (`existing_children`) are
    counted too, so a new child is ordered after her older children.
    """
    persons = ctx.persons
    mother_of = dict(ctx.mother_of)
    father_of = dict(ctx.father_of)
    moves: dict[int, list[EventRow]] = defaultdict(list)
    for event in ctx.events:
        if event.kind == "birth":
            if event.mother is not None:
                mother_of.setdefault(event.person, event.mother)
            if event.father is not None:
                father_of.setdefault(event.person, event.father)
        elif event.kind in ("move_in", "move_out"):
            moves[event.person].append(event)
    # Floating since: the latest move_in for inflow, the latest move_out for outflow — the
    # ORM path's rule itself, on the person's moves in date order.
    for position, state in enumerate(persons.state):
        if state != NEW:
            continue
        floating = persons.floating[position]
        if floating and position in moves:
            since = floating_since(floating, sorted(moves[position], key=attrgetter("date")))
            if since is not None:
                persons.floating_since[position] = since
    # Birth orders over each mother's biological children (children who died count).
    children: dict[int, list[int]] = defaultdict(list)
    for child, mother in mother_of.items():
        if persons.state[child] != REJECTED and persons.state[mother] != REJECTED:
            children[mother].append(child)
    new_children_of = {
        mother
        for mother, kids in children.items()
        if any(persons.state[kid] == NEW for kid in kids)
    }
    known_mothers = [persons.pk[m] for m in new_children_of if persons.pk[m] is not None]
    if known_mothers:
        pk_index = {pk: i for i, pk in enumerate(persons.pk) if pk is not None}
        for mother_pk, child_pk, father_pk, birth in existing_children(ctx.writer, known_mothers):
            child = pk_index.get(child_pk)
            if child is None:
                child = persons.add(f"#db:{child_pk}", DB, 0, pk=child_pk, birth=value_iso(birth))
                pk_index[child_pk] = child
            mother = pk_index[mother_pk]
            if child not in children[mother]:
                children[mother].append(child)
                mother_of.setdefault(child, mother)
            if father_pk is not None and child not in father_of:
                father = pk_index.get(father_pk)
                if father is None:
                    father = persons.add(f"#db:{father_pk}", DB, 0, pk=father_pk)
                    pk_index[father_pk] = father
                father_of[child] = father
    state, birth, result = persons.state, persons.birth, persons.orders
    for mother in new_children_of:
        kids = children[mother]
        if len(kids) == 1:  # an only child: child 1 of delivery 1 (what the rule gives)
            kid = kids[0]
            result[kid] = (1, 1, 1 if kid in father_of else None)
            continue
        orders = rules.birth_orders(rules.Birth(kid, as_date(birth[kid])) for kid in kids)
        fathers = {father_of.get(kid) for kid in kids}
        couple: dict[int, int] = {}
        if len(fathers) == 1 and None not in fathers:
            couple = {kid: order for kid, (order, _delivery) in orders.items()}
        else:
            by_father: dict[int, list[int]] = defaultdict(list)
            for kid in kids:
                if kid in father_of:
                    by_father[father_of[kid]].append(kid)
            for same_father in by_father.values():
                for kid, (order, _delivery) in rules.birth_orders(
                    rules.Birth(kid, as_date(birth[kid])) for kid in same_father
                ).items():
                    couple[kid] = order
        for kid in kids:
            if state[kid] == NEW:
                order, delivery = orders[kid]
                result[kid] = (order, delivery, couple.get(kid))


def deceased_without_death_event(ctx: LoadState) -> list[int]:
    """NEW deceased persons with no death row in the events file: the loader adds one (so
    does it for a present person --update makes deceased)."""
    persons = ctx.persons
    updates = ctx.person_updates
    return [
        position
        for position, state in enumerate(persons.state)
        if (state == NEW or (position in updates and updates[position][7] != "deceased"))
        and persons.status[position] == "deceased"
        and position not in ctx.death_event_for
    ]


def existing_children(writer: Writer, mother_pks: list[int]) -> list[tuple]:
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
