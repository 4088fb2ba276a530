"""`renkou load DIR [--dry-run]`: bulk-load the registry from a directory of CSV/Parquet files."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from rich.console import Console
from rich.table import Table

from renkou.core.commands import RenkouCommand
from renkou.registry.loading.loader import BulkLoadReport, LoadError, load_directory
from renkou.registry.loading.writer import BATCH_SIZE

SHOWN_REJECTIONS = 20


class Command(RenkouCommand):
    help = (
        "Load persons, households, marriages, kinship and events from DIR (批量导入人口数据); "
        "see docs/data-formats.md."
    )
    unit_option = False

    def add_command_arguments(self, parser) -> None:
        parser.add_argument("directory", help="the load directory (persons.csv, events.csv, …)")
        parser.add_argument(
            "--rebuild-indexes",
            choices=("auto", "yes", "no"),
            default="auto",
            help="drop secondary indexes while loading a table and rebuild them after "
            "(auto: for a first load of 20,000 rows or more)",
        )
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help="rows per transaction"
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="write the file's values over present persons whose row differs (listed in "
            "rejected.csv otherwise), with history (按文件更新已有人员)",
        )

    def run(self, *args: Any, directory: str, **options: Any) -> None:
        rebuild = {"auto": None, "yes": True, "no": False}[options.get("rebuild_indexes", "auto")]
        try:
            report = load_directory(
                directory,
                progress=self.progress,
                rebuild_indexes=rebuild,
                batch_size=options.get("batch_size") or BATCH_SIZE,
                update=bool(options.get("update")),
            )
        except LoadError as error:
            raise self.fail(error.message_zh, error.message_en) from error
        except PermissionDenied as error:
            raise self.fail("没有导入权限", "not allowed to load the registry") from error
        self._print(report)

    def _print(self, report: BulkLoadReport) -> None:
        if getattr(self, "verbosity", 1) < 1:
            return
        table = Table(title="导入结果 / load summary")
        for label in (
            "类别 kind",
            "读取 read",
            "新增 inserted",
            "已有 present",
            "其中有差异 differs",
            "拒绝 rejected",
        ):
            table.add_column(label, justify="left" if label == "类别 kind" else "right")
        for label_zh, label_en, counts in report.rows():
            table.add_row(
                f"{label_zh} {label_en}",
                f"{counts.read:,}",
                f"{counts.inserted:,}",
                f"{counts.present:,}",
                f"{counts.differs:,}",
                f"{counts.rejected:,}",
            )
        if report.derived_links:
            table.add_row("补建亲子关系 links from births", "", f"{report.derived_links:,}")
        if report.derived_deaths:
            table.add_row("补建死亡事件 death events derived", "", f"{report.derived_deaths:,}")
        updated = report.counts["persons"].updated
        if updated:
            table.add_row("按文件更新人员 persons updated (--update)", "", "", f"{updated:,}")
        stream = getattr(self.stdout, "_out", self.stdout)
        Console(file=stream, width=120).print(table)
        self.say(
            f"用时 {report.elapsed:.1f} 秒，每秒 {report.rate():,.0f} 人",
            f"{report.elapsed:.1f} s, {report.rate():,.0f} persons/s",
        )
        for item in report.rejected[:SHOWN_REJECTIONS]:
            self.stdout.write(self.style.ERROR(item.display()))
        if len(report.rejected) > SHOWN_REJECTIONS:
            self.say(
                f"……另有 {len(report.rejected) - SHOWN_REJECTIONS} 处",
                f"… and {len(report.rejected) - SHOWN_REJECTIONS} more",
            )
        if report.rejected:
            self.warn(
                f"正确的行已导入；{len(report.rejected)} 处问题见 {report.rejected_file}",
                f"the good rows were loaded; {len(report.rejected)} problem(s) listed in "
                f"{report.rejected_file}",
            )
        if report.warnings:
            self.say(
                f"{len(report.warnings)} 条提示（已导入并标记）",
                f"{len(report.warnings)} warning(s) (loaded and flagged)",
            )
