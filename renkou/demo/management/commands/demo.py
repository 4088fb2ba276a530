"""`renkou demo`: load the demo district into an empty database and print its logins."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from renkou.analytics import demo as analytics_demo
from renkou.benefits import demo as benefits_demo
from renkou.births import demo as births_demo
from renkou.core import demo
from renkou.demo.district import load_simulated_demo
from renkou.policy import demo as policy_demo

logger = logging.getLogger(__name__)

# (each app's populate(), step in Chinese, in English), run in layer order after the load.
POPULATE_STEPS: tuple[tuple[Callable[[], list[tuple[str, str]]], str, str], ...] = (
    (policy_demo.populate, "生育政策分类", "birth classification"),
    (births_demo.populate, "生育登记申请", "birth applications"),
    (benefits_demo.populate, "奖励扶助资格确认与发放", "benefit qualification and payment"),
    (analytics_demo.populate, "统计分析快照", "analytics snapshot"),
)


class Command(BaseCommand):
    help = "Load the demo district and accounts into an empty database (演示数据)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when the database has data",
        )
        parser.add_argument(
            "--persons", type=int, default=20_000, help="simulated residents (default 20,000)"
        )
        parser.add_argument(
            "--builtin",
            action="store_true",
            help="the small built-in tree without residents (no simulation)",
        )

    def handle(
        self, *args, if_empty: bool = False, persons: int = 20_000, builtin: bool = False, **options
    ):
        if not demo.database_is_empty():
            if if_empty:
                self.stdout.write(
                    "数据库已有数据，未重新生成演示数据 / database has data, demo kept"
                )
                self._print(demo.existing_logins())
                return
            raise CommandError("数据库不是空的 / the database is not empty")
        if builtin:
            self._print(demo.load_demo())
            return
        self.stdout.write(
            f"正在生成演示辖区（{persons:,} 人）… / simulating a district of {persons:,} persons …"
        )
        started = time.monotonic()
        logins, report = load_simulated_demo(persons=persons)
        loaded = report.counts["persons"].inserted
        seconds = time.monotonic() - started
        self.stdout.write(
            f"已载入 {loaded:,} 人（模拟与载入共 {seconds:.1f} 秒） / loaded {loaded:,} persons "
            f"in {report.elapsed:.1f} s (simulated and loaded in {seconds:.1f} s)"
        )
        self._populate()
        self._print(logins)

    def _populate(self) -> None:
        """The newer modules on the demo district, each by its own `<app>.demo.populate`."""
        for populate, zh, en in POPULATE_STEPS:
            started = time.monotonic()
            try:
                lines = populate()
            except Exception as error:  # a broken step must not cost the rest of the demo
                self.stderr.write(f"{zh}失败 / {en} failed: {error!r}")
                logger.exception("demo step %s failed", en)
                continue
            seconds = time.monotonic() - started
            self.stdout.write(f"{zh} / {en}：{seconds:.1f} 秒 / {seconds:.1f} s")
            for line_zh, line_en in lines:
                self.stdout.write(f"  {line_zh} / {line_en}")

    def _print(self, logins):
        if not logins:
            return
        table = Table(title="演示账号 / demo logins")
        for column in ("用户名 username", "角色 role", "单位 unit", "密码 password / API token"):
            table.add_column(column)
        for login in logins:
            if login.password:
                secret = login.password
            elif login.token:
                secret = f"Bearer {login.token}"
            else:
                secret = f"renkou tokens issue {login.username}"
            table.add_row(login.username, login.role, login.unit, secret)
        Console(file=self.stdout, width=140).print(table)
