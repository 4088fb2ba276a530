"""Benchmark: simulate 1,000,000 persons with feeds; baseline 100,000 in the same run.

    .venv/bin/python bench/simulate.py [--persons 1000000] [--baseline 100000] [--seed 1]

Each size runs in its own Python process (so peak memory is that run's own, read with
``resource.getrusage``) and writes into a temporary directory.  Prints wall time, peak RSS
and persons per second for both, and the ratio of per-person cost (large ÷ baseline) as a
linearity check; machines are noisy, so the ratio is the figure to compare across machines.
Targets (issue 4): 1M persons with feeds in ≤ 90 s and ≤ 4 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

TARGET_SECONDS = 90.0
TARGET_BYTES = 4 * 1024**3

_CHILD = """
import json, resource, sys, time
from renkou.simulate import simulate_district
persons, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
started = time.perf_counter()
result = simulate_district(out, persons=persons, seed=seed, feeds=True)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
print(json.dumps({"persons": result.persons, "seconds": seconds, "peak_bytes": peak,
                  "timings": result.timings}))
"""


def measure(persons: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="renkou-bench-") as out:
        env = dict(os.environ, PYTHONHASHSEED="0")
        completed = subprocess.run(
            [sys.executable, "-c", _CHILD, str(persons), str(seed), out],
            capture_output=True, text=True, check=True, env=env,
        )  # fmt: skip
        sizes = sum(
            os.path.getsize(os.path.join(root, name))
            for root, _, names in os.walk(out)
            for name in names
        )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["bytes_written"] = sizes
    return result


def report(label: str, result: dict) -> None:
    rate = result["persons"] / result["seconds"]
    print(
        f"{label:>9}: {result['persons']:>9,} persons  {result['seconds']:6.1f} s  "
        f"peak {result['peak_bytes'] / 1024**3:5.2f} GB  {rate:9,.0f} persons/s  "
        f"files {result['bytes_written'] / 1024**2:6.0f} MB"
    )
    stages = ", ".join(f"{k} {v:.1f}" for k, v in result["timings"].items())
    print(f"{'':>9}  stages (s): {stages}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"renkou simulate --feeds, {os.cpu_count()} CPUs")
    base = measure(args.baseline, args.seed)
    report("baseline", base)
    big = measure(args.persons, args.seed)
    report("target", big)
    per_person = (big["seconds"] / big["persons"]) / (base["seconds"] / base["persons"])
    memory_ratio = big["peak_bytes"] / base["peak_bytes"]
    size_ratio = big["persons"] / base["persons"]
    print(f"ratio: per-person time {per_person:.2f}× (1.00 = linear), "
          f"peak memory {memory_ratio:.2f}× for {size_ratio:.1f}× the persons")  # fmt: skip
    ok_time = big["seconds"] <= TARGET_SECONDS
    ok_memory = big["peak_bytes"] <= TARGET_BYTES
    print(f"target ≤ {TARGET_SECONDS:.0f} s: {'PASS' if ok_time else 'FAIL'}; "
          f"≤ 4 GB: {'PASS' if ok_memory else 'FAIL'}")  # fmt: skip
    return 0 if ok_time and ok_memory else 1


if __name__ == "__main__":
    sys.exit(main())
