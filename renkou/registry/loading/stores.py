"""The rows of a load as they are checked, one store per kind, with named columns.

Rows are kept in parallel lists indexed by position; references between kinds are store
indexes (a marriage's `husband` is a position in the person store), turned into primary keys
only when the rows are written. A row's `state` is one of NEW (accepted, to insert), PRESENT
(accepted, its key is already in the database: not inserted, not updated), DB (not in the
file, read from the database because a row refers to it) or REJECTED.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

import numpy as np

REJECTED, NEW, PRESENT, DB = 0, 1, 2, 3


@dataclass
class Households:
    index: dict[str, int] = field(default_factory=dict)
    state: list[int] = field(default_factory=list)
    line: list[int] = field(default_factory=list)
    pk: list[int | None] = field(default_factory=list)
    unit: list[int] = field(default_factory=list)
    address: list[str] = field(default_factory=list)
    number: list[str] = field(default_factory=list)

    def add(
        self, number: str, state: int, line: int, pk: int | None, unit: int, address: str
    ) -> None:
        self.index[number] = len(self.state)
        self.number.append(number)
        self.state.append(state)
        self.line.append(line)
        self.pk.append(pk)
        self.unit.append(unit)
        self.address.append(address)


@dataclass
class PersonColumns:
    """The checked values of the persons file's rows, one list per column of
    `registry_person` the file supplies (only the NEW rows' values are written)."""

    source_key: list[str]
    id_number: list[str | None]
    name: list[str]
    former_names: list[str]
    name_pinyin: list[str]
    name_initials: list[str]
    sex: list[str]
    birth_date: list[str]
    ethnic_group: list[str]
    hukou_type: list[str]
    hukou_type_since: list[str | None]
    hukou_division: list[str]
    phone: list[str]
    status: list[str]
    death_date: list[str | None]
    floating: list[str]
    only_child_cert_no: list[str]
    only_child_cert_date: list[str | None]
    relation_to_head: list[str]
    hukou_unit_id: list[int | None]
    residence_unit_id: list[int | None]
    unit_id: list[int | None]

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(item.name for item in fields(cls))

    def items(self) -> list[tuple[str, list[Any]]]:
        return [(name, getattr(self, name)) for name in self.names()]

    def __len__(self) -> int:
        return len(self.source_key)

    def row(self, position: int) -> PersonRow:
        return PersonRow(*(getattr(self, name)[position] for name in self.names()))

    def set_row(self, position: int, row: PersonRow) -> None:
        for name, value in zip(self.names(), row, strict=True):
            getattr(self, name)[position] = value


class PersonRow(NamedTuple):
    """One person's checked values (the per-row path's result), as `PersonColumns`."""

    source_key: str
    id_number: str | None
    name: str
    former_names: str
    name_pinyin: str
    name_initials: str
    sex: str
    birth_date: str
    ethnic_group: str
    hukou_type: str
    hukou_type_since: str | None
    hukou_division: str
    phone: str
    status: str
    death_date: str | None
    floating: str
    only_child_cert_no: str
    only_child_cert_date: str | None
    relation_to_head: str
    hukou_unit_id: int | None
    residence_unit_id: int | None
    unit_id: int | None


@dataclass
class Persons:
    index: dict[str, int] = field(default_factory=dict)
    key: list[str] = field(default_factory=list)
    state: list[int] = field(default_factory=list)
    line: list[int] = field(default_factory=list)
    pk: list[int | None] = field(default_factory=list)
    birth: list[str] = field(default_factory=list)
    death: list[str | None] = field(default_factory=list)
    sex: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    unit: list[int | None] = field(default_factory=list)
    # The file's rows (None once written, to free the memory).
    columns: PersonColumns | None = None
    household: list[int | None] = field(default_factory=list)  # Households index
    floating: list[str] = field(default_factory=list)
    # Derived, filled after links and events are checked (NEW persons only).
    floating_since: dict[int, str] = field(default_factory=dict)
    orders: dict[int, BirthOrders] = field(default_factory=dict)

    @property
    def file_rows(self) -> int:
        return len(self.columns) if self.columns is not None else 0

    def add(self, key: str, state: int, line: int, **values: Any) -> int:
        position = len(self.key)
        self.key.append(key)
        self.state.append(state)
        self.line.append(line)
        self.pk.append(values.get("pk"))
        self.birth.append(values.get("birth", ""))
        self.death.append(values.get("death"))
        self.sex.append(values.get("sex", ""))
        self.status.append(values.get("status", "alive"))
        self.unit.append(values.get("unit"))
        self.household.append(values.get("household"))
        self.floating.append(values.get("floating", ""))
        return position


class BirthOrders(NamedTuple):
    """A child's birth order (孩次) and delivery order (胎次) among the mother's children, and
    the birth order among the couple's (None: father unknown)."""

    mother: int | None
    parity: int | None
    couple: int | None


class MarriageValues(NamedTuple):
    """A NEW marriage's checked values (husband and wife are person store indexes)."""

    key: str
    husband: int
    wife: int
    start: str
    end: str | None
    end_reason: str
    husband_kind: str
    wife_kind: str


@dataclass
class Marriages:
    index: dict[str, int] = field(default_factory=dict)
    state: list[int] = field(default_factory=list)
    line: list[int] = field(default_factory=list)
    pk: list[int | None] = field(default_factory=list)
    husband: list[int] = field(default_factory=list)  # Persons index
    wife: list[int] = field(default_factory=list)
    start: list[str] = field(default_factory=list)
    values: list[MarriageValues | None] = field(default_factory=list)  # NEW only
    unit: list[int | None] = field(default_factory=list)

    def add(
        self, key: str, state: int, line: int, pk: int | None, husband: int, wife: int, start: str
    ) -> int:
        position = len(self.state)
        self.index[key] = position
        self.state.append(state)
        self.line.append(line)
        self.pk.append(pk)
        self.husband.append(husband)
        self.wife.append(wife)
        self.start.append(start)
        self.values.append(None)
        self.unit.append(None)
        return position


@dataclass
class PersonArrays:
    """Numpy views of the person store for the vectorised checks."""

    size: int
    state: np.ndarray  # int8
    birth: np.ndarray  # YYYYMMDD as int (0: unknown)
    death: np.ndarray  # YYYYMMDD as int (0: alive)
    female: np.ndarray
    male: np.ndarray
    deceased: np.ndarray


@dataclass(slots=True)
class Link:
    parent: int
    child: int
    kind: str
    since: str | None
    line: int
    derived: bool = False  # implied by a birth event, not a row of parent_child


@dataclass(slots=True)
class EventRow:
    key: str
    kind: str
    date: str
    person: int
    unit: int | None
    mother: int | None = None
    father: int | None = None
    place: str = ""
    plurality: int = 1
    cause_category: str = ""
    division_from: str = ""
    division_to: str = ""
    residence_unit: int | None = None
    moves_hukou: bool = False
    hukou_type: str = ""
    reason: str = ""
    marriage: int | None = None
    flags: list[str] = field(default_factory=list)
    line: int = 0
    state: int = NEW
