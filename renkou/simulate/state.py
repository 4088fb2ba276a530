"""The simulation's state: one numpy array per attribute (columnar), never one object per person.

Persons are row indices into :class:`World`'s arrays, appended in the order they enter the
simulation (so parents always precede their children).  Dates are days since 1970-01-01 as
int32 (``NEVER`` for "not happened").  Villages are indices into the geography's level-3
units; ``-1`` means "elsewhere".  A person is *tied* to the district while their household
registration (``hv``) or residence (``rv``) is here; ``gone`` marks the dead and those who
left entirely, whom the yearly steps no longer touch.
"""

from __future__ import annotations

import datetime

import numpy as np

NEVER = np.int32(2**31 - 1)
LONG_AGO = np.int32(-(2**31) + 1)
EPOCH = datetime.date(1970, 1, 1)

# Hukou types (户口性质), sexes and marital states as small integers.
AGRI, NONAGRI, UNIFIED = 0, 1, 2
HUKOU_TYPE_NAMES = ("agricultural", "non_agricultural", "unified")
MALE, FEMALE = 0, 1
NEVER_MARRIED, MARRIED, DIVORCED, WIDOWED = 0, 1, 2, 3
# Marriage end reasons and kinds.
END_NONE, END_DIVORCE, END_DEATH = 0, 1, 2
MOVE_IN, MOVE_OUT = 0, 1
MOVE_REASONS = (
    "务工经商",  # 0 work
    "婚姻迁入",  # 1 marriage (in)
    "婚姻迁出",  # 2 marriage (out)
    "工作调动",  # 3 job transfer / assignment
    "升学",  # 4 university
    "投靠亲属",  # 5 joining family
    "购房落户",  # 6 settling (hukou moves here)
    "返乡",  # 7 return home
    "迁往外地",  # 8 moving away for good
    "随迁",  # 9 moving with a family member
    "返回原籍",  # 10 migrant going back / moving on
)
(
    R_WORK,
    R_MARRY_IN,
    R_MARRY_OUT,
    R_TRANSFER,
    R_STUDY,
    R_FAMILY,
    R_SETTLE,
    R_RETURN,
    R_AWAY,
    R_FOLLOW,
    R_BACK,
) = range(len(MOVE_REASONS))


def day_of(year: int, month: int = 1, day: int = 1) -> int:
    return (datetime.date(year, month, day) - EPOCH).days


