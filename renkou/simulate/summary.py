"""``truth/summary.json``: realised rates next to the inputs, counts, feed error tallies."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow.compute as pc

from renkou.simulate import params
from renkou.simulate.kept import STATUS_NAMES, KeptRecords
from renkou.simulate.population import Simulation
from renkou.simulate.state import FEMALE, MALE


def _r(value: float, digits: int = 4) -> float | None:
    value = float(value)
    return None if not np.isfinite(value) else round(value, digits)


def tfr_by_year(sim: Simulation) -> np.ndarray:
    s = sim.stats
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(s.women_by_age > 0, s.births_by_age / s.women_by_age, 0.0)
    return rates.sum(axis=1)


def srb_table(sim: Simulation) -> list[dict[str, Any]]:
    s = sim.stats
    out = []
    for first, last in params.SRB_ERAS:
        if last < sim.start or first > sim.end:
            continue
        a, b = max(first, sim.start) - sim.start, min(last, sim.end) - sim.start + 1
        counts = s.births_by_order_sex[a:b].sum(axis=0)  # (order, sex)
        weights = counts.sum(axis=1)
        expected = sim.rates.srb[a:b].mean(axis=0)
        row: dict[str, Any] = {"from": first, "to": last}
        for k, label in enumerate(("first", "second", "third_plus")):
            ratio = counts[k, MALE] / counts[k, FEMALE] * 100 if counts[k, FEMALE] else np.nan
            row[label] = {"realised": _r(ratio, 2), "input": _r(expected[k], 2),
                          "births": int(weights[k])}  # fmt: skip
        total = counts.sum(axis=0)
        row["all"] = _r(total[MALE] / total[FEMALE] * 100 if total[FEMALE] else np.nan, 2)
        out.append(row)
    return out


def first_marriage_table(sim: Simulation) -> list[dict[str, Any]]:
    s = sim.stats
    out = []
    for first, last in params.FIRST_MARRIAGE_ERAS:
        if last < sim.start or first > sim.end:
            continue
        a, b = max(first, sim.start) - sim.start, min(last, sim.end) - sim.start + 1
        total = s.first_marriage_age_sum[a:b].sum(axis=0)
        count = s.first_marriage_count[a:b].sum(axis=0)
        weights = s.first_marriage_count[a:b]
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = (sim.rates.fm_mean[a:b] * weights).sum(axis=0) / weights.sum(axis=0)
        row: dict[str, Any] = {"from": first, "to": last}
        for sex, label in ((MALE, "men"), (FEMALE, "women")):
            row[label] = {
                "realised": _r(total[sex] / count[sex] if count[sex] else np.nan, 2),
                "input": _r(expected[sex], 2),
                "marriages": int(count[sex]),
            }
        out.append(row)
    return out


def tfr_eras(sim: Simulation) -> list[dict[str, Any]]:
    realised = tfr_by_year(sim)
    out = []
    for first, last in params.TFR_ERAS:
        if last < sim.start or first > sim.end:
            continue
        a, b = max(first, sim.start) - sim.start, min(last, sim.end) - sim.start + 1
        out.append({"from": first, "to": last, "realised": _r(realised[a:b].mean(), 3),
                    "input": _r(sim.rates.tfr[a:b].mean(), 3)})  # fmt: skip
    return out


def _value_counts(column) -> tuple[list[str], list[int]]:
    counted = pc.value_counts(column).to_pylist()
    pairs = sorted((item["values"], item["counts"]) for item in counted)
    return [k for k, _ in pairs], [v for _, v in pairs]


def build_summary(sim: Simulation, reg: KeptRecords, feeds: Any | None) -> dict[str, Any]:
    s = sim.stats
    tfr = tfr_by_year(sim)
    kinds, counts = _value_counts(reg.tables["events"].column("kind"))
    unit_kinds, unit_counts = _value_counts(reg.tables["units"].column("kind"))
    last = len(s.years) - 1
    residents = s.residents[last]
    status_counts = np.bincount(reg.status, minlength=3)
    summary: dict[str, Any] = {
        "years": [int(sim.start), int(sim.end)],
        "counts": {
            "persons": int(len(reg.kept)),
            "persons_by_status": {STATUS_NAMES[i]: int(status_counts[i]) for i in range(3)},
            "households": int(reg.tables["households"].num_rows),
            "parent_child": int(reg.tables["parent_child"].num_rows),
            "marriages": int(reg.tables["marriages"].num_rows),
            "events": {str(k): int(v) for k, v in zip(kinds, counts, strict=True)},
            "units": {str(k): int(v) for k, v in zip(unit_kinds, unit_counts, strict=True)},
            "simulated_persons": int(sim.w.p.n),
            "residents_end": int(residents),
            "without_id_number": int((reg.first17 == 0).sum()),
        },
        "tfr_by_year": {
            str(int(y)): {"realised": _r(t, 3), "input": _r(i, 3)}
            for y, t, i in zip(s.years, tfr, sim.rates.tfr, strict=True)
        },
        "tfr_by_era": tfr_eras(sim),
        "srb_by_order_era": srb_table(sim),
        "mean_first_marriage_age": first_marriage_table(sim),
        "floating": {
            "inflow_share_of_residents": _r(s.inflow[last] / residents if residents else 0),
            "inflow": int(s.inflow[last]),
            "outflow": int(s.outflow[last]),
            "residents": int(residents),
            "inflow_share_by_year": {
                str(int(y)): _r(f / r if r else 0)
                for y, f, r in zip(s.years, s.inflow, s.residents, strict=True)
            },
        },
        "residents_by_year": {
            str(int(y)): int(r) for y, r in zip(s.years, s.residents, strict=True)
        },
        "births_by_year": {
            str(int(y)): int(b) for y, b in zip(s.years, s.births_by_age.sum(axis=1), strict=True)
        },
        "deaths_by_year": {str(int(y)): int(d) for y, d in zip(s.years, s.deaths, strict=True)},
    }
    if feeds is not None:
        summary["feeds"] = {
            "rows": feeds.rows,
            "candidates": feeds.candidates,
            "missing": feeds.missing,
            "errors": feeds.errors,
        }
    return summary
