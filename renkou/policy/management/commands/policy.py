"""`renkou policy load|classify|evaluate|regimes`: birth-policy regimes and classifications."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.management.base import CommandError

from renkou.core.commands import RenkouCommand
from renkou.policy import actions, queries, regimes
from renkou.registry.models import Person


class Command(RenkouCommand):
    help = "Birth-policy regimes (生育政策): load the data files, classify births, evaluate."

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True)

        load = subcommands.add_parser(
            "load", help="load renkou/policy/data/regimes/*.json into the database (idempotent)"
        )
        load.add_argument(
            "--force", action="store_true", help="replace regimes edited in the database too"
        )
        self.add_common_arguments(load, unit=False)

        classify = subcommands.add_parser(
            "classify", help="classify every registry birth (of --unit) within/outside the regime"
        )
        self.add_common_arguments(classify)

        evaluate = subcommands.add_parser("evaluate", help="a couple's entitlement on a date")
        evaluate.add_argument("husband", type=int, help="the husband's person id")
        evaluate.add_argument("wife", type=int, help="the wife's person id")
        evaluate.add_argument("date", help="YYYY-MM-DD")
        evaluate.add_argument(
            "--json", dest="as_json", action="store_true", help="print the answer as JSON"
        )
        self.add_common_arguments(evaluate, unit=False, dry_run=False)

        listing = subcommands.add_parser("regimes", help="list the regimes in the database")
        self.add_common_arguments(listing, unit=False, dry_run=False)

    def run(self, *args: Any, **options: Any) -> None:
        handler = {
            "load": self.run_load,
            "classify": self.run_classify,
            "evaluate": self.run_evaluate,
            "regimes": self.run_regimes,
        }
        handler[options["subcommand"]](**options)

    def run_load(self, *, force: bool = False, **options: Any) -> None:
        try:
            report = regimes.load(force=force)
        except regimes.RegimeError as error:
            raise self.fail(error.message_zh, error.message_en) from error
        self.say(
            f"新建 {len(report.created)}，更新 {len(report.updated)}，未变 "
            f"{len(report.unchanged)}，保留本地修改 {len(report.kept_local)}",
            f"created {len(report.created)}, updated {len(report.updated)}, unchanged "
            f"{len(report.unchanged)}, kept local edits {len(report.kept_local)}",
        )
        for code in report.kept_local:
            self.warn(
                f"{code} 已在数据库中修改，未用文件覆盖（--force 可覆盖）",
                f"{code} was edited in the database and kept (--force replaces it)",
            )
        if report.changed:
            self.say(
                "政策已变更：请运行 renkou policy classify 重新分类",
                "regimes changed: run `renkou policy classify` to reclassify the births",
            )

    def run_classify(self, *, unit=None, **options: Any) -> None:
        done = {"last": 0}

        def progress(births: int, total: int) -> None:
            if self.verbosity >= 2 and births - done["last"] >= 10_000:
                done["last"] = births
                self.say(f"已分类 {births}/{total}", f"classified {births}/{total}")

        report = actions.classify_all(unit=unit, progress=progress)
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(report.by_status.items()))
        self.say(
            f"出生 {report.births}：新建 {report.created}，更新 {report.updated}，未变 "
            f"{report.unchanged}，删除 {report.removed}；{statuses}；{report.seconds:.1f} 秒",
            f"births {report.births}: created {report.created}, updated {report.updated}, "
            f"unchanged {report.unchanged}, removed {report.removed}; {statuses}; "
            f"{report.seconds:.1f} s",
        )

    def run_evaluate(
        self, *, husband: int, wife: int, date: str, as_json: bool = False, **options: Any
    ) -> None:
        try:
            day = datetime.date.fromisoformat(date)
        except ValueError as error:
            raise self.fail(f"日期无效：{date}", f"invalid date: {date}") from error
        persons = Person.objects.select_related("unit").in_bulk([husband, wife])
        if husband not in persons or wife not in persons:
            raise self.fail("找不到此人", "no such person")
        province = queries.policy_province()
        entitlement = queries.evaluate_couple(
            persons[husband], persons[wife], day, province=province
        )
        if as_json:
            self.stdout.write(_dumps(entitlement.as_dict(province)))
            return
        self.say(entitlement.summary_zh, entitlement.summary_en)
        for condition in (*entitlement.requirements, *entitlement.conditions):
            mark = {True: "✓", False: "✗", None: "?"}[condition.met]
            self.say(
                f"  {mark} {condition.name_zh}：{condition.fact_zh}",
                f"  {mark} {condition.name_en}: {condition.fact_en}",
            )

    def run_regimes(self, **options: Any) -> None:
        for regime in queries.regimes_visible_to(None):
            end = regime.effective_to or "…"
            self.stdout.write(
                f"{regime.code:32} {regime.scope:8} {regime.scope_code:6} "
                f"{regime.effective_from} – {end}  {regime.base_children}  v{regime.version}"
            )


def _dumps(data) -> str:
    try:
        return json.dumps(data, ensure_ascii=False, indent=2, default=str)
    except TypeError as error:  # pragma: no cover
        raise CommandError(str(error)) from error
