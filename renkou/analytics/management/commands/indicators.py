"""`renkou indicators --period 2024 --level township [--engine duckdb|spark] [--format …]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from renkou.analytics import queries
from renkou.analytics.catalogue import CATALOGUE, Query
from renkou.analytics.engines import Engine
from renkou.analytics.exporting import LEVELS
from renkou.analytics.exports import to_xlsx
from renkou.analytics.periods import Period
from renkou.core.commands import RenkouCommand
from renkou.lib.exportcells import safe_cell


class Command(RenkouCommand):
    help = "Compute the indicator catalogue from a snapshot (指标计算)"
    dry_run_option = False

    def add_command_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--period", required=True, help="2024, 2024Q1 or 202403")
        parser.add_argument("--level", choices=LEVELS, default="township")
        parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
        parser.add_argument(
            "--format", choices=("table", "csv", "json", "xlsx"), default="table", dest="fmt"
        )
        parser.add_argument("--snapshot", metavar="DIR", help="default: the latest snapshot")
        parser.add_argument("--indicator", action="append", choices=sorted(CATALOGUE))
        parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")

    def run(self, *args: Any, **options: Any) -> None:
        try:
            period = Period.parse(options["period"])
        except ValueError as error:
            raise self.fail(f"期间格式不对：{options['period']}", str(error)) from error
        directory = self._snapshot(options.get("snapshot"))
        unit = options.get("unit")
        within = (LEVELS[unit.level - 1], unit.code) if unit else None
        query = Query((period,), (options["level"],), within)
        engine = Engine(directory, options["engine"])
        for code in options.get("indicator") or []:
            if CATALOGUE[code].pending:
                raise self.fail(f"指标 {code} 尚未提供", f"indicator {code} is pending")
        frame = engine.run(query, options.get("indicator"))
        names = engine.unit_names()
        frame.insert(3, "unit_name", frame["unit"].map(names))
        self._write(frame, options["fmt"], options.get("output"))

    def _snapshot(self, given: str | None) -> Path:
        if given:
            path = Path(given)
            if not (path / "persons.parquet").exists():
                raise self.fail(f"{path} 不是快照目录", f"{path} is not a snapshot directory")
            return path
        latest = queries.latest_snapshot()
        if latest is None:
            raise self.fail(
                "还没有快照：请先运行 renkou snapshot", "no snapshot yet: run renkou snapshot"
            )
        return Path(latest.path)

    def _write(self, frame, fmt: str, output: str | None) -> None:
        if fmt == "xlsx":
            target = Path(output or "indicators.xlsx")
            target.write_bytes(to_xlsx(frame))
            self.success(f"已写入 {target}", f"written to {target}")
            return
        if fmt == "csv":
            text = frame.map(safe_cell).to_csv(index=False)
        elif fmt == "json":
            text = frame.to_json(orient="records", force_ascii=False, indent=1)
        else:
            text = frame.to_string(index=False, na_rep="")
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.success(f"已写入 {output}", f"written to {output}")
        else:
            stream = getattr(self.stdout, "_out", None) or sys.stdout
            stream.write(text if text.endswith("\n") else text + "\n")
