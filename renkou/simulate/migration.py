"""Migration: floating families arriving, settling and leaving; locals going out and back.

Floating (流入) families move as a unit (one random draw and one day per family); locals who
go out to work (流出) keep their hukou here, their spouse and young children may follow; a
permanent departure moves the hukou too and ends the person's tie to the district.
"""

from __future__ import annotations

import numpy as np

from renkou.simulate import params
from renkou.simulate.dates import earliest_lawful_marriage, lawful_wedding
from renkou.simulate.names import draw_ethnic, draw_surnames
from renkou.simulate.population import Simulation
from renkou.simulate.state import (
    AGRI,
    FEMALE,
    MALE,
    NONAGRI,
    R_AWAY,
    R_BACK,
    R_FOLLOW,
    R_RETURN,
    R_SETTLE,
    R_STUDY,
    R_TRANSFER,
    R_WORK,
    UNIFIED,
)


def migration_step(sim: Simulation, y: int) -> None:
    _floating_departures(sim, y)
    _floating_settle(sim, y)
    _outflow(sim, y)
    _returns_and_settling_away(sim, y)
    _emigration(sim, y)
    sim.w.refresh_active()
    _arrivals(sim, y)


def _family_days(sim: Simulation, y: int, keys: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """One random day per key (family), not before any member's ``lo``."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int32)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    new = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])
    starts = np.flatnonzero(new)
    seg_lo = np.maximum.reduceat(lo[order].astype(np.int64), starts)
    seg_day = sim.days_in_year(y, seg_lo, len(starts))
    out = np.empty(len(keys), dtype=np.int32)
    out[order] = seg_day[np.cumsum(new) - 1]
    return out


def _lookup(sorted_keys: np.ndarray, values: np.ndarray, query: np.ndarray, default):
    """``values`` at the positions of ``query`` in ``sorted_keys``, and whether found."""
    if len(sorted_keys) == 0:
        return np.full(len(query), default), np.zeros(len(query), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, query), len(sorted_keys) - 1)
    found = sorted_keys[pos] == query
    return np.where(found, values[pos], default), found


def _floating_departures(sim: Simulation, y: int) -> None:
    p, rng, act = sim.w.p, sim.rng, sim.w.act
    floating = act[(p.hv[act] < 0) & (p.rv[act] >= 0)]
    fam = p.fam[floating]
    family_draw = rng.random(max(sim.w.n_fam, 1))
    u = np.where(fam >= 0, family_draw[np.maximum(fam, 0)], rng.random(len(floating)))
    rate = np.where(fam >= 0, sim.prm.inflow_departure, params.SETTLED_DEPARTURE)
    leave = floating[u < rate]
    key = np.where(p.fam[leave] >= 0, p.fam[leave].astype(np.int64), -1 - leave)
    day = _family_days(sim, y, key, p.last_ev[leave])
    n = len(leave)
    sim.relocate(leave, day, np.full(n, -1), np.full(n, -1), p.hk_code[leave],
                 p.hk_code[leave], R_BACK)  # fmt: skip


def _floating_settle(sim: Simulation, y: int) -> None:
    p, rng, act = sim.w.p, sim.rng, sim.w.act
    yi = y - sim.start
    floating = act[(p.hv[act] < 0) & (p.rv[act] >= 0)]
    fam = p.fam[floating]
    family_draw = rng.random(max(sim.w.n_fam, 1))
    u = np.where(fam >= 0, family_draw[np.maximum(fam, 0)], rng.random(len(floating)))
    settle = floating[u < sim.rates.settle[yi]]
    key = np.where(p.fam[settle] >= 0, p.fam[settle].astype(np.int64), -1 - settle)
    day = _family_days(sim, y, key, p.last_ev[settle])
    sim.relocate(settle, day, p.rv[settle], p.rv[settle], 0, 0, R_SETTLE)
    p.fam[settle] = -1


def _outflow(sim: Simulation, y: int) -> None:
    """Locals leave to work elsewhere, keeping their hukou; spouse and children may follow."""
    p, rng, act = sim.w.p, sim.rng, sim.w.act
    yi = y - sim.start
    residents = act[(p.hv[act] >= 0) & (p.rv[act] >= 0)]
    age = y - p.byear[residents].astype(np.int64)
    working = residents[(age >= 16) & (age <= 45)]
    rate = sim.rates.outflow[yi] * np.where(
        sim.rural[p.rv[working]], 1.0, params.OUTFLOW_URBAN_FACTOR
    )
    leaders = np.sort(working[rng.random(len(working)) < rate])
    leader_day = sim.days_in_year(y, p.last_ev[leaders], len(leaders))
    leader_dest = sim.counties.destinations(rng, len(leaders))
    movers, day, dest = _with_followers(
        sim, residents, leaders, leader_day, leader_dest,
        params.OUTFLOW_SPOUSE_FOLLOWS, params.OUTFLOW_CHILD_FOLLOWS, y,
    )  # fmt: skip
    reason = np.where(np.isin(movers, leaders), R_WORK, R_FOLLOW)
    sim.relocate(movers, day, p.hv[movers], np.full(len(movers), -1), 0, dest, reason)


def _with_followers(sim, pool, leaders, leader_day, leader_dest, p_spouse, p_child, y):
    """Leaders plus following spouses and children under 16 from ``pool`` (residents)."""
    p, rng = sim.w.p, sim.rng
    n = p.n
    end_day = int(sim.jan1[y - sim.start] + sim.ylen[y - sim.start] - 1)
    order = np.argsort(leaders)
    leaders, leader_day, leader_dest = leaders[order], leader_day[order], leader_dest[order]
    resident = np.zeros(n, dtype=bool)
    resident[pool] = True
    moving = np.zeros(n, dtype=bool)
    moving[leaders] = True
    spouse = p.spouse[leaders].astype(np.int64)
    spouse0 = np.maximum(spouse, 0)
    take = (spouse >= 0) & resident[spouse0] & (rng.random(len(leaders)) < p_spouse)
    take &= ~moving[spouse0]
    spouses = spouse[take]
    spouse_day = np.maximum(leader_day[take], p.last_ev[spouses])
    movers = np.concatenate([leaders, spouses])
    days = np.concatenate([leader_day, spouse_day]).astype(np.int64)
    dests = np.concatenate([leader_dest, leader_dest[take]]).astype(np.int64)
    moving[spouses] = True
    day_of = np.zeros(n, dtype=np.int64)
    day_of[movers] = days
    dest_of = np.zeros(n, dtype=np.int64)
    dest_of[movers] = dests
    age = y - p.byear[pool].astype(np.int64)
    kids = pool[age < 16]
    kids = kids[~moving[kids]]
    mom, dad = p.mother[kids].astype(np.int64), p.father[kids].astype(np.int64)
    mom_moves = (mom >= 0) & moving[np.maximum(mom, 0)]
    dad_moves = (dad >= 0) & moving[np.maximum(dad, 0)]
    follows = (mom_moves | dad_moves) & (rng.random(len(kids)) < p_child)
    parent = np.where(mom_moves, mom, dad)[follows]
    kids = kids[follows]
    kid_day = np.maximum(day_of[parent], p.last_ev[kids])
    all_movers = np.concatenate([movers, kids])
    all_days = np.minimum(np.concatenate([days, kid_day]), end_day).astype(np.int32)
    all_dest = np.concatenate([dests, dest_of[parent]]).astype(np.int64)
    return all_movers, all_days, all_dest


def _synced_draw(sim: Simulation, people: np.ndarray) -> np.ndarray:
    """One uniform draw per person, shared by spouses who are both in ``people``."""
    p = sim.w.p
    u = sim.rng.random(len(people))
    spouse = p.spouse[people]
    value, found = _lookup(people, u, spouse, 0.0)
    return np.where(found & (spouse < people), value, u)


def _returns_and_settling_away(sim: Simulation, y: int) -> None:
    p, act = sim.w.p, sim.w.act
    jan1 = int(sim.jan1[y - sim.start])
    away = act[(p.hv[act] >= 0) & (p.rv[act] < 0) & (p.last_move[act] < jan1)]  # not new
    u = _synced_draw(sim, away)
    back = away[u < sim.prm.outflow_return]
    day = sim.days_in_year(y, p.last_ev[back], len(back))
    spouse_day, found = _lookup(back, day, p.spouse[back], 0)
    day = np.where(found, np.maximum(day, spouse_day), day).astype(np.int32)
    sim.relocate(back, day, p.hv[back], p.hv[back], 0, 0, R_RETURN)
    staying = away[u >= sim.prm.outflow_return]
    u2 = _synced_draw(sim, staying)
    settle = staying[u2 < params.OUTFLOW_SETTLE_AWAY]
    age = y - p.byear[staying].astype(np.int64)
    kids = staying[(age < 16) & ~np.isin(staying, settle)]
    kids = kids[np.isin(p.mother[kids], settle)]
    leaving = np.concatenate([settle, kids])
    day = sim.days_in_year(y, p.last_ev[leaving], len(leaving))
    dest = p.away_code[leaving]
    n = len(leaving)
    sim.relocate(leaving, day, np.full(n, -1), np.full(n, -1), dest, dest, R_AWAY)


def _emigration(sim: Simulation, y: int) -> None:
    """Permanent departures: university entrants at 18, others 19–50, with their families."""
    p, rng, act = sim.w.p, sim.rng, sim.w.act
    yi = y - sim.start
    residents = act[(p.hv[act] >= 0) & (p.rv[act] >= 0)]
    age = y - p.byear[residents].astype(np.int64)
    rate = np.where(age == 18, sim.rates.student[yi], 0.0)
    rate = np.where((age >= 19) & (age <= 50), sim.prm.emigration, rate)
    leaders = residents[rng.random(len(residents)) < rate]
    leader_day = sim.days_in_year(y, p.last_ev[leaders], len(leaders))
    dest = sim.counties.destinations(rng, len(leaders))
    movers, day, dest = _with_followers(sim, residents, leaders, leader_day, dest, 1.0, 1.0, y)
    age_m = y - p.byear[movers].astype(np.int64)
    reason = np.where(np.isin(movers, leaders), np.where(age_m == 18, R_STUDY, R_TRANSFER),
                      R_FOLLOW)  # fmt: skip
    n = len(movers)
    sim.relocate(movers, day, np.full(n, -1), np.full(n, -1), dest, dest, reason)


def _of_age_before(birth: np.ndarray, sex: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Birth days moved back by the few days a spouse would be short of the legal marriage
    age on ``day`` (ages drawn in 365.25-day years can miss the real birthday by a day)."""
    birth = birth.astype(np.int64)
    for _ in range(3):
        short = np.maximum(earliest_lawful_marriage(birth, sex, day) - day, 0)
        birth = birth - short
    return birth


def _arrivals(sim: Simulation, y: int) -> None:
    """Families arriving: singles, couples, couples with children (floating or with hukou)."""
    w, p, rng, r = sim.w, sim.w.p, sim.rng, sim.rates
    yi = y - sim.start
    act = w.act
    residents = int((p.rv[act] >= 0).sum())
    target = rng.poisson(r.inflow[yi] * residents)
    if target == 0:
        return
    n_fam = int(target / 1.8 * 1.2) + 5
    kind = rng.choice(3, size=n_fam, p=np.array(params.INFLOW_FAMILY))
    kid_probs = [0.3, 0.4, 0.3] if y < 1980 else [0.55, 0.35, 0.10]
    n_kids = np.where(kind == 2, 1 + rng.choice(3, size=n_fam, p=kid_probs), 0)
    husband_age = np.clip(22 + rng.gamma(2.5, 4.0, n_fam), 22, 60)
    wife_age = np.clip(husband_age - np.clip(rng.normal(2.5, 2.0, n_fam), -2, 10), 20.5, 60)
    # children born when their mother was 20–42
    max_kid_age = np.minimum(15, np.floor(wife_age - 20))
    min_kid_age = np.maximum(0, np.ceil(wife_age - 42))
    n_kids = np.where(max_kid_age < min_kid_age, 0, n_kids)
    single_age = np.clip(18 + rng.gamma(2.0, 2.5, n_fam), 18, 40)
    size = np.where(kind == 0, 1, 2 + n_kids)
    cut = min(int(np.searchsorted(np.cumsum(size), target)) + 1, len(size))
    kind, n_kids, size = kind[:cut], n_kids[:cut], size[:cut]
    husband_age, wife_age, single_age = husband_age[:cut], wife_age[:cut], single_age[:cut]
    max_kid_age, min_kid_age = max_kid_age[:cut], min_kid_age[:cut]
    n_fam = cut
    fam_day = sim.days_in_year(y, None, n_fam)
    fam_vil = sim.geo.pick_villages(rng, n_fam, sim.prm.inflow_to_communities)
    fam_origin = sim.counties.origins(rng, n_fam)
    with_hukou = rng.random(n_fam) < r.inflow_hukou[yi]
    fam_ids = w.new_families(n_fam)
    fam_ethnic = draw_ethnic(rng, n_fam, migrant=True)
    # members: role 0 head (man or single), 1 wife, 2+ children
    total = int(size.sum())
    fam_of = np.repeat(np.arange(n_fam), size)
    role = np.arange(total) - np.repeat(np.cumsum(size) - size, size)
    idx = w.new_persons(total)
    single = kind[fam_of] == 0
    sex = np.where(role == 0, MALE, np.where(role == 1, FEMALE, rng.integers(0, 2, total)))
    sex = np.where(single, (rng.random(total) >= 0.56).astype(np.int64), sex).astype(np.int8)
    low = min_kid_age[fam_of]
    kid_age = low + np.floor(rng.random(total) * (max_kid_age[fam_of] - low + 1))
    age = np.where(role == 0, np.where(single, single_age[fam_of], husband_age[fam_of]),
                   np.where(role == 1, wife_age[fam_of], kid_age))  # fmt: skip
    day = fam_day[fam_of]
    bday = (day - (np.floor(age) + rng.random(total)) * 365.25).astype(np.int64)
    bday = np.minimum(bday, day - 1)
    spouse = (role <= 1) & ~single
    bday[spouse] = _of_age_before(bday[spouse], sex[spouse], day[spouse] - 1)
    p.sex[idx] = sex
    p.bday[idx] = bday
    p.byear[idx] = sim.year_of(bday)
    origin = fam_origin[fam_of]
    p.hk_code[idx] = origin
    p.id_region[idx] = origin // 1_000_000
    p.ethnic[idx] = fam_ethnic[fam_of]
    p.first_tie[idx] = 2
    p.arrive[idx] = day
    p.last_ev[idx] = day
    hukou_here = with_hukou[fam_of]
    p.fam[idx] = np.where(hukou_here, -1, fam_ids[fam_of])
    if y >= sim.unify_year:
        p.htype[idx] = UNIFIED
    else:
        nonagri = np.where(hukou_here, rng.random(total) < 0.7,
                           rng.random(total) >= params.INFLOW_AGRICULTURAL)  # fmt: skip
        p.htype[idx] = np.where(nonagri, NONAGRI, AGRI)
    surname = draw_surnames(rng, total)
    head = idx[role == 0]
    head_surname = surname[role == 0]
    p.surname[idx] = np.where(role >= 2, head_surname[fam_of], surname)
    # couples and their children
    couple = kind >= 1
    heads_by_fam = np.full(n_fam, -1, dtype=np.int64)
    heads_by_fam[fam_of[role == 0]] = head
    wives_by_fam = np.full(n_fam, -1, dtype=np.int64)
    wives_by_fam[fam_of[role == 1]] = idx[role == 1]
    kids = idx[role >= 2]
    kid_fam = fam_of[role >= 2]
    p.mother[kids] = wives_by_fam[kid_fam]
    p.father[kids] = heads_by_fam[kid_fam]
    husbands, wives = heads_by_fam[couple], wives_by_fam[couple]
    eldest = np.full(n_fam, np.iinfo(np.int64).max)
    np.minimum.at(eldest, kid_fam, p.bday[kids].astype(np.int64))
    youngest = np.full(n_fam, np.iinfo(np.int64).min)
    np.maximum.at(youngest, kid_fam, p.bday[kids].astype(np.int64))
    legal = int(sim.rates.min_age[yi, FEMALE]) + 0.5
    earliest = np.maximum(p.bday[wives] + legal * 365.25, p.bday[husbands] + 22.5 * 365.25)
    latest = np.minimum(fam_day[couple] - 30, eldest[couple] - 200)
    start = earliest + rng.random(len(wives)) * np.maximum(latest - earliest, 0)
    start = np.minimum(start, fam_day[couple] - 1)
    start = lawful_wedding(p.bday[husbands], p.bday[wives], start).astype(np.int32)
    w.marry(husbands, wives, start, here=False, reg_here=False)
    has_kids = n_kids[couple] > 0
    mothers = wives[has_kids]
    p.parity[mothers] = n_kids[couple][has_kids]
    p.last_birth[mothers] = youngest[couple][has_kids]
    if len(kids):
        order = np.lexsort((p.bday[kids], kid_fam))
        first = np.concatenate([[True], kid_fam[order][1:] != kid_fam[order][:-1]])
        p.first_child_sex[wives_by_fam[kid_fam[order][first]]] = p.sex[kids[order][first]]
    vil = fam_vil[fam_of]
    new_hv = np.where(hukou_here, vil, -1)
    reason = np.where(role >= 1, R_FOLLOW, np.where(hukou_here, R_TRANSFER, R_WORK))
    sim.relocate(idx, day.astype(np.int32), new_hv, vil, origin, 0, reason)
