"""Parameters evaluated per simulated year, and the counties people come from and go to."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from renkou.simulate import namedata, params
from renkou.simulate.state import FEMALE, MALE

AGES = params.MAX_AGE + 1


@dataclass
class Rates:
    """Parameters evaluated for every simulated year (index ``y - start``)."""

    q: np.ndarray  # (years, 2, ages): probability of dying in the calendar year
    q0_birth_year: np.ndarray  # (years, 2): newborns' death probability in their birth year
    asfr: np.ndarray  # (years, ages)
    srb: np.ndarray  # (years, 3)
    twin: np.ndarray
    hospital: np.ndarray
    first_marriage: np.ndarray  # (years, 2, ages) hazard
    min_age: np.ndarray  # (years, 2)
    divorce: np.ndarray
    conversion: np.ndarray
    requisition: np.ndarray
    inflow: np.ndarray
    inflow_hukou: np.ndarray
    settle: np.ndarray
    outflow: np.ndarray
    student: np.ndarray
    mother_surname: np.ndarray
    regime: list[str]
    tfr: np.ndarray
    fm_mean: np.ndarray  # (years, 2) first-marriage mean (men, women)


def build_rates(prm: params.Params, start: int, end: int) -> Rates:
    years = np.arange(start, end + 1)
    e0 = params.by_year(prm.e0, years)
    imr = params.by_year(prm.infant_mortality, years)
    q = np.zeros((len(years), 2, AGES))
    q0 = np.zeros((len(years), 2))
    cache: dict[tuple[float, float], np.ndarray] = {}
    for i in range(len(years)):
        for s in (MALE, FEMALE):
            key = (round(float(e0[i, s]), 2), round(float(imr[i]), 5))
            if key not in cache:
                cache[key] = params.life_table_q(*key)
            table = cache[key]
            cal = np.empty(AGES)
            cal[2:] = 0.5 * (table[1:-1] + table[2:])
            share = params.INFANT_FIRST_YEAR_SHARE
            cal[1] = (1 - share) * table[0] + 0.5 * table[1]
            cal[0] = 0.0
            q[i, s] = cal
            q0[i, s] = share * table[0]
    tfr = params.by_year(prm.tfr, years)
    means = params.by_year(prm.asfr_mean, years)
    sds = params.by_year(prm.asfr_sd, years)
    asfr = np.stack(
        [params.asfr_schedule(t, m, s) for t, m, s in zip(tfr, means, sds, strict=True)]
    )
    legal = np.array([params.regime_of(int(y), tuple(params.LEGAL_MIN_AGE.items())) for y in years])
    fm_mean = params.by_year(prm.first_marriage_mean, years)
    fm_sd = params.by_year(prm.first_marriage_sd, years)
    ever = params.by_year(prm.ever_marry, years)
    hazard = np.zeros((len(years), 2, AGES))
    for i in range(len(years)):
        for s in (MALE, FEMALE):
            pmf = params.first_marriage_pmf(fm_mean[i, s], fm_sd[i, s], ever[i, s], legal[i][s])
            hazard[i, s] = params.hazard_from_pmf(pmf)
    return Rates(
        q=q,
        q0_birth_year=q0,
        asfr=asfr,
        srb=params.by_year(prm.srb, years),
        twin=params.by_year(prm.twin_rate, years),
        hospital=params.by_year(prm.hospital_delivery, years),
        first_marriage=hazard,
        min_age=legal.astype(np.int64),
        divorce=params.by_year(prm.divorce, years),
        conversion=params.by_year(prm.hukou_conversion, years),
        requisition=params.by_year(prm.village_requisition, years),
        inflow=params.by_year(prm.inflow_rate, years),
        inflow_hukou=params.by_year(prm.inflow_with_hukou, years),
        settle=params.by_year(prm.inflow_settle, years),
        outflow=params.by_year(prm.outflow_rate, years),
        student=params.by_year(prm.student_hukou, years),
        mother_surname=params.by_year(params.MOTHER_SURNAME, years),
        regime=[params.regime_of(int(y), params.POLICY_REGIMES) for y in years],
        tfr=tfr,
        fm_mean=fm_mean,
    )


class Counties:
    """Counties elsewhere (origins and destinations) and 12-digit codes inside them."""

    def __init__(self) -> None:
        merged: dict[str, tuple[str, float, float, bool]] = {}
        for code, name, weight, urban in namedata.ORIGIN_COUNTIES:
            merged[code] = (name, weight, 0.0, urban)
        for code, name, weight, urban in namedata.DESTINATION_COUNTIES:
            old = merged.get(code)
            merged[code] = (name, old[1] if old else 0.0, weight, urban)
        codes = sorted(merged)
        self.code6 = np.array([int(c) for c in codes], dtype=np.int64)
        self.names = [merged[c][0] for c in codes]
        origin = np.array([merged[c][1] for c in codes])
        dest = np.array([merged[c][2] for c in codes])
        self.origin_p = origin / origin.sum()
        self.dest_p = dest / dest.sum()
        self.urban = np.array([merged[c][3] for c in codes], dtype=bool)

    def codes12(self, rng: np.random.Generator, county: np.ndarray) -> np.ndarray:
        """Plausible 12-digit township+village codes inside each county."""
        n = len(county)
        urban = self.urban[county]
        town = np.where(urban, rng.integers(1, 21, n), rng.integers(101, 126, n))
        village = np.where(urban, rng.integers(1, 21, n), rng.integers(201, 231, n))
        return self.code6[county] * 1_000_000 + town * 1000 + village

    def origins(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.codes12(rng, rng.choice(len(self.code6), size=n, p=self.origin_p))

    def destinations(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.codes12(rng, rng.choice(len(self.code6), size=n, p=self.dest_p))

    def index_of(self, code12: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.code6, np.asarray(code12) // 1_000_000)
