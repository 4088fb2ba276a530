"""Benchmark of the registry bulk loader (`renkou load`) against one-by-one ORM `save()`.

    .venv/bin/python bench/load.py [--persons 1000000] [--sample 2000] [--rebuild-indexes auto]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/renkou_bench_load .venv/bin/python bench/load.py

Generates a synthetic load directory (households, persons, parent links, marriages, birth,
death and move events; valid ID numbers) in a temporary directory, sets up a fresh database
(a SQLite file in a temporary RENKOU_DATA_DIR, or the PostgreSQL database DATABASE_URL names,
created here and dropped afterwards), migrates it, creates the district's units, times
`load_directory`, and times `Person(...).save()` one by one on a sample in the same database
(before the load, on the empty tables) and prints the ratio:

    load: 1000000 persons in 18.2 s = 54,900 persons/s (the whole load: …); … ratio 26.1x

"persons/s" is the number of persons in the directory divided by the wall time of the whole
`load_directory` call: reading, checking and writing every file (households, persons,
parent–child links, marriages, events) and rebuilding the indexes — the honest figure, and
the one the targets (≥ 50,000/s SQLite, ≥ 30,000/s PostgreSQL) are about. It also prints the
persons table alone (checking the persons and writing their table with its indexes) and
the machine's load average before and after, as other work on the machine slows the load.
`--persons-only` writes just households and persons (no links, marriages or events).

Against the loader of another commit (`--baseline-ref`, by default main as it was before the
loader was split by kind, issue 12): that commit's
`renkou/` is exported (`git archive REF renkou | tar -x`) into a temporary directory, and the
same generated directory is loaded by this tree's loader and by that one, each in a fresh
subprocess (`PYTHONPATH` pointing at its tree) on a fresh database of its own, `--rounds`
times, alternating which goes first; the medians and their ratio are printed:

    against main (abc1234): baseline 21.0 s, this tree 20.1 s (median of 3); ratio 1.04x

(a ratio above 1 means this tree loads faster). `--baseline-ref ''` skips it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np

# main before the bulk loader was split by kind (issue 12): the loader it must not be slower than
PRE_SPLIT = "cacfafe3e2221e669d37bca1c4bd67d143a65fb8"

ROOT = Path(__file__).resolve().parent.parent
# A baseline subprocess imports `renkou` from the exported tree of the baseline commit.
sys.path.insert(0, os.environ.get("RENKOU_BENCH_TREE") or str(ROOT))

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
)
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉梅春燕晓文辉宇浩然子涵欣怡雨轩梓萱"
    "佳琪思远俊嘉鹏飞婷雪琳颖慧鑫磊博瑞泽宁安琴凤云海波斌旭东亮成林"
)
EPOCH = np.datetime64("1970-01-01", "D")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2000, help="persons saved one by one")
    parser.add_argument("--rebuild-indexes", choices=("auto", "yes", "no"), default="auto")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--keep", action="store_true", help="keep the data and database")
    parser.add_argument(
        "--persons-only", action="store_true", help="households and persons only, no links/events"
    )
    parser.add_argument(
        "--baseline-ref",
        default=PRE_SPLIT,
        help="commit to compare against (default: main before the loader split)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="loads per tree (median)")
    parser.add_argument("--child", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child), args)
        return

    work = Path(tempfile.mkdtemp(prefix="renkou-bench-load-"))
    url = os.environ.get("DATABASE_URL", "")
    if url:
        _fresh_postgres(url)
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
        groups = _create_units()
        print(
            f"database: {connection.vendor} ({connection.settings_dict['NAME']}); "
            f"{len(groups)} groups; set-up {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        directory = work / "load"
        sizes = generate(
            directory, args.persons, groups, seed=args.seed, fmt=args.format,
            persons_only=args.persons_only,
        )  # fmt: skip
        print(
            f"generated {sizes['persons']:,} persons, {sizes['households']:,} households, "
            f"{sizes['parent_child']:,} links, {sizes['marriages']:,} marriages, "
            f"{sizes['events']:,} events ({args.format}) in {time.perf_counter() - started:.1f} s"
        )
        # The baseline first, on the empty tables (the ORM's best case: a conservative ratio).
        baseline = _orm_baseline(args.sample, groups)
        print(f"ORM save() one by one: {args.sample:,} persons at {baseline:,.0f}/s")
        print(f"load average before the load: {_load_average()}")
        cpu_before = _cpu_seconds()
        report = _load(directory, args)
        cpu = {name: seconds - cpu_before[name] for name, seconds in _cpu_seconds().items()}
        print(f"load average after the load: {_load_average()} (a shared machine slows it)")
        print(
            "CPU time of the load: "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in cpu.items())
            + f" (wall {report.elapsed:.1f} s; client and server mostly take turns, so on an "
            "idle machine the wall time is about their sum plus I/O waits)"
        )
        rate = report.rate()
        persons = report.counts["persons"].read
        part = _persons_part(report)
        print(
            f"persons table alone: {persons:,} persons in {part:.1f} s (checking persons + "
            f"writing and indexing their table) = {persons / part:,.0f} persons/s"
        )
        print(
            f"load: {persons} persons in {report.elapsed:.1f} s = "
            f"{rate:,.0f} persons/s (the whole load: every file, households to events, wall "
            f"time); ORM save() baseline {baseline:,.0f}/s; ratio {rate / baseline:.1f}x"
        )
        if args.baseline_ref:
            _against(args, directory, work)
    finally:
        connection.close()
        if url and not args.keep:
            _drop_postgres(url)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


def _load(directory: Path, args: argparse.Namespace):
    from renkou.registry.loading.loader import load_directory
    from renkou.registry.loading.writer import BATCH_SIZE

    rebuild = {"auto": None, "yes": True, "no": False}[args.rebuild_indexes]
    report = load_directory(
        directory, rebuild_indexes=rebuild, batch_size=args.batch_size or BATCH_SIZE
    )
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.stages.items())
    print(f"stages: {stages}; indexes rebuilt on: {', '.join(report.rebuilt_indexes) or 'none'}")
    for _label_zh, label_en, counts in report.rows():
        if counts.read:
            print(
                f"  {label_en:20} read {counts.read:>9,}  inserted {counts.inserted:>9,}  "
                f"present {counts.present:>7,}  rejected {counts.rejected:>6,}"
            )
    print(
        f"  derived: {report.derived_links:,} links from births, "
        f"{report.derived_deaths:,} death events; {len(report.rejected):,} problem(s), "
        f"{len(report.warnings):,} warning(s)"
    )
    for item in report.rejected[:5]:
        print("  rejected:", item.file, item.line, item.key, item.field, item.message_en)
    return report


# --------------------------------------------------------------------------- against a commit


def _against(args: argparse.Namespace, directory: Path, work: Path) -> None:
    """Load `directory` with the loader of `--baseline-ref` and with this tree's, each in a
    fresh subprocess on a fresh database, alternating; print the medians and the ratio."""
    import json
    import statistics
    import subprocess

    ref = args.baseline_ref
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", ref],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    tree = work / f"tree-{commit}"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "renkou"], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    trees = {"baseline": tree, "this tree": ROOT}
    times: dict[str, list[float]] = {name: [] for name in trees}
    cpus: dict[str, list[float]] = {name: [] for name in trees}
    for round_ in range(max(args.rounds, 1)):
        order = list(trees) if round_ % 2 == 0 else list(reversed(trees))
        for name in order:
            env = dict(os.environ, RENKOU_BENCH_TREE=str(trees[name]))
            env["PYTHONPATH"] = str(trees[name])
            env["RENKOU_DATA_DIR"] = str(work / f"data-{name.replace(' ', '-')}-{round_}")
            if os.environ.get("DATABASE_URL"):
                env["DATABASE_URL"] = os.environ["DATABASE_URL"] + "_child"
            command = [sys.executable, __file__, "--child", str(directory),
                       "--rebuild-indexes", args.rebuild_indexes]  # fmt: skip
            if args.batch_size:
                command += ["--batch-size", str(args.batch_size)]
            done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            assert Path(result["renkou"]).resolve().is_relative_to(trees[name].resolve()), result
            times[name].append(result["elapsed"])
            cpus[name].append(result["cpu"])
            print(
                f"  {name:9} round {round_ + 1}: {result['elapsed']:.1f} s "
                f"(CPU {result['cpu']:.1f} s), "
                f"{result['inserted']:,} rows inserted, {result['rejected']} rejected; "
                f"load average {result['load_average']}"
            )
    base, new = (statistics.median(times[name]) for name in trees)
    base_cpu, new_cpu = (statistics.median(cpus[name]) for name in trees)
    print(
        f"against {ref} ({commit}): baseline {base:.1f} s, this tree {new:.1f} s "
        f"(median of {len(times['baseline'])}); ratio {base / new:.2f}x "
        "(above 1: this tree is faster)"
    )
    print(
        f"  CPU time of the load (process, and the PostgreSQL backend if local): baseline "
        f"{base_cpu:.1f} s, this tree {new_cpu:.1f} s; ratio {base_cpu / new_cpu:.2f}x "
        "(less sensitive than the wall time to other work on a shared machine)"
    )


def _child(directory: Path, args: argparse.Namespace) -> None:
    """One timed load of `directory` on a fresh database, by whichever tree `renkou` is
    imported from; prints one JSON line."""
    import json

    url = os.environ.get("DATABASE_URL", "")
    if url:
        _fresh_postgres(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    os.environ.setdefault("RENKOU_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    import renkou

    try:
        call_command("migrate", verbosity=0)
        _create_units()
        try:
            from renkou.registry.loading.loader import load_directory
        except ImportError:  # before the loader moved into the package
            from renkou.registry.loader import load_directory
        rebuild = {"auto": None, "yes": True, "no": False}[args.rebuild_indexes]
        options = {"rebuild_indexes": rebuild}
        if args.batch_size:
            options["batch_size"] = args.batch_size
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        report = load_directory(directory, **options)
        elapsed = time.perf_counter() - started
        cpu = sum(_cpu_seconds().values()) - sum(cpu_before.values())
    finally:
        connection.close()
        if url:
            _drop_postgres(url)
    print(
        json.dumps(
            {
                "renkou": str(Path(renkou.__file__).parent),
                "elapsed": elapsed,
                "cpu": cpu,
                "inserted": sum(c.inserted for c in report.counts.values()),
                "rejected": len(report.rejected),
                "load_average": _load_average(),
            }
        )
    )


def _persons_part(report) -> float:
    """Seconds spent on the persons alone: their checks and their table (rows and indexes)."""
    stages = report.stages
    return stages.get("check persons", 0.0) + stages.get("write person", 0.0) or 1e-9


def _cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far: this process (with SQLite, also the database's work) and, on
    a local PostgreSQL, the server process of our connection (index builds may add parallel
    workers, not counted)."""
    from django.db import connection

    usage = resource.getrusage(resource.RUSAGE_SELF)
    seconds = {"python": usage.ru_utime + usage.ru_stime}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks = os.sysconf("SC_CLK_TCK")
            seconds["postgres backend"] = (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            pass  # not on this machine
    return seconds


def _load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


# --------------------------------------------------------------------------- databases


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "renkou_bench_load"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    return admin, name


def _fresh_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _drop_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _create_units(townships: int = 5, villages: int = 8, groups: int = 10) -> list[str]:
    """The district 锦城区 with townships, villages and groups; returns the group codes."""
    from renkou.core import actions

    opened = datetime.date(2000, 1, 1)
    district = actions.create_unit(
        actor=None, parent=None, code="510199000000", name="锦城区", kind="district",
        opened_on=opened,
    )  # fmt: skip
    codes = []
    for t in range(1, townships + 1):
        township = actions.create_unit(
            actor=None, parent=district, code=f"510199{t:03d}000", name=f"第{t}街道",
            kind="street", opened_on=opened,
        )  # fmt: skip
        for v in range(1, villages + 1):
            village = actions.create_unit(
                actor=None, parent=township, code=f"510199{t:03d}{v:03d}", name=f"第{t}-{v}社区",
                kind="community", opened_on=opened,
            )  # fmt: skip
            for g in range(1, groups + 1):
                code = f"510199{t:03d}{v:03d}{g:03d}"
                actions.create_unit(
                    actor=None, parent=village, code=code, name=f"第{t}-{v}社区{g}栋",
                    kind="building", opened_on=opened,
                )  # fmt: skip
                codes.append(code)
    return codes


# --------------------------------------------------------------------------- the data


def _days(text: str) -> int:
    return int((np.datetime64(text, "D") - EPOCH).astype(np.int64))


def _iso(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D")


def generate(
    directory: Path, total: int, groups: list[str], *, seed: int, fmt: str, persons_only: bool
) -> dict:
    """Families (a couple and 1–3 children, some twins), single adults (some deceased, some
    inflow or outflow migrants); every child has parent links and a birth event."""
    from renkou.lib.idnumber import check_character

    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    year = 365.25
    couples = int(total * 0.15)
    kids_per = rng.choice([1, 2, 3], size=couples, p=[0.3, 0.4, 0.3])  # 2 on average: ~30%
    children = int(kids_per.sum())
    singles = total - 2 * couples - children

    # Couples: wife born 1945–1980, husband 0–5 years older, first child at 24–32.
    wife_birth = rng.integers(_days("1945-01-01"), _days("1980-12-31"), size=couples)
    husband_birth = wife_birth - rng.integers(0, int(5 * year), size=couples)
    first_child = wife_birth + rng.integers(int(24 * year), int(32 * year), size=couples)
    married = first_child - rng.integers(int(1 * year), int(2 * year), size=couples)

    family = np.repeat(np.arange(couples), kids_per)
    order = np.concatenate([np.arange(n) for n in kids_per]) if couples else np.zeros(0, int)
    gaps = rng.integers(int(1.5 * year), int(5 * year), size=children)
    twin = rng.random(children) < 0.015
    gaps[twin] = 0
    gaps[order == 0] = 0
    # Cumulative gap within each family.
    cumulative = np.cumsum(gaps)
    family_start = np.repeat(np.cumsum(kids_per) - kids_per, kids_per)
    offset = cumulative - np.concatenate([[0], cumulative])[family_start]
    child_birth = first_child[family] + offset

    single_birth = rng.integers(_days("1935-01-01"), _days("2005-12-31"), size=singles)

    # Row layout: per couple [husband, wife, children…], then the singles.
    n = total
    birth = np.empty(n, dtype=np.int64)
    sex = np.empty(n, dtype="<U1")
    role = np.empty(n, dtype=np.int8)  # 0 husband, 1 wife, 2 child, 3 single
    household = np.empty(n, dtype=np.int64)
    fam_size = 2 + kids_per
    starts = np.concatenate([[0], np.cumsum(fam_size)[:-1]]) if couples else np.zeros(0, int)
    husband_row = starts
    wife_row = starts + 1
    child_row = np.repeat(starts + 2, kids_per) + order
    birth[husband_row], sex[husband_row], role[husband_row] = husband_birth, "M", 0
    birth[wife_row], sex[wife_row], role[wife_row] = wife_birth, "F", 1
    birth[child_row], role[child_row] = child_birth, 2
    sex[child_row] = np.where(rng.random(children) < 0.51, "M", "F")
    household[husband_row] = household[wife_row] = np.arange(couples)
    household[child_row] = family
    single_rows = np.arange(2 * couples + children, n)
    birth[single_rows], role[single_rows] = single_birth, 3
    sex[single_rows] = np.where(rng.random(singles) < 0.5, "M", "F")
    household[single_rows] = couples + np.arange(singles) // 2  # pairs of singles
    households = couples + (singles + 1) // 2

    # Deaths (singles born before 1955, 30%); floating singles (8% inflow, 4% outflow).
    old = (role == 3) & (birth < _days("1955-01-01"))
    deceased = old & (rng.random(n) < 0.3)
    death = np.zeros(n, dtype=np.int64)
    low = np.maximum(birth + int(60 * year), _days("2000-01-01"))
    death[deceased] = (low + (rng.random(n) * (_days("2025-12-31") - low)).astype(np.int64))[
        deceased
    ]
    draw = rng.random(n)
    inflow = (role == 3) & ~deceased & (draw < 0.08)
    outflow = (role == 3) & ~deceased & (draw >= 0.08) & (draw < 0.12)
    moved = np.minimum(birth + int(18 * year) + rng.integers(0, int(10 * year), size=n),
                       _days("2025-12-31"))  # fmt: skip

    birth_iso = _iso(birth)
    unit_of_household = np.asarray(groups)[rng.integers(len(groups), size=households)]
    unit = unit_of_household[household]
    region = np.where(inflow, "440106", "510199")

    # ID numbers: sequence codes numbered within (region, birth date), odd for men.
    keyed = np.char.add(region, birth_iso)
    order_idx = np.argsort(keyed, kind="stable")
    sorted_keys = keyed[order_idx]
    first = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order_idx] = np.arange(n) - group_start
    serial = (rank * 2 + (sex == "M")) % 1000
    compact = np.char.replace(birth_iso, "-", "")
    first17 = [
        f"{r}{b}{s:03d}"
        for r, b, s in zip(region.tolist(), compact.tolist(), serial.tolist(), strict=True)
    ]
    ids = [body + check_character(body) for body in first17]

    names = np.char.add(
        np.asarray(SURNAMES)[rng.integers(len(SURNAMES), size=n)],
        np.asarray(GIVEN)[rng.integers(len(GIVEN), size=n)],
    )
    two = rng.random(n) < 0.6
    names[two] = np.char.add(names[two], np.asarray(GIVEN)[rng.integers(len(GIVEN), size=n)][two])
    phones = np.where(
        rng.random(n) < 0.6, np.char.add("13", rng.integers(10**8, 10**9, size=n).astype(str)), ""
    )
    keys = np.char.add("P", np.char.zfill(np.arange(1, n + 1).astype(str), 8))
    relation = np.select(
        [role == 0, role == 1, (role == 2) & (sex == "M"), role == 2],
        ["02", "10", "20", "30"],
        default="99",
    )
    relation[single_rows[::2]] = "02"
    status = np.where(deceased, "deceased", "alive")
    hukou_unit = np.where(inflow, "", unit)
    residence_unit = np.where(outflow, "", unit)
    hukou_division = np.where(inflow, "440106001001", "")

    persons = {
        "person_key": keys,
        "id_number": np.asarray(ids),
        "name": names,
        "former_names": np.full(n, ""),
        "sex": sex,
        "birth_date": birth_iso,
        "ethnic_group": np.where(rng.random(n) < 0.95, "01", "15"),
        "hukou_type": np.where(rng.random(n) < 0.5, "agricultural", "unified"),
        "hukou_type_since": np.full(n, ""),
        "hukou_division": hukou_division,
        "hukou_unit_code": hukou_unit,
        "residence_unit_code": residence_unit,
        "phone": phones,
        "status": status,
        "death_date": np.where(deceased, _iso(death), ""),
        "only_child_cert_no": np.full(n, ""),
        "household_no": np.char.add("H", np.char.zfill(household.astype(str), 8)),
        "relation_to_head": relation,
    }
    household_table = {
        "household_no": np.char.add("H", np.char.zfill(np.arange(households).astype(str), 8)),
        "unit_code": unit_of_household,
        "address": np.char.add(unit_of_household, "号"),
    }
    links = {
        "parent_key": np.concatenate([keys[husband_row[family]], keys[wife_row[family]]]),
        "child_key": np.concatenate([keys[child_row], keys[child_row]]),
    }
    marriages = {
        "marriage_key": np.char.add("M", np.char.zfill(np.arange(couples).astype(str), 8)),
        "husband_key": keys[husband_row],
        "wife_key": keys[wife_row],
        "start_date": _iso(married),
    }
    # Events: births (with parents and plurality), half the deaths, moves of the floating.
    plurality = np.ones(children, dtype=np.int64)
    same_as_previous = np.concatenate([[False], child_birth[1:] == child_birth[:-1]])
    same_as_previous &= np.concatenate([[False], family[1:] == family[:-1]])
    pair = same_as_previous | np.concatenate([same_as_previous[1:], [False]])
    plurality[pair] = 2
    death_rows = np.flatnonzero(deceased)
    death_rows = death_rows[: len(death_rows) // 2]
    in_rows, out_rows = np.flatnonzero(inflow), np.flatnonzero(outflow)
    kinds = np.concatenate([
        np.full(children, "birth"), np.full(len(death_rows), "death"),
        np.full(len(in_rows), "move_in"), np.full(len(out_rows), "move_out"),
    ])  # fmt: skip
    subjects = np.concatenate([child_row, death_rows, in_rows, out_rows])
    dates = np.concatenate([child_birth, death[death_rows], moved[in_rows], moved[out_rows]])
    m = len(kinds)
    blank = np.full(m, "")
    events = {
        "event_key": np.char.add("E", np.char.zfill(np.arange(m).astype(str), 8)),
        "kind": kinds,
        "date": _iso(dates),
        "person_key": keys[subjects],
        "mother_key": np.concatenate([keys[wife_row[family]], blank[children:]]),
        "father_key": np.concatenate([keys[husband_row[family]], blank[children:]]),
        "plurality": np.concatenate([plurality.astype(str), blank[children:]]),
        "division_from": np.concatenate(
            [
                blank[: children + len(death_rows)],
                np.full(len(in_rows), "440106001001"),
                np.full(len(out_rows), ""),
            ]
        ),  # fmt: skip
        "division_to": np.concatenate(
            [
                blank[: children + len(death_rows) + len(in_rows)],
                np.full(len(out_rows), "110105000000"),
            ]
        ),  # fmt: skip
        "residence_unit_code": np.concatenate(
            [
                blank[: children + len(death_rows)],
                unit[in_rows],
                np.full(len(out_rows), ""),
            ]
        ),  # fmt: skip
    }
    for name, table in (
        ("households", household_table),
        ("persons", persons),
        ("parent_child", links),
        ("marriages", marriages),
        ("events", events),
    ):
        if persons_only and name not in ("households", "persons"):
            continue
        _write(directory / name, table, fmt)
    return {
        "persons": n,
        "households": households,
        "parent_child": len(links["child_key"]),
        "marriages": couples,
        "events": m,
    }


def _write(stem: Path, columns: dict[str, np.ndarray], fmt: str) -> None:
    import pyarrow as pa

    table = pa.table({name: pa.array(np.asarray(values).tolist(), pa.string())
                      for name, values in columns.items()})  # fmt: skip
    if fmt == "parquet":
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        for name in table.column_names:
            if name.endswith("date") or name == "date":
                column = pc.if_else(pc.equal(table[name], ""), None, table[name])
                table = table.set_column(
                    table.column_names.index(name), name, pc.cast(column, pa.date32())
                )
        pq.write_table(table, f"{stem}.parquet")
    else:
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, f"{stem}.csv")


# --------------------------------------------------------------------------- ORM baseline


def _orm_baseline(count: int, groups: list[str]) -> float:
    """Persons saved one by one with the ORM (each save its own transaction, with history)."""
    from renkou.core.models import OrgUnit
    from renkou.lib.idnumber import check_character
    from renkou.lib.pinyin import name_keys
    from renkou.registry.models import Person

    unit = OrgUnit.objects.get(code=groups[0])
    started = time.perf_counter()
    for i in range(count):
        born = datetime.date(1950, 1, 1) + datetime.timedelta(days=i)
        body = f"520000{born:%Y%m%d}{(i * 2 + 1) % 1000:03d}"
        name = "欧阳" + GIVEN[i % len(GIVEN)]
        pinyin, initials = name_keys(name)
        Person(
            source_key=f"orm-{i}", id_number=body + check_character(body), name=name,
            name_pinyin=pinyin, name_initials=initials, sex="M", birth_date=born,
            hukou_unit=unit, residence_unit=unit, unit=unit, hukou_type="agricultural",
            phone="13800000000",
        ).save()  # fmt: skip
    return count / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
