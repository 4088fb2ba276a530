"""The programme data files (renkou/benefits/data/*.json) and their loading into the database.

Loaded by the data migration and by `renkou benefits load`: idempotent (a file whose text is
unchanged is skipped), and a programme edited in the database keeps the edit unless forced.
"""

from __future__ import annotations

import json
from pathlib import Path

from renkou.benefits import rules
from renkou.lib import refdata
from renkou.lib.inputcheck import ControlCharacterError, check_data

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
        try:
            check_data(data)
        except ControlCharacterError as error:
            raise ProgrammeFileError(path.name, error.message_zh, error.message_en) from None
        problems = rules.check_rule(data.get("rule", []))
        missing = [key for key in ("code", "name_zh", "name_en", "amounts") if key not in data]
        if problems or missing:
            detail = "; ".join(problems + [f"missing {key}" for key in missing])
            raise ProgrammeFileError(path.name, f"内容有误：{detail}", detail)
        found.append((path.name, data, refdata.digest(data)))
    return found


def load(
    model=None, *, force: bool = False, directory: Path = DATA_DIR
) -> refdata.RefDataLoadReport:
    """Create or update the programmes of the files (the model may be a migration's);
    idempotent, and a programme edited in the database is kept unless forced (see
    `lib.refdata` for the order of the checks)."""
    if model is None:
        from renkou.benefits.models import Programme as model
    items = [
        refdata.RefDataItem(
            code=data["code"],
            values={key: data[key] for key in FIELDS if key in data},
            digest=digest,
            source=name,
        )
        for name, data, digest in read_files(directory)
    ]
    return refdata.load_items(model, items, force=force)


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
