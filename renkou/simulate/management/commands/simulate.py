"""``renkou simulate --persons N --seed S --out DIR [--feeds] …``: write a simulated district."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from renkou.simulate import cli


class Command(BaseCommand):
    help = cli.DESCRIPTION

    def add_arguments(self, parser) -> None:
        cli.add_arguments(parser)

    def handle(self, *args, **options) -> None:
        try:
            cli.execute(options, stdout=self.stdout)
        except ValueError as error:
            raise CommandError(str(error)) from error
