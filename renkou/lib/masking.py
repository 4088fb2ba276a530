"""Display masks for personal data shown in lists, exports and logs (个人信息脱敏).

Every function accepts ``None`` or an empty string and returns ``""`` so templates and
exports can call them on optional fields without guarding.
"""

from __future__ import annotations

import re

from renkou.lib import idnumber
from renkou.lib.text import normalise_digits, remove_whitespace

__all__ = ["mask_bank_account", "mask_id_number", "mask_name", "mask_phone"]

_MOBILE = re.compile(r"(?P<prefix>\+?86)?(?P<number>1[0-9]{10})")


def mask_id_number(number: str | None) -> str:
    """``11010519491231002X`` -> ``110105************`` (see :func:`idnumber.mask`)."""
    if not number:
        return ""
    return idnumber.mask(number)


def mask_phone(phone: str | None) -> str:
    """``13812345678`` -> ``138****5678``; other numbers keep only their last 4 digits.

    A ``+86``/``86`` prefix on a mobile number is kept (``+86 138****5678``); spaces and
    hyphens inside a mobile number are ignored.
    """
    if not phone:
        return ""
    cleaned = normalise_digits(phone).strip()
    match = _MOBILE.fullmatch(remove_whitespace(cleaned).replace("-", ""))
    if match:
        number = match["number"]
        prefix = f"{match['prefix']} " if match["prefix"] else ""
        return f"{prefix}{number[:3]}****{number[-4:]}"
    return _mask_digits_keep_last4(cleaned)


def mask_bank_account(account: str | None) -> str:
    """``6222021234567891234`` -> ``6222 **** **** *** 1234``, grouped in fours.

    Card-length numbers (12+ characters) keep the first 4 (the issuing bank, which users
    recognise) and the last 4; shorter ones keep only the last 4, because keeping 8 of e.g.
    10 characters would hardly mask anything.
    """
    if not account:
        return ""
    cleaned = remove_whitespace(normalise_digits(account)).replace("-", "")
    if len(cleaned) <= 4:
        return "*" * len(cleaned)
    head = cleaned[:4] if len(cleaned) >= 12 else ""
    hidden = len(cleaned) - len(head) - 4
    stars = _chunks("*" * hidden, 4)
    return " ".join([part for part in [head, *stars] if part] + [cleaned[-4:]])


def mask_name(name: str | None) -> str:
    """``张三丰`` -> ``张*丰``, ``张三`` -> ``张*``, ``欧阳娜娜`` -> ``欧**娜``.

    A one-character value is fully masked: showing it would show the whole name.
    """
    if not name:
        return ""
    cleaned = name.strip()
    if len(cleaned) <= 1:
        return "*" * len(cleaned)
    if len(cleaned) == 2:
        return cleaned[0] + "*"
    return cleaned[0] + "*" * (len(cleaned) - 2) + cleaned[-1]


def _mask_digits_keep_last4(text: str) -> str:
    # Landlines like "010-12345678": keep separators so the shape stays recognisable.
    digit_positions = [index for index, char in enumerate(text) if char.isalnum()]
    visible = set(digit_positions[-4:]) if len(digit_positions) > 4 else set()
    return "".join(
        char if index in visible or not char.isalnum() else "*" for index, char in enumerate(text)
    )


def _chunks(text: str, size: int) -> list[str]:
    return [text[start : start + size] for start in range(0, len(text), size)]
