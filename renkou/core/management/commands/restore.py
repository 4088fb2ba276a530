"""`renkou restore ARCHIVE [--force]`: put a `renkou backup` archive back (恢复)."""

from __future__ import annotations

from pathlib import Path

from renkou.core import backup
from renkou.core.commands import RenkouCommand


class Command(RenkouCommand):
    help = (
        "Restore a `renkou backup` archive into the database DATABASE_URL names and the "
        "uploaded-files folder; refuses a database that holds data unless --force (恢复)."
    )
    unit_option = False
    dry_run_option = False

    def add_command_arguments(self, parser) -> None:
        parser.add_argument("archive", help="the archive `renkou backup` wrote")
        parser.add_argument(
            "--force",
            action="store_true",
            help="overwrite a database that already holds units, accounts or persons (覆盖)",
        )

    def run(self, *args, archive: str, force: bool, **options) -> None:
        try:
            result = backup.restore(Path(archive), force=force)
        except backup.BackupError as error:
            raise self.fail(error.message_zh, error.message_en) from error
        if result.mismatches:
            listed = ", ".join(
                f"{table} {expected}→{found}"
                for table, (expected, found) in result.mismatches.items()
            )
            raise self.fail(
                f"恢复后行数与备份清单不符：{listed}",
                f"row counts differ from the backup's manifest after the restore: {listed}",
            )
        rows = sum(result.manifest["tables"].values())
        self.success(
            f"已恢复 {result.manifest['created_at']} 的备份：{rows} 行，{result.files} 个上传文件；"
            "如代码较新，请再运行 renkou migrate",
            f"restored the backup of {result.manifest['created_at']}: {rows} rows, "
            f"{result.files} uploaded files; run `renkou migrate` if the code is newer",
        )
