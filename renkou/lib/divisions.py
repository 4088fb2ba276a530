"""Statistical division codes (GB/T 2260 county codes + GB/T 10114 township/village digits).

A district (level 1) is 6 significant digits padded to 12 (`510104000000`); a township/street
(level 2) adds 3 digits (`510104001000`); a village/community (level 3) adds 3 more
(`510104001002`). Groups/buildings (level 4) have no national code: the village code plus a
local 3-digit suffix (`510104001002005`).
"""

from __future__ import annotations

from dataclasses import dataclass

LEVEL_KINDS: dict[int, tuple[str, ...]] = {
    1: ("district", "county"),
    2: ("township", "town", "street"),
    3: ("village", "community"),
    4: ("group", "building"),
}
KIND_LEVEL: dict[str, int] = {kind: level for level, kinds in LEVEL_KINDS.items() for kind in kinds}

_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


@dataclass(frozen=True)
class CodeError(ValueError):
    """Why a division code does not fit where it was put (both languages)."""

    code: str
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


def normalise_code(text: str) -> str:
    """Strip spaces and full-width digits; pad a bare 6-digit county code to 12 digits."""
    code = "".join(str(text).translate(_FULLWIDTH).split())
    if len(code) == 6 and code.isdigit():
        code += "000000"
    return code


def level_of_code(code: str) -> int:
    """The level a well-formed code denotes by its trailing zeros (1–4)."""
    if len(code) == 15:
        return 4
    if code[6:] == "000000":
        return 1
    if code[9:] == "000":
        return 2
    return 3


def check_code(code: str, *, level: int, parent_code: str | None) -> None:
    """Raise CodeError unless `code` is a valid code for a unit of `level` under `parent_code`."""
    expected_length = 15 if level == 4 else 12
    if not code.isdigit() or len(code) != expected_length:
        raise CodeError(
            "format",
            f"代码“{code}”应为{expected_length}位数字",
            f"code '{code}' must be {expected_length} digits",
        )
    if level_of_code(code) != level:
        raise CodeError(
            "level",
            f"代码“{code}”不是第{level}级（区/乡镇/村/组）代码",
            f"code '{code}' is not a level-{level} code (district/township/village/group)",
        )
    if level == 1:
        if code[4:6] == "00":
            raise CodeError("format", f"区县代码“{code}”无效", f"county code '{code}' is invalid")
        return
    if parent_code is None:
        raise CodeError("parent", "缺少上级单位", "the parent unit is missing")
    shared = {2: 6, 3: 9, 4: 12}[level]
    if code[:shared] != parent_code[:shared]:
        raise CodeError(
            "parent",
            f"代码“{code}”不在上级“{parent_code}”之下（前{shared}位应相同）",
            f"code '{code}' does not lie under parent '{parent_code}' "
            f"(the first {shared} digits must match)",
        )


def check_kind(kind: str, level: int) -> None:
    if KIND_LEVEL.get(kind) != level:
        raise CodeError(
            "kind",
            f"类型“{kind}”不能用于第{level}级单位",
            f"kind '{kind}' cannot be used at level {level}",
        )
