"""The year-by-year microsimulation (vectorised: every step works on whole numpy arrays).

Each calendar year runs, in this order: hukou unification (on its date), deaths, births,
divorces, marriages, hukou-type conversions, migration.  Every event's day is drawn inside
the year but never before the person's previous event (``last_ev``), and people who die in a
year take part in nothing else that year, so no event follows a death.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from renkou.simulate import namedata, params
from renkou.simulate.geography import Geography
from renkou.simulate.rates import AGES, Counties, Rates, build_rates
from renkou.simulate.state import (
    AGRI,
    END_DEATH,
    FEMALE,
    MARRIED,
    MOVE_IN,
    MOVE_OUT,
    NONAGRI,
    UNIFIED,
    World,
    day_of,
    year_lengths,
)


@dataclass
class Stats:
    """What the summary reports, collected while simulating."""

    years: np.ndarray
    births_by_age: np.ndarray  # (years, ages)
    women_by_age: np.ndarray  # (years, ages)
    births_by_order_sex: np.ndarray  # (years, 3, 2)
    first_marriage_age_sum: np.ndarray  # (years, 2)
    first_marriage_count: np.ndarray  # (years, 2)
    residents: np.ndarray
    inflow: np.ndarray
    outflow: np.ndarray
    deaths: np.ndarray
    extra: dict = field(default_factory=dict)


class Simulation:
    """State, parameters and random stream of one run; the steps are methods and modules."""

    def __init__(
        self,
        prm: params.Params,
        geo: Geography,
        rng: np.random.Generator,
        *,
        start: int,
        end: int,
        capacity: int,
    ) -> None:
        self.prm = prm
        self.geo = geo
        self.rng = rng
        self.start = start
        self.end = end
        self.w = World(capacity)
        self.rates = build_rates(prm, start, end)
        self.counties = Counties()
        self.jan1, self.ylen = year_lengths(start, end)
        # Table of year starts for converting days to years (1830 .. end + 1).
        self.year_table = np.array([day_of(y) for y in range(1830, end + 2)], dtype=np.int64)
        self.village_code = geo.village_codes
        self.rural = geo.rural
        self.unify_day = day_of(*prm.unified_hukou)
        self.unify_year = prm.unified_hukou[0]
        n_years = end - start + 1
        self.stats = Stats(
            years=np.arange(start, end + 1),
            births_by_age=np.zeros((n_years, AGES)),
            women_by_age=np.zeros((n_years, AGES)),
            births_by_order_sex=np.zeros((n_years, 3, 2)),
            first_marriage_age_sum=np.zeros((n_years, 2)),
            first_marriage_count=np.zeros((n_years, 2)),
            residents=np.zeros(n_years),
            inflow=np.zeros(n_years),
            outflow=np.zeros(n_years),
            deaths=np.zeros(n_years),
        )
        self.places = self._place_names()

    # ------------------------------------------------------------------ helpers

    def year_of(self, days: np.ndarray) -> np.ndarray:
        return (np.searchsorted(self.year_table, days, side="right") - 1 + 1830).astype(np.int64)

    def days_in_year(self, y: int, lo: np.ndarray | None, n: int) -> np.ndarray:
        """Random days of year ``y``, each at or after ``lo`` (absolute day) when given."""
        jan1 = int(self.jan1[y - self.start])
        length = int(self.ylen[y - self.start])
        if lo is None:
            offset = np.zeros(n, dtype=np.int64)
        else:
            offset = np.clip(np.asarray(lo, dtype=np.int64) - jan1, 0, length - 1)
        return (jan1 + offset + (self.rng.random(n) * (length - offset)).astype(np.int64)).astype(
            np.int32
        )

    def hukou_type_for_new(self, y: int, rural: np.ndarray) -> np.ndarray:
        if y >= self.unify_year:
            return np.full(len(rural), UNIFIED, dtype=np.int8)
        return np.where(rural, AGRI, NONAGRI).astype(np.int8)

    def _place_names(self) -> list[str]:
        d = self.geo.district_name
        places = ["家中"]
        places += [h.format(d=d) for h in namedata.HOSPITALS_DISTRICT]
        places += list(namedata.HOSPITALS_CITY)
        self.place_town0 = len(places)
        places += [namedata.TOWN_HEALTH_CENTRE.format(t=t) for t in self.geo.township_names]
        self.place_county0 = len(places)
        places += self.counties.names
        return places

    def relocate(
        self,
        idx: np.ndarray,
        day: np.ndarray,
        new_hv: np.ndarray,
        new_rv: np.ndarray,
        new_hk_code: np.ndarray,
        new_away: np.ndarray,
        reason: np.ndarray | int,
    ) -> None:
        """Move persons and record a move event wherever the district's boundary is crossed.

        Moves inside the district (a bride's hukou moving to her husband's village) are not
        events.  Persons left with neither hukou nor residence here are gone (moved away).
        """
        if len(idx) == 0:
            return
        p = self.w.p
        vc = self.village_code
        old_hv, old_rv = p.hv[idx], p.rv[idx]
        had_h, had_r = old_hv >= 0, old_rv >= 0
        has_h, has_r = new_hv >= 0, new_rv >= 0
        old_hk, old_away = p.hk_code[idx], p.away_code[idx]
        reason = np.broadcast_to(np.asarray(reason, dtype=np.int8), len(idx))
        new_hk_code = np.broadcast_to(np.asarray(new_hk_code, dtype=np.int64), len(idx))
        new_away = np.broadcast_to(np.asarray(new_away, dtype=np.int64), len(idx))
        # 1. residence arrives (with or without the hukou)
        a = has_r & ~had_r
        src = np.where(had_h, old_away, old_hk)
        self.w.log.move(idx[a], day[a], MOVE_IN, (has_h & ~had_h)[a], src[a],
                        vc[new_rv[a]], new_rv[a], reason[a], has_h[a])  # fmt: skip
        # 2. hukou arrives, residence unchanged.  The move-in names the unit moved to (the
        # hukou's); someone who lives elsewhere gets a same-day move-out of the residence, so
        # replaying the events gives hukou here, residence away.
        b = ~a & has_h & ~had_h
        self.w.log.move(idx[b], day[b], MOVE_IN, True, old_hk[b], vc[new_hv[b]],
                        np.where(has_r[b], new_rv[b], new_hv[b]), reason[b], True)  # fmt: skip
        away = b & ~has_r
        self.w.log.move(idx[away], day[away], MOVE_OUT, False, vc[new_hv[away]],
                        new_away[away], -1, reason[away], True)  # fmt: skip
        # 3. residence leaves (hukou may leave too)
        c = ~a & ~b & had_r & ~has_r
        moves_h = had_h & ~has_h
        dest = np.where(moves_h, new_hk_code, np.where(had_h | has_h, new_away, new_hk_code))
        self.w.log.move(idx[c], day[c], MOVE_OUT, moves_h[c], vc[old_rv[c]], dest[c], -1,
                        reason[c], has_h[c])  # fmt: skip
        # 4. hukou leaves while living elsewhere already
        d = ~a & ~b & ~c & had_h & ~has_h
        self.w.log.move(idx[d], day[d], MOVE_OUT, True, vc[old_hv[d]], new_hk_code[d], -1,
                        reason[d])  # fmt: skip
        p.hv[idx] = new_hv
        p.rv[idx] = new_rv
        p.hk_code[idx] = np.where(has_h, 0, np.where(had_h, new_hk_code, old_hk))
        p.away_code[idx] = np.where(has_r, 0, new_away)
        crossed = a | b | c | d
        p.last_ev[idx[crossed]] = np.maximum(p.last_ev[idx[crossed]], day[crossed])
        p.last_move[idx[crossed]] = day[crossed]
        gone = ~has_h & ~has_r
        p.gone_hv[idx[gone]] = old_hv[gone]
        p.gone_rv[idx[gone]] = old_rv[gone]
        p.gone[idx[gone]] = True
        p.leftday[idx[gone]] = day[gone]

    # ------------------------------------------------------------------ yearly steps

    def unify(self, y: int) -> None:
        """Unified resident registration: every hukou here becomes ``unified`` (an event)."""
        p = self.w.p
        act = self.w.act
        local = act[p.hv[act] >= 0]
        self.w.log.hukou_type(local, self.unify_day, UNIFIED)
        p.htype[act] = UNIFIED
        p.htype_since[local] = self.unify_day
        p.last_ev[local] = np.maximum(p.last_ev[local], self.unify_day)

    def mortality(self, y: int) -> None:
        rng, w, p = self.rng, self.w, self.w.p
        yi = y - self.start
        act = w.act
        age = np.minimum(y - p.byear[act].astype(np.int64), AGES - 1)
        die = rng.random(len(act)) < self.rates.q[yi, p.sex[act], age]
        dead = act[die]
        days = self.days_in_year(y, p.last_ev[dead], len(dead))
        self._kill(dead, days)
        self.stats.deaths[yi] += len(dead)
        w.refresh_active()

    def _kill(self, dead: np.ndarray, days: np.ndarray) -> None:
        w, p = self.w, self.w.p
        p.dday[dead] = days
        p.gone[dead] = True
        wed = p.marital[dead] == MARRIED
        rows, end = p.mar[dead[wed]], days[wed]
        if len(rows):
            order = np.lexsort((end, rows))
            rows, end = rows[order], end[order]
            first = np.ones(len(rows), dtype=bool)
            first[1:] = rows[1:] != rows[:-1]
            w.end_marriages(rows[first], end[first], END_DEATH)

    def fertility(self, y: int) -> None:
        rng, w, p, r = self.rng, self.w, self.w.p, self.rates
        yi = y - self.start
        jan1 = int(self.jan1[yi])
        act = w.act
        women = act[p.sex[act] == FEMALE]
        age = y - p.byear[women].astype(np.int64)
        fertile = (age >= params.ASFR_AGES[0]) & (age <= params.ASFR_AGES[1])
        women, age = women[fertile], age[fertile]
        counts = np.bincount(age, minlength=AGES).astype(float)
        self.stats.women_by_age[yi] += counts
        married = p.marital[women] == MARRIED
        table = self.prm.parity_weights[r.regime[yi]]
        htype = p.htype[women]
        home = np.where(p.rv[women] >= 0, p.rv[women], np.maximum(p.hv[women], 0))
        agri = (htype == AGRI) | ((htype == UNIFIED) & self.rural[home])
        weights = np.array([table["urban"], table["agri"]], dtype=float)
        parity = p.parity[women].astype(np.int64)
        col = np.select(
            [parity == 0, parity == 1, parity == 2],
            [0, np.where(p.first_child_sex[women] == FEMALE, 2, 1), 3],
            4,
        )
        wt = weights[agri.astype(np.int64), col]
        wt = wt * np.where(married, 1.0, params.NONMARITAL_WEIGHT)
        start = w.m.start[np.maximum(p.mar[women], 0)]
        newly = married & (parity == 0) & (start >= jan1 - 2 * 365)
        wt = np.where(newly, wt * params.NEWLYWED_BOOST, wt)
        last = p.last_birth[women]
        one_ago = int(self.year_table[y - 1 - 1830])
        two_ago = int(self.year_table[y - 2 - 1830])
        wt = np.where((last >= one_ago) & (last < jan1), wt * params.SPACING[0], wt)
        wt = np.where((last >= two_ago) & (last < one_ago), wt * params.SPACING[1], wt)
        wt = np.where(last >= jan1, 0.0, wt)
        prob = _allocate(age, wt, r.asfr[yi] * counts, cap=0.9)
        mothers = women[rng.random(len(women)) < prob]
        self.births(y, mothers)

    def births(self, y: int, mothers: np.ndarray) -> None:
        rng, w, p, r = self.rng, self.w, self.w.p, self.rates
        yi = y - self.start
        n = len(mothers)
        if n == 0:
            return
        lo = np.maximum(p.last_birth[mothers].astype(np.int64) + 300, p.last_ev[mothers])
        days = self.days_in_year(y, lo, n)
        twins = rng.random(n) < r.twin[yi]
        mom = np.concatenate([mothers, mothers[twins]])
        day = np.concatenate([days, days[twins]])
        order = np.concatenate([p.parity[mothers] + 1, p.parity[mothers[twins]] + 2])
        plural = np.concatenate([np.where(twins, 2, 1), np.full(int(twins.sum()), 2)])
        srb = r.srb[yi, np.minimum(order, 3) - 1]
        sex = (rng.random(len(mom)) >= srb / (100 + srb)).astype(np.int8)
        same = rng.random(int(twins.sum())) < params.MONOZYGOTIC_SHARE
        sex[n:] = np.where(same, sex[:n][twins], sex[n:])
        kids = w.new_persons(len(mom))
        dad = np.where(p.marital[mom] == MARRIED, p.spouse[mom], -1)
        p.bday[kids] = day
        p.byear[kids] = y
        p.sex[kids] = sex
        p.mother[kids] = mom
        p.father[kids] = dad
        has_dad = dad >= 0
        dad0 = np.maximum(dad, 0)
        hv = np.where(p.hv[mom] >= 0, p.hv[mom], np.where(has_dad, p.hv[dad0], -1))
        p.hv[kids] = hv
        p.rv[kids] = p.rv[mom]
        elsewhere = np.where(p.hv[mom] < 0, p.hk_code[mom], p.hk_code[dad0])
        p.hk_code[kids] = np.where(hv >= 0, 0, elsewhere)
        p.away_code[kids] = p.away_code[mom]
        p.id_region[kids] = np.where(
            hv >= 0, int(self.geo.district_code), p.hk_code[kids] // 1_000_000
        )
        home = np.where(p.rv[mom] >= 0, p.rv[mom], np.maximum(hv, 0))
        if y >= self.unify_year:
            p.htype[kids] = UNIFIED
        else:
            p.htype[kids] = np.where(p.hv[mom] >= 0, p.htype[mom], p.htype[dad0])
        p.fam[kids] = p.fam[mom]
        p.born_here[kids] = True
        p.plurality[kids] = plural
        p.hk_at_birth[kids] = hv >= 0
        p.arrive[kids] = day
        p.last_ev[kids] = day
        p.first_tie[kids] = 1
        use_mother = ~has_dad | (rng.random(len(mom)) < r.mother_surname[yi])
        p.surname[kids] = np.where(use_mother, p.surname[mom], p.surname[dad0])
        p.ethnic[kids] = np.where(has_dad & (rng.random(len(mom)) < 0.7), p.ethnic[dad0],
                                  p.ethnic[mom])  # fmt: skip
        p.place[kids] = self._birth_places(y, p.rv[mom], home, p.away_code[mom], plural, mom)
        # mothers
        np.add.at(p.parity, mom, 1)
        first = p.first_child_sex[mothers] < 0
        p.first_child_sex[mothers[first]] = sex[:n][first]
        p.last_birth[mothers] = days
        p.last_ev[mothers] = np.maximum(p.last_ev[mothers], days)
        # statistics
        age = (y - p.byear[mom].astype(np.int64)).clip(0, AGES - 1)
        self.stats.births_by_age[yi] += np.bincount(age, minlength=AGES)
        np.add.at(self.stats.births_by_order_sex[yi], (np.minimum(order, 3) - 1, sex), 1)
        # deaths in the first calendar year
        q0 = r.q0_birth_year[yi, sex]
        die = rng.random(len(kids)) < q0
        dead = kids[die]
        self._kill(dead, self.days_in_year(y, p.bday[dead], len(dead)))
        self.stats.deaths[yi] += len(dead)
        self.w.refresh_active()

    def _birth_places(self, y, rv, home, away, plural, mom) -> np.ndarray:
        rng = self.rng
        n = len(rv)
        yi = y - self.start
        here = rv >= 0
        in_hospital = rng.random(n) < self.rates.hospital[yi]
        rural = self.rural[home]
        town = self.geo.village_township[home]
        n_district = len(namedata.HOSPITALS_DISTRICT)
        n_city = len(namedata.HOSPITALS_CITY)
        big = 1 + rng.choice(n_district + n_city, size=n, p=_hospital_weights(n_district, n_city))
        health_centre = rural & (rng.random(n) < 0.4) & (plural == 1)
        place = np.where(health_centre, self.place_town0 + town, big)
        place = np.where(in_hospital, place, 0)
        away_place = self.place_county0 + self.counties.index_of(away)
        return np.where(here, place, away_place).astype(np.int16)

    def hukou_conversion(self, y: int) -> None:
        """农转非: individual conversions and whole villages on land requisition."""
        if y >= self.unify_year:
            return
        rng, w, p, r = self.rng, self.w, self.w.p, self.rates
        yi = y - self.start
        act = w.act
        agri = act[(p.htype[act] == AGRI) & (p.hv[act] >= 0)]
        chosen = agri[rng.random(len(agri)) < r.conversion[yi]]
        n_vil = len(self.village_code)
        taken = (rng.random(n_vil) < r.requisition[yi]) & self.rural
        in_taken = agri[taken[p.hv[agri]]]
        in_taken = in_taken[rng.random(len(in_taken)) < params.VILLAGE_REQUISITION_SHARE]
        vil_day = self.days_in_year(y, None, n_vil)
        chosen = np.union1d(chosen, in_taken)
        day = np.where(
            taken[p.hv[chosen]], vil_day[p.hv[chosen]], self.days_in_year(y, None, len(chosen))
        )
        day = np.maximum(day, p.last_ev[chosen]).astype(np.int32)
        day = np.minimum(day, int(self.jan1[yi] + self.ylen[yi] - 1))
        w.log.hukou_type(chosen, day, NONAGRI)
        p.htype[chosen] = NONAGRI
        p.htype_since[chosen] = day
        p.last_ev[chosen] = np.maximum(p.last_ev[chosen], day)

    def record_year_end(self, y: int) -> None:
        p, act = self.w.p, self.w.act
        yi = y - self.start
        here = p.rv[act] >= 0
        self.stats.residents[yi] = here.sum()
        self.stats.inflow[yi] = (here & (p.hv[act] < 0)).sum()
        self.stats.outflow[yi] = (~here & (p.hv[act] >= 0)).sum()


def _allocate(age: np.ndarray, weight: np.ndarray, target: np.ndarray, cap: float) -> np.ndarray:
    """Birth probabilities proportional to ``weight`` that sum to ``target`` births per age.

    Probabilities are capped; what the capped women cannot have is given to the others in
    proportion to their weights (so the ASFR is met whenever it can be: the policy weights
    decide who has the births, not how many there are).
    """
    prob = np.zeros(len(age))
    open_ = weight > 0
    remaining = target.astype(float).copy()
    for _ in range(6):
        total = np.bincount(age[open_], weights=weight[open_], minlength=len(target))
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(total > 0, remaining / total, 0.0)
        add = np.where(open_, scale[age] * weight, 0.0)
        prob = prob + add
        over = prob > cap
        if not over.any():
            break
        excess = np.bincount(age[over], weights=prob[over] - cap, minlength=len(target))
        prob[over] = cap
        open_ &= ~over
        remaining = excess
    return prob


def _hospital_weights(n_district: int, n_city: int) -> np.ndarray:
    weights = np.array([3.0, 2.0, 1.0][:n_district] + [1.5] + [0.6] * (n_city - 1))
    return weights / weights.sum()


__all__ = ["Rates", "Simulation", "Stats", "build_rates"]
