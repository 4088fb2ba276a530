"""Errors that department files really contain, applied to one value at a time.

Each function returns the damaged value, or ``None`` when the error cannot apply to this
value (a name without a character that has a homophone, an ID ending in X that Excel leaves
alone …); the caller then records no error for the row.
"""

from __future__ import annotations

import datetime

import numpy as np

from renkou.lib import idnumber
from renkou.simulate import namedata

# Rates per file and error kind, per row.  ``missing`` drops the row, ``duplicate`` sends it
# twice, ``outsider`` adds rows about people who are not in the registry (non-residents
# giving birth or dying in the district).  ⚠ chosen to resemble what grid staff report.
_DEFAULT: dict[str, dict[str, float]] = {
    "gongan_births": {"missing": 0.01, "duplicate": 0.005, "name_typo": 0.003,
                      "name_homophone": 0.006, "date_transposed": 0.003, "id_check": 0.002},
    "gongan_deaths": {"missing": 0.03, "duplicate": 0.005, "name_typo": 0.004,
                      "name_homophone": 0.006, "date_transposed": 0.004, "id_check": 0.003},
    "gongan_moves": {"missing": 0.03, "duplicate": 0.01, "name_typo": 0.004,
                     "name_homophone": 0.006, "date_transposed": 0.003, "id_check": 0.003},
    "hospital_birth_certificates": {"missing": 0.04, "duplicate": 0.01, "name_typo": 0.01,
                                    "name_homophone": 0.02, "date_transposed": 0.006,
                                    "id_check": 0.006, "id_excel": 0.02, "id_missing": 0.01,
                                    "outsider": 0.08},
    "minzheng_marriages": {"missing": 0.02, "duplicate": 0.005, "name_typo": 0.005,
                           "name_homophone": 0.01, "date_transposed": 0.004, "id_check": 0.004,
                           "id_fullwidth": 0.01},
    "minzheng_divorces": {"missing": 0.03, "duplicate": 0.005, "name_typo": 0.005,
                          "name_homophone": 0.01, "date_transposed": 0.004, "id_check": 0.004,
                          "id_fullwidth": 0.01},
    "minzheng_deaths": {"missing": 0.08, "duplicate": 0.01, "name_typo": 0.01,
                        "name_homophone": 0.015, "date_transposed": 0.006, "id_check": 0.006,
                        "id_excel": 0.01, "id_15": 0.03, "outsider": 0.05},
}  # fmt: skip
ERROR_PROFILES: dict[str, dict[str, dict[str, float]]] = {
    "clean": {f: {k: 0.0 for k in rates} for f, rates in _DEFAULT.items()},
    "default": _DEFAULT,
    "dirty": {f: {k: min(3 * v, 0.3) for k, v in rates.items()} for f, rates in _DEFAULT.items()},
}
ERROR_KINDS = (
    "missing", "duplicate", "name_typo", "name_homophone", "date_transposed", "id_check",
    "id_excel", "id_missing", "id_fullwidth", "id_15", "outsider",
)  # fmt: skip

_HOMOPHONES: dict[str, str] = {
    char: group.replace(char, "") for group in namedata.HOMOPHONE_GROUPS for char in group
}
_FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def homophone(rng: np.random.Generator, name: str) -> str | None:
    """Replace one character (given name preferred) by another with the same pinyin."""
    positions = [i for i, c in enumerate(name) if c in _HOMOPHONES]
    given = [i for i in positions if i > 0]
    pool = given or positions
    if not pool:
        return None
    i = pool[int(rng.integers(len(pool)))]
    choices = _HOMOPHONES[name[i]]
    return name[:i] + choices[int(rng.integers(len(choices)))] + name[i + 1 :]


def typo(rng: np.random.Generator, name: str) -> str | None:
    """A look-alike character, or two given-name characters swapped, or one dropped."""
    similar = [i for i, c in enumerate(name) if i > 0 and c in namedata.SHAPE_SIMILAR]
    if similar and rng.random() < 0.6:
        i = similar[int(rng.integers(len(similar)))]
        return name[:i] + namedata.SHAPE_SIMILAR[name[i]] + name[i + 1 :]
    if len(name) >= 3 and name[-1] != name[-2]:
        if rng.random() < 0.5:
            return name[:-2] + name[-1] + name[-2]
        return name[:-1]
    if similar:
        i = similar[0]
        return name[:i] + namedata.SHAPE_SIMILAR[name[i]] + name[i + 1 :]
    return None


def transpose_date(rng: np.random.Generator, day: datetime.date) -> datetime.date | None:
    """Swap two adjacent digits of YYYYMMDD (year's last two, month or day) → a real date."""
    digits = f"{day:%Y%m%d}"
    options = []
    for i in (2, 4, 5, 6):
        if digits[i] == digits[i + 1]:
            continue
        swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
        try:
            candidate = datetime.date(int(swapped[:4]), int(swapped[4:6]), int(swapped[6:]))
        except ValueError:
            continue
        options.append(candidate)
    if not options:
        if day.day <= 12 and day.day != day.month:
            return day.replace(month=day.day, day=day.month)
        return None
    return options[int(rng.integers(len(options)))]


def wrong_check(rng: np.random.Generator, number: str) -> str | None:
    if len(number) != 18:
        return None
    wrong = [c for c in "0123456789X" if c != number[-1]]
    return number[:-1] + wrong[int(rng.integers(len(wrong)))]


def excel_mangle(rng: np.random.Generator, number: str) -> str | None:
    """What Excel shows after treating the column as a number (text ending in X survives)."""
    if len(number) != 18 or not number.isdigit():
        return None
    mangled = number[:15] + "000"
    # "…000" that happens to be a valid number is not recognisable: show it as Excel does
    # with a narrow column instead.
    if rng.random() < 0.5 or mangled == number or idnumber.check_character(mangled[:17]) == "0":
        mantissa, exponent = f"{int(number):.5E}".split("E")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}E+{int(exponent)}"
    return mangled


def fullwidth(number: str) -> str | None:
    return number.translate(_FULLWIDTH) if number else None


def old_15(number: str) -> str | None:
    """The pre-1999 15-digit form, for people born in the 1900s."""
    if len(number) != 18 or number[6:8] != "19":
        return None
    return number[:6] + number[8:17]
