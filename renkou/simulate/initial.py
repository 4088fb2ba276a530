"""The population of the start year: ages, couples, children, villages, surnames."""

from __future__ import annotations

import numpy as np

from renkou.simulate import params
from renkou.simulate.dates import lawful_wedding, may_marry
from renkou.simulate.names import draw_ethnic, draw_surnames
from renkou.simulate.population import Simulation
from renkou.simulate.rates import AGES
from renkou.simulate.state import FEMALE, MALE, MARRIED, WIDOWED


def initial_population(sim: Simulation, n: int) -> None:
    """The start year's population: a stable age pyramid, couples and their children."""
    rng, w, p = sim.rng, sim.w, sim.w.p
    j0 = int(sim.jan1[0])
    e0 = float(params.by_year(sim.prm.e0, [sim.start])[0].mean())
    q = params.life_table_q(e0, float(params.by_year(sim.prm.infant_mortality, [sim.start])[0]))
    survivorship = np.concatenate([[1.0], np.cumprod(1 - q)])[:AGES]
    weights = np.exp(-0.02 * np.arange(AGES)) * survivorship
    ages = rng.choice(AGES, size=n, p=weights / weights.sum())
    idx = w.new_persons(n)
    p.sex[idx] = (rng.random(n) >= 0.517).astype(np.int8)
    p.bday[idx] = j0 - 1 - ((ages + rng.random(n)) * 365.25).astype(np.int64)
    p.byear[idx] = sim.year_of(p.bday[idx])
    vil = sim.geo.pick_villages(rng, n, sim.prm.initial_urban_share)
    p.hv[idx] = vil
    p.rv[idx] = vil
    p.htype[idx] = sim.hukou_type_for_new(sim.start, sim.rural[vil])
    p.id_region[idx] = int(sim.geo.district_code)
    p.first_tie[idx] = 0

    p.surname[idx] = draw_surnames(rng, n)
    p.ethnic[idx] = draw_ethnic(rng, n, migrant=False)
    _initial_marriages(sim, idx, j0)
    _initial_children(sim, idx, j0)


def _initial_marriages(sim: Simulation, idx: np.ndarray, j0: int) -> None:
    rng, w, p = sim.rng, sim.w, sim.w.p
    age = (j0 - p.bday[idx]) / 365.25
    age_i = np.clip(age.astype(np.int64), 0, AGES - 1)
    women, men = idx[p.sex[idx] == FEMALE], idx[p.sex[idx] == MALE]
    legal = sim.rates.min_age[0]
    ever_f = np.cumsum(params.first_marriage_pmf(*_first_marriage(sim, FEMALE), legal[FEMALE]))
    ever_m = np.cumsum(params.first_marriage_pmf(*_first_marriage(sim, MALE), legal[MALE]))
    aw, am = age_i[p.sex[idx] == FEMALE], age_i[p.sex[idx] == MALE]
    wid_f = np.clip((aw - 35) / 50, 0, 0.7)
    wid_m = np.clip((am - 45) / 60, 0, 0.4)
    u = rng.random(len(women))
    ever = u < ever_f[aw]
    widowed = ever & (rng.random(len(women)) < wid_f)
    p.marital[women[widowed]] = WIDOWED
    p.last_end[women[widowed]] = j0 - 400
    wives = women[ever & ~widowed]
    weight_m = ever_m[am] * (1 - wid_m)
    keys = np.log(rng.random(len(men))) / np.maximum(weight_m, 1e-12)
    k = min(len(wives), int((weight_m > 0).sum()))
    husbands = men[np.argsort(-keys)[:k]]
    wives = wives[rng.permutation(len(wives))[:k]]
    widowers = men[(rng.random(len(men)) < ever_m[am] * wid_m)]
    widowers = np.setdiff1d(widowers, husbands)
    p.marital[widowers] = WIDOWED
    p.last_end[widowers] = j0 - 400
    wives = wives[np.argsort(p.bday[wives] + rng.normal(0, 700, k))]
    husbands = husbands[np.argsort(p.bday[husbands] + rng.normal(0, 700, k))]
    wage = (j0 - p.bday[wives]) / 365.25
    at = 18 + rng.gamma(2.0, 1.0, k)
    at = np.where(at > wage, 18 + rng.random(k) * np.maximum(wage - 18, 0), at)
    start = p.bday[wives] + (at * 365.25).astype(np.int64)
    start = np.minimum(lawful_wedding(p.bday[husbands], p.bday[wives], start), j0 - 1)
    # the rare couple not both of age by the law of any day before the start year stays unwed
    lawful = may_marry(p.bday[husbands], MALE, start) & may_marry(p.bday[wives], FEMALE, start)
    husbands, wives, start = husbands[lawful], wives[lawful], start[lawful].astype(np.int32)
    # couples share the husband's village
    p.hv[wives] = p.hv[husbands]
    p.rv[wives] = p.rv[husbands]
    p.htype[wives] = p.htype[husbands]
    w.marry(husbands, wives, start, here=False, reg_here=False)


