"""Turn the simulated world into the registry's load tables (docs/data-formats.md).

Who is kept: everyone living and tied to the district at the end, the dead who died since
``keep_deceased_since`` and those who left within ``keep_moved_away_years``.  Everything is
built column-wise with numpy and pyarrow.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from renkou.simulate import identity, namedata, params
from renkou.simulate.events import build_events
from renkou.simulate.households import Households
from renkou.simulate.households import build as build_households
from renkou.simulate.kept import ALIVE, DECEASED, MOVED_AWAY, STATUS_NAMES, KeptRecords
from renkou.simulate.names import given_names, join_names
from renkou.simulate.population import Simulation
from renkou.simulate.state import (
    END_DEATH,
    END_DIVORCE,
    HUKOU_TYPE_NAMES,
    LONG_AGO,
    MALE,
    MOVE_IN,
    MOVE_REASONS,
    NEVER,
    day_of,
)


def build(sim: Simulation, rng: np.random.Generator) -> KeptRecords:
    p, prm = sim.w.p, sim.prm
    n = p.n
    end_day = day_of(sim.end, 12, 31)
    dead = p.dday[:n] != NEVER
    left = (p.leftday[:n] != NEVER) & ~dead
    status = np.where(dead, DECEASED, np.where(left, MOVED_AWAY, ALIVE)).astype(np.int8)
    keep = status == ALIVE
    keep |= dead & (p.dday[:n] >= day_of(prm.keep_deceased_since))
    keep |= left & (p.leftday[:n] >= day_of(sim.end - prm.keep_moved_away_years + 1))
    kept = np.flatnonzero(keep)
    pos = np.full(n, -1, dtype=np.int64)
    pos[kept] = np.arange(len(kept))
    households = build_households(sim, rng)
    hukou_group, res_group = _units(sim, rng, kept, status[kept], households)
    given = given_names().draw(rng, p.byear[kept].astype(np.int64), p.sex[kept].astype(np.int64))
    surname = p.surname[kept].astype(np.int64)
    reg_day = _registration_days(sim, rng, kept)
    registered = reg_day <= end_day
    first17 = identity.allocate(rng, p.id_region[kept], p.bday[kept], p.sex[kept] == MALE)
    first17 = np.where(registered, first17, 0)
    id_number = pc.if_else(pa.array(registered), identity.id_strings(first17),
                           pa.scalar(None, pa.string()))  # fmt: skip
    reg = KeptRecords(
        sim=sim,
        end_day=end_day,
        kept=kept,
        pos=pos,
        key=identity.keys("P", np.arange(1, len(kept) + 1), 8),
        status=status[kept],
        name=join_names(surname, given),
        surname=surname,
        given=given,
        first17=first17,
        id_number=id_number,
        reg_day=reg_day,
        hukou_group=hukou_group,
        res_group=res_group,
        households=households,
    )
    reg.tables["units"] = _units_table(sim)
    reg.tables["households"] = _households_table(reg)
    reg.tables["persons"] = _persons_table(reg, rng)
    reg.tables["parent_child"] = _parent_child_table(reg)
    reg.tables["marriages"] = _marriages_table(reg)
    reg.tables["events"] = _events_table(reg, rng)
    return reg


def _random_group(sim: Simulation, rng: np.random.Generator, village: np.ndarray) -> np.ndarray:
    geo = sim.geo
    counts = np.bincount(geo.group_village, minlength=len(geo.village_codes))
    offset = np.cumsum(counts) - counts
    v = np.asarray(village, dtype=np.int64)
    return offset[v] + (rng.random(len(v)) * counts[v]).astype(np.int64)


def _units(sim, rng, kept, status, hh: Households):
    """Hukou and residence group of every kept person (−1 where none)."""
    p, geo = sim.w.p, sim.geo
    hv = np.where(status == MOVED_AWAY, p.gone_hv[kept], p.hv[kept]).astype(np.int64)
    rv = np.where(status == MOVED_AWAY, p.gone_rv[kept], p.rv[kept]).astype(np.int64)
    member = hh.member_household[kept]
    in_household = member >= 0
    hukou_group = np.full(len(kept), -1, dtype=np.int64)
    hukou_group[in_household] = hh.group[member[in_household]]
    # people no longer alive here: a living spouse's household in the same village, else any
    gone = (status != ALIVE) & (hv >= 0)
    spouse = p.spouse[kept].astype(np.int64)
    spouse_hh = np.where(spouse >= 0, hh.member_household[np.maximum(spouse, 0)], -1)
    same = gone & (spouse_hh >= 0)
    same &= hh.village[np.maximum(spouse_hh, 0)] == hv
    random_hukou = _random_group(sim, rng, np.maximum(hv, 0))
    hukou_group = np.where(gone, random_hukou, hukou_group)
    hukou_group = np.where(same, hh.group[np.maximum(spouse_hh, 0)], hukou_group)
    res_group = np.full(len(kept), -1, dtype=np.int64)
    here = rv >= 0
    group_village = geo.group_village[np.maximum(hukou_group, 0)]
    at_home = here & (hukou_group >= 0) & (group_village == rv)
    res_group = np.where(at_home, hukou_group, res_group)
    floating = hh.floating_group[kept]
    res_group = np.where(here & ~at_home & (floating >= 0), floating, res_group)
    elsewhere = here & (res_group < 0)
    res_group[elsewhere] = _random_group(sim, rng, rv[elsewhere])
    # People who moved away keep the unit that last knew them in both columns: the format
    # needs a unit here, and a unit in only one column would read as floating (流入/流出).
    moved = status == MOVED_AWAY
    last = np.where(hukou_group >= 0, hukou_group, res_group)
    hukou_group[moved] = last[moved]
    res_group[moved] = last[moved]
    return hukou_group, res_group


def _registration_days(sim, rng, kept) -> np.ndarray:
    """Day the birth was registered (hukou, ID number); long ago for people not born here."""
    p = sim.w.p
    n = len(kept)
    delay = np.ceil(rng.exponential(params.BIRTH_REGISTRATION_MEAN_DAYS, n)).astype(np.int64)
    late = rng.random(n) < params.LATE_BIRTH_REGISTRATION
    delay = np.where(late, rng.integers(90, 1100, n), np.maximum(delay, 1))
    born = p.born_here[kept]
    return np.where(born, p.bday[kept].astype(np.int64) + delay, LONG_AGO)


def _units_table(sim: Simulation) -> pa.Table:
    rows = sim.geo.unit_rows()
    columns = list(zip(*rows, strict=True))
    parent = [c or None for c in columns[3]]
    return pa.table(
        {
            "code": pa.array(columns[0]),
            "name": pa.array(columns[1]),
            "kind": pa.array(columns[2]),
            "parent_code": pa.array(parent, type=pa.string()),
        }
    )


def _households_table(reg: KeptRecords) -> pa.Table:
    hh = reg.households
    return pa.table(
        {
            "household_no": hh.number,
            "unit_code": reg.group_code(hh.group),
            "address": hh.address,
        }
    )


def _str(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    array = pa.array(np.asarray(values)).cast(pa.string())
    if mask is None:
        return array
    return pc.if_else(pa.array(mask), array, pa.scalar(None, pa.string()))


def _persons_table(reg: KeptRecords, rng: np.random.Generator) -> pa.Table:
    sim, kept = reg.sim, reg.kept
    p, geo = sim.w.p, sim.geo
    n = len(kept)
    status = reg.status
    alive = status == ALIVE
    age = sim.end - p.byear[kept].astype(np.int64)
    hv = np.where(status == 2, p.gone_hv[kept], p.hv[kept]).astype(np.int64)
    hh = reg.households
    member = hh.member_household[kept]
    # hukou division: the village of the registration, or the code elsewhere
    here_village = np.where(member >= 0, hh.village[np.maximum(member, 0)], hv)
    has_here = (here_village >= 0) & (status != MOVED_AWAY)
    division = np.where(has_here, geo.village_codes[np.maximum(here_village, 0)],
                        p.hk_code[kept])  # fmt: skip
    # former names and phones
    former = (age >= 16) & (rng.random(n) < params.FORMER_NAME_SHARE)
    other_given = given_names().draw(rng, p.byear[kept].astype(np.int64) - 8,
                                     p.sex[kept].astype(np.int64))  # fmt: skip
    former &= other_given != reg.given
    former_names = pc.if_else(pa.array(former), join_names(reg.surname, other_given),
                              pa.scalar(None, pa.string()))  # fmt: skip
    prefixes = np.array([int(x) for x in namedata.PHONE_PREFIXES], dtype=np.int64)
    phone_number = prefixes[rng.integers(0, len(prefixes), n)] * 100_000_000 + rng.integers(
        0, 100_000_000, n
    )
    has_phone = alive & (age >= 16) & (rng.random(n) < params.PHONE_SHARE)
    ethnic = pc.utf8_lpad(pa.array(p.ethnic[kept].astype(np.int64)).cast(pa.string()), 2, "0")
    cert_no, cert_day = _only_child_certificates(reg, rng)
    relation = hh.relation[kept]
    hh_number = hh.number.take(pa.array(np.maximum(member, 0)))
    since = p.htype_since[kept]
    return pa.table(
        {
            "person_key": reg.key,
            "id_number": reg.id_number,
            "name": reg.name,
            "former_names": former_names,
            "sex": pa.array(np.where(p.sex[kept] == MALE, "M", "F")),
            "birth_date": identity.date_array(p.bday[kept]),
            "ethnic_group": ethnic,
            "hukou_type": pa.array(np.array(HUKOU_TYPE_NAMES)[p.htype[kept]]),
            "hukou_type_since": identity.date_array(
                np.where(since == NEVER, 0, since), missing=since == NEVER
            ),
            "hukou_division": _str(division),
            "hukou_unit_code": reg.group_code(reg.hukou_group),
            "residence_unit_code": reg.group_code(reg.res_group),
            "phone": _str(phone_number, has_phone),
            "status": pa.array(np.array(STATUS_NAMES)[status]),
            "death_date": identity.date_array(
                np.where(status == DECEASED, p.dday[kept], 0), missing=status != DECEASED
            ),
            "only_child_cert_no": cert_no,
            "only_child_cert_date": identity.date_array(
                np.where(cert_day > 0, cert_day, 0), missing=cert_day <= 0
            ),
            "household_no": pc.if_else(
                pa.array(member >= 0), hh_number, pa.scalar(None, pa.string())
            ),  # fmt: skip
            "relation_to_head": pa.array(
                np.where(relation == "", None, relation).tolist(), type=pa.string()
            ),  # fmt: skip
        }
    )


def _only_child_certificates(reg: KeptRecords, rng: np.random.Generator):
    """独生子女父母光荣证 for both parents of an only child born 1980–2015, registered here."""
    sim, kept = reg.sim, reg.kept
    p = sim.w.p
    n_all = p.n
    kids = np.flatnonzero(p.mother[:n_all] >= 0)
    mothers = p.mother[kids].astype(np.int64)
    fathers = p.father[kids].astype(np.int64)
    per_mother = np.bincount(mothers, minlength=n_all)
    per_father = np.bincount(fathers[fathers >= 0], minlength=n_all)
    lo, hi = params.ONLY_CHILD_BORN
    born = p.byear[kids]
    only = (per_mother[mothers] == 1) & ((fathers < 0) | (per_father[np.maximum(fathers, 0)] == 1))
    only &= (born >= lo) & (born <= hi) & p.hk_at_birth[kids]
    home = np.maximum(p.hv[kids], 0)
    urban = (p.htype[mothers] != 0) & ~sim.rural[home]
    takeup = np.where(urban, params.ONLY_CHILD_TAKEUP["urban"], params.ONLY_CHILD_TAKEUP["agri"])
    only &= rng.random(len(kids)) < takeup
    kids, mothers, fathers = kids[only], mothers[only], fathers[only]
    last = day_of(*params.ONLY_CHILD_LAST_ISSUE)
    day = p.bday[kids].astype(np.int64) + (rng.random(len(kids)) * 3 * 365.25).astype(np.int64)
    day = np.minimum(day, min(last, reg.end_day))
    day = np.maximum(day, p.bday[kids])
    year = sim.year_of(day)
    order = np.lexsort((day, year))
    serial = np.empty(len(kids), dtype=np.int64)
    sorted_year = year[order]
    pos = np.arange(len(kids))
    new = np.concatenate([[True], sorted_year[1:] != sorted_year[:-1]]) if len(kids) else pos
    start = np.maximum.accumulate(np.where(new, pos, 0)) if len(kids) else pos
    serial[order] = pos - start + 1
    text = [f"{sim.geo.district_code}-{y}-{s:05d}" for y, s in zip(year, serial, strict=True)]
    numbers = np.full(p.n, None, dtype=object)
    days = np.zeros(p.n, dtype=np.int64)
    for parent in (mothers, fathers):
        ok = parent >= 0
        numbers[parent[ok]] = np.array(text, dtype=object)[ok]
        days[parent[ok]] = day[ok]
    return pa.array(numbers[kept].tolist(), type=pa.string()), days[kept]


def _parent_child_table(reg: KeptRecords) -> pa.Table:
    p = reg.sim.w.p
    kept = reg.kept
    parts = []
    for parent in (p.mother[kept].astype(np.int64), p.father[kept].astype(np.int64)):
        ok = (parent >= 0) & (reg.pos[np.maximum(parent, 0)] >= 0)
        parts.append((reg.pos[parent[ok]], np.flatnonzero(ok)))
    parent_rows = np.concatenate([a for a, _ in parts])
    child_rows = np.concatenate([b for _, b in parts])
    order = np.lexsort((parent_rows, child_rows))
    parent_rows, child_rows = parent_rows[order], child_rows[order]
    return pa.table(
        {
            "parent_key": reg.key.take(pa.array(parent_rows)),
            "child_key": reg.key.take(pa.array(child_rows)),
            "kind": pa.array(np.full(len(child_rows), "biological")),
            "since": identity.date_array(p.bday[kept[child_rows]]),
        }
    )


def _marriages_table(reg: KeptRecords) -> pa.Table:
    m = reg.sim.w.m
    rows = np.arange(m.n)
    h, w = m.h[: m.n].astype(np.int64), m.w[: m.n].astype(np.int64)
    ok = (reg.pos[h] >= 0) & (reg.pos[w] >= 0)
    rows = rows[ok]
    reg.marriage_rows = rows
    keys = identity.keys("M", np.arange(1, len(rows) + 1), 8)
    reg.marriage_keys = keys.to_pylist()
    end = m.end[rows]
    ended = end != NEVER
    reason = np.where(m.reason[rows] == END_DIVORCE, "divorce",
                      np.where(m.reason[rows] == END_DEATH, "death", ""))  # fmt: skip
    kinds = np.array(["first", "remarriage"])
    return pa.table(
        {
            "marriage_key": keys,
            "husband_key": reg.key.take(pa.array(reg.pos[h[rows]])),
            "wife_key": reg.key.take(pa.array(reg.pos[w[rows]])),
            "start_date": identity.date_array(m.start[rows]),
            "end_date": identity.date_array(np.where(ended, end, 0), missing=~ended),
            "end_reason": pa.array(np.where(ended, reason, None).tolist(), type=pa.string()),
            "husband_kind": pa.array(kinds[m.hk[rows]]),
            "wife_kind": pa.array(kinds[m.wk[rows]]),
        }
    )


def _events_table(reg: KeptRecords, rng: np.random.Generator) -> pa.Table:
    return build_events(reg, rng, MOVE_REASONS, MOVE_IN)
