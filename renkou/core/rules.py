"""Pure rules of the core app: what each role may do, and where a role's staff may sit."""

from __future__ import annotations

from collections.abc import Mapping

from renkou.lib.divisions import KIND_LEVEL, LEVEL_KINDS

__all__ = [
    "KIND_LEVEL",
    "LEVEL_KINDS",
    "ROLES",
    "ROLE_UNIT_LEVELS",
    "WEB_ROLES",
    "permissions_for",
    "register_role_codenames",
]

# Roles are core's: every account has one. Each app grants codenames of its own to them in
# its `permissions.py` (ROLE_CODENAMES) and hands that to `register_role_codenames` from its
# AppConfig.ready(), so core never imports a higher app (docs/architecture.md, listeners).
ROLES = (
    "district_admin",
    "district_staff",
    "township_staff",
    "grid_worker",
    "feed_account",
    "auditor",
)

# Roles whose accounts may use the web pages; a feed account is API only.
WEB_ROLES = frozenset(ROLES) - {"feed_account"}

_ROLE_CODENAMES: dict[str, Mapping[str, frozenset[str]]] = {}
_permissions_cache: dict[str, frozenset[str]] = {}


def register_role_codenames(app_label: str, role_codenames: Mapping[str, frozenset[str]]) -> None:
    """Grant `app_label`'s codenames to each role; called once per app at start-up."""
    unknown = set(role_codenames) - set(ROLES)
    if unknown:
        raise ValueError(f"{app_label}.permissions names unknown roles: {sorted(unknown)}")
    _ROLE_CODENAMES[app_label] = role_codenames
    _permissions_cache.clear()


def registered_apps() -> tuple[str, ...]:
    return tuple(_ROLE_CODENAMES)


ROLE_UNIT_LEVELS: dict[str, frozenset[int]] = {
    "district_admin": frozenset({1}),
    "district_staff": frozenset({1}),
    "township_staff": frozenset({2}),
    "grid_worker": frozenset({3, 4}),
    "feed_account": frozenset({1}),
    "auditor": frozenset({1, 2}),
}


def permissions_for(role: str) -> frozenset[str]:
    """Full permission names ("app.codename") the role holds across every registered app."""
    if role not in _permissions_cache:
        _permissions_cache[role] = frozenset(
            f"{app}.{codename}"
            for app, by_role in _ROLE_CODENAMES.items()
            for codename in by_role.get(role, ())
        )
    return _permissions_cache[role]


def role_may_sit_at(role: str, level: int) -> bool:
    return level in ROLE_UNIT_LEVELS.get(role, frozenset())


def path_segment(pk: int) -> str:
    """Fixed width keeps sibling paths the same length, so prefix order is tree order."""
    return f"{pk:07d}."
