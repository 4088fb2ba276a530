"""Permission codenames (app label "benefits") granted to each role;
registered with core.rules at start-up.

The district runs cycles, builds rosters, imports bank results and approves; township staff
confirm their candidates, record objections and facts, and work the cases of their units;
grid workers and auditors read; a feed account reads programmes, cycles and rosters (API).

No imports: read by AppConfig.ready().
"""

from __future__ import annotations

_READ = {
    "view_programme", "view_cycle", "view_candidate", "view_objection", "view_roster",
    "view_rosterline", "view_case", "view_benefitfact", "view_bankaccount",
}  # fmt: skip
_TOWNSHIP = {
    "confirm_candidate", "add_objection", "change_objection", "change_benefitfact",
    "change_bankaccount", "change_case",
}  # fmt: skip
_DISTRICT = _TOWNSHIP | {"add_cycle", "change_cycle", "add_roster", "change_roster"}

ROLE_CODENAMES: dict[str, frozenset[str]] = {
    "district_admin": frozenset(
        _READ | _DISTRICT | {"approve_cycle", "add_programme", "change_programme"}
    ),
    "district_staff": frozenset(_READ | _DISTRICT),
    "township_staff": frozenset(_READ | _TOWNSHIP),
    "grid_worker": frozenset({"view_programme", "view_cycle", "view_candidate"}),
    "feed_account": frozenset({"view_programme", "view_cycle", "view_roster"}),
    "auditor": frozenset(_READ),
}
