"""`renkou units import|export|tree`: the grid from and to files, and on the terminal."""

from __future__ import annotations

import os
from typing import Any

from django.db.models import QuerySet

from renkou.core import queries
from renkou.core.commands import RenkouCommand
from renkou.core.models import OrgUnit
from renkou.core.unit_import import import_units
from renkou.lib.exportcells import safe_csv_writer, safe_sheet
from renkou.lib.formats import TableError

EXPORT_HEADER = ("代码", "名称", "类型", "上级代码", "层级", "成立日期", "撤销日期")


class Command(RenkouCommand):
    help = "Org units (单位): import from CSV/XLSX, export the tree, print the tree."

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True)

        importer = subcommands.add_parser(
            "import", help="create the units listed in a CSV/XLSX file (导入单位)"
        )
        importer.add_argument("file", help="CSV (UTF-8 or GB18030) or XLSX file")
        importer.add_argument(
            "--partial",
            action="store_true",
            help="write the good rows even if some are rejected (default: all or nothing)",
        )
        self.add_common_arguments(importer)

        exporter = subcommands.add_parser("export", help="write the tree to .xlsx or .csv")
        exporter.add_argument("file", help="output file, FILE.xlsx or FILE.csv")
        exporter.add_argument("--include-closed", action="store_true", help="closed units too")
        self.add_common_arguments(exporter, dry_run=False)

        tree = subcommands.add_parser("tree", help="print the tree (单位树)")
        tree.add_argument("--include-closed", action="store_true", help="closed units too")
        self.add_common_arguments(tree, dry_run=False)

    def run(self, *args: Any, **options: Any) -> None:
        handler = {"import": self.run_import, "export": self.run_export, "tree": self.run_tree}
        handler[options["subcommand"]](**options)

    # --- import --------------------------------------------------------------------------

    def run_import(self, *, file: str, partial: bool = False, unit=None, **options: Any) -> None:
        if not os.path.exists(file):
            raise self.fail(f"找不到文件“{file}”", f"file not found: '{file}'")
        try:
            report = import_units(file, partial=partial, within=unit, progress=self.progress)
        except TableError as error:
            raise self.fail(error.message_zh, error.message_en) from error
        for rejection in report.rejected:
            self.stdout.write(self.style.ERROR(rejection.display()))
        self.say(
            f"新建 {len(report.created)}，未变 {len(report.unchanged)}，"
            f"拒绝 {len(report.rejected)}（共 {report.rows} 行）",
            f"created {len(report.created)}, unchanged {len(report.unchanged)}, "
            f"rejected {len(report.rejected)} (of {report.rows} rows)",
        )
        if report.rejected and not partial:
            raise self.fail(
                f"有 {len(report.rejected)} 行被拒绝，未写入任何数据"
                "（可用 --partial 只导入正确的行）",
                f"{len(report.rejected)} row(s) rejected, nothing was written "
                "(--partial imports the good rows only)",
            )
        if report.rejected:
            self.warn(
                f"已导入正确的行；{len(report.rejected)} 行被拒绝",
                f"the good rows were imported; {len(report.rejected)} row(s) rejected",
            )

    # --- export --------------------------------------------------------------------------

    def _units(self, unit: OrgUnit | None, include_closed: bool) -> QuerySet[OrgUnit]:
        units = queries.subtree(unit) if unit is not None else OrgUnit.objects.all()
        if not include_closed:
            units = units.filter(closed_on__isnull=True)
        return units.select_related("parent").order_by("path")

    def run_export(
        self, *, file: str, unit=None, include_closed: bool = False, **options: Any
    ) -> None:
        extension = os.path.splitext(file)[1].lower()
        if extension not in (".xlsx", ".csv"):
            raise self.fail(
                "文件名应以 .xlsx 或 .csv 结尾", "the file name must end in .xlsx or .csv"
            )
        rows = [
            (
                u.code,
                u.name,
                u.kind,
                u.parent.code if u.parent else "",
                u.level,
                u.opened_on.isoformat(),
                u.closed_on.isoformat() if u.closed_on else "",
            )
            for u in self._units(unit, include_closed)
        ]
        if extension == ".csv":
            # With a BOM, so Excel opens the Chinese text correctly.
            with open(file, "w", encoding="utf-8-sig", newline="") as handle:
                writer = safe_csv_writer(handle)
                writer.writerow(EXPORT_HEADER)
                writer.writerows(rows)
        else:
            from openpyxl import Workbook

            workbook = Workbook()
            sheet = safe_sheet(workbook.active)
            sheet.title = "单位"
            sheet.append(EXPORT_HEADER)
            for row in rows:
                sheet.append(row)
            for column in ("A", "D"):  # codes as text, so Excel does not turn them into numbers
                for cell in sheet[column][1:]:
                    cell.number_format = "@"
            workbook.save(file)
        self.success(f"已导出 {len(rows)} 个单位到 {file}", f"exported {len(rows)} units to {file}")

    # --- tree ----------------------------------------------------------------------------

    def run_tree(self, *, unit=None, include_closed: bool = False, **options: Any) -> None:
        from rich.console import Console
        from rich.tree import Tree

        units = list(self._units(unit, include_closed))
        root = Tree(self.message("单位树", "org units"))
        nodes: dict[int, Tree] = {}
        for u in units:  # path order: parents come first
            label = f"{u.name}  [dim]{u.code} {u.get_kind_display()}[/dim]"
            if u.closed_on:
                label += f" [red]{self.message('已撤销', 'closed')} {u.closed_on}[/red]"
            nodes[u.pk] = nodes.get(u.parent_id, root).add(label)
        stream = getattr(self.stdout, "_out", self.stdout)
        Console(file=stream, width=120, highlight=False).print(root)
        self.say(f"共 {len(units)} 个单位", f"{len(units)} units")
