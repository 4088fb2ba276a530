"""Permission codenames (app label "analytics") granted to each role;
registered with core.rules at start-up.

No imports: read by AppConfig.ready().
"""

from __future__ import annotations

_VIEW = frozenset({"view_dashboard", "view_snapshot"})

ROLE_CODENAMES: dict[str, frozenset[str]] = {
    "district_admin": _VIEW | {"build_snapshot", "add_snapshot"},
    "district_staff": _VIEW | {"build_snapshot", "add_snapshot"},
    "township_staff": _VIEW,
    "grid_worker": _VIEW,
    "feed_account": frozenset(),
    "auditor": _VIEW,
}
