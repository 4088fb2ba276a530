"""Command-line interface shared by ``renkou simulate`` and ``python -m renkou.simulate``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import IO, Any

from renkou.simulate.errors import ERROR_PROFILES
from renkou.simulate.writer import FORMATS

DESCRIPTION = (
    "生成模拟辖区：单位树、人口、家庭户、婚姻、亲属关系和事件（人口数据导入格式），以及部门数据和真值。"
    " / Simulate a district: org tree, persons, households, marriages, kinship and events in "
    "the registry load format, optional department feeds, and the truth behind them."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--persons",
        type=int,
        default=20_000,
        help="人口数（约）/ number of registry persons (about)",
    )
    parser.add_argument("--seed", type=int, default=1, help="随机种子 / random seed")
    parser.add_argument("--out", required=True, help="输出目录 / output directory")
    parser.add_argument("--start-year", type=int, default=1950)
    parser.add_argument("--end-year", type=int, default=2025)
    parser.add_argument(
        "--feeds",
        action="store_true",
        help="生成部门数据 / write department feeds for the last years",
    )
    parser.add_argument(
        "--error-profile",
        choices=sorted(ERROR_PROFILES),
        default="default",
        help="部门数据错误率 / error rates of the feeds",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="csv", dest="fmt", help="csv (默认) 或 parquet"
    )
    parser.add_argument(
        "--district-code", default="510199", help="区县代码（6位）/ 6-digit county-level code"
    )
    parser.add_argument("--district-name", default="锦城区")
    parser.add_argument("--feed-years", type=int, default=5)
    parser.add_argument(
        "--feed-headers",
        choices=("zh", "en"),
        default="zh",
        help="部门数据表头语言 / header language of the feeds",
    )
    parser.add_argument("--quiet", action="store_true")  # fmt: skip


def execute(options: dict[str, Any], stdout: IO[str] | None = None) -> int:
    from renkou.simulate.district import simulate_district

    out = stdout or sys.stdout
    quiet = options.get("quiet", False)

    def say(message: str) -> None:
        if not quiet:
            out.write(message + "\n")
            out.flush()

    started = time.perf_counter()
    result = simulate_district(
        options["out"],
        persons=options["persons"],
        seed=options["seed"],
        start_year=options["start_year"],
        end_year=options["end_year"],
        feeds=options["feeds"],
        error_profile=options["error_profile"],
        fmt=options["fmt"],
        district_code=options["district_code"],
        district_name=options["district_name"],
        feed_years=options["feed_years"],
        feed_headers=options["feed_headers"],
        progress=say,
    )
    counts = result.summary["counts"]
    say(
        f"完成 done in {time.perf_counter() - started:.1f} s: {counts['persons']} persons "
        f"({counts['persons_by_status']}), {counts['households']} households, "
        f"{counts['marriages']} marriages, {sum(counts['events'].values())} events → "
        f"{result.out}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m renkou.simulate", description=DESCRIPTION)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return execute(vars(args))
    except ValueError as error:
        parser.error(str(error))
    return 2
