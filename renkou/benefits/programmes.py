"""The programme data files (renkou/benefits/data/*.json) and their loading into the database.

Loaded by the data migration and by `renkou benefits load`: idempotent (a file whose text is
unchanged is skipped), and a programme edited in the database keeps the edit unless forced.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from renkou.benefits import rules

DATA_DIR = Path(__file__).resolve().parent / "data"
FIELDS = (
    "name_zh", "name_en", "level", "subject", "rule", "amounts", "top_ups", "cost_shares",
    "excludes", "reference_day", "source",
)  # fmt: skip


class ProgrammeFileError(ValueError):
    def __init__(self, where: str, message_zh: str, message_en: str):
        self.message_zh = f"{where}：{message_zh}"
        self.message_en = f"{where}: {message_en}"
        super().__init__(self.message_en)


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_local: list[str] = field(default_factory=list)


def read_files(directory: Path = DATA_DIR) -> list[tuple[str, dict, str]]:
    """(file name, data, digest) of every programme file, checked."""
    found = []
    for path in sorted(directory.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ProgrammeFileError(
                path.name, f"不是有效的 JSON（{error}）", str(error)
            ) from error
        problems = rules.check_rule(data.get("rule", []))
        missing = [key for key in ("code", "name_zh", "name_en", "amounts") if key not in data]
        if problems or missing:
            detail = "; ".join(problems + [f"missing {key}" for key in missing])
            raise ProgrammeFileError(path.name, f"内容有误：{detail}", detail)
        found.append((path.name, data, hashlib.sha256(text.encode()).hexdigest()[:40]))
    return found


def load(model=None, *, force: bool = False, directory: Path = DATA_DIR) -> LoadReport:
    """Create or update the programmes of the files (the model may be a migration's)."""
    if model is None:
        from renkou.benefits.models import Programme as model
    report = LoadReport()
    for name, data, digest in read_files(directory):
        values = {key: data[key] for key in FIELDS if key in data}
        existing = model.objects.filter(code=data["code"]).first()
        if existing is None:
            model.objects.create(code=data["code"], file_digest=digest, loaded_from=name, **values)
            report.created.append(data["code"])
        elif existing.file_digest == digest:
            report.unchanged.append(data["code"])
        elif existing.edited_locally and not force:
            report.kept_local.append(data["code"])
        else:
            for key, value in values.items():
                setattr(existing, key, value)
            existing.file_digest, existing.loaded_from = digest, name
            existing.edited_locally = False
            existing.save()
            report.updated.append(data["code"])
    return report


def spec_of(programme) -> rules.ProgrammeSpec:
    """The evaluator's view of a database programme."""
    return rules.ProgrammeSpec(
        code=programme.code,
        name_zh=programme.name_zh,
        name_en=programme.name_en,
        rule=tuple(programme.rule),
        amounts=tuple(programme.amounts),
        top_ups=tuple(programme.top_ups or ()),
        cost_shares=dict(programme.cost_shares or {"local": 1}),
        excludes=tuple(programme.excludes or ()),
        subject=programme.subject,
        reference_day=programme.reference_day,
    )


def file_specs(directory: Path = DATA_DIR) -> dict[str, rules.ProgrammeSpec]:
    """The programmes of the files, without the database (tests, bench)."""
    return {
        data["code"]: rules.ProgrammeSpec.from_dict(data) for _n, data, _d in read_files(directory)
    }
