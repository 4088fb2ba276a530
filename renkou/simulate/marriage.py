"""Marriage market, divorce and spouses from outside the district (vectorised)."""

from __future__ import annotations

import numpy as np

from renkou.simulate import params
from renkou.simulate.dates import anniversary, earliest_lawful_marriage
from renkou.simulate.names import draw_ethnic, draw_surnames
from renkou.simulate.population import Simulation
from renkou.simulate.rates import AGES
from renkou.simulate.state import (
    END_DIVORCE,
    FEMALE,
    MALE,
    MARRIED,
    NEVER,
    NEVER_MARRIED,
    R_FOLLOW,
    R_MARRY_IN,
    R_MARRY_OUT,
)

_REMARRIAGE_AGES = np.array([band for band, _, _ in params.REMARRIAGE])
_REMARRIAGE = np.array([[m, f] for _, m, f in params.REMARRIAGE])
_BAND_OF_AGE = np.searchsorted(_REMARRIAGE_AGES, np.arange(AGES), side="right")
_REMARRIAGE_BY_AGE = _REMARRIAGE[np.minimum(_BAND_OF_AGE, len(_REMARRIAGE) - 1)]


def divorce_step(sim: Simulation, y: int) -> None:
    w, p, m, rng = sim.w, sim.w.p, sim.w.m, sim.rng
    yi = y - sim.start
    rows = np.flatnonzero(m.end[: m.n] == NEVER)
    h, wi = m.h[rows], m.w[rows]
    start_year = m.start_year[rows].astype(np.int64)
    ok = (start_year < y) & ~p.gone[h] & ~p.gone[wi]
    rows, h, wi, start_year = rows[ok], h[ok], wi[ok], start_year[ok]
    duration = y - start_year
    factor = np.ones(len(rows))
    lower = 0
    for upper, mult in params.DIVORCE_DURATION:
        factor[(duration >= lower) & (duration < upper)] = mult
        lower = upper
    chosen = rng.random(len(rows)) < sim.rates.divorce[yi] * factor
    rows, h, wi = rows[chosen], h[chosen], wi[chosen]
    day = sim.days_in_year(y, np.maximum(p.last_ev[h], p.last_ev[wi]), len(rows))
    m.court[rows] = rng.random(len(rows)) < params.COURT_DIVORCE_SHARE
    w.end_marriages(rows, day, END_DIVORCE)


def _lower_day(sim: Simulation, y: int, person: np.ndarray) -> np.ndarray:
    """Earliest marriage day: after the last event, and on or after the legal-age birthday.

    The birthday is the real anniversary (``dates.anniversary``), so a person born on 1 March
    of a common year does not marry on 29 February of a leap year, one day short of the age.
    """
    p = sim.w.p
    yi = y - sim.start
    sex = p.sex[person]
    birthday = anniversary(p.bday[person], sim.rates.min_age[yi, sex])
    lower = np.maximum(p.last_ev[person].astype(np.int64), birthday)
    return earliest_lawful_marriage(p.bday[person], sex, lower)


def marriage_step(sim: Simulation, y: int) -> None:
    w, p, rng, r = sim.w, sim.w.p, sim.rng, sim.rates
    yi = y - sim.start
    jan1 = int(sim.jan1[yi])
    act = w.act
    unmarried = act[p.marital[act] != MARRIED]
    age = np.minimum(y - p.byear[unmarried].astype(np.int64), AGES - 1)
    sex = p.sex[unmarried]
    eligible = (age >= r.min_age[yi, sex]) & (p.last_end[unmarried] < jan1)
    candidates, age, sex = unmarried[eligible], age[eligible], sex[eligible]
    hazard = np.where(
        p.marital[candidates] == NEVER_MARRIED,
        r.first_marriage[yi, sex, age],
        _REMARRIAGE_BY_AGE[age, sex],
    )
    chosen = candidates[rng.random(len(candidates)) < hazard]
    women = chosen[p.sex[chosen] == FEMALE]
    men = chosen[p.sex[chosen] == MALE]
    women = women[rng.permutation(len(women))]
    men = men[rng.permutation(len(men))]
    k = min(len(women), len(men))
    wives, husbands = women[:k], men[:k]
    extra_women, extra_men = women[k:], men[k:]
    wives = wives[np.argsort(p.bday[wives] + rng.normal(0, 600, k), kind="stable")]
    husbands = husbands[np.argsort(p.bday[husbands] + rng.normal(0, 600, k), kind="stable")]
    kin = ((p.mother[wives] >= 0) & (p.mother[wives] == p.mother[husbands])) | (
        (p.father[wives] >= 0) & (p.father[wives] == p.father[husbands])
    )
    kin |= (p.father[wives] == husbands) | (p.mother[husbands] == wives)
    wives, husbands = wives[~kin], husbands[~kin]
    day = sim.days_in_year(
        y, np.maximum(_lower_day(sim, y, wives), _lower_day(sim, y, husbands)), len(wives)
    )
    _record_first_marriage_ages(sim, y, husbands, wives, day)
    reg_here = (p.hv[husbands] >= 0) | (p.hv[wives] >= 0)
    w.marry(husbands, wives, day, here=True, reg_here=reg_here)
    _set_up_home(sim, husbands, wives, day)
    _brides_from_elsewhere(sim, y, extra_men)
    _women_left_over(sim, y, extra_women)


