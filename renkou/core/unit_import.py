"""Import org units from a CSV/XLSX file (`renkou units import`).

Every new unit is created through :func:`renkou.core.actions.create_unit`; this module only
reads, checks and orders the rows. Rows may come in any order: they are sorted by the level
their code implies, so a parent is created before its children (a parent may also already be
in the database).

Each row is *created*, *unchanged* (its code exists with the same name, kind and parent) or
*rejected* with the line, the field and the reason in Chinese and English. By default the
import is all or nothing: one rejected row and nothing is written. With ``partial=True`` the
good rows are written, each in its own savepoint, and the rejected ones are reported. A row
whose parent row was rejected is rejected too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from renkou.core import actions
from renkou.core.models import OrgUnit, User
from renkou.lib import divisions, scoping
from renkou.lib.formats import Row, TableError, read_table
from renkou.lib.i18n import pick
from renkou.lib.inputcheck import ControlCharacterError, check_text
from renkou.lib.text import normalise_digits

T = TypeVar("T")
Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]

__all__ = ["COLUMNS", "KIND_WORDS", "ImportReport", "Rejection", "import_units", "parse_kind"]

# Canonical field → accepted header spellings (compared after _header_key()).
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "division code", "代码", "区划代码", "单位代码", "统计用区划代码"),
    "name": ("name", "名称", "单位名称"),
    "kind": ("kind", "type", "类型", "单位类型"),
    "parent_code": (
        "parent code",
        "parent",
        "上级代码",
        "上级区划代码",
        "上级单位代码",
    ),
}
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "code": ("代码", "code"),
    "name": ("名称", "name"),
    "kind": ("类型", "kind"),
    "parent_code": ("上级代码", "parent code"),
}

# Chinese words for unit kinds, as clerks type them; English values are accepted as such.
KIND_WORDS: dict[str, str] = {
    "区": "district",
    "市辖区": "district",
    "县": "county",
    "乡": "township",
    "镇": "town",
    "街道": "street",
    "街道办事处": "street",
    "村": "village",
    "村委会": "village",
    "村民委员会": "village",
    "社区": "community",
    "居委会": "community",
    "居民委员会": "community",
    "社区居委会": "community",
    "组": "group",
    "村民小组": "group",
    "楼栋": "building",
}

LEVEL_WORDS_ZH = {1: "区或县", 2: "乡、镇或街道", 3: "村或社区", 4: "组或楼栋"}


def parse_kind(text: str) -> str | None:
    """The UnitKind value for an English value or a Chinese word; None if not recognised."""
    word = "".join(normalise_digits(text).split()).lower()
    if word in divisions.KIND_LEVEL:
        return word
    return KIND_WORDS.get(word)


@dataclass(frozen=True)
class Rejection:
    """Why one row was not imported; `column` is the header as spelled in the file."""

    line: int
    field: str
    message_zh: str
    message_en: str
    code: str = ""
    column: str = ""

    @property
    def message(self) -> str:
        return pick(self.message_zh, self.message_en)

    def display(self) -> str:
        """'第3行 上级代码：…' or 'line 3, parent code: …' in the active language."""
        label_zh, label_en = FIELD_LABELS.get(self.field, (self.field, self.field))
        return pick(
            f"第{self.line}行 {self.column or label_zh}：{self.message_zh}",
            f"line {self.line}, {self.column or label_en}: {self.message_en}",
        )

    def __str__(self) -> str:
        return self.display()


@dataclass
class ImportReport:
    """What an import did. `created` and `unchanged` hold codes; `written` is False when
    nothing was kept (all-or-nothing with rejections)."""

    path: str
    partial: bool
    rows: int = 0
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.rejected

    def rejected_lines(self) -> list[int]:
        return sorted({rejection.line for rejection in self.rejected})

    def summary(self) -> str:
        return pick(
            f"新建 {len(self.created)}，未变 {len(self.unchanged)}，拒绝 {len(self.rejected)}",
            f"created {len(self.created)}, unchanged {len(self.unchanged)}, "
            f"rejected {len(self.rejected)}",
        )


@dataclass
class _Row:
    line: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    level: int


class _Rejected(Exception):
    def __init__(self, field: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.field = field
        self.message_zh = message_zh
        self.message_en = message_en


class _RollBack(Exception):
    """Raised inside the import transaction to undo it (all-or-nothing with rejections)."""


def import_units(
    path: str | os.PathLike[str],
    *,
    actor: User | None = None,
    partial: bool = False,
    within: OrgUnit | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the units listed in `path`; see the module docstring.

    `actor` None is the operator at the command line. `within` restricts the import to that
    unit's subtree (rows elsewhere are rejected). `progress(iterable, total, description)`
    may wrap the write loop (the CLI passes its progress bar). A file that cannot be read
    at all raises :class:`~renkou.lib.formats.TableError`.
    """
    if actor is not None:
        actions.require_perm(actor, "import_orgunit")
    report = ImportReport(path=os.fspath(path), partial=partial)
    rows, columns = _read(path)
    report.rows = len(rows)
    rejections: dict[int, Rejection] = {}

    def reject(line: int, error: _Rejected, code: str = "") -> None:
        rejections[line] = Rejection(
            line=line,
            field=error.field,
            message_zh=error.message_zh,
            message_en=error.message_en,
            code=code,
            column=columns.get(error.field, ""),
        )

    parsed: list[_Row] = []
    for row in rows:
        try:
            parsed.append(_parse(row, columns))
        except _Rejected as error:
            reject(row.line, error, _cell(row, columns, "code"))
    parsed.sort(key=lambda r: (r.level, r.line))

    by_code: dict[str, list[_Row]] = {}
    for row in parsed:
        by_code.setdefault(row.code, []).append(row)
    for code, same in by_code.items():
        if len(same) > 1:
            lines = [r.line for r in same]
            for row in same:
                others = "、".join(str(n) for n in lines if n != row.line)
                others_en = ", ".join(str(n) for n in lines if n != row.line)
                reject(
                    row.line,
                    _Rejected(
                        "code",
                        f"代码“{code}”在文件中重复（另见第{others}行）",
                        f"code '{code}' appears more than once in the file (also line {others_en})",
                    ),
                    code,
                )

    wanted = sorted({r.code for r in parsed} | {r.parent_code for r in parsed if r.parent_code})
    existing = {unit.code: unit for unit in _in_batches(OrgUnit.objects.all(), "code", wanted)}
    parent_ids = sorted({unit.parent_id for unit in existing.values() if unit.parent_id})
    parents_by_pk = {unit.pk: unit for unit in _in_batches(OrgUnit.objects.all(), "pk", parent_ids)}

    # code → first line of a file row with that code (even a row rejected while being read),
    # to name the parent row when a child is rejected because of it.
    first_line: dict[str, int] = {}
    for raw in rows:
        raw_code = _cell(raw, columns, "code")
        if raw_code:
            first_line.setdefault(divisions.normalise_code(raw_code), raw.line)
    to_create: list[_Row] = []
    unchanged: list[_Row] = []
    accepted: set[str] = set()
    for row in parsed:  # parents first
        if row.line in rejections:
            continue
        try:
            if row.code in existing:
                _check_unchanged(row, existing[row.code], parents_by_pk, actor, within)
                unchanged.append(row)
            else:
                _check_new(row, existing, accepted, first_line, actor, within)
                to_create.append(row)
            accepted.add(row.code)
        except _Rejected as error:
            reject(row.line, error, row.code)

    report.unchanged = [row.code for row in unchanged]
    if rejections and not partial:
        report.rejected = sorted(rejections.values(), key=lambda r: r.line)
        return report

    name = os.path.basename(os.fspath(path))
    created: list[str] = []
    try:
        with transaction.atomic():
            created = _create_all(to_create, existing, actor, name, first_line, reject, progress)
            if rejections and not partial:
                raise _RollBack
    except _RollBack:
        created = []
    report.created = created
    report.written = bool(created)
    report.rejected = sorted(rejections.values(), key=lambda r: r.line)
    return report


