"""Regimes as data: reading and checking the checked-in files, and loading them into the database.

`data/regimes/national.json` and one file per province (`51-sichuan.json`: the two-digit
province code first) each hold a list of regimes. A regime may copy another's conditions
(`conditions_from`, resolved across all the files), drop some of them (`omit`) and add or
replace others by code (`conditions`); the database stores the expanded list, so the copy a
district admin edits is complete on its own. The database copy is what the evaluator uses.

Loading is idempotent: a regime whose file text has not changed since it was last loaded is
left alone; one that changed is updated (its row version goes up) unless a district admin
edited the database copy, which is kept unless `force` is given.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

from renkou.lib import refdata
from renkou.lib.inputcheck import ControlCharacterError, check_data
from renkou.policy import rules

DATA_DIR = Path(__file__).resolve().parent / "data" / "regimes"

REGIME_KEYS = {
    "code", "version", "name_zh", "name_en", "scope", "scope_code", "effective_from",
    "effective_to", "base_children", "requires_marriage", "conditions", "source",
    "conditions_from", "omit",
}  # fmt: skip
REQUIRED_KEYS = {
    "code", "name_zh", "name_en", "scope", "effective_from", "base_children", "source",
}  # fmt: skip
CONDITION_KEYS = {"code", "name_zh", "name_en", "grants", "test", "params", "source"}
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
SCOPE_CODE = {"nation": re.compile(r"^$"), "province": re.compile(r"^\d{2}$"),
              "district": re.compile(r"^\d{6}$")}  # fmt: skip
MAX_CHILDREN = 20


class RegimeError(Exception):
    """A regime that cannot be used, with the place and the reason in both languages."""

    def __init__(self, where: str, message_zh: str, message_en: str):
        super().__init__(f"{where}: {message_en}")
        self.where = where
        self.message_zh = f"{where}：{message_zh}"
        self.message_en = f"{where}: {message_en}"


def _parse_date(value, where: str, name: str, *, required: bool = True) -> datetime.date | None:
    if value is None and not required:
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise RegimeError(
            where, f"{name}应为日期（YYYY-MM-DD）：{value!r}", f"{name} must be a date: {value!r}"
        ) from None


def _int(value, where: str, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RegimeError(
            where,
            f"{name}应为{low}–{high}的整数：{value!r}",
            f"{name} must be a whole number from {low} to {high}: {value!r}",
        )
    return value


def _text(value, where: str, name: str, *, required: bool = True, limit: int = 10_000) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise RegimeError(where, f"{name}应为非空文字", f"{name} must be non-empty text")
    return value.strip()


def check_condition(data: dict, where: str) -> dict:
    """One condition, checked and normalised (params' dates stay ISO strings)."""
    if not isinstance(data, dict):
        raise RegimeError(where, "条件应为对象", "a condition must be an object")
    unknown = set(data) - CONDITION_KEYS
    if unknown:
        raise RegimeError(where, f"未知字段：{sorted(unknown)}", f"unknown keys: {sorted(unknown)}")
    code = data.get("code")
    if not isinstance(code, str) or not CODE.match(code):
        raise RegimeError(where, f"条件代码无效：{code!r}", f"invalid condition code: {code!r}")
    where = f"{where} {code}"
    test = data.get("test")
    if test not in rules.TESTS:
        raise RegimeError(
            where,
            f"未知的条件检验“{test}”（可用：{', '.join(rules.TESTS)}）",
            f"unknown condition test {test!r} (known: {', '.join(rules.TESTS)})",
        )
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise RegimeError(where, "params应为对象", "params must be an object")
    params = dict(params)
    allowed = rules.TEST_PARAMS[test] | rules.WINDOW_PARAMS
    if set(params) - allowed:
        extra = sorted(set(params) - allowed)
        raise RegimeError(where, f"该检验不接受参数{extra}", f"the test takes no params {extra}")
    for name in ("from", "to", "unknown_before"):
        if name in params:
            params[name] = _parse_date(params[name], where, name).isoformat()
    if "in_force_unknown" in params and not isinstance(params["in_force_unknown"], bool):
        raise RegimeError(where, "in_force_unknown应为true/false", "in_force_unknown: true/false")
    for name, choices in rules.PARAM_CHOICES.items():
        if name in params and params[name] not in choices:
            raise RegimeError(
                where,
                f"{name}应为{sorted(choices)}之一",
                f"{name} must be one of {sorted(choices)}",
            )
    if "max_children" in params:
        _int(params["max_children"], where, "max_children", 0, MAX_CHILDREN)
    return {
        "code": code,
        "name_zh": _text(data.get("name_zh"), where, "name_zh", limit=200),
        "name_en": _text(data.get("name_en"), where, "name_en", limit=200),
        "grants": _int(data.get("grants"), where, "grants", 1, MAX_CHILDREN),
        "test": test,
        "params": dict(params),
        "source": _text(data.get("source"), where, "source", required=False),
    }


def check_conditions(conditions, where: str) -> list[dict]:
    if not isinstance(conditions, list):
        raise RegimeError(where, "conditions应为列表", "conditions must be a list")
    checked = [check_condition(dict(c) if isinstance(c, dict) else c, where) for c in conditions]
    codes = [c["code"] for c in checked]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise RegimeError(
            where, f"条件代码重复：{duplicates}", f"duplicate conditions: {duplicates}"
        )
    return checked


def check_regime(data: dict, where: str) -> dict:
    """The regime's own fields, checked and normalised (dates as `datetime.date`)."""
    if not isinstance(data, dict):
        raise RegimeError(where, "每个政策应为对象", "each regime must be an object")
    unknown = set(data) - REGIME_KEYS
    missing = REQUIRED_KEYS - set(data)
    if unknown or missing:
        raise RegimeError(
            where,
            f"未知字段{sorted(unknown)}，缺少字段{sorted(missing)}",
            f"unknown keys {sorted(unknown)}, missing keys {sorted(missing)}",
        )
    code = data["code"]
    if not isinstance(code, str) or not CODE.match(code):
        raise RegimeError(where, f"政策代码无效：{code!r}", f"invalid regime code: {code!r}")
    where = f"{where} {code}"
    scope = data["scope"]
    if scope not in rules.SCOPES:
        raise RegimeError(
            where, f"scope应为{rules.SCOPES}之一", f"scope must be one of {rules.SCOPES}"
        )
    scope_code = data.get("scope_code") or ""
    if not isinstance(scope_code, str) or not SCOPE_CODE[scope].match(scope_code):
        raise RegimeError(
            where,
            "scope_code：全国为空，省为2位代码，区县为6位代码",
            "scope_code: empty for the nation, 2 digits for a province, 6 for a district",
        )
    start = _parse_date(data["effective_from"], where, "effective_from")
    end = _parse_date(data.get("effective_to"), where, "effective_to", required=False)
    if end is not None and end < start:
        raise RegimeError(
            where, "effective_to早于effective_from", "effective_to is before effective_from"
        )
    requires_marriage = data.get("requires_marriage", True)
    if not isinstance(requires_marriage, bool):
        raise RegimeError(where, "requires_marriage应为true/false", "requires_marriage: true/false")
    return {
        "code": code,
        "version": _int(data.get("version", 1), where, "version", 1, 10**6),
        "name_zh": _text(data["name_zh"], where, "name_zh", limit=100),
        "name_en": _text(data["name_en"], where, "name_en", limit=200),
        "scope": scope,
        "scope_code": scope_code,
        "effective_from": start,
        "effective_to": end,
        "base_children": _int(data["base_children"], where, "base_children", 0, MAX_CHILDREN),
        "requires_marriage": requires_marriage,
        "conditions": data.get("conditions", []),
        "source": _text(data["source"], where, "source"),
    }


def check_overlaps(regimes: list[dict]) -> None:
    """Two regimes of the same scope and area may not be in force on the same day."""
    by_area: dict[tuple[str, str], list[dict]] = {}
    for regime in regimes:
        by_area.setdefault((regime["scope"], regime["scope_code"]), []).append(regime)
    for area in by_area.values():
        area.sort(key=lambda r: r["effective_from"])
        for before, after in zip(area, area[1:], strict=False):
            if before["effective_to"] is None or before["effective_to"] >= after["effective_from"]:
                raise RegimeError(
                    after["code"],
                    f"与{before['code']}的施行期间重叠",
                    f"in force on the same days as {before['code']}",
                )


def read_files(directory: Path = DATA_DIR) -> list[dict]:
    """Every regime of every file in `directory`, checked, with conditions expanded."""
    raw: list[tuple[str, dict]] = []
    for path in sorted(Path(directory).glob("*.json")):
        try:
            items = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise RegimeError(path.name, f"无法读取：{error}", f"cannot be read: {error}") from None
        if not isinstance(items, list):
            raise RegimeError(path.name, "文件应为政策列表", "the file must hold a list of regimes")
        try:
            check_data(items)
        except ControlCharacterError as error:
            raise RegimeError(path.name, error.message_zh, error.message_en) from None
        raw += [(path.name, item) for item in items]
    by_code: dict[str, tuple[str, dict]] = {}
    for name, item in raw:
        code = item.get("code") if isinstance(item, dict) else None
        if code in by_code:
            raise RegimeError(name, f"政策代码重复：{code}", f"duplicate regime code: {code}")
        by_code[str(code)] = (name, item)
    expanded: dict[str, list[dict]] = {}

    def conditions_of(code: str, chain: tuple[str, ...] = ()) -> list[dict]:
        if code in expanded:
            return expanded[code]
        if code not in by_code:
            where = chain[-1] if chain else code
            raise RegimeError(
                where, f"conditions_from引用了不存在的{code}", f"conditions_from: no {code}"
            )
        if code in chain:
            raise RegimeError(code, "conditions_from循环引用", "conditions_from refers in a circle")
        name, item = by_code[code]
        where = f"{name} {code}"
        base: list[dict] = []
        if item.get("conditions_from"):
            base = [dict(c) for c in conditions_of(item["conditions_from"], (*chain, code))]
        omit = item.get("omit") or []
        if not isinstance(omit, list):
            raise RegimeError(where, "omit应为列表", "omit must be a list")
        base = [c for c in base if c["code"] not in omit]
        own = check_conditions(item.get("conditions", []), where)
        replaced = {c["code"] for c in own}
        result = [c for c in base if c["code"] not in replaced]
        positions = {c["code"]: i for i, c in enumerate(base)}
        for condition in own:  # a replacement keeps the replaced condition's place
            if condition["code"] in positions:
                result.insert(min(positions[condition["code"]], len(result)), condition)
            else:
                result.append(condition)
        expanded[code] = check_conditions(result, where)
        return expanded[code]

    regimes = []
    for code, (name, item) in by_code.items():
        regime = check_regime(item, name)
        regime["conditions"] = conditions_of(code)
        regime["loaded_from"] = name
        regime["file_digest"] = digest(item)
        regimes.append(regime)
    check_overlaps(regimes)
    return regimes


digest = refdata.digest


def spec(data: dict) -> rules.RegimeSpec:
    """A regime (a checked dict, or anything with the same attributes) as a RegimeSpec."""
    get = (
        data.get
        if isinstance(data, dict)
        else lambda key, default=None: getattr(data, key, default)
    )
    conditions = tuple(
        rules.ConditionSpec(
            code=c["code"],
            name_zh=c["name_zh"],
            name_en=c["name_en"],
            grants=c["grants"],
            test=c["test"],
            params=dict(c.get("params") or {}),
        )  # fmt: skip
        for c in get("conditions") or []
    )
    return rules.RegimeSpec(
        code=get("code"), name_zh=get("name_zh"), name_en=get("name_en"), scope=get("scope"),
        scope_code=get("scope_code") or "", effective_from=get("effective_from"),
        effective_to=get("effective_to"), base_children=get("base_children"),
        conditions=conditions, requires_marriage=get("requires_marriage", True),
        version=get("version", 1) or 1, source=get("source") or "",
    )  # fmt: skip


def specs_from_files(directory: Path = DATA_DIR) -> list[rules.RegimeSpec]:
    """The regimes of the files, without the database (tests, and checking a file)."""
    return [spec(regime) for regime in read_files(directory)]


# --- loading into the database ----------------------------------------------------------------


FILE_FIELDS = (
    "name_zh", "name_en", "scope", "scope_code", "effective_from", "effective_to",
    "base_children", "requires_marriage", "conditions", "source",
)  # fmt: skip


def load(
    model=None, *, directory: Path = DATA_DIR, force: bool = False
) -> refdata.RefDataLoadReport:
    """Create or update the database copy of every regime in the files (idempotent; see
    `lib.refdata` for the order of the checks).

    `model` is the Regime model (a data migration passes its historical one).
    """
    if model is None:
        from renkou.policy.models import Regime as model  # noqa: N813
    items = [
        refdata.RefDataItem(
            code=regime["code"],
            values={name: regime[name] for name in FILE_FIELDS}
            | {"file_version": regime["version"]},
            digest=regime["file_digest"],
            source=regime["loaded_from"],
        )
        for regime in read_files(directory)
    ]
    return refdata.load_items(
        model, items, force=force, create_defaults={"version": 1, "edited_locally": False}
    )
