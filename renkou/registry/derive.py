"""The one service that derives a person's current state from their events and links.

Called by every registry action after it writes, so correcting or deleting an event puts
the person back as the remaining events say. Status, residence, household registration and
floating status come from events; birth orders from biological parent–child links.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from renkou.registry import rules
from renkou.registry.models import Event, EventKind, EventState, ParentChild, Person

_MOVES = (EventKind.MOVE_IN, EventKind.MOVE_OUT)


def derive_person(person: Person) -> list[str]:
    """Recompute the event-derived fields of `person`; returns the fields that changed."""
    events = list(person.events.filter(state=EventState.ACTIVE).order_by("date", "pk"))
    dropped = list(
        person.events.exclude(state=EventState.ACTIVE).filter(kind__in=_MOVES).order_by("date")
    )
    before = _derived_state(person)
    _derive_birth(person, events)
    _derive_places(person, events, dropped)
    _derive_hukou_type(person, events)
    _derive_status(person, events)
    changed = [field for field, value in before.items() if getattr(person, field) != value]
    return changed


def _derived_state(person: Person) -> dict:
    """The derived fields of `person` and their values now (to tell which changed)."""
    return {field: getattr(person, field) for field in DERIVED_FIELDS}


DERIVED_FIELDS = (
    "birth_date", "status", "death_date", "residence_unit_id", "hukou_unit_id",
    "hukou_division", "unit_id", "floating", "floating_since", "hukou_type", "hukou_type_since",
)  # fmt: skip


def _derive_birth(person: Person, events: list[Event]) -> None:
    births = [e for e in events if e.kind == EventKind.BIRTH]
    if births:
        person.birth_date = births[-1].date


def _derive_places(person: Person, events: list[Event], dropped: list[Event]) -> None:
    moves = [e for e in events if e.kind in _MOVES]
    if moves:
        last = moves[-1]
        if last.kind == EventKind.MOVE_IN:
            person.residence_unit_id = last.residence_unit_id or person.residence_unit_id
        else:
            person.residence_unit_id = None
        for move in moves:
            if move.moves_hukou:
                _apply_hukou_move(person, move)
    elif dropped:
        # Every move was corrected away or deleted: back to before the first of them.
        first = dropped[0]
        person.residence_unit_id = first.unit_id if first.kind == EventKind.MOVE_OUT else None
    lives_here = person.residence_unit_id is not None
    hukou_here = person.hukou_unit_id is not None
    person.floating = rules.floating_status(hukou_here=hukou_here, lives_here=lives_here)
    person.floating_since = floating_since(person.floating, moves)
    person.unit_id = person.residence_unit_id or person.hukou_unit_id or person.unit_id


def _apply_hukou_move(person: Person, move: Event) -> None:
    if move.kind == EventKind.MOVE_IN:
        person.hukou_unit_id = move.residence_unit_id
        if move.residence_unit_id:
            person.hukou_division = move.residence_unit.code[:12]
    else:
        person.hukou_unit_id = None
        person.hukou_division = move.division_to


def floating_since(floating: str, moves: Sequence[Any]):
    """The date of the latest move in (inflow) or out (outflow) among `moves` (in date order,
    each with a `kind` and a `date`); None when there is none or the person is not floating.
    Shared by the ORM path and the bulk loader (`renkou.registry.loading.derived`)."""
    wanted = {"inflow": EventKind.MOVE_IN, "outflow": EventKind.MOVE_OUT}.get(floating)
    dates = [move.date for move in moves if move.kind == wanted]
    return dates[-1] if dates else None


def _derive_hukou_type(person: Person, events: list[Event]) -> None:
    changes = [e for e in events if e.kind == EventKind.HUKOU_TYPE]
    if changes:
        person.hukou_type = changes[-1].hukou_type
        person.hukou_type_since = changes[-1].date


def _derive_status(person: Person, events: list[Event]) -> None:
    deaths = [e for e in events if e.kind == EventKind.DEATH]
    if deaths:
        person.status, person.death_date = "deceased", deaths[0].date
        return
    person.death_date = None
    gone = person.residence_unit_id is None and person.hukou_unit_id is None
    person.status = "moved_away" if gone else "alive"


def derive_birth_orders(mother: Person) -> list[Person]:
    """Birth order (孩次), delivery order (胎次) and couple order of the mother's children."""
    links = list(
        ParentChild.objects.filter(parent=mother, kind=ParentChild.Kind.BIOLOGICAL).select_related(
            "child"
        )
    )
    children = [link.child for link in links]
    orders = rules.birth_orders(rules.Birth(c.pk, c.birth_date) for c in children)
    fathers = dict(
        ParentChild.objects.filter(
            child__in=children, kind=ParentChild.Kind.BIOLOGICAL, parent__sex="M"
        ).values_list("child_id", "parent_id")
    )
    by_father: dict[int | None, list[Person]] = defaultdict(list)
    for child in children:
        by_father[fathers.get(child.pk)].append(child)
    couple: dict[int, int] = {}
    for father, kids in by_father.items():
        if father is None:
            continue
        couple_orders = rules.birth_orders(rules.Birth(c.pk, c.birth_date) for c in kids)
        couple.update({pk: order for pk, (order, _parity) in couple_orders.items()})
    changed = []
    for child in children:
        order, parity = orders[child.pk]
        values = (order, parity, couple.get(child.pk))
        if (child.birth_order_mother, child.parity_mother, child.birth_order_couple) != values:
            child.birth_order_mother, child.parity_mother, child.birth_order_couple = values
            changed.append(child)
    return changed
