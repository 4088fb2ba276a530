"""Households (`households` file): a number, a unit, an address.

Vectorised checks decide the common case; a row any of them flags goes through
`_household_row`, which gives the reason. The households the persons file names that the
database already holds are read into the store (DB) so persons can join them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .common import Rejected, duplicate, filled, ids_at, index_in
from .fields import HOUSEHOLDS as SPEC
from .state import LoadState
from .stores import DB, NEW, PRESENT, REJECTED
from .tables import Table


def check_households(
    ctx: LoadState, table: Table | None, person_numbers: Callable[[], Iterable[str]]
) -> None:
    """`person_numbers()` gives the household numbers the persons file names (only asked
    for when the database holds households)."""
    store = ctx.households
    existing: dict[str, tuple] = {}
    if ctx.writer.count("registry_household"):
        wanted = set(person_numbers())
        if table is not None:
            wanted.update(table.get("household_no"))
        existing = {
            number: (pk, unit_id, address)
            for pk, number, unit_id, address in ctx.writer.fetch_in(
                "registry_household", ("id", "number", "unit_id", "address"), "number", wanted
            )
        }
    if table is not None:
        _household_rows(ctx, table, existing)
    for number, (pk, unit_id, _address) in existing.items():
        if number not in store.index:
            ctx.households.add(number, DB, 0, pk, unit_id, "")


def _household_rows(ctx: LoadState, table: Table, existing: dict[str, tuple]) -> None:
    store = ctx.households
    ctx.files["households"] = table.file
    counts = ctx.report.counts["households"]
    n = counts.read = table.rows
    numbers, codes, addresses = (
        table.array(name) for name in ("household_no", "unit_code", "address")
    )
    open_codes = [code for code, (_pk, is_open) in ctx.units.items() if is_open]
    unit_ids = np.array([ctx.units[code][0] for code in open_codes] + [0], dtype=np.int64)
    unit_at = index_in(codes, open_codes)
    ok = filled(numbers) & SPEC.within_length("household_no", numbers) & table.clean
    ok &= (unit_at >= 0) & SPEC.within_length("address", addresses)
    number_list = table.get("household_no")
    index = dict(zip(reversed(number_list), range(n - 1, -1, -1), strict=True))
    duplicates: set[int] = set()
    if len(index) != n:
        duplicates = {i for i, number in enumerate(number_list) if index[number] != i}
    index.pop("", None)
    store.index = index
    store.number = number_list
    store.state = [NEW] * n
    store.line = [table.line(i) for i in range(n)] if table.lines else list(range(2, n + 2))
    store.pk = [None] * n
    store.unit = ids_at(unit_ids, unit_at)
    store.address = table.get("address")
    for span in ctx.spans(sorted(set(np.flatnonzero(~ok).tolist()) | duplicates), "户"):
        for i in span:
            number = number_list[i]
            try:
                if i in duplicates:
                    raise duplicate("household_no", number, table.line(index[number]))
                store.unit[i] = _household_row(ctx, number, *ctx.row_cells(
                    table, i, ("unit_code", "address")
                ))  # fmt: skip
            except Rejected as problem:
                ctx.reject(table, i, number, problem)
                store.state[i] = REJECTED
    for number, (pk, unit_id, address) in existing.items():
        position = index.get(number)
        if position is None or store.state[position] == REJECTED:
            continue
        store.state[position] = PRESENT
        counts.present += 1
        if store.unit[position] != unit_id or store.address[position] != (address or ""):
            counts.differs += 1
        store.pk[position] = pk
        store.unit[position] = unit_id
    counts.rejected = ctx.rejected_count("households")


def _household_row(ctx: LoadState, number: str, unit_code: str, address: str) -> int:
    """The unit id of a household row the quick checks flagged, or Rejected."""
    SPEC.check_text("household_no", number)
    SPEC.check_filled("unit_code", unit_code)
    unit_id = ctx.unit("unit_code", unit_code)
    SPEC.check_length("address", address)
    return unit_id
