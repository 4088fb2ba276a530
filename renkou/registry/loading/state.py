"""The state the checks of one load share (the stores of every kind, the rejections so far,
the units the actor may load into, the persons the other files name) and the lookups every
kind makes: a unit code, a person's key."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from renkou.lib import divisions
from renkou.registry import rules

from .common import CHUNK, Progress, Rejected, blank, index_in, unknown_unit, value_iso
from .report import BulkLoadReport, Rejection
from .stores import DB, REJECTED, EventRow, Households, Link, Marriages, PersonArrays, Persons
from .tables import Table


class LoadState:
    """What the checks of one load directory share: the stores, the rejections, the units."""

    def __init__(
        self,
        *,
        report: BulkLoadReport,
        writer: Any,
        units: dict[str, tuple[int, bool]],
        progress: Progress | None = None,
        today: datetime.date | None = None,
        update: bool = False,
    ) -> None:
        self.report = report
        # --update: present persons whose file row differs get the file's values
        # (position → the database row fetched for it), see `loading.updates`.
        self.update = update
        self.person_updates: dict[int, tuple] = {}
        self.writer = writer
        self.units = units  # code → (id, open)
        self.progress = progress
        self.today = (today or datetime.date.today()).isoformat()
        self.households = Households()
        self.persons = Persons()
        self.marriages = Marriages()
        self.links: list[Link] = []
        self.events: list[EventRow] = []
        self.files: dict[str, str] = {}  # kind → file name
        self.rejected_rows: dict[str, set[int]] = defaultdict(set)
        self.mother_of: dict[int, int] = {}  # child → mother (Persons indexes)
        self.father_of: dict[int, int] = {}
        self.death_event_for: set[int] = set()  # persons with a death row (even rejected)
        self._resolved: dict[tuple[str, str], np.ndarray] = {}

    # --- rejections ----------------------------------------------------------------------

    def reject(self, table: Table, index: int, key: str, problem: Rejected) -> None:
        self.report.rejected.append(_rejection(table, index, key, problem))
        self.rejected_rows[table.kind].add(table.line(index))

    def warn(self, table: Table, index: int, key: str, problem: rules.Problem) -> None:
        self.report.warnings.append(_rejection(table, index, key, problem))

    def rejected_count(self, kind: str) -> int:
        return len(self.rejected_rows[kind])

    def unit(self, column: str, code: str, *, must_be_open: bool = True) -> int:
        found = self.units.get(code)
        if found is None:
            found = self.units.get(divisions.normalise_code(code))
        if found is None:
            raise unknown_unit(column, code)
        unit_id, is_open = found
        if must_be_open and not is_open:
            raise Rejected(
                column,
                "closed_unit",
                f"单位“{code}”已撤销",
                f"the unit '{code}' has been closed",
            )
        return unit_id

    def person(self, column: str, key: str) -> int:
        """The Persons index for a key in a row of another file, or Rejected."""
        position = self.persons.index.get(key)
        if position is None:
            raise Rejected(
                column, "unknown_person", f"未知的人员“{key}”", f"unknown person '{key}'"
            )
        if self.persons.state[position] == REJECTED:
            line = self.persons.line[position]
            raise Rejected(
                column,
                "person_rejected",
                f"人员第{line}行被拒绝",
                f"person row {line} was rejected",
            )
        return position

    # --- progress, cells -----------------------------------------------------------------

    def steps(self, n: int, description: str) -> Iterable[tuple[int, int]]:
        """(start, end) of row chunks, through the progress bar if there is one."""
        spans = [(start, min(start + CHUNK, n)) for start in range(0, n, CHUNK)]
        if self.progress is not None and spans:
            return self.progress(spans, len(spans), description)
        return spans

    def spans(self, rows: list[int], description: str) -> Iterable[list[int]]:
        spans = [rows[start : start + CHUNK] for start in range(0, len(rows), CHUNK)]
        if self.progress is not None and spans:
            return self.progress(spans, len(spans), description)
        return spans

    @staticmethod
    def row_cells(table: Table, index: int, names: Sequence[str]) -> tuple[str, ...]:
        """The row's cells; Rejected if the row has a problem of its own (Table.problems)."""
        problem = table.problems.get(index)
        if problem is not None:
            raise problem
        return tuple(table.array(name)[index].as_py() for name in names)

    # --- persons the other files name ----------------------------------------------------

    def add_database_persons(self, keys: Iterable[str]) -> None:
        """Read the persons other files refer to that the persons file does not hold."""
        store = self.persons
        wanted = {key for key in keys if key and key not in store.index}
        for pk, key, birth, death, sex, status, unit in self.writer.fetch_in(
            "registry_person",
            ("id", "source_key", "birth_date", "death_date", "sex", "status", "unit_id"),
            "source_key",
            wanted,
        ):
            store.index[key] = store.add(
                key,
                DB,
                0,
                pk=pk,
                birth=value_iso(birth),
                death=value_iso(death),
                sex=sex,
                status=status,
                unit=unit,
            )

    def person_arrays(self) -> PersonArrays:
        """Numpy views of the person store for the vectorised checks (built once the store
        holds every person the files refer to)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        store = self.persons
        size = len(store.state)
        cached = getattr(self, "_arrays", None)
        if cached is not None and cached.size == size:
            return cached

        def day_numbers(values: list[str | None]) -> np.ndarray:
            text = pc.replace_substring(pa.array(values, pa.string()), "-", "")
            numbers = pc.cast(pc.if_else(pc.equal(text, ""), None, text), pa.int64())
            return pc.fill_null(numbers, 0).to_numpy(zero_copy_only=False)

        arrays = PersonArrays(
            size=size,
            state=np.asarray(store.state, dtype=np.int8),
            birth=day_numbers(store.birth),
            death=day_numbers(store.death),
            female=np.asarray([sex == "F" for sex in store.sex], dtype=bool),
            male=np.asarray([sex == "M" for sex in store.sex], dtype=bool),
            deceased=np.asarray([status == "deceased" for status in store.status], dtype=bool),
        )
        self._arrays = arrays
        return arrays

    def key_array(self) -> Any:
        """The persons' keys as a pyarrow array ("" where a key may not be looked up: rejected
        duplicates, which are not the first row with their key)."""
        import pyarrow as pa

        store = self.persons
        cached = getattr(self, "_keys", None)
        if cached is not None and len(cached) == len(store.key):
            return cached
        index = store.index
        if len(index) == len(store.key):
            keys = store.key
        else:
            keys = [key if index.get(key) == i else "" for i, key in enumerate(store.key)]
        self._keys = pa.array(keys, pa.string())
        return self._keys

    def resolve(self, columns: dict[tuple[str, str], Any]) -> None:
        """Find the persons the other files name, all columns in one hash lookup; persons
        the persons file lacks are read from the database."""
        import pyarrow as pa

        if not columns:
            return
        arrays = list(columns.values())
        joined = pa.concat_arrays(arrays)
        at = index_in(joined, self.key_array())
        empty = blank(joined)
        at[empty] = -1
        unknown_mask = (at < 0) & ~empty
        if unknown_mask.any():
            unknown = set(joined.filter(pa.array(unknown_mask)).to_pylist())
            self.add_database_persons(unknown)
            index = self.persons.index
            positions = np.flatnonzero(unknown_mask)
            cells = joined.take(pa.array(positions)).to_pylist()
            at[positions] = [index.get(key, -1) for key in cells]
        offset = 0
        for name, array in zip(columns, arrays, strict=True):
            self._resolved[name] = at[offset : offset + len(array)]
            offset += len(array)

    def positions(self, kind: str, column: str, table: Table) -> np.ndarray:
        """Store index of the person each cell names (-1: unknown or blank)."""
        found = self._resolved.get((kind, column))
        if found is not None:
            return found
        keys = table.array(column)
        at = index_in(keys, self.key_array())
        at[blank(keys)] = -1
        return at


def _rejection(table: Table, index: int, key: str, problem: Rejected | rules.Problem) -> Rejection:
    """The report line of a row's problem: file, line, key, field, code and both messages."""
    return Rejection(
        file=table.file,
        line=table.line(index),
        key=key,
        field=problem.field,
        code=problem.code,
        message_zh=problem.message_zh,
        message_en=problem.message_en,
    )
