"""Loading reference data shipped as JSON files (birth-policy regimes, benefit programmes) into
their database tables: one loader, so both behave the same.

Each item has a `code`, the values of its model fields and a digest of what the file says.
For every item, in this order:

1. not in the database: created;
2. edited in the database (`edited_locally`) and not forced: kept, reported `kept_local`;
3. same digest as the row (and not edited): unchanged (a re-load changes nothing);
4. otherwise: the row takes the file's values, `edited_locally` is cleared and, where the
   model keeps a `version`, it goes up by one; the history row says which file it came from.

Codes in the database and in no file are reported, never deleted. `model` may be a data
migration's historical model. `lib` imports no app.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RefDataLoadReport:
    """What a load did, by code."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_local: list[str] = field(default_factory=list)  # edited in the database; not replaced
    only_in_database: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


@dataclass(frozen=True)
class RefDataItem:
    """One item of a file: its code, its model fields' values, its digest and the file name."""

    code: str
    values: Mapping[str, Any]
    digest: str
    source: str


def digest(data: Any) -> str:
    """The digest of an item as parsed (key order and whitespace do not count)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def load_items(
    model: Any,
    items: Iterable[RefDataItem],
    *,
    force: bool = False,
    create_defaults: Mapping[str, Any] | None = None,
) -> RefDataLoadReport:
    """Create or update the rows of `model` (keyed by `code`) from `items` (idempotent)."""
    report = RefDataLoadReport()
    existing = {row.code: row for row in model.objects.all()}
    versioned = any(f.name == "version" for f in model._meta.get_fields())
    for item in items:
        row = existing.pop(item.code, None)
        values = {**item.values, "file_digest": item.digest, "loaded_from": item.source}
        if row is None:
            model.objects.create(code=item.code, **(create_defaults or {}), **values)
            report.created.append(item.code)
        elif row.edited_locally and not force:
            report.kept_local.append(item.code)
        elif row.file_digest == item.digest and not row.edited_locally:
            report.unchanged.append(item.code)
        else:
            for name, value in values.items():
                setattr(row, name, value)
            if versioned:
                row.version += 1
            row.edited_locally = False
            row._change_reason = f"loaded from {item.source}"
            row.save()
            report.updated.append(item.code)
    report.only_in_database = sorted(existing)
    return report
