"""A logging filter that masks ID numbers and phone numbers before anything is written."""

from __future__ import annotations

import logging
import re

_ID_NUMBER = re.compile(
    r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)|(?<!\d)(\d{6})(\d{5})(\d{4})(?!\d)"
)
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def redact(text: str) -> str:
    def id_sub(match: re.Match[str]) -> str:
        if match.group(1):
            return f"{match.group(1)}********{match.group(3)[-4:]}"
        return f"{match.group(4)}*****{match.group(6)}"

    text = _ID_NUMBER.sub(id_sub, text)
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