def _record_first_marriage_ages(sim, y, husbands, wives, day) -> None:
    p = sim.w.p
    yi = y - sim.start
    for person, sex in ((husbands, MALE), (wives, FEMALE)):
        first = p.marital[person] == NEVER_MARRIED
        ages = (day[first] - p.bday[person[first]]) / 365.25
        sim.stats.first_marriage_age_sum[yi, sex] += ages.sum()
        sim.stats.first_marriage_count[yi, sex] += len(ages)


def _set_up_home(sim: Simulation, husbands, wives, day) -> None:
    """The couple lives where the anchor spouse lives; the other's hukou may follow."""
    p, rng = sim.w.p, sim.rng
    n = len(husbands)
    anchor_is_h = rng.random(n) < params.VIRILOCAL
    anchor = np.where(anchor_is_h, husbands, wives)
    other = np.where(anchor_is_h, wives, husbands)
    a_hv, o_hv = p.hv[anchor], p.hv[other]
    new_rv = p.rv[anchor]
    follow = rng.random(n) < 0.5
    new_hv = np.where((a_hv >= 0) & ((o_hv >= 0) | follow | (new_rv < 0)), a_hv, o_hv)
    reason = np.where((o_hv < 0) & (new_hv >= 0), R_MARRY_IN, R_FOLLOW)
    new_hk = np.where(new_hv >= 0, 0, p.hk_code[other])
    floating_anchor = (a_hv < 0) & (p.fam[anchor] >= 0)
    p.fam[other] = np.where(floating_anchor & (new_hv < 0), p.fam[anchor], -1)
    sim.relocate(other, day, new_hv, new_rv, new_hk, p.away_code[anchor], reason)


def _outsiders(sim: Simulation, y: int, partner: np.ndarray, sex: int, day: np.ndarray):
    """New persons from elsewhere, of ``sex``, of plausible age for their ``partner``."""
    p, rng, w = sim.w.p, sim.rng, sim.w
    n = len(partner)
    yi = y - sim.start
    gap = np.clip(rng.normal(2.5, 2.5, n), -3, 12)
    partner_age = (day - p.bday[partner]) / 365.25
    age = partner_age - gap if sex == FEMALE else partner_age + gap
    age = np.maximum(age, sim.rates.min_age[yi, sex] + 0.5)
    idx = w.new_persons(n)
    p.sex[idx] = sex
    p.bday[idx] = (day - age * 365.25).astype(np.int32)
    p.byear[idx] = sim.year_of(p.bday[idx])
    origin = sim.counties.origins(rng, n)
    p.hk_code[idx] = origin
    p.id_region[idx] = origin // 1_000_000
    rural = ~sim.counties.urban[sim.counties.index_of(origin)]
    p.htype[idx] = sim.hukou_type_for_new(y, rural)
    p.surname[idx] = draw_surnames(rng, n)
    p.ethnic[idx] = draw_ethnic(rng, n, migrant=True)
    p.first_tie[idx] = 2
    p.arrive[idx] = day
    p.last_ev[idx] = day
    return idx, origin


def _brides_from_elsewhere(sim: Simulation, y: int, men: np.ndarray) -> None:
    p, rng = sim.w.p, sim.rng
    men = men[rng.random(len(men)) < params.BRIDE_IN]
    day = sim.days_in_year(y, _lower_day(sim, y, men), len(men))
    brides, origin = _outsiders(sim, y, men, FEMALE, day)
    _record_first_marriage_ages(sim, y, men, brides, day)
    sim.w.marry(men, brides, day, here=True, reg_here=p.hv[men] >= 0)
    moves = (p.hv[men] >= 0) & ((rng.random(len(men)) < 0.7) | (p.rv[men] < 0))
    new_hv = np.where(moves, p.hv[men], -1)
    sim.relocate(brides, day, new_hv, p.rv[men], origin, p.away_code[men], R_MARRY_IN)


def _women_left_over(sim: Simulation, y: int, women: np.ndarray) -> None:
    p, rng = sim.w.p, sim.rng
    u = rng.random(len(women))
    leaving = women[u < params.MARRY_OUT]
    day = sim.days_in_year(y, _lower_day(sim, y, leaving), len(leaving))
    elsewhere = sim.counties.origins(rng, len(leaving))
    sim.relocate(leaving, day, np.full(len(leaving), -1), np.full(len(leaving), -1),
                 elsewhere, elsewhere, R_MARRY_OUT)  # fmt: skip
    staying = women[(u >= params.MARRY_OUT) & (u < params.MARRY_OUT + params.GROOM_IN)]
    day = sim.days_in_year(y, _lower_day(sim, y, staying), len(staying))
    grooms, origin = _outsiders(sim, y, staying, MALE, day)
    _record_first_marriage_ages(sim, y, grooms, staying, day)
    sim.w.marry(grooms, staying, day, here=True, reg_here=p.hv[staying] >= 0)
    moves = (p.hv[staying] >= 0) & ((rng.random(len(staying)) < 0.3) | (p.rv[staying] < 0))
    new_hv = np.where(moves, p.hv[staying], -1)
    sim.relocate(grooms, day, new_hv, p.rv[staying], origin, p.away_code[staying], R_MARRY_IN)
