"""Background work of the benefits app (django-tasks; `settings.TASKS`: the database backend,
run by `renkou db_worker`). A bank result file is parsed and matched here, outside the
request, so a large file neither holds the request nor the database's write lock."""

from __future__ import annotations

from pathlib import Path

from django_tasks import task

from renkou.benefits import actions
from renkou.benefits.models import BankImport, Roster
from renkou.core.models import User


@task()
def process_bank_import(import_id: int) -> str:
    """Parse, validate and match one queued bank file; returns its final status."""
    return actions.run_bank_import(import_id=import_id).status


def queue_bank_import(
    *, actor: User | None, roster: Roster, path: str | Path, file_name: str = ""
) -> tuple[BankImport, bool]:
    """Accept the file (`actions.start_bank_import`: size limit, same content once) and queue
    its processing; the same file again queues nothing."""
    bank_import, created = actions.start_bank_import(
        actor=actor, roster=roster, path=path, file_name=file_name
    )
    if created:
        process_bank_import.enqueue(bank_import.pk)
        bank_import.refresh_from_db()
    return bank_import, created
