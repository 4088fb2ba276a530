"""The base of every `renkou …` management command: `--unit`, `--dry-run`, messages, progress.

A command subclasses :class:`RenkouCommand` and implements ``run(*args, **options)`` instead
of ``handle``; ``options["unit"]`` is then the resolved :class:`~renkou.core.models.OrgUnit`
(or None) rather than the code typed. Commands with argparse subcommands call
:meth:`RenkouCommand.add_common_arguments` on each subparser so the options can follow the
subcommand (``renkou units import FILE --dry-run``).

With ``--dry-run`` the whole of ``run`` executes inside ``transaction.atomic()`` and is rolled
back at the end, whatever happens; the command says that nothing was written.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from typing import IO, Any, TypeVar

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from renkou.core.models import OrgUnit
from renkou.lib.divisions import normalise_code
from renkou.lib.i18n import pick

T = TypeVar("T")

__all__ = ["RenkouCommand", "is_terminal", "progress_bar", "resolve_unit"]


def is_terminal(stream: object) -> bool:
    """True when `stream` is an interactive terminal (progress bars are drawn only there)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # closed or detached streams
        return False


def progress_bar(
    iterable: Iterable[T],
    total: int | None,
    description: str,
    *,
    file: IO[str],
    quiet: bool = False,
) -> Iterator[T]:
    """Yield from `iterable`, drawing a rich progress bar on `file` when it is a terminal.

    When `file` is not a terminal (a pipe, a log file, a test's StringIO) nothing is drawn and
    one summary line ``"<description>: <done>/<total>"`` is written at the end instead;
    `quiet` suppresses that line too. The summary is written even if the caller stops early.
    """
    if not is_terminal(file):
        done = 0
        try:
            for item in iterable:
                yield item
                done += 1
        finally:
            if not quiet:
                count = f"{done}/{total}" if total is not None else str(done)
                file.write(f"{description}: {count}\n")
        return

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=file)) as bar:
        task = bar.add_task(description, total=total)
        for item in iterable:
            yield item
            bar.advance(task)


def resolve_unit(code: str | None) -> OrgUnit | None:
    """The unit with this division code (normalised), None for no code; CommandError if unknown."""
    if code is None or not str(code).strip():
        return None
    normalised = normalise_code(code)
    unit = OrgUnit.objects.filter(code=normalised).first()
    if unit is None:
        raise CommandError(
            pick(
                f"未知的单位代码“{code}”：没有这个单位",
                f"unknown unit code '{code}': no such unit",
            )
        )
    return unit


class RenkouCommand(BaseCommand):
    """A management command with `--unit CODE`, `--dry-run`, bilingual output and progress.

    Subclasses implement :meth:`run`. Set ``unit_option`` / ``dry_run_option`` to False for a
    command that cannot honour them; override :meth:`add_command_arguments` for their own
    options (or :meth:`add_arguments` when they use subcommands, calling
    :meth:`add_common_arguments` on each subparser).
    """

    unit_option = True
    dry_run_option = True

    # --- arguments -----------------------------------------------------------------------

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        self.add_common_arguments(parser)
        self.add_command_arguments(parser)

    def add_command_arguments(self, parser: argparse.ArgumentParser) -> None:
        """The command's own options (none by default)."""

    def add_common_arguments(
        self,
        parser: argparse.ArgumentParser,
        *,
        unit: bool | None = None,
        dry_run: bool | None = None,
    ) -> None:
        """Add `--unit` and `--dry-run` to `parser` (the command's own or a subparser)."""
        if self.unit_option if unit is None else unit:
            parser.add_argument(
                "--unit",
                metavar="CODE",
                help="restrict the work to this unit and the units below it (单位代码)",
            )
        if self.dry_run_option if dry_run is None else dry_run:
            parser.add_argument(
                "--dry-run",
                action="store_true",
                help="do everything, then roll it back: nothing is written (试运行)",
            )

    # --- running -------------------------------------------------------------------------

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options.get("verbosity", 1)
        options["unit"] = resolve_unit(options.get("unit"))
        self.unit = options["unit"]
        self.dry_run = bool(options.get("dry_run", False))
        if not self.dry_run:
            self.run(*args, **options)
            return
        try:
            with transaction.atomic():
                self.run(*args, **options)
                transaction.set_rollback(True)
        finally:
            self.say(
                "试运行：已回滚，未写入任何数据。", "dry run: rolled back, nothing was written."
            )

    def run(self, *args: Any, **options: Any) -> None:
        raise NotImplementedError("subclasses of RenkouCommand must implement run()")

    # --- output --------------------------------------------------------------------------

    @staticmethod
    def message(message_zh: str, message_en: str) -> str:
        """The message in the active language."""
        return pick(message_zh, message_en)

    def say(self, message_zh: str, message_en: str, *, style: str = "") -> None:
        """Write a message in the active language; `style` is a Django style name."""
        if getattr(self, "verbosity", 1) < 1:
            return
        text = pick(message_zh, message_en)
        self.stdout.write(getattr(self.style, style)(text) if style else text)

    def success(self, message_zh: str, message_en: str) -> None:
        self.say(message_zh, message_en, style="SUCCESS")

    def warn(self, message_zh: str, message_en: str) -> None:
        """A warning on stderr, shown even with --verbosity 0."""
        self.stderr.write(self.style.WARNING(pick(message_zh, message_en)))

    def fail(self, message_zh: str, message_en: str) -> CommandError:
        """A CommandError to raise (exit status 1) with the message in the active language."""
        return CommandError(pick(message_zh, message_en))

    def progress(
        self, iterable: Iterable[T], total: int | None = None, description: str = ""
    ) -> Iterator[T]:
        """Iterate with a progress bar on the command's stdout (summary line if not a tty)."""
        if total is None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        # Rich writes partial lines; Django's OutputWrapper would append a newline to each.
        stream = getattr(self.stdout, "_out", self.stdout)
        return progress_bar(
            iterable,
            total,
            description,
            file=stream,
            quiet=getattr(self, "verbosity", 1) < 1,
        )
