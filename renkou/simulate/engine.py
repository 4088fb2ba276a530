"""Run the yearly loop: the order of the steps inside one simulated year."""

from __future__ import annotations

import numpy as np

from renkou.simulate import params
from renkou.simulate.geography import Geography
from renkou.simulate.initial import initial_population
from renkou.simulate.marriage import divorce_step, marriage_step
from renkou.simulate.migration import migration_step
from renkou.simulate.population import Simulation


def run(
    prm: params.Params,
    geo: Geography,
    rng: np.random.Generator,
    *,
    initial_size: int,
    start: int,
    end: int,
    progress=None,
    capacity: int | None = None,
) -> Simulation:
    """Simulate ``start``..``end``; ``capacity`` is a hint of how many persons will ever live."""
    capacity = capacity or int(initial_size * 3) + 1000
    sim = Simulation(prm, geo, rng, start=start, end=end, capacity=capacity)
    initial_population(sim, initial_size)
    for y in range(start, end + 1):
        if y == sim.unify_year:
            sim.unify(y)
        sim.mortality(y)
        sim.fertility(y)
        divorce_step(sim, y)
        marriage_step(sim, y)
        sim.hukou_conversion(y)
        migration_step(sim, y)
        sim.record_year_end(y)
        if progress is not None:
            progress(y)
    return sim
