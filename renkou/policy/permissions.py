"""Permission codenames (app label "policy") granted to each role; registered at start-up."""

from __future__ import annotations

_WORK = {
    "view_regime", "evaluate_entitlement", "view_birthclassification", "view_declaredfact",
    "change_declaredfact",
}  # fmt: skip

ROLE_CODENAMES: dict[str, frozenset[str]] = {
    "district_admin": frozenset(_WORK | {"change_regime"}),
    "district_staff": frozenset(_WORK),
    "township_staff": frozenset(_WORK),
    "grid_worker": frozenset(
        {"view_regime", "evaluate_entitlement", "view_birthclassification", "view_declaredfact"}
    ),
    "feed_account": frozenset({"view_regime"}),
    "auditor": frozenset({"view_regime", "view_birthclassification", "view_declaredfact"}),
}
