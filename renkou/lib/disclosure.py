"""What a user may see of a person's identity (docs/privacy.md).

A user without the `core.reveal_id_number` permission sees an ID number only as its region
code (`idnumber.mask`) and a birth date only as year and month (出生年月). Region, exact
birth date and sex together leave only 500 possible ID numbers, so an exact date next to any
trace of the number gives the number away; year and month leave at least 28 × 500 = 14,000.
Users holding the permission see exact dates; the full number only through a logged reveal.

Pages, exports and API answers call these helpers rather than format birth dates
themselves, so the rule lives in one place.
"""

from __future__ import annotations

import datetime
from typing import Any

__all__ = ["REVEAL_PERMISSION", "birth_month", "may_see_birth_date", "shown_birth_date"]

REVEAL_PERMISSION = "core.reveal_id_number"


def may_see_birth_date(user: Any) -> bool:
    """True if `user` may see exact birth dates (holds the reveal permission)."""
    return bool(user is not None and user.has_perm(REVEAL_PERMISSION))


def birth_month(day: datetime.date | None) -> str:
    """`1985-03` for 1985-03-12; "" for None."""
    return f"{day:%Y-%m}" if day else ""


def shown_birth_date(day: datetime.date | None, full: bool) -> str:
    """The birth date as a viewer may see it: `1985-03-12` when `full`, else `1985-03`."""
    if not day:
        return ""
    return day.isoformat() if full else birth_month(day)