def _create_all(
    rows: list[_Row],
    existing: dict[str, OrgUnit],
    actor: User | None,
    filename: str,
    first_line: dict[str, int],
    reject: Callable[..., None],
    progress: Progress | None,
) -> list[str]:
    """Create `rows` (parents first), each in a savepoint; returns the codes created."""
    units: dict[str, OrgUnit] = dict(existing)
    created: list[str] = []
    failed: set[str] = set()
    iterable: Iterable[_Row] = rows
    if progress is not None and rows:
        iterable = progress(rows, len(rows), pick("导入单位", "importing units"))
    for row in iterable:
        if row.parent_code in failed:
            reject(row.line, _parent_rejected(first_line[row.parent_code]), row.code)
            failed.add(row.code)
            continue
        parent = units[row.parent_code] if row.parent_code else None
        try:
            # A savepoint per row: a failed row leaves the transaction usable.
            with transaction.atomic():
                unit = actions.create_unit(
                    actor=actor,
                    parent=parent,
                    code=row.code,
                    name=row.name,
                    kind=row.kind,
                    reason=f"导入 import: {filename}:{row.line}",
                )
        except ValidationError as error:
            field, message = _validation_message(error)
            reject(row.line, _Rejected(field, message, message), row.code)
            failed.add(row.code)
            continue
        except (PermissionDenied, Http404):
            reject(row.line, _unknown_parent(row.parent_code or ""), row.code)
            failed.add(row.code)
            continue
        units[row.code] = unit
        created.append(row.code)
    return created


