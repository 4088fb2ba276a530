"""Permission codenames (app label "core") granted to each role.

District-wide roles sit on the district; they still see only their own district's subtree.
Registered with `core.rules.register_role_codenames` in CoreConfig.ready(), like every app's.
"""

from __future__ import annotations

_ADMIN = {
    "view_orgunit", "change_orgunit", "add_orgunit", "restructure_orgunit", "import_orgunit",
    "manage_staff", "view_user", "reveal_id_number", "view_audit",
}  # fmt: skip

ROLE_CODENAMES: dict[str, frozenset[str]] = {
    "district_admin": frozenset(_ADMIN),
    "district_staff": frozenset({"view_orgunit", "view_user", "reveal_id_number"}),
    "township_staff": frozenset(
        {"view_orgunit", "change_orgunit", "add_orgunit", "view_user", "reveal_id_number"}
    ),
    "grid_worker": frozenset({"view_orgunit", "view_user"}),
    "feed_account": frozenset({"view_orgunit"}),
    "auditor": frozenset({"view_orgunit", "view_user", "view_audit"}),
}
