"""`renkou backup` / `renkou restore`: the database and the uploaded files in one archive.

The archive is a tar file (gzip-compressed when its name ends in .gz / .tgz) holding

* ``manifest.json``: format and version, when and from which engine it was made, the applied
  migrations, the row count of every table and the SHA-256 of the database file;
* ``database.sqlite3`` (SQLite, copied with the online backup API, so the platform may keep
  running) or ``database.dump`` (PostgreSQL, ``pg_dump -Fc`` of the database the connection
  names, whatever DATABASE_URL says);
* ``files/…``: everything under MEDIA_ROOT (uploaded files).

A restore checks the manifest (format, engine, the database file's checksum), refuses a
database that already holds org units, accounts or persons unless forced, restores, and then
compares every table's row count with the manifest.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "renkou-backup"
VERSION = 1
MANIFEST = "manifest.json"
FILES = "files"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
# A database holding any of these is not empty: restoring over it needs --force.
CONTENT_TABLES = ("core_orgunit", "core_user", "registry_person")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (Chinese, English)."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass
class Result:
    archive: Path
    manifest: dict
    files: int = 0
    mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)


# --- reading the database -----------------------------------------------------------------


def engine() -> str:
    vendor = connection.vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(f"不支持的数据库：{vendor}", f"unsupported database: {vendor}")
    return vendor


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table_names() -> list[str]:
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor, include_views=False)
    return sorted(name for name in names if not name.startswith("sqlite_"))


def row_counts() -> dict[str, int]:
    """The number of rows of every table, by table name."""
    counts = {}
    with connection.cursor() as cursor:
        for table in table_names():
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 (quoted names)
            counts[table] = cursor.fetchone()[0]
    return counts


def _order_columns(cursor, table: str) -> list[str]:
    primary = connection.introspection.get_primary_key_columns(cursor, table)
    if primary:
        return primary
    return [column.name for column in connection.introspection.get_table_description(cursor, table)]


def table_checksums() -> dict[str, str]:
    """A SHA-256 of every table's rows in primary-key order (all columns), by table name: two
    databases of one engine with equal checksums hold the same data."""
    sums = {}
    with connection.cursor() as cursor:
        for table in table_names():
            order = ", ".join(_quote(c) for c in _order_columns(cursor, table))
            cursor.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}")  # noqa: S608
            digest = hashlib.sha256()
            while rows := cursor.fetchmany(2000):
                for row in rows:
                    digest.update(repr(tuple(_plain(value) for value in row)).encode())
                    digest.update(b"\n")
            sums[table] = digest.hexdigest()
    return sums


def _plain(value: object) -> object:
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def holds_content() -> bool:
    """True when the database has any org unit, account or person (or a table of them)."""
    present = set(table_names())
    with connection.cursor() as cursor:
        for table in CONTENT_TABLES:
            if table in present:
                cursor.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1")  # noqa: S608
                if cursor.fetchone():
                    return True
    return False


def applied_migrations() -> dict[str, str]:
    """The last applied migration of every app."""
    latest: dict[str, str] = {}
    if MigrationRecorder.Migration._meta.db_table not in table_names():
        return latest
    for app, name in (
        MigrationRecorder(connection).migration_qs.order_by("id").values_list("app", "name")
    ):
        latest[app] = name
    return latest


def media_root() -> Path | None:
    root = getattr(settings, "MEDIA_ROOT", "")
    return Path(root) if root else None


def _media_files() -> Iterator[Path]:
    root = media_root()
    if root is None or not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- PostgreSQL client tools ----------------------------------------------------------------


def _server_major() -> int:
    return connection.pg_version // 10000  # type: ignore[attr-defined]


def pg_tool(name: str) -> str:
    """The path of `name` (pg_dump, pg_restore) no older than the server: RENKOU_PG_BIN, then
    the server's own version under /usr/lib/postgresql, then PATH."""
    connection.ensure_connection()
    server = _server_major()
    candidates = []
    if os.environ.get("RENKOU_PG_BIN"):
        candidates.append(Path(os.environ["RENKOU_PG_BIN"]) / name)
    candidates.append(Path(f"/usr/lib/postgresql/{server}/bin") / name)
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    seen_versions = []
    for candidate in candidates:
        if not candidate.is_file():
            continue
        version = subprocess.run(  # noqa: S603 (a PostgreSQL client tool's --version)
            [str(candidate), "--version"], capture_output=True, text=True, check=False
        ).stdout
        match = re.search(r"(\d+)(?:\.\d+)?", version)
        major = int(match.group(1)) if match else 0
        seen_versions.append(f"{candidate} {major}")
        if major >= server:
            return str(candidate)
    raise BackupError(
        f"找不到与数据库服务器（{server} 版）相符的 {name}；请安装 postgresql-client-{server}"
        f" 或设置 RENKOU_PG_BIN（找到：{', '.join(seen_versions) or '无'}）",
        f"no {name} for the database server (version {server}); install "
        f"postgresql-client-{server} or set RENKOU_PG_BIN (found: "
        f"{', '.join(seen_versions) or 'none'})",
    )