def _validation_message(error: ValidationError) -> tuple[str, str]:
    if hasattr(error, "error_dict"):
        field_name, errors = next(iter(error.message_dict.items()))
        field_name = "parent_code" if field_name == "parent" else field_name
        return field_name, " ".join(errors)
    return "code", " ".join(error.messages)


def _in_batches(queryset, field_name: str, values: list, size: int = 500) -> Iterator[Any]:
    """`queryset.filter(<field>__in=values)` in chunks (SQLite caps bound parameters)."""
    for start in range(0, len(values), size):
        yield from queryset.filter(**{f"{field_name}__in": values[start : start + size]})


# --- reading and per-row checks -------------------------------------------------------------


def _header_key(header: str) -> str:
    text = normalise_digits(header).strip().lower().replace("_", " ").replace("-", " ")
    return " ".join(text.split())


def _read(path: str | os.PathLike[str]) -> tuple[list[Row], dict[str, str]]:
    """All data rows and the header found for each canonical field (raises TableError)."""
    iterator: Iterator[Row] = read_table(path, ragged=True)
    rows = list(iterator)
    if not rows:
        return [], {}
    headers = list(rows[0].values)
    columns: dict[str, str] = {}
    for canonical, spellings in COLUMNS.items():
        for header in headers:
            if _header_key(header) in spellings:
                columns[canonical] = header
                break
    missing = [canonical for canonical in COLUMNS if canonical not in columns]
    if missing:
        raise TableError(
            "缺少必需的列：" + "、".join(FIELD_LABELS[m][0] for m in missing),
            "missing required column(s): " + ", ".join(FIELD_LABELS[m][1] for m in missing),
        )
    return rows, columns


def _cell(row: Row, columns: dict[str, str], field_name: str) -> str:
    return row.values.get(columns.get(field_name, ""), "").strip()


