"""`renkou demo`: load the demo district into an empty database and print its logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from renkou.core import demo


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
        from renkou.simulate.demo import load_simulated_demo

        self.stdout.write(
            f"正在生成演示辖区（{persons:,} 人）… / simulating a district of {persons:,} persons …"
        )
        logins, report = load_simulated_demo(persons=persons)
        loaded = report.counts["persons"].inserted
        self.stdout.write(
            f"已载入 {loaded:,} 人 / loaded {loaded:,} persons in {report.elapsed:.1f} s"
        )
        self._print(logins)

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
