"""`renkou backup ARCHIVE`: the database and the uploaded files in one archive (备份)."""

from __future__ import annotations

from pathlib import Path

from renkou.core import backup
from renkou.core.commands import RenkouCommand


class Command(RenkouCommand):
    help = (
        "Back up the database (SQLite online backup or pg_dump) and the uploaded files into "
        "one archive with a manifest of row counts (备份)."
    )
    unit_option = False
    dry_run_option = False

    def add_command_arguments(self, parser) -> None:
        parser.add_argument("archive", help="the archive to write (.tar, or .tar.gz to compress)")

    def run(self, *args, archive: str, **options) -> None:
        try:
            result = backup.backup(Path(archive))
        except backup.BackupError as error:
            raise self.fail(error.message_zh, error.message_en) from error
        rows = sum(result.manifest["tables"].values())
        tables = len(result.manifest["tables"])
        self.success(
            f"已备份：{result.archive}（{result.manifest['engine']}，{tables} 张表 {rows} 行，"
            f"{result.files} 个上传文件）",
            f"backed up to {result.archive} ({result.manifest['engine']}, {tables} tables, "
            f"{rows} rows, {result.files} uploaded files)",
        )
