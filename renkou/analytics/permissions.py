"""Permission codenames (app label "analytics") granted to each role; core.rules composes them.

No imports: core.rules reads this module while Django is still loading apps.
"""

from __future__ import annotations

ROLE_CODENAMES: dict[str, frozenset[str]] = {
    "district_admin": frozenset(),
    "district_staff": frozenset(),
    "township_staff": frozenset(),
    "grid_worker": frozenset(),
    "feed_account": frozenset(),
    "auditor": frozenset(),
}
