"""`renkou snapshot [--out DIR]`: export the registry to Parquet analytics tables."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from renkou.analytics.actions import make_snapshot
from renkou.analytics.exporting import expected_rows
from renkou.core.commands import RenkouCommand, is_terminal


class Command(RenkouCommand):
    help = "Export persons, events and classifications to Parquet analytics tables (快照)"
    unit_option = False
    dry_run_option = False

    def add_command_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--out", metavar="DIR", help="directory (default RENKOU_DATA_DIR/snapshots/<time>/)"
        )
        parser.add_argument(
            "--no-warm",
            action="store_true",
            help="do not precompute the dashboard's figures for the last whole year",
        )

    def run(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"]) if options.get("out") else None
        stream = getattr(self.stdout, "_out", self.stdout)
        if is_terminal(stream) and self.verbosity >= 1:
            snapshot = self._with_bar(out, stream)
        else:
            snapshot = make_snapshot(actor=None, out=out)
        if not options.get("no_warm"):
            from renkou.analytics import queries

            period = queries.default_period(snapshot)
            queries.warm(snapshot.path, period)
            self.say(f"已预先计算 {period} 年的统计图表", f"dashboard figures for {period} ready")
        for table, rows in snapshot.counts.items():
            self.say(f"  {table}: {rows} 行", f"  {table}: {rows} rows")
        self.success(
            f"快照已保存到 {snapshot.path}（{snapshot.seconds:.1f} 秒）",
            f"snapshot written to {snapshot.path} in {snapshot.seconds:.1f} s",
        )

    def _with_bar(self, out: Path | None, stream):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        totals = expected_rows()
        with Progress(
            "{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(file=stream),
        ) as bar:  # fmt: skip
            tasks: dict[str, Any] = {}

            def progress(table: str, rows: int) -> None:
                if table not in tasks:
                    tasks[table] = bar.add_task(table, total=totals.get(table))
                bar.update(tasks[table], completed=rows)

            return make_snapshot(actor=None, out=out, progress=progress)
