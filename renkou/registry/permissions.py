"""Permission codenames (app label "registry") granted to each role; registered at start-up."""

from __future__ import annotations

_WRITE = frozenset({"view_person", "change_person", "view_household", "change_household"})
_READ = frozenset({"view_person", "view_household"})

ROLE_CODENAMES: dict[str, frozenset[str]] = {
    "district_admin": _WRITE,
    "district_staff": _WRITE,
    "township_staff": _WRITE,
    "grid_worker": _WRITE,
    "feed_account": _READ,
    "auditor": _READ,
}
