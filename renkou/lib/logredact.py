"""A logging filter that masks ID numbers and phone numbers before anything is written.

ID numbers keep only their region code, like `idnumber.mask` (docs/privacy.md)."""

from __future__ import annotations

import logging
import re

_SEP = r"[ \-]?"
# 18-digit (or 15-digit, old style) ID numbers, optionally written in groups with spaces.
_ID_NUMBER = re.compile(
    rf"(?<![\dA-Za-z])(\d{{6}}){_SEP}(\d{{8}}){_SEP}(\d{{3}}[\dXx])(?![\dA-Za-z])"
    rf"|(?<![\dA-Za-z])(\d{{6}}){_SEP}(\d{{5}})(\d{{4}})(?![\dA-Za-z])"
)
# Mainland mobiles, with or without +86/86 and with spaces or dashes between the groups.
_PHONE = re.compile(rf"(?<!\d)((?:\+?86{_SEP})?1[3-9]\d){_SEP}(\d{{4}}){_SEP}(\d{{4}})(?!\d)")


def redact(text: str) -> str:
    def id_sub(match: re.Match[str]) -> str:
        if match.group(1):
            return f"{match.group(1)}************"
        return f"{match.group(4)}*********"

    text = _ID_NUMBER.sub(id_sub, text)
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


class RedactPersonalData(logging.Filter):
    """Masks the message and any exception text, so a traceback cannot leak a number either."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