def year_lengths(first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    """(first day, length) of each calendar year from ``first`` to ``last`` inclusive."""
    starts = np.array([day_of(y) for y in range(first, last + 2)], dtype=np.int64)
    return starts[:-1], np.diff(starts)


_PERSON_FIELDS: dict[str, tuple[type, int]] = {
    # field: (dtype, fill)
    "byear": (np.int16, 0),
    "bday": (np.int32, 0),
    "sex": (np.int8, 0),
    "dday": (np.int32, NEVER),
    "leftday": (np.int32, NEVER),
    "gone": (np.bool_, False),
    "mother": (np.int32, -1),
    "father": (np.int32, -1),
    "spouse": (np.int32, -1),
    "mar": (np.int32, -1),  # current marriage row
    "marital": (np.int8, NEVER_MARRIED),
    "last_end": (np.int32, LONG_AGO),  # day the last marriage ended
    "parity": (np.int8, 0),
    "last_birth": (np.int32, LONG_AGO),
    "first_child_sex": (np.int8, -1),
    "gone_hv": (np.int32, -1),  # last hukou village here of someone who left
    "gone_rv": (np.int32, -1),  # last residence village here of someone who left
    "hv": (np.int32, -1),  # hukou village (level-3 unit index) or -1 elsewhere
    "rv": (np.int32, -1),  # residence village or -1 elsewhere
    "hk_code": (np.int64, 0),  # 12-digit division of the hukou when elsewhere
    "away_code": (np.int64, 0),  # 12-digit division where they live when away
    "id_region": (np.int32, 0),  # 6-digit region code of the ID number
    "htype": (np.int8, AGRI),
    "htype_since": (np.int32, NEVER),
    "fam": (np.int32, -1),  # migrant family (floating families move together)
    "born_here": (np.bool_, False),  # has a birth event
    "place": (np.int16, -1),  # birth place index
    "plurality": (np.int8, 1),
    "hk_at_birth": (np.bool_, False),
    "arrive": (np.int32, LONG_AGO),  # day first tied to the district
    "last_ev": (np.int32, LONG_AGO),  # day of the person's latest event (ordering in a year)
    "last_move": (np.int32, LONG_AGO),  # day the person last crossed the district boundary
    "surname": (np.int16, 0),
    "ethnic": (np.int8, 1),
    "first_tie": (np.int8, 0),  # 0 initial population, 1 born, 2 arrived
}

_MARRIAGE_FIELDS: dict[str, tuple[type, int]] = {
    "h": (np.int32, -1),
    "w": (np.int32, -1),
    "start": (np.int32, 0),
    "start_year": (np.int16, 0),
    "end": (np.int32, NEVER),
    "reason": (np.int8, END_NONE),
    "hk": (np.int8, 0),  # 0 first marriage, 1 remarriage
    "wk": (np.int8, 0),
    "here": (np.bool_, False),  # contracted during the simulation (has marriage events)
    "reg_here": (np.bool_, False),  # registered by this district's civil affairs
    "court": (np.bool_, False),  # ended by a court judgment
}


class Table:
    """Growable columnar table: ``table.col[:table.n]`` are the rows in use."""

    def __init__(self, fields: dict[str, tuple[type, int]], capacity: int) -> None:
        self._fields = fields
        self.n = 0
        self.capacity = max(int(capacity), 16)
        for name, (dtype, fill) in fields.items():
            setattr(self, name, np.full(self.capacity, fill, dtype=dtype))

    def add(self, count: int) -> np.ndarray:
        """Reserve ``count`` new rows (filled with defaults); return their indices."""
        if self.n + count > self.capacity:
            new_capacity = max(self.capacity * 2, self.n + count + 16)
            for name, (dtype, fill) in self._fields.items():
                old = getattr(self, name)
                grown = np.full(new_capacity, fill, dtype=dtype)
                grown[: self.n] = old[: self.n]
                setattr(self, name, grown)
            self.capacity = new_capacity
        rows = np.arange(self.n, self.n + count, dtype=np.int64)
        self.n += count
        return rows

    def trimmed(self, name: str) -> np.ndarray:
        return getattr(self, name)[: self.n]


class EventLog:
    """Chunks of move and hukou-type events, concatenated once at the end."""

    def __init__(self) -> None:
        self.moves: list[dict[str, np.ndarray]] = []
        self.hukou: list[dict[str, np.ndarray]] = []
        self.n_moves = 0  # moves are numbered in the order they happen (same-day order)

    def move(
        self,
        person: np.ndarray,
        day: np.ndarray,
        kind: int,
        moves_hukou: np.ndarray | bool,
        code_from: np.ndarray,
        code_to: np.ndarray,
        res_vil: np.ndarray | int,
        reason: np.ndarray | int,
        hukou_after: np.ndarray | bool = False,
    ) -> None:
        n = len(person)
        if n == 0:
            return
        self.moves.append(
            {
                "seq": np.arange(self.n_moves, self.n_moves + n, dtype=np.int64),
                "person": np.asarray(person, dtype=np.int64),
                "day": np.asarray(day, dtype=np.int32),
                "kind": np.full(n, kind, dtype=np.int8),
                "moves_hukou": np.broadcast_to(np.asarray(moves_hukou, dtype=bool), n).copy(),
                "code_from": np.broadcast_to(np.asarray(code_from, dtype=np.int64), n).copy(),
                "code_to": np.broadcast_to(np.asarray(code_to, dtype=np.int64), n).copy(),
                "res_vil": np.broadcast_to(np.asarray(res_vil, dtype=np.int32), n).copy(),
                "reason": np.broadcast_to(np.asarray(reason, dtype=np.int8), n).copy(),
                "hukou_after": np.broadcast_to(np.asarray(hukou_after, dtype=bool), n).copy(),
            }
        )
        self.n_moves += n

    def hukou_type(self, person: np.ndarray, day: np.ndarray | int, new_type: int) -> None:
        n = len(person)
        if n == 0:
            return
        self.hukou.append(
            {
                "person": np.asarray(person, dtype=np.int64),
                "day": np.broadcast_to(np.asarray(day, dtype=np.int32), n).copy(),
                "type": np.full(n, new_type, dtype=np.int8),
            }
        )

    @staticmethod
    def _concat(chunks: list[dict[str, np.ndarray]], fields: tuple[str, ...]) -> dict:
        if not chunks:
            return {f: np.zeros(0, dtype=np.int64) for f in fields}
        return {f: np.concatenate([c[f] for c in chunks]) for f in fields}

    def all_moves(self) -> dict[str, np.ndarray]:
        fields = ("seq", "person", "day", "kind", "moves_hukou", "code_from", "code_to",
                  "res_vil", "reason", "hukou_after")  # fmt: skip
        return self._concat(self.moves, fields)

    def all_hukou(self) -> dict[str, np.ndarray]:
        return self._concat(self.hukou, ("person", "day", "type"))


class World:
    """Persons, marriages and events of one simulation run."""

    def __init__(self, capacity: int) -> None:
        self.p = Table(_PERSON_FIELDS, capacity)
        self.m = Table(_MARRIAGE_FIELDS, capacity // 2)
        self.log = EventLog()
        self._act = np.zeros(0, dtype=np.int64)  # indices of tied, living persons
        self._pending: list[np.ndarray] = []  # new persons not yet merged into _act
        self.n_fam = 0

    @property
    def act(self) -> np.ndarray:
        """Indices of the tied, living persons, ascending."""
        if self._pending:
            self._act = np.concatenate([self._act, *self._pending])
            self._pending.clear()
        return self._act

    def new_persons(self, count: int) -> np.ndarray:
        rows = self.p.add(count)
        self._pending.append(rows)
        return rows

    def new_families(self, count: int) -> np.ndarray:
        ids = np.arange(self.n_fam, self.n_fam + count, dtype=np.int32)
        self.n_fam += count
        return ids

    def refresh_active(self) -> None:
        act = self.act
        self._act = act[~self.p.gone[act]]

    def marry(
        self,
        husband: np.ndarray,
        wife: np.ndarray,
        day: np.ndarray,
        *,
        here: bool,
        reg_here: np.ndarray | bool,
    ) -> np.ndarray:
        """Record marriages and update both spouses; returns the marriage rows."""
        p, m = self.p, self.m
        rows = m.add(len(husband))
        m.h[rows] = husband
        m.w[rows] = wife
        m.start[rows] = day
        m.start_year[rows] = (np.asarray(day, dtype="int64").astype("datetime64[D]")
                              .astype("datetime64[Y]").astype(np.int64) + 1970)  # fmt: skip
        m.hk[rows] = p.marital[husband] != NEVER_MARRIED
        m.wk[rows] = p.marital[wife] != NEVER_MARRIED
        m.here[rows] = here
        m.reg_here[rows] = reg_here
        for person, other in ((husband, wife), (wife, husband)):
            p.spouse[person] = other
            p.mar[person] = rows
            p.marital[person] = MARRIED
        if here:
            p.last_ev[husband] = np.maximum(p.last_ev[husband], day)
            p.last_ev[wife] = np.maximum(p.last_ev[wife], day)
        return rows

    def end_marriages(self, rows: np.ndarray, day: np.ndarray, reason: int) -> None:
        """End marriages by divorce or death; the survivors become divorced or widowed."""
        p, m = self.p, self.m
        m.end[rows] = day
        m.reason[rows] = reason
        for person in (m.h[rows], m.w[rows]):
            alive = p.dday[person] == NEVER
            keep = person[alive]
            p.marital[keep] = DIVORCED if reason == END_DIVORCE else WIDOWED
            p.spouse[keep] = -1
            p.mar[keep] = -1
            p.last_end[keep] = np.asarray(day)[alive] if np.ndim(day) else day
            if reason == END_DIVORCE:
                p.last_ev[keep] = np.maximum(p.last_ev[keep], p.last_end[keep])
