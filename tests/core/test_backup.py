"""`renkou backup` / `renkou restore`: the demo district and its uploaded files survive a
backup, a wipe and a restore, table by table (row counts and a checksum of every table's rows
in primary-key order), on the database the suite runs on (SQLite, or PostgreSQL through
pg_dump/pg_restore against the test database)."""

from __future__ import annotations

import io
import json
import tarfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from renkou.core import backup
from renkou.core.models import OrgUnit, User
from renkou.registry.models import Person

pytestmark = pytest.mark.django_db(transaction=True)

PERSONS = 400
UPLOAD = "bank/2026/回盘文件.csv"
UPLOAD_BYTES = "序号,金额,状态\n1,100.00,成功\n".encode("gb18030")


@pytest.fixture
def district(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "data" / "media"
    call_command("demo", persons=PERSONS, stdout=io.StringIO(), stderr=io.StringIO())
    upload = settings.MEDIA_ROOT / UPLOAD
    upload.parent.mkdir(parents=True)
    upload.write_bytes(UPLOAD_BYTES)
    return settings.MEDIA_ROOT


def _wipe(media) -> None:
    call_command("flush", interactive=False, verbosity=0)
    for path in sorted(media.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert not User.objects.exists() and not Person.objects.exists()


def test_backup_wipe_restore_gives_back_every_table(district, tmp_path):
    counts, sums = backup.row_counts(), backup.table_checksums()
    assert counts["registry_person"] > PERSONS // 2 and counts["core_user"] > 0
    archive = tmp_path / "renkou.tar.gz"
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert archive.is_file() and str(archive) in out.getvalue()
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert f"files/{UPLOAD}" in names
    assert manifest["tables"] == counts and manifest["files"] == 1

    _wipe(district)
    assert backup.row_counts() != counts

    call_command("restore", str(archive), stdout=out)
    assert backup.row_counts() == counts
    assert backup.table_checksums() == sums
    assert (district / UPLOAD).read_bytes() == UPLOAD_BYTES
    # the restored accounts sign in again
    assert User.objects.filter(username="qu_admin", is_active=True).exists()


def test_restore_refuses_a_database_with_data_unless_forced(district, tmp_path):
    archive = tmp_path / "renkou.tar"
    call_command("backup", str(archive), stdout=io.StringIO())
    sums = backup.table_checksums()
    OrgUnit.objects.filter(parent__isnull=True).update(name="改过的名字")
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert OrgUnit.objects.filter(name="改过的名字").exists()  # untouched
    call_command("restore", str(archive), force=True, stdout=io.StringIO())
    assert backup.table_checksums() == sums
    assert not OrgUnit.objects.filter(name="改过的名字").exists()


def test_restore_checks_the_manifest(district, tmp_path):
    archive = tmp_path / "renkou.tar"
    call_command("backup", str(archive), stdout=io.StringIO())
    _wipe(district)

    # a database file that does not match the manifest's checksum
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["database_sha256"] = "0" * 64
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    with pytest.raises(CommandError, match="校验和|checksum"):
        call_command("restore", str(tampered), stdout=io.StringIO())

    # not a backup at all
    stranger = tmp_path / "stranger.tar"
    with tarfile.open(stranger, "w") as tar:
        tar.add(district.parent, arcname="data", recursive=False)
    with pytest.raises(CommandError, match="manifest"):
        call_command("restore", str(stranger), stdout=io.StringIO())
    assert not User.objects.exists()
