"""The ``events`` load table: births, deaths, moves, marriages, divorces, hukou-type changes.

Events are sorted by date, kind and person and numbered ``E000000001`` …; the registry keeps
which event came from which simulated fact so the feeds' truth can point at it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from renkou.simulate import identity, params
from renkou.simulate.kept import KeptRecords
from renkou.simulate.state import END_DIVORCE, HUKOU_TYPE_NAMES, NEVER

KIND_ORDER = ("birth", "hukou_type", "marriage", "divorce", "move_in", "move_out", "death")
# Same-day order: birth, hukou type, marriage, divorce, then moves in the order they
# happened (``seq``), death last — so replaying a day's moves gives the right end state.
_SAME_DAY_RANK = {"birth": 0, "hukou_type": 1, "marriage": 2, "divorce": 3, "move_in": 4,
                  "move_out": 4, "death": 5}  # fmt: skip


def _nulls(n: int) -> pa.Array:
    return pa.nulls(n, type=pa.string())


def _part(kind: str, day, person_rows, ref, n: int, seq=None, **columns) -> dict:
    return {
        "kind": kind,
        "seq": np.zeros(n, dtype=np.int64) if seq is None else np.asarray(seq, dtype=np.int64),
        "day": np.asarray(day, dtype=np.int64),
        "person": np.asarray(person_rows, dtype=np.int64),
        "ref": np.asarray(ref, dtype=np.int64),
        "n": n,
        "columns": columns,
    }


def _death_causes(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    out = np.empty(len(age), dtype=object)
    lower = -1
    for upper, shares in params.DEATH_CAUSES:
        band = (age >= lower) & (age < upper)
        names = np.array(list(shares), dtype=object)
        prob = np.array(list(shares.values()))
        out[band] = names[rng.choice(len(names), size=int(band.sum()), p=prob / prob.sum())]
        lower = upper
    return out


def build_events(reg: KeptRecords, rng: np.random.Generator, reasons, move_in_code) -> pa.Table:
    sim = reg.sim
    p, m = sim.w.p, sim.w.m
    kept = reg.kept
    parts = []
    # births
    born = np.flatnonzero(p.born_here[kept])
    who = kept[born]
    places = np.array(sim.places, dtype=object)
    parts.append(_part(
        "birth", p.bday[who], born, born, len(born),
        mother_key=reg.key_of(p.mother[who]), father_key=reg.key_of(p.father[who]),
        place=pa.array(places[p.place[who]].tolist(), type=pa.string()),
        plurality=pa.array(p.plurality[who].astype(np.int64)).cast(pa.string()),
    ))  # fmt: skip
    # deaths
    died = np.flatnonzero(p.dday[kept] != NEVER)
    who = kept[died]
    age = (p.dday[who] - p.bday[who]) / 365.25
    parts.append(_part(
        "death", p.dday[who], died, died, len(died),
        cause_category=pa.array(_death_causes(rng, age).tolist(), type=pa.string()),
    ))  # fmt: skip
    # moves
    moves = sim.w.log.all_moves()
    keep = reg.pos[moves["person"]] >= 0
    moves = {k: v[keep] for k, v in moves.items()}
    reg.moves = moves
    rows = reg.pos[moves["person"]]
    res_vil = moves["res_vil"].astype(np.int64)
    # the unit moved to: the person's final residence or hukou group when in that village
    group = np.full(len(rows), -1, dtype=np.int64)
    for final in (reg.hukou_group[rows], reg.res_group[rows]):
        village = sim.geo.group_village[np.maximum(final, 0)]
        group = np.where((final >= 0) & (village == res_vil), final, group)
    other = (res_vil >= 0) & (group < 0)
    counts = np.bincount(sim.geo.group_village, minlength=len(sim.geo.village_codes))
    offset = np.cumsum(counts) - counts
    rv = np.maximum(res_vil[other], 0)
    group[other] = offset[rv] + (rng.random(int(other.sum())) * counts[rv]).astype(np.int64)
    group = np.where(res_vil >= 0, group, -1)
    reason_names = np.array(reasons, dtype=object)
    kind_is_in = moves["kind"] == move_in_code
    for kind, mask in (("move_in", kind_is_in), ("move_out", ~kind_is_in)):
        sel = np.flatnonzero(mask)
        parts.append(_part(
            kind, moves["day"][sel], rows[sel], sel, len(sel), seq=moves["seq"][sel],
            division_from=pa.array(moves["code_from"][sel]).cast(pa.string()),
            division_to=pa.array(moves["code_to"][sel]).cast(pa.string()),
            residence_unit_code=reg.group_code(group[sel]),
            moves_hukou=pa.array(np.where(moves["moves_hukou"][sel], "1", "0")),
            reason=pa.array(reason_names[moves["reason"][sel]].tolist(), type=pa.string()),
        ))  # fmt: skip
    # hukou type changes
    hukou = sim.w.log.all_hukou()
    keep = reg.pos[hukou["person"]] >= 0
    hrows = reg.pos[hukou["person"][keep]]
    parts.append(_part(
        "hukou_type", hukou["day"][keep], hrows, np.flatnonzero(keep), len(hrows),
        hukou_type=pa.array(np.array(HUKOU_TYPE_NAMES)[hukou["type"][keep]]),
    ))  # fmt: skip
    # marriages and divorces: one event per spouse
    mrows = reg.marriage_rows
    mkeys = pa.array(reg.marriage_keys, type=pa.string())
    here = np.flatnonzero(m.here[mrows])
    divorced = np.flatnonzero((m.reason[mrows] == END_DIVORCE) & (m.end[mrows] != NEVER))
    for kind, sel, day in (
        ("marriage", here, m.start[mrows[here]]),
        ("divorce", divorced, m.end[mrows[divorced]]),
    ):
        for spouse, array in ((0, m.h), (1, m.w)):
            person = reg.pos[array[mrows[sel]]]
            parts.append(_part(
                kind, day, person, sel * 2 + spouse, len(sel),
                marriage_key=mkeys.take(pa.array(sel)),
            ))  # fmt: skip
    return _combine(reg, parts)


def _combine(reg: KeptRecords, parts: list[dict]) -> pa.Table:
    day = np.concatenate([part["day"] for part in parts])
    person = np.concatenate([part["person"] for part in parts])
    kind_code = np.concatenate(
        [np.full(part["n"], KIND_ORDER.index(part["kind"])) for part in parts]
    )
    same_day = np.concatenate([np.full(part["n"], _SAME_DAY_RANK[part["kind"]]) for part in parts])
    seq = np.concatenate([part["seq"] for part in parts])
    order = np.lexsort((person, seq, same_day, day))
    total = len(day)
    rank = np.empty(total, dtype=np.int64)
    rank[order] = np.arange(total)
    keys = identity.keys("E", np.arange(1, total + 1), 9)
    columns: dict[str, list[pa.Array]] = {}
    names = ("unit_code", "mother_key", "father_key", "place", "plurality", "cause_category",
             "division_from", "division_to", "residence_unit_code", "moves_hukou", "reason",
             "hukou_type", "marriage_key")  # fmt: skip
    n_people, n_marriages = len(reg.kept), 2 * len(reg.marriage_rows)
    sizes = {"birth": n_people, "death": n_people, "move": len(reg.moves["day"]),
             "marriage": n_marriages, "divorce": n_marriages}  # fmt: skip
    reg.event_rank = {name: np.full(size, -1, dtype=np.int64) for name, size in sizes.items()}
    start = 0
    for part in parts:
        n = part["n"]
        for name in names:
            columns.setdefault(name, []).append(part["columns"].get(name, _nulls(n)))
        source = "move" if part["kind"].startswith("move") else part["kind"]
        if source in reg.event_rank:
            reg.event_rank[source][part["ref"]] = rank[start : start + n]
        start += n
    kinds = np.array(KIND_ORDER)[kind_code]
    table = pa.table(
        {
            "event_key": keys.take(pa.array(rank)),
            "kind": pa.array(kinds),
            "date": identity.date_array(day),
            "person_key": reg.key.take(pa.array(person)),
            **{name: pa.concat_arrays(columns[name]) for name in names},
        }
    )
    table = table.take(pa.array(order))
    return table.select(["event_key", "kind", "date", "person_key", *names])


def event_key(rank: int) -> str:
    return f"E{rank + 1:09d}"


__all__ = ["KIND_ORDER", "build_events", "event_key"]
