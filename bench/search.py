"""Benchmark of person search (issue 3: p95 under 100 ms with 1M persons, SQLite and PostgreSQL).

    .venv/bin/python bench/search.py [--persons 1000000] [--queries 200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/renkou_bench_search \
        .venv/bin/python bench/search.py

Loads a synthetic district with `bench/load.py`'s generator and the real loader, then times
the platform's search (`registry.queries.search_persons` + the first page, scoped to a district
administrator, exactly what the search page runs) for each kind of query: ID number, full name,
surname + first character, full pinyin, initials, name + last four of the ID, phone. The
baseline, timed in the same run on the same data, is the naive form of the same pinyin search:
Django's `__startswith` on pinyin OR initials, ordered by pinyin (on SQLite `startswith` is
LIKE, a scan; the OR sorts every match). Prints p50/p95 per kind and the ratio baseline p95 /
search p95.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load as load_bench  # noqa: E402  (bench/load.py: generator and database set-up)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200, help="queries per kind")
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="renkou-bench-search-"))
    url = os.environ.get("DATABASE_URL", "")
    if url:
        load_bench._fresh_postgres(url)
    else:
        os.environ["RENKOU_DATA_DIR"] = str(work / "data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    os.environ.setdefault("RENKOU_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        groups = load_bench._create_units()
        directory = work / "load"
        load_bench.generate(
            directory, args.persons, groups, seed=args.seed, fmt="csv", persons_only=True
        )
        from renkou.registry.loading.loader import load_directory

        started = time.perf_counter()
        report = load_directory(directory)
        print(
            f"database: {connection.vendor}; loaded {report.counts['persons'].inserted:,} "
            f"persons in {time.perf_counter() - started:.1f} s"
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        run(args)
    finally:
        connection.close()
        if url:
            load_bench._drop_postgres(url)
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    import random

    from django.db.models import Q

    from renkou.core import actions as core_actions
    from renkou.core.models import OrgUnit
    from renkou.lib.paging import paginate
    from renkou.registry import queries
    from renkou.registry.models import Person

    district = OrgUnit.objects.get(code="510199000000")
    user = core_actions.create_staff_user(
        actor=None, username="bench_admin", password=None, role="district_admin", unit=district
    )
    rng = random.Random(args.seed)
    top = Person.objects.order_by("-pk").values_list("pk", flat=True).first()
    sample = []
    while len(sample) < args.queries:
        found = Person.objects.filter(pk=rng.randint(1, top)).values(
            "name", "name_pinyin", "name_initials", "id_number", "phone").first()  # fmt: skip
        if found and found["id_number"]:
            sample.append(found)
    kinds = {
        "ID number": lambda p: p["id_number"],
        "full name": lambda p: p["name"],
        "surname + 1 char": lambda p: p["name"][:2],
        "full pinyin": lambda p: p["name_pinyin"],
        "initials": lambda p: p["name_initials"],
        "name + last 4": lambda p: f"{p['name']} {p['id_number'][-4:]}",
        "phone": lambda p: p["phone"] or p["id_number"],
    }
    results = {}
    for kind, make in kinds.items():
        timings = []
        for person in sample:
            text = make(person)
            started = time.perf_counter()
            paginate(queries.search_persons(user, text), 1, 20)
            timings.append((time.perf_counter() - started) * 1000)
        results[kind] = timings
    baseline = []
    for person in sample[: max(10, args.queries // 10)]:
        text = person["name_initials"]
        naive = Q(name_pinyin__startswith=text) | Q(name_initials__startswith=text)
        started = time.perf_counter()
        list(Person.objects.filter(naive).order_by("name_pinyin", "pk")[:21])
        baseline.append((time.perf_counter() - started) * 1000)
    base_p95 = _p95(baseline)
    print(f"{'query':18} {'p50 ms':>8} {'p95 ms':>8}  ratio (baseline p95 / p95)")
    for kind, timings in results.items():
        p95 = _p95(timings)
        print(f"{kind:18} {statistics.median(timings):8.2f} {p95:8.2f}  {base_p95 / p95:8.1f}x")
    print(f"{'baseline (scan)':18} {statistics.median(baseline):8.2f} {base_p95:8.2f}")
    worst = max(_p95(t) for t in results.values())
    verdict = "meets" if worst < 100 else "MISSES"
    print(
        f"search: worst p95 {worst:.1f} ms over {len(sample)} queries per kind; "
        f"{verdict} the 100 ms target"
    )


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


if __name__ == "__main__":
    main()