def _pg_env_and_name() -> tuple[dict[str, str], str]:
    """Connection settings of the database Django is connected to, as libpq variables (the
    password never on a command line)."""
    params = connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                     ("PASSWORD", "PGPASSWORD")):  # fmt: skip
        if params.get(key):
            env[var] = str(params[key])
    sslmode = (params.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode
    return env, params["NAME"]


def _run_pg(argv: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        tool = Path(argv[0]).name
        raise BackupError(
            f"{tool} 失败：{result.stderr.strip()[-2000:]}",
            f"{tool} failed: {result.stderr.strip()[-2000:]}",
        )


# --- backup ---------------------------------------------------------------------------------


def _dump_database(kind: str, target: Path) -> None:
    connection.ensure_connection()
    if kind == "sqlite":
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()
        return
    env, name = _pg_env_and_name()
    _run_pg(
        [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
         f"--file={target}", f"--dbname={name}"],
        env,
    )  # fmt: skip


def _tar_mode(path: Path, writing: bool) -> str:
    gz = path.name.endswith((".gz", ".tgz"))
    if writing:
        return "w:gz" if gz else "w"
    return "r:*"


def backup(archive: Path) -> Result:
    """Write the database and the uploaded files to `archive` (created or replaced)."""
    kind = engine()
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="renkou-backup-") as work:
        dump = Path(work) / DUMP_NAMES[kind]
        counts = row_counts()
        _dump_database(kind, dump)
        files = list(_media_files())
        root = media_root()
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": timezone.now().isoformat(),
            "engine": kind,
            "database_file": dump.name,
            "database_sha256": _sha256(dump),
            "migrations": applied_migrations(),
            "tables": counts,
            "files": len(files),
        }
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, _tar_mode(archive, writing=True)) as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(datetime.datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=dump.name)
            for path in files:
                tar.add(path, arcname=f"{FILES}/{path.relative_to(root).as_posix()}")
        partial.replace(archive)  # never a half-written archive under the final name
    return Result(archive=archive, manifest=manifest, files=len(files))


# --- restore --------------------------------------------------------------------------------


def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember(MANIFEST)
        manifest = json.loads(tar.extractfile(member).read())
    except (KeyError, AttributeError, ValueError) as exc:
        raise BackupError(
            "不是人口平台的备份文件：缺少或无法读取 manifest.json",
            "not a Renkou backup: manifest.json is missing or unreadable",
        ) from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(
            f"不支持的备份格式：{manifest.get('format')} {manifest.get('version')}",
            f"unsupported backup format: {manifest.get('format')} {manifest.get('version')}",
        )
    for key in ("engine", "database_file", "database_sha256", "tables"):
        if key not in manifest:
            raise BackupError(f"manifest.json 缺少 {key}", f"manifest.json lacks {key}")
    return manifest


def _restore_database(kind: str, dump: Path) -> None:
    if kind == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(dump) as source:
            source.backup(connection.connection)
        source.close()
        return
    env, name = _pg_env_and_name()
    tool = pg_tool("pg_restore")
    connection.close()  # pg_restore --clean drops tables this connection may hold locks on
    _run_pg(
        [tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
         "--exit-on-error", f"--dbname={name}", str(dump)],
        env,
    )  # fmt: skip


def _restore_files(tar: tarfile.TarFile, members: list[tarfile.TarInfo]) -> int:
    root = media_root()
    if not members:
        return 0
    if root is None:
        raise BackupError(
            "备份含上传文件，但未设置 MEDIA_ROOT", "the backup has files but MEDIA_ROOT is not set"
        )
    root.mkdir(parents=True, exist_ok=True)
    count = 0
    for member in members:
        if not member.isfile():
            continue
        relative = Path(member.name).relative_to(FILES)
        # the "data" filter refuses absolute paths, "..", links out of the folder and devices
        tar.extract(member.replace(name=relative.as_posix()), root, filter="data")
        count += 1
    return count


def restore(archive: Path, *, force: bool = False) -> Result:
    """Restore `archive` into the database Django is connected to and MEDIA_ROOT."""
    kind = engine()
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"没有这个文件：{archive}", f"no such file: {archive}")
    try:
        tar = tarfile.open(archive, _tar_mode(archive, writing=False))  # noqa: SIM115 (closed below)
    except tarfile.TarError as exc:
        raise BackupError(
            f"无法读取备份文件：{exc}", f"cannot read the backup archive: {exc}"
        ) from exc
    with tar:
        manifest = read_manifest(tar)
        if manifest["engine"] != kind:
            raise BackupError(
                f"备份来自 {manifest['engine']} 数据库，当前数据库是 {kind}：不能直接恢复",
                f"the backup is of a {manifest['engine']} database, this one is {kind}",
            )
        if manifest["database_file"] != DUMP_NAMES[kind]:
            raise BackupError("manifest.json 的数据库文件名不对", "unexpected database_file")
        if holds_content() and not force:
            raise BackupError(
                "数据库中已有单位、账号或人员；确认要覆盖请加 --force",
                "the database already holds units, accounts or persons; "
                "add --force to overwrite it",
            )
        files = [m for m in tar.getmembers() if m.name.startswith(f"{FILES}/")]
        with tempfile.TemporaryDirectory(prefix="renkou-restore-") as work:
            try:
                tar.extract(manifest["database_file"], work, filter="data")
            except KeyError as exc:
                raise BackupError(
                    "备份中缺少数据库文件", "the backup has no database file"
                ) from exc
            dump = Path(work) / manifest["database_file"]
            if _sha256(dump) != manifest["database_sha256"]:
                raise BackupError(
                    "数据库文件与 manifest.json 的校验和不符：备份已损坏",
                    "the database file does not match the manifest's checksum: corrupt backup",
                )
            _restore_database(kind, dump)
        restored_files = _restore_files(tar, files)
    counts = row_counts()
    mismatches = {
        table: (expected, counts.get(table, -1))
        for table, expected in manifest["tables"].items()
        if counts.get(table, -1) != expected
    }
    return Result(archive=archive, manifest=manifest, files=restored_files, mismatches=mismatches)
