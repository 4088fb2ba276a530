"""What a load did: counts per kind, the rejected rows, the warnings, the time it took."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from renkou.lib.exportcells import safe_csv_writer
from renkou.lib.i18n import pick

__all__ = ["KINDS", "KindCounts", "LoadError", "BulkLoadReport", "Rejection", "kind_label"]

# In load order (docs/data-formats.md, "Registry load directory").
KINDS = ("units", "households", "persons", "parent_child", "marriages", "events")
KIND_LABELS: dict[str, tuple[str, str]] = {
    "units": ("单位", "units"),
    "households": ("户", "households"),
    "persons": ("人员", "persons"),
    "parent_child": ("亲子关系", "parent–child links"),
    "marriages": ("婚姻", "marriages"),
    "events": ("事件", "events"),
    "derived_deaths": ("补建死亡事件", "death events derived"),
    "derived_links": ("补建亲子关系", "parent links derived from births"),
}
REJECTED_HEADER = ("file", "line", "key", "field", "reason")


def kind_label(kind: str) -> tuple[str, str]:
    return KIND_LABELS.get(kind, (kind, kind))


class LoadError(Exception):
    """The directory cannot be loaded at all (a missing or unreadable file, a bad header)."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


@dataclass(frozen=True)
class Rejection:
    """One problem with one row: where it is, which field, why (in both languages)."""

    file: str
    line: int
    key: str
    field: str
    code: str
    message_zh: str
    message_en: str

    @property
    def reason(self) -> str:
        """Both languages, as written to rejected.csv."""
        return f"{self.message_zh} / {self.message_en}"

    def display(self) -> str:
        return pick(
            f"{self.file} 第{self.line}行 {self.field}：{self.message_zh}",
            f"{self.file} line {self.line}, {self.field}: {self.message_en}",
        )

    def __str__(self) -> str:
        return self.display()


@dataclass
class KindCounts:
    """Rows read; inserted; already present (`differs` of them with other values, `updated`
    of those with --update); rejected."""

    read: int = 0
    inserted: int = 0
    present: int = 0
    differs: int = 0
    rejected: int = 0
    updated: int = 0  # of the differing ones, written over with the file's values (--update)


@dataclass
class BulkLoadReport:
    """What one `load_directory` did (named apart from the policy and programme loaders'
    reports)."""

    path: str
    counts: dict[str, KindCounts] = field(default_factory=lambda: {k: KindCounts() for k in KINDS})
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)
    derived_deaths: int = 0  # death events created for deceased persons without one
    derived_links: int = 0  # biological links created from birth events (mother/father)
    elapsed: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage
    rebuilt_indexes: list[str] = field(default_factory=list)  # tables loaded in bulk mode
    rejected_file: str = ""

    @property
    def ok(self) -> bool:
        return not self.rejected

    def rate(self, kind: str = "persons") -> float:
        """Rows of `kind` read per second of the whole load."""
        return self.counts[kind].read / self.elapsed if self.elapsed else 0.0

    def rows(self) -> list[tuple[str, str, KindCounts]]:
        """(Chinese label, English label, counts) per kind, in load order."""
        return [(*kind_label(kind), self.counts[kind]) for kind in KINDS]

    def summary(self) -> str:
        persons = self.counts["persons"]
        return pick(
            f"人员：读取 {persons.read}，新增 {persons.inserted}，已有 {persons.present}，"
            f"拒绝 {persons.rejected}；共拒绝 {len(self.rejected)} 处；用时 {self.elapsed:.1f} 秒",
            f"persons: read {persons.read}, inserted {persons.inserted}, already present "
            f"{persons.present}, rejected {persons.rejected}; {len(self.rejected)} problem(s); "
            f"{self.elapsed:.1f} s",
        )

    def write_rejected(self, path: str | os.PathLike[str]) -> None:
        """`file,line,key,field,reason` per problem (UTF-8 with BOM, so Excel reads it)."""
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = safe_csv_writer(handle)
            writer.writerow(REJECTED_HEADER)
            for item in self.rejected:
                writer.writerow((item.file, item.line, item.key, item.field, item.reason))
        self.rejected_file = os.fspath(path)