def _initial_children(sim: Simulation, idx: np.ndarray, j0: int) -> None:
    rng, p = sim.rng, sim.w.p
    kids = idx[(j0 - p.bday[idx]) < 35 * 365.25]
    mothers = idx[(p.sex[idx] == FEMALE) & (p.marital[idx] != 0)]
    mothers = mothers[np.argsort(p.bday[mothers])]
    mb = p.bday[mothers]
    kid_mother = np.full(len(kids), -1, dtype=np.int64)
    todo = np.arange(len(kids))
    for _ in range(3):
        kb = p.bday[kids[todo]]
        lo = np.searchsorted(mb, kb - int(44 * 365.25))
        hi = np.searchsorted(mb, kb - int(17 * 365.25))
        pick = lo + (rng.random(len(todo)) * np.maximum(hi - lo, 0)).astype(np.int64)
        ok = hi > lo
        cand = np.where(ok, mothers[np.minimum(pick, len(mothers) - 1)], -1)
        married = p.marital[np.maximum(cand, 0)] == MARRIED
        start = sim.w.m.start[np.maximum(p.mar[np.maximum(cand, 0)], 0)]
        ok &= ~married | (start <= kb)
        kid_mother[todo[ok]] = cand[ok]
        todo = todo[~ok]
    has = kid_mother >= 0
    kids, kid_mother = kids[has], kid_mother[has]
    p.mother[kids] = kid_mother
    wed = p.marital[kid_mother] == MARRIED
    p.father[kids[wed]] = p.spouse[kid_mother[wed]]
    # No marriages between siblings or with a parent: drop such links of the wife.
    wives = kids[(p.sex[kids] == FEMALE) & (p.marital[kids] == MARRIED)]
    husband = p.spouse[wives]
    clash = (p.mother[wives] >= 0) & (p.mother[wives] == p.mother[husband])
    clash |= (p.mother[husband] == wives) | (p.father[wives] == husband)
    p.mother[wives[clash]] = -1
    p.father[wives[clash]] = -1
    linked = kids[p.mother[kids] >= 0]
    for _ in range(4):  # children take the parents' village, type and surname
        mom = p.mother[linked]
        p.hv[linked] = np.where(p.marital[linked] == MARRIED, p.hv[linked], p.hv[mom])
        p.rv[linked] = p.hv[linked]
        p.htype[linked] = p.htype[mom]
        dad = p.father[linked]
        p.surname[linked] = np.where(dad >= 0, p.surname[np.maximum(dad, 0)], p.surname[mom])
        p.ethnic[linked] = np.where(dad >= 0, p.ethnic[np.maximum(dad, 0)], p.ethnic[mom])
    wed_kids = linked[p.marital[linked] == MARRIED]
    p.hv[p.spouse[wed_kids]] = np.where(
        p.sex[wed_kids] == MALE, p.hv[wed_kids], p.hv[p.spouse[wed_kids]]
    )
    p.rv[p.spouse[wed_kids]] = p.hv[p.spouse[wed_kids]]
    wives_of = p.spouse[wed_kids[p.sex[wed_kids] == MALE]]
    p.hv[wives_of] = p.hv[p.spouse[wives_of]]
    p.rv[wives_of] = p.hv[wives_of]
    mom = p.mother[linked]
    np.add.at(p.parity, mom, 1)
    order = np.lexsort((p.bday[linked], mom))
    first = np.ones(len(order), dtype=bool)
    first[1:] = mom[order][1:] != mom[order][:-1]
    p.first_child_sex[mom[order][first]] = p.sex[linked[order][first]]
    np.maximum.at(p.last_birth, mom, p.bday[linked])


def _first_marriage(sim: Simulation, sex: int) -> tuple[float, float, float]:
    mean = params.by_year(sim.prm.first_marriage_mean, [sim.start])[0][sex]
    sd = params.by_year(sim.prm.first_marriage_sd, [sim.start])[0][sex]
    ever = params.by_year(sim.prm.ever_marry, [sim.start])[0][sex]
    return float(mean), float(sd), float(ever)
