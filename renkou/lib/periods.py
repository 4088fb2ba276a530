"""The hook through which a closed period (日清月结) refuses back-dated records.

Period closing comes with the ledger app; until then no period is closed. The ledger app sets
`RENKOU_PERIOD_CHECK` to the dotted path of `check(day, unit) -> bool` (True = closed).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils.module_loading import import_string


def is_closed(day: datetime.date, unit) -> bool:
    path = getattr(settings, "RENKOU_PERIOD_CHECK", "")
    if not path:
        return False
    return bool(import_string(path)(day, unit))
