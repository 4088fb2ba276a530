"""Simulated districts shared by the simulator tests (no database).

Three runs per session: a small district with feeds (default errors), a clean-feed one,
and a 50,000-person one for the rate checks. Under pytest-xdist each is simulated once for
the whole run, by the first worker that needs it; the others wait for it and read the same
files (the tests only read them).
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import shutil
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pytest

from renkou.simulate import simulate_district

END_YEAR = 2025


@dataclass
class District:
    out: Path
    persons_requested: int
    _cache: dict = field(default_factory=dict)

    def rows(self, name: str) -> list[dict[str, str]]:
        if name not in self._cache:
            with open(self.out / f"{name}.csv", encoding="utf-8", newline="") as handle:
                self._cache[name] = list(csv.DictReader(handle))
        return self._cache[name]

    def header(self, name: str) -> list[str]:
        with open(self.out / f"{name}.csv", encoding="utf-8", newline="") as handle:
            return next(csv.reader(handle))

    def feed(self, name: str, encoding: str = "utf-8") -> list[dict[str, str]]:
        key = f"feeds/{name}"
        if key not in self._cache:
            with open(self.out / "feeds" / f"{name}.csv", encoding=encoding, newline="") as handle:
                self._cache[key] = list(csv.DictReader(handle))
        return self._cache[key]

    @cached_property
    def summary(self) -> dict:
        return json.loads((self.out / "truth" / "summary.json").read_text(encoding="utf-8"))

    @cached_property
    def persons(self) -> dict[str, dict[str, str]]:
        return {row["person_key"]: row for row in self.rows("persons")}

    @cached_property
    def truth(self) -> list[dict[str, str]]:
        with open(self.out / "truth" / "feed_rows.csv", encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    @cached_property
    def missing(self) -> list[dict[str, str]]:
        with open(self.out / "truth" / "feed_missing.csv", encoding="utf-8", newline="") as h:
            return list(csv.DictReader(h))


def _make(tmp_path_factory, name: str, **options) -> District:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        out = tmp_path_factory.mktemp(name)
        simulate_district(out, end_year=END_YEAR, **options)
        return District(out, options["persons"])
    # The workers' base temporary directories (popen-gw0, …) share the run's as their parent.
    shared = tmp_path_factory.getbasetemp().parent / "simulated"
    shared.mkdir(exist_ok=True)
    out, done = shared / name, shared / f"{name}.done"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)  # a worker that died half-way
            out.mkdir()
            simulate_district(out, end_year=END_YEAR, **options)
            done.touch()
    return District(out, options["persons"])


@pytest.fixture(scope="session")
def district(tmp_path_factory) -> District:
    return _make(tmp_path_factory, "district", persons=6000, seed=7, feeds=True)


@pytest.fixture(scope="session")
def clean_district(tmp_path_factory) -> District:
    return _make(tmp_path_factory, "clean", persons=4000, seed=3, feeds=True,
                 error_profile="clean")  # fmt: skip


@pytest.fixture(scope="session")
def big_district(tmp_path_factory) -> District:
    return _make(tmp_path_factory, "big", persons=50_000, seed=11, feeds=True)
