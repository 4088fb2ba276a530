"""Benchmark of the benefit qualification (every programme over the district's registry) and of
a 100k-line payment roster exported to XLSX, each against a per-person ORM baseline measured on
a sample in the same run.

    .venv/bin/python bench/benefits.py [--persons 1000000] [--sample 300] [--lines 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/renkou_bench_benefits \
        .venv/bin/python bench/benefits.py

Builds a fresh database (a SQLite file in a temporary RENKOU_DATA_DIR, or the PostgreSQL
database DATABASE_URL names, created and dropped here), generates and loads a synthetic district
with bench/load.py's generator, adds benefit facts (children's disability grades, surgery
complication grades, only-child certificates, some children's deaths), then:

1. qualification: one read of the registry facts (a few `values_list` queries), every programme
   evaluated in bulk and its candidates written — against `queries.explain` called per person
   (the same rules, loading each person's facts with the ORM), timed on `--sample` persons per
   programme and scaled to the whole registry;
2. roster: `exports.roster_xlsx` on a roster of `--lines` lines (write-only openpyxl from a
   values list) — against an object-per-line export (ORM instances, a normal workbook), timed on
   a sample and scaled.

Targets (issue #6): qualification ≤ 30 s at 1M persons; the 100k-line XLSX ≤ 10 s.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import random
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _bench_load():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=300, help="persons per programme, per-person")
    parser.add_argument("--lines", type=int, default=100_000, help="roster lines to export")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--profile", action="store_true", help="profile the qualification")
    args = parser.parse_args()
    load = _bench_load()

    work = Path(tempfile.mkdtemp(prefix="renkou-bench-benefits-"))
    url = os.environ.get("DATABASE_URL", "")
    if url:
        load._fresh_postgres(url)
    else:
        os.environ["RENKOU_DATA_DIR"] = str(work / "data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    os.environ.setdefault("RENKOU_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        groups = load._create_units()
        directory = work / "load"
        load.generate(directory, args.persons, groups, seed=args.seed, fmt="csv",
                      persons_only=False)  # fmt: skip
        from renkou.registry.loading.loader import load_directory

        report = load_directory(directory)
        print(
            f"database: {connection.vendor}; loaded {report.counts['persons'].read:,} persons in "
            f"{time.perf_counter() - started:.1f} s (set-up, not timed)"
        )
        _add_facts(args.seed)
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(qualify, args)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        else:
            qualify(args)
        roster(args)
    finally:
        connection.close()
        if url:
            load._drop_postgres(url)
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- data


def _add_facts(seed: int) -> None:
    """Facts the generator does not make: disability and complication grades, certificates,
    some children dead (so every programme has candidates)."""
    from collections import Counter

    from renkou.benefits.models import BenefitFact
    from renkou.registry.models import ParentChild, Person

    rng = random.Random(seed)
    links = list(ParentChild.objects.values_list("parent_id", "child_id"))
    children = sorted({c for _p, c in links})
    per_parent = Counter(p for p, _c in links)
    disabled = rng.sample(children, len(children) // 200)
    BenefitFact.objects.bulk_create(
        [
            BenefitFact(
                person_id=pk,
                kind="disability_grade",
                value=rng.randint(1, 4),
                evidence="残疾人证（模拟）",
            )
            for pk in disabled
        ],  # fmt: skip
        batch_size=2000,
    )
    women = list(Person.objects.filter(sex="F").values_list("pk", flat=True)[:200_000])
    complicated = rng.sample(women, len(women) // 500)
    BenefitFact.objects.bulk_create(
        [
            BenefitFact(
                person_id=pk,
                kind="complication_grade",
                value=rng.randint(1, 4),
                evidence="鉴定书（模拟）",
            )
            for pk in complicated
        ],  # fmt: skip
        batch_size=2000,
    )
    dead = rng.sample(children, len(children) // 300)
    for start in range(0, len(dead), 900):
        Person.objects.filter(pk__in=dead[start : start + 900]).update(
            status="deceased", death_date=datetime.date(2015, 6, 1)
        )
    single = [p for p, n in per_parent.items() if n == 1]
    certified = rng.sample(single, len(single) // 5)
    for start in range(0, len(certified), 900):
        Person.objects.filter(pk__in=certified[start : start + 900]).update(
            only_child_cert_no="GRZ-SIM"
        )
    print(
        f"facts: {len(disabled):,} disability grades, {len(complicated):,} complication grades, "
        f"{len(dead):,} children dead, {len(certified):,} certificates"
    )


# --------------------------------------------------------------------------- qualification


def qualify(args) -> None:
    from renkou.benefits import actions, programmes, queries, rules
    from renkou.benefits.models import Cycle, Programme
    from renkou.core.models import OrgUnit
    from renkou.registry.models import Person

    district = OrgUnit.objects.get(level=1)
    chosen = list(Programme.objects.filter(active=True).order_by("code"))
    started = time.perf_counter()
    reg = queries.RegistryFacts.load(district)
    loaded = time.perf_counter() - started
    lines = []
    evaluated = 0.0
    for programme in chosen:
        spec = programmes.spec_of(programme)
        cycle = Cycle.objects.create(
            programme=programme, year=args.year, unit=district,
            reference_date=spec.reference_date(args.year),
        )  # fmt: skip
        begun = time.perf_counter()
        counts = actions.find_candidates(cycle=cycle, registry_facts=reg)
        evaluated += time.perf_counter() - begun
        lines.append(f"  {programme.code:18} {counts}")
    total = time.perf_counter() - started
    persons = len(reg.ids)
    print(f"qualification: {len(chosen)} programmes over {persons:,} persons in {total:.1f} s "
          f"(registry facts {loaded:.1f} s, evaluate + write {evaluated:.1f} s)")  # fmt: skip
    print("\n".join(lines))

    # Baseline: the same rules per person, each person's facts loaded with the ORM.
    ids = list(Person.objects.values_list("pk", flat=True))
    sample = random.Random(args.seed).sample(ids, min(args.sample, len(ids)))
    persons_by_pk = Person.objects.in_bulk(sample)
    begun = time.perf_counter()
    for programme in chosen:
        spec = programmes.spec_of(programme)
        ctx = rules.Context(args.year, spec.reference_date(args.year), queries.province())
        for pk in sample:
            queries.explain(persons_by_pk[pk], spec, ctx, district)
    per_eval = (time.perf_counter() - begun) / (len(sample) * len(chosen))
    baseline = per_eval * persons * len(chosen)
    print(
        f"  per-person ORM baseline: {per_eval * 1000:.2f} ms per person and programme "
        f"({len(sample)} × {len(chosen)} measured) → {baseline:,.0f} s for the registry; "
        f"ratio {baseline / total:.0f}x; target ≤ 30 s: {'met' if total <= 30 else 'MISSED'}"
    )


# --------------------------------------------------------------------------- roster


def roster(args) -> None:
    from openpyxl import Workbook

    from renkou.benefits import exports
    from renkou.benefits.models import Cycle, Programme, Roster, RosterLine
    from renkou.core.models import OrgUnit
    from renkou.lib.masking import mask_bank_account, mask_id_number
    from renkou.registry.models import Person

    district = OrgUnit.objects.get(level=1)
    cycle = Cycle.objects.create(
        programme=Programme.objects.get(code="jiangfu"), year=args.year - 1, unit=district,
        reference_date=datetime.date(args.year - 1, 12, 31), status="approved",
    )  # fmt: skip
    the_roster = Roster.objects.create(cycle=cycle, unit=district)
    people = list(Person.objects.values_list("pk", "unit_id")[: args.lines])
    amount = Decimal("960.00")
    RosterLine.objects.bulk_create(
        [
            RosterLine(
                roster=the_roster,
                line_no=i + 1,
                person_id=pk,
                unit_id=unit,
                amount=amount,
                central=Decimal("768.00"),
                provincial=Decimal("96.00"),
                local=Decimal("96.00"),
                bank_name="农村信用社",
                account_no=f"6221{pk:015d}",
            )
            for i, (pk, unit) in enumerate(people)
        ],  # fmt: skip
        batch_size=2000,
    )
    count = len(people)
    started = time.perf_counter()
    content = exports.roster_xlsx(the_roster)
    elapsed = time.perf_counter() - started

    # Baseline: ORM instances line by line into a normal (not write-only) workbook.
    sample = min(5000, count)
    begun = time.perf_counter()
    book = Workbook()
    sheet = book.active
    sheet.append(list(exports.ROSTER_HEADERS))
    lines = RosterLine.objects.filter(roster=the_roster).order_by("line_no")[:sample]
    for line in lines:
        person, unit = line.person, line.unit  # one query each, as a naive export does
        sheet.append([
            line.line_no, unit.name, person.name, mask_id_number(person.id_number),
            line.bank_name, mask_bank_account(line.account_no), float(line.amount),
            float(line.central), float(line.provincial), float(line.local), "",
        ])  # fmt: skip
    with tempfile.TemporaryFile() as handle:
        book.save(handle)
    baseline = (time.perf_counter() - begun) / sample * count
    print(
        f"roster: {count:,} lines to XLSX in {elapsed:.1f} s ({len(content) / 1e6:.1f} MB); "
        f"per-line ORM baseline {baseline:.0f} s (on {sample:,} lines, scaled); "
        f"ratio {baseline / elapsed:.1f}x; target ≤ 10 s: {'met' if elapsed <= 10 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
