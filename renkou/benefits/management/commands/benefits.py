"""`renkou benefits load|qualify|programmes`: benefit programmes and qualification cycles."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from renkou.benefits import actions, programmes, queries
from renkou.benefits.models import Programme
from renkou.core.commands import RenkouCommand


class Command(RenkouCommand):
    help = "Benefit programmes (奖励扶助等): load the data files, run a qualification cycle."

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        load = subcommands.add_parser("load", help="load renkou/benefits/data/*.json (idempotent)")
        load.add_argument("--force", action="store_true", help="replace local edits too")
        self.add_common_arguments(load, unit=False)
        qualify = subcommands.add_parser(
            "qualify", help="open the cycle of a programme and year for --unit (a district)"
        )
        qualify.add_argument("programme", help="programme code, e.g. jiangfu; 'all' for every one")
        qualify.add_argument("year", type=int)
        self.add_common_arguments(qualify)
        listing = subcommands.add_parser("programmes", help="list the programmes")
        self.add_common_arguments(listing, unit=False, dry_run=False)

    def run(self, *args: Any, **options: Any) -> None:
        handler = {"load": self.run_load, "qualify": self.run_qualify,
                   "programmes": self.run_programmes}  # fmt: skip
        handler[options["subcommand"]](**options)

    def run_load(self, *, force: bool = False, **options: Any) -> None:
        try:
            report = programmes.load(force=force)
        except programmes.ProgrammeFileError as error:
            raise self.fail(error.message_zh, error.message_en) from error
        self.say(
            f"新建 {len(report.created)}，更新 {len(report.updated)}，"
            f"未变 {len(report.unchanged)}，保留本地修改 {len(report.kept_local)}",
            f"created {len(report.created)}, updated {len(report.updated)}, unchanged "
            f"{len(report.unchanged)}, kept local edits {len(report.kept_local)}",
        )

    def run_qualify(self, *, programme: str, year: int, unit=None, **options: Any) -> None:
        if unit is None or unit.level != 1:
            raise self.fail("请用 --unit 指定区县", "give the district with --unit")
        chosen = Programme.objects.filter(active=True)
        if programme != "all":
            chosen = chosen.filter(code=programme)
        if not chosen.exists():
            raise self.fail(f"未知项目 {programme}", f"unknown programme {programme}")
        registry_facts = queries.RegistryFacts.load(unit)  # one read for every programme
        for item in chosen:
            try:
                cycle = actions.open_cycle(
                    actor=None, programme=item, year=year, district=unit,
                    registry_facts=registry_facts,
                )  # fmt: skip
            except ValidationError as error:
                self.warn(
                    f"{item.code}: {'; '.join(error.messages)}", f"{item.code}: {error.messages}"
                )
                continue
            counts = {}
            for outcome, kind in cycle.candidates.values_list("outcome", "kind"):
                key = "exit" if kind == "exit" else outcome
                counts[key] = counts.get(key, 0) + 1
            self.say(f"{item.name_zh} {year}：{counts}", f"{item.name_en} {year}: {counts}")

    def run_programmes(self, **options: Any) -> None:
        for item in Programme.objects.all():
            self.stdout.write(f"{item.code:20} {item.level:9} {item.name_zh}")
