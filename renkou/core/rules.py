"""Pure rules of the core app: what each role may do, and where a role's staff may sit."""

from __future__ import annotations

from renkou.lib.divisions import KIND_LEVEL, LEVEL_KINDS

__all__ = ["KIND_LEVEL", "LEVEL_KINDS", "ROLE_PERMISSIONS", "ROLE_UNIT_LEVELS", "permissions_for"]

# Permission codenames (app label "core") granted to each role. District-wide roles sit on the
# district; they still see only their own district's subtree.
_CORE_ADMIN = {
    "view_orgunit", "change_orgunit", "add_orgunit", "restructure_orgunit", "import_orgunit",
    "manage_staff", "view_user", "reveal_id_number", "view_audit",
}  # fmt: skip
_CORE = {
    "district_admin": _CORE_ADMIN,
    "district_staff": {"view_orgunit", "view_user", "reveal_id_number"},
    "township_staff": {"view_orgunit", "change_orgunit", "add_orgunit", "view_user",
                       "reveal_id_number"},
    "grid_worker": {"view_orgunit", "view_user"},
    "feed_account": {"view_orgunit"},
    "auditor": {"view_orgunit", "view_user", "view_audit"},
}  # fmt: skip
_REGISTRY_WRITE = {"view_person", "change_person", "view_household", "change_household"}
_REGISTRY_READ = {"view_person", "view_household"}
_REGISTRY = {
    "district_admin": _REGISTRY_WRITE,
    "district_staff": _REGISTRY_WRITE,
    "township_staff": _REGISTRY_WRITE,
    "grid_worker": _REGISTRY_WRITE,
    "feed_account": _REGISTRY_READ,
    "auditor": _REGISTRY_READ,
}

_POLICY_WORK = {
    "view_regime", "evaluate_entitlement", "view_birthclassification", "view_declaredfact",
    "change_declaredfact",
}  # fmt: skip
_POLICY = {
    "district_admin": _POLICY_WORK | {"change_regime"},
    "district_staff": _POLICY_WORK,
    "township_staff": _POLICY_WORK,
    "grid_worker": {
        "view_regime",
        "evaluate_entitlement",
        "view_birthclassification",
        "view_declaredfact",
    },
    "feed_account": {"view_regime"},
    "auditor": {"view_regime", "view_birthclassification", "view_declaredfact"},
}


# Full permission names ("app.codename") granted to each role. District-wide roles sit on the
# district; they still see only their own district's subtree.
def _app_codenames() -> dict[str, dict[str, frozenset[str]]]:
    from renkou.analytics.permissions import ROLE_CODENAMES as analytics
    from renkou.benefits.permissions import ROLE_CODENAMES as benefits
    from renkou.births.permissions import ROLE_CODENAMES as births

    return {
        "core": _CORE,
        "registry": _REGISTRY,
        "policy": _POLICY,
        "births": births,
        "benefits": benefits,
        "analytics": analytics,
    }


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    role: frozenset(
        f"{app}.{codename}"
        for app, by_role in _app_codenames().items()
        for codename in by_role.get(role, ())
    )
    for role in _CORE
}

# Roles whose accounts may use the web pages; a feed account is API only.
WEB_ROLES = frozenset(ROLE_PERMISSIONS) - {"feed_account"}

ROLE_UNIT_LEVELS: dict[str, frozenset[int]] = {
    "district_admin": frozenset({1}),
    "district_staff": frozenset({1}),
    "township_staff": frozenset({2}),
    "grid_worker": frozenset({3, 4}),
    "feed_account": frozenset({1}),
    "auditor": frozenset({1, 2}),
}


def permissions_for(role: str) -> frozenset[str]:
    return ROLE_PERMISSIONS.get(role, frozenset())


def role_may_sit_at(role: str, level: int) -> bool:
    return level in ROLE_UNIT_LEVELS.get(role, frozenset())


def path_segment(pk: int) -> str:
    """Fixed width keeps sibling paths the same length, so prefix order is tree order."""
    return f"{pk:07d}."