def _parse(row: Row, columns: dict[str, str]) -> _Row:
    if row.ragged:
        raise _Rejected(
            "(row)",
            f"该行有{row.fields}个字段，表头有{row.expected}个：行被截断或多了分隔符",
            f"the row has {row.fields} fields but the header has {row.expected}: it is cut "
            "short or has a separator too many",
        )
    values = {name: _cell(row, columns, name) for name in COLUMNS}
    for name, text in values.items():
        label_zh, label_en = FIELD_LABELS[name]
        try:
            check_text(text, label_zh)
        except ControlCharacterError as error:
            english = ControlCharacterError(label_en, error.position, error.char)
            raise _Rejected(name, error.message_zh, english.message_en) from None
    name_limit = OrgUnit._meta.get_field("name").max_length or 0
    if len(values["name"]) > name_limit:
        raise _Rejected(
            "name",
            f"名称超过{name_limit}个字符（有{len(values['name'])}个）",
            f"the name is longer than {name_limit} characters ({len(values['name'])})",
        )
    missing = [name for name in ("code", "name", "kind") if not values[name]]
    if missing:
        raise _Rejected(
            missing[0],
            "缺少" + "、".join(FIELD_LABELS[m][0] for m in missing),
            "missing " + ", ".join(FIELD_LABELS[m][1] for m in missing),
        )
    code = divisions.normalise_code(values["code"])
    if not code.isdigit() or len(code) not in (12, 15):
        raise _Rejected(
            "code",
            f"代码“{values['code']}”应为12位（区、乡镇、村）或15位（组、楼栋）数字",
            f"code '{values['code']}' must be 12 digits (district, township, village) "
            "or 15 digits (group, building)",
        )
    level = divisions.level_of_code(code)
    kind = parse_kind(values["kind"])
    if kind is None:
        raise _Rejected(
            "kind",
            f"无法识别的类型“{values['kind']}”（可用：区、县、乡、镇、街道、村、社区、组、楼栋）",
            f"unknown kind '{values['kind']}' (use district, county, township, town, street, "
            "village, community, group or building)",
        )
    if divisions.KIND_LEVEL[kind] != level:
        raise _Rejected(
            "kind",
            f"类型“{values['kind']}”不能用于第{level}级单位：代码“{code}”是第{level}级，"
            f"类型应为{LEVEL_WORDS_ZH[level]}",
            f"kind '{values['kind']}' cannot be used at level {level}: code '{code}' is a "
            f"level-{level} code, whose kind is {' or '.join(divisions.LEVEL_KINDS[level])}",
        )
    parent_code = divisions.normalise_code(values["parent_code"]) if values["parent_code"] else None
    if level == 1 and parent_code:
        raise _Rejected(
            "parent_code", "区县没有上级单位，上级代码应为空", "a district has no parent code"
        )
    if level > 1 and not parent_code:
        raise _Rejected("parent_code", "缺少上级代码", "missing parent code")
    try:
        divisions.check_code(code, level=level, parent_code=parent_code)
    except divisions.CodeError as error:
        field_name = "parent_code" if error.code == "parent" else "code"
        raise _Rejected(field_name, error.message_zh, error.message_en) from error
    expected = _expected_parent_code(code, level)
    if parent_code is not None and parent_code != expected:
        raise _Rejected(
            "parent_code",
            f"上级代码“{parent_code}”不对：代码“{code}”的上级应为“{expected}”",
            f"parent code '{parent_code}' is wrong: the parent of '{code}' is '{expected}'",
        )
    return _Row(row.line, code, values["name"], kind, parent_code, level)


def _expected_parent_code(code: str, level: int) -> str | None:
    if level == 1:
        return None
    if level == 2:
        return code[:6] + "000000"
    if level == 3:
        return code[:9] + "000"
    return code[:12]


def _in_scope(actor: User | None, unit: OrgUnit) -> bool:
    return actor is None or scoping.path_in_scope(actor, unit.path)


def _within(unit: OrgUnit, within: OrgUnit | None) -> bool:
    return within is None or unit.path.startswith(within.path)


