"""Search keys for Chinese names: full pinyin without tones or spaces, and initials.

`name_keys("张伟") == ("zhangwei", "zw")`. Each character's reading is looked up once and
cached (a district has a few thousand distinct name characters), so keys for a million names
cost well under a second; a surname's reading overrides the character's common one (单 is
Shan as a surname, not dan).
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Surnames whose reading differs from the character's most common one.
SURNAME_READINGS: dict[str, str] = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha", "区": "ou",
    "盖": "ge", "乐": "yue", "覃": "qin", "缪": "miao", "翟": "zhai", "秘": "bi", "种": "chong",
    "折": "she", "召": "shao", "尉": "yu", "员": "yun", "宓": "mi", "隗": "wei", "繁": "po",
    "长": "zhang", "万": "wan", "那": "na", "句": "gou", "尿": "niao", "能": "nai", "车": "che",
    "藏": "zang", "柏": "bai", "燕": "yan", "哈": "ha", "任": "ren", "沈": "shen", "华": "hua",
}  # fmt: skip
COMPOUND_SURNAMES: dict[str, tuple[str, str]] = {
    "万俟": ("mo", "qi"), "尉迟": ("yu", "chi"), "长孙": ("zhang", "sun"),
    "令狐": ("ling", "hu"), "欧阳": ("ou", "yang"), "司马": ("si", "ma"),
    "诸葛": ("zhu", "ge"), "上官": ("shang", "guan"), "皇甫": ("huang", "fu"),
    "澹台": ("tan", "tai"),
}  # fmt: skip


MAX_PINYIN, MAX_INITIALS = 200, 50


@lru_cache(maxsize=65536)
def char_reading(char: str) -> str:
    """The toneless reading of one character ('' for anything that is not Chinese)."""
    if char.isascii():
        return char.lower() if char.isalnum() else ""
    reading = lazy_pinyin(char, style=Style.NORMAL, errors="ignore", v_to_u=False)
    return reading[0].replace("ü", "v") if reading else ""


def syllables(name: str) -> list[str]:
    name = "".join(name.split()).replace("·", "").replace("•", "")
    if not name:
        return []
    for surname, reading in COMPOUND_SURNAMES.items():
        if name.startswith(surname):
            head = list(reading)
            rest = name[len(surname) :]
            break
    else:
        head = [SURNAME_READINGS.get(name[0]) or char_reading(name[0])]
        rest = name[1:]
    return [s for s in head + [char_reading(c) for c in rest] if s]


@lru_cache(maxsize=262144)
def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower case, no tones, no spaces."""
    parts = syllables(name)
    # Bounded to the registry's columns; a prefix of a key still finds the name.
    return "".join(parts)[:MAX_PINYIN], "".join(part[0] for part in parts)[:MAX_INITIALS]


def normalise_query(text: str) -> str:
    """A typed pinyin query as stored: lower case, no spaces, apostrophes or tones."""
    cleaned = text.strip().lower().replace("ü", "v").replace("'", "").replace("’", "")
    return "".join(cleaned.split())


def is_pinyin_query(text: str) -> bool:
    cleaned = normalise_query(text)
    return bool(cleaned) and cleaned.isascii() and cleaned.isalpha()
