"""Pick the message of the active language from a bilingual pair (zh, en)."""

from __future__ import annotations

from django.utils.translation import get_language


def pick(message_zh: str, message_en: str) -> str:
    language = (get_language() or "zh-hans").lower()
    return message_en if language.startswith("en") else message_zh


def pick_from(error: object) -> str:
    """For the library's errors, which carry `message_zh` and `message_en`."""
    return pick(getattr(error, "message_zh", str(error)), getattr(error, "message_en", str(error)))