def _outside(within: OrgUnit) -> _Rejected:
    return _Rejected(
        "code",
        f"不在指定单位“{within.name}（{within.code}）”之下",
        f"not below the chosen unit {within.name} ({within.code})",
    )


def _unknown_parent(parent_code: str) -> _Rejected:
    return _Rejected(
        "parent_code",
        f"上级代码“{parent_code}”不存在（文件和系统中都没有）",
        f"unknown parent code '{parent_code}' (neither in the file nor in the system)",
    )


def _parent_rejected(line: int) -> _Rejected:
    return _Rejected(
        "parent_code", f"上级单位所在的第{line}行被拒绝", f"parent row {line} was rejected"
    )


def _check_unchanged(
    row: _Row,
    unit: OrgUnit,
    parents_by_pk: dict[int, OrgUnit],
    actor: User | None,
    within: OrgUnit | None,
) -> None:
    """Accept a row whose code exists only if it says exactly what the database says."""
    if not _in_scope(actor, unit):
        raise _Rejected(
            "code",
            f"代码“{row.code}”已被您管辖范围以外的单位使用",
            f"code '{row.code}' is already used by a unit outside your units",
        )
    if not _within(unit, within):
        raise _outside(within)  # type: ignore[arg-type]
    parent = parents_by_pk.get(unit.parent_id) if unit.parent_id else None
    current_parent = parent.code if parent else None
    differences: list[tuple[str, str, str]] = []
    if unit.name != row.name:
        differences.append(
            (
                "name",
                f"名称：系统中为“{unit.name}”，文件中为“{row.name}”",
                f"name: '{unit.name}' in the system, '{row.name}' in the file",
            )
        )
    if unit.kind != row.kind:
        differences.append(
            (
                "kind",
                f"类型：系统中为“{unit.kind}”，文件中为“{row.kind}”",
                f"kind: '{unit.kind}' in the system, '{row.kind}' in the file",
            )
        )
    if current_parent != row.parent_code:
        differences.append(
            (
                "parent_code",
                f"上级代码：系统中为“{current_parent or ''}”，文件中为“{row.parent_code or ''}”",
                f"parent code: '{current_parent or ''}' in the system, "
                f"'{row.parent_code or ''}' in the file",
            )
        )
    if differences:
        raise _Rejected(
            differences[0][0],
            f"代码“{row.code}”已存在但内容不同（"
            + "；".join(d[1] for d in differences)
            + "）。改名、迁移请用相应功能，不能通过导入",
            f"code '{row.code}' already exists with different data ("
            + "; ".join(d[2] for d in differences)
            + "). Renames and moves are done with their own actions, not by import",
        )


def _check_new(
    row: _Row,
    existing: dict[str, OrgUnit],
    accepted: set[str],
    first_line: dict[str, int],
    actor: User | None,
    within: OrgUnit | None,
) -> None:
    """A new unit needs an open parent that is accepted in the file or in the database."""
    if row.parent_code is None:
        if within is not None:
            raise _outside(within)
        if actor is not None and not actor.is_superuser:
            raise _Rejected(
                "code", "只有系统管理员可以新建区县", "only an operator can create a district"
            )
        return
    parent_line = first_line.get(row.parent_code)
    if parent_line is not None and row.parent_code not in accepted:
        raise _parent_rejected(parent_line)
    parent = existing.get(row.parent_code)
    if parent is None:
        if row.parent_code in accepted:
            return  # a new unit of this file, itself checked against `within` and scope
        raise _unknown_parent(row.parent_code)
    if not _in_scope(actor, parent):
        raise _unknown_parent(row.parent_code)  # out of scope looks like missing
    if not _within(parent, within):
        raise _outside(within)  # type: ignore[arg-type]
    if not parent.is_open:
        raise _Rejected(
            "parent_code",
            f"上级单位“{parent.name}（{parent.code}）”已于{parent.closed_on}撤销",
            f"the parent unit {parent.name} ({parent.code}) was closed on {parent.closed_on}",
        )
