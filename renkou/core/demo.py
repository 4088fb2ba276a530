"""The built-in demo district: a small grid and one account per role.

Until the simulator generates a realistic district this is what `renkou demo` (and so
`make run` on an empty database) loads. Everything goes through actions, like real use.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction

from renkou.core import actions
from renkou.core.models import OrgUnit, User

DEMO_PASSWORD = "Renkou-demo-2026"

# (code, name, kind, children)
DEMO_TREE = (
    "510199000000", "锦城区", "district", (
        ("510199001000", "东城街道", "street", (
            ("510199001001", "东门社区", "community", (
                ("510199001001001", "东门社区1栋", "building", ()),
                ("510199001001002", "东门社区2栋", "building", ()),
            )),
            ("510199001002", "西湖社区", "community", (
                ("510199001002001", "西湖社区1栋", "building", ()),
            )),
        )),
        ("510199101000", "青山镇", "town", (
            ("510199101201", "青山村", "village", (
                ("510199101201001", "青山村一组", "group", ()),
                ("510199101201002", "青山村二组", "group", ()),
            )),
            ("510199101202", "石桥村", "village", (
                ("510199101202001", "石桥村一组", "group", ()),
            )),
        )),
    ),
)  # fmt: skip

# (username, full name, role, unit slot, duty); the slots are filled with real units of the
# demo district, whichever way it was made (the built-in tree or the simulator).
DEMO_ACCOUNTS = (
    ("qu_admin", "区管理员", "district_admin", "district", "系统管理"),
    ("qu_staff", "区工作人员", "district_staff", "district", "统计"),
    ("dc_staff", "街道专干", "township_staff", "township", "计生专干"),
    ("qs_staff", "乡镇专干", "township_staff", "township2", "计生专干"),
    ("dm_grid", "社区网格员", "grid_worker", "village", "网格员"),
    ("qsc_grid", "村网格员", "grid_worker", "village2", "网格员"),
    ("auditor", "审计员", "auditor", "district", "审计"),
    ("feed_gongan", "公安户籍数据接口", "feed_account", "district", "部门数据接口"),
)
BUILTIN_SLOTS = {
    "district": "510199000000",
    "township": "510199001000",
    "township2": "510199101000",
    "village": "510199001001",
    "village2": "510199101201",
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    unit: str
    password: str | None
    token: str | None = None


def build_tree(spec: tuple, parent: OrgUnit | None = None) -> OrgUnit:
    code, name, kind, children = spec
    unit = actions.create_unit(
        actor=None,
        parent=parent,
        code=code,
        name=name,
        kind=kind,
        opened_on=datetime.date(2000, 1, 1),
        reason="demo",
    )
    for child in children:
        build_tree(child, unit)
    return unit


@transaction.atomic
def load_demo() -> list[DemoLogin]:
    """The built-in small district and its accounts; returns the logins to print."""
    build_tree(DEMO_TREE)
    return create_accounts(
        {slot: OrgUnit.objects.get(code=code) for slot, code in BUILTIN_SLOTS.items()}
    )


@transaction.atomic
def create_accounts(slots: dict[str, OrgUnit]) -> list[DemoLogin]:
    """One account per role on the units of `slots`; the feed account gets an API token."""
    logins = []
    for username, full_name, role, slot, duty in DEMO_ACCOUNTS:
        unit = slots[slot]
        api_only = role == "feed_account"
        user = actions.create_staff_user(
            actor=None,
            username=username,
            password=None if api_only else DEMO_PASSWORD,
            role=role,
            unit=unit,
            full_name=full_name,
            duty=duty,
        )
        token = actions.issue_api_token(actor=None, user=user, name="demo")[1] if api_only else None
        logins.append(
            DemoLogin(
                username,
                user.get_role_display(),
                unit.name,
                None if api_only else DEMO_PASSWORD,
                token,
            )
        )
    return logins


def database_is_empty() -> bool:
    return not OrgUnit.objects.exists() and not User.objects.exists()


def existing_logins() -> list[DemoLogin]:
    """The demo accounts still present (their passwords unless someone changed them)."""
    logins = []
    for username, _name, _role, _slot, _duty in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            continue
        assignment = user.assignments.select_related("unit").first()
        usable = user.has_usable_password() and user.check_password(DEMO_PASSWORD)
        logins.append(
            DemoLogin(
                username,
                user.get_role_display(),
                assignment.unit.name if assignment else "",
                DEMO_PASSWORD if usable else None,
            )
        )
    return logins
