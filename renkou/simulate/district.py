"""``simulate_district``: the whole run, from seed to load directory, feeds and truth.

Every random draw comes from ``numpy.random.Generator(PCG64(...))`` streams spawned from one
``SeedSequence(seed)``: geography, calibration, simulation, registry and feeds each have their
own stream, so the same seed and arguments give byte-identical files.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from renkou.simulate import load_tables
from renkou.simulate import params as params_module
from renkou.simulate.engine import run
from renkou.simulate.errors import ERROR_PROFILES
from renkou.simulate.geography import build_geography
from renkou.simulate.state import NEVER, day_of
from renkou.simulate.summary import build_summary
from renkou.simulate.writer import FORMATS, write_registry

Progress = Callable[[str], None]
TOLERANCE = 0.05  # how far the registry may be from the requested number of persons
RESIZE_ATTEMPTS = 4  # reruns with a rescaled start population when further off than that


@dataclass
class SimulationResult:
    out: Path
    persons: int
    files: list[Path]
    summary: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def _generator(seed_sequence: np.random.SeedSequence) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed_sequence))


def _kept_count(sim) -> int:
    p, prm = sim.w.p, sim.prm
    n = p.n
    dead = p.dday[:n] != NEVER
    left = (p.leftday[:n] != NEVER) & ~dead
    keep = ~dead & ~left
    keep |= dead & (p.dday[:n] >= day_of(prm.keep_deceased_since))
    keep |= left & (p.leftday[:n] >= day_of(sim.end - prm.keep_moved_away_years + 1))
    return int(keep.sum())


def _simulate_sized(prm, geo, stream, persons, initial, ever_per_initial, start, end, say):
    """Run the simulation, rescaling the start population until the registry is within
    ``TOLERANCE`` of ``persons``; returns the run closest to it and its start size.

    A small district's size after 75 years varies a lot with its random history (a district
    of 6,000 from 800 persons in 1950 can end anywhere between 5,400 and 7,000), so every run
    is measured, not only the first: the closest one is kept (re-simulated when it was not
    the last, which costs no memory for a second population and gives the same run, as the
    stream is reseeded identically).
    """

    def simulate(size: int):
        capacity = int(size * ever_per_initial * 1.1) + 1000
        return run(prm, geo, _generator(stream), initial_size=size, start=start, end=end,
                   capacity=capacity)  # fmt: skip

    sim = simulate(initial)
    tried: dict[int, float] = {}
    for attempt in range(RESIZE_ATTEMPTS + 1):
        kept = _kept_count(sim)
        tried[initial] = abs(kept / persons - 1)
        if tried[initial] <= TOLERANCE or attempt == RESIZE_ATTEMPTS:
            break
        resized = max(int(round(initial * persons / max(kept, 1))), 50)
        initial = resized if resized not in tried else resized + attempt + 1
        say(f"模拟 again with {initial} persons in {start} ({kept} were too far off)")
        del sim
        sim = simulate(initial)
    best = min(tried, key=lambda size: (tried[size], size))
    if best != initial:
        say(f"模拟 keeping the run with {best} persons in {start}")
        del sim
        sim, initial = simulate(best), best
    return sim, initial


def simulate_district(
    out: str | Path,
    *,
    persons: int = 20_000,
    seed: int = 1,
    start_year: int = 1950,
    end_year: int = 2025,
    feeds: bool = False,
    error_profile: str = "default",
    fmt: str = "csv",
    district_code: str = "510199",
    district_name: str = "锦城区",
    feed_years: int = 5,
    feed_headers: str = "zh",
    params: params_module.Params | None = None,
    progress: Progress | None = None,
) -> SimulationResult:
    """Simulate a district of about ``persons`` registry persons and write it to ``out``.

    Writes ``units``, ``households``, ``persons``, ``parent_child``, ``marriages`` and
    ``events`` (CSV or Parquet) in the registry load format, ``truth/params.json`` and
    ``truth/summary.json``, and with ``feeds`` the department files under ``feeds/`` with
    ``truth/feed_rows.csv`` and ``truth/feed_missing.csv``.
    """
    if persons < 100:
        raise ValueError("persons must be at least 100")
    if end_year <= start_year + 10:
        raise ValueError("the simulation needs more than ten years")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if error_profile not in ERROR_PROFILES:
        raise ValueError(f"error profile must be one of {', '.join(ERROR_PROFILES)}")
    if len(district_code) != 6 or not district_code.isdigit() or district_code[4:] == "00":
        raise ValueError("district_code must be a 6-digit county-level code (not ending in 00)")
    prm = params or params_module.Params()
    say = progress or (lambda _message: None)
    out = Path(out)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    streams = np.random.SeedSequence(seed).spawn(5)
    geo = build_geography(_generator(streams[0]), persons * 0.75, district_code, district_name)
    # Calibrate the 1950 population on a small run: how many registry persons per initial one.
    pilot_size = int(np.clip(persons / 8, 1500, 12_000))
    say(f"校准 calibrating ({pilot_size} initial persons)")
    pilot = run(prm, geo, _generator(streams[1]), initial_size=pilot_size, start=start_year,
                end=end_year)  # fmt: skip
    ratio = max(_kept_count(pilot) / pilot_size, 0.1)
    initial = max(int(round(persons / ratio)), 50)
    ever_per_initial = pilot.w.p.n / pilot_size  # sizes the arrays once, no regrowth
    del pilot
    lap("calibrate")
    say(f"模拟 simulating {start_year}–{end_year} ({initial} persons in {start_year})")
    sim, initial = _simulate_sized(prm, geo, streams[2], persons, initial, ever_per_initial,
                                   start_year, end_year, say)  # fmt: skip
    lap("simulate")
    say("户籍 building households, ID numbers and names")
    reg = load_tables.build(sim, _generator(streams[3]))
    lap("registry")
    say(f"写入 writing {out}")
    files = write_registry(reg.tables, out, fmt)
    lap("write")
    feed_result = None
    if feeds:
        from renkou.simulate.feeds import build_feeds

        say(f"部门数据 department feeds ({error_profile})")
        feed_result = build_feeds(reg, _generator(streams[4]), out, profile=error_profile,
                                  years=feed_years, headers=feed_headers)  # fmt: skip
        files += sorted((out / "feeds").glob("*.csv"))
        lap("feeds")
    summary = build_summary(sim, reg, feed_result)
    truth = out / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    run_info = {
        "seed": seed, "persons_requested": persons, "initial_persons": initial,
        "start_year": start_year, "end_year": end_year, "district_code": district_code,
        "district_name": district_name, "format": fmt, "feeds": feeds,
        "error_profile": error_profile, "feed_years": feed_years, "feed_headers": feed_headers,
    }  # fmt: skip
    _write_json(truth / "params.json", {"run": run_info, "params": prm.to_json(),
                                        "error_rates": ERROR_PROFILES[error_profile]})  # fmt: skip
    _write_json(truth / "summary.json", summary)
    lap("summary")
    return SimulationResult(out=out, persons=len(reg.kept), files=files, summary=summary,
                            timings=timings)  # fmt: skip


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                    encoding="utf-8")  # fmt: skip
