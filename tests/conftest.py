"""The fixed cast every test can use: two districts, one account per role and level,
a few named units, and an outsider from the neighbouring district who must see nothing.

Everything is built through actions, as real use would build it.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_django.plugin import blocking_manager_key

from renkou.core import actions
from renkou.core.models import OrgUnit, User

CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "Cast-passw0rd-2026"

# (key, code, name, kind, parent key)
CAST_UNITS = (
    ("district", "510199000000", "锦城区", "district", None),
    ("township", "510199001000", "东城街道", "street", "district"),
    ("township2", "510199101000", "青山镇", "town", "district"),
    ("village", "510199001001", "东门社区", "community", "township"),
    ("village2", "510199001002", "西湖社区", "community", "township"),
    ("village3", "510199101201", "青山村", "village", "township2"),
    ("group", "510199001001001", "东门社区1栋", "building", "village"),
    ("group2", "510199001001002", "东门社区2栋", "building", "village"),
    ("group3", "510199101201001", "青山村一组", "group", "village3"),
    ("other_district", "510198000000", "邻区", "district", None),
    ("other_township", "510198001000", "邻区街道", "street", "other_district"),
    ("other_village", "510198001001", "邻区社区", "community", "other_township"),
    ("other_group", "510198001001001", "邻区社区1栋", "building", "other_village"),
)

# (key, role, unit key)
CAST_USERS = (
    ("district_admin", "district_admin", "district"),
    ("district_staff", "district_staff", "district"),
    ("township_staff", "township_staff", "township"),
    ("grid_worker", "grid_worker", "village"),
    ("auditor", "auditor", "district"),
    ("feed_account", "feed_account", "district"),
    ("outsider", "district_admin", "other_district"),
)


@dataclass
class Cast:
    units: dict[str, OrgUnit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def unit(self, key: str) -> OrgUnit:
        unit = self.units[key]
        unit.refresh_from_db()
        return unit

    def __getattr__(self, name: str):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


def build_cast() -> Cast:
    cast = Cast()
    for key, code, name, kind, parent_key in CAST_UNITS:
        cast.units[key] = actions.create_unit(
            actor=None,
            parent=cast.units.get(parent_key) if parent_key else None,
            code=code,
            name=name,
            kind=kind,
            opened_on=datetime.date(2000, 1, 1),
        )
    for key, role, unit_key in CAST_USERS:
        user = actions.create_staff_user(
            actor=None,
            username=key,
            password=PASSWORD,
            role=role,
            unit=cast.units[unit_key],
            full_name=key.replace("_", " ").title(),
            id_number="11010519491231002X" if key == "grid_worker" else "",
        )
        cast.users[key] = user
        _token, raw = actions.issue_api_token(actor=None, user=user, name="test")
        cast.tokens[key] = raw
    return cast


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (`-n 2`, see the Makefile) every worker gets its own data directory,
    RENKOU_DATA_DIR/xdist-gw0, …: snapshots, the demo district's files and anything else a test
    writes under DATA_DIR never meet another worker's. (The test databases are per worker too:
    pytest-django suffixes their names with the worker id, and SQLite's is in memory.)"""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    from django.conf import settings

    data_dir = Path(settings.DATA_DIR) / f"xdist-{worker}"
    (data_dir / "static").mkdir(parents=True, exist_ok=True)
    os.environ["RENKOU_DATA_DIR"] = str(data_dir)  # subprocesses of the tests
    settings.DATA_DIR = data_dir
    settings.STATIC_ROOT = data_dir / "static"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that check hashing read the setting itself.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


@pytest.fixture
def login(client):
    """Sign a cast member in on the test client (no second factor in the default profile)."""

    def _login(user: User):
        client.force_login(user, backend="renkou.core.backends.RoleBackend")
        return client

    return _login


def api_headers(cast: Cast, key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {cast.tokens[key]}"}


def make_id(birth: datetime.date, sex: str, region: str = "510199", seq: int = 1) -> str:
    """A valid 18-character ID number for the birth date and sex (odd sequence = male)."""
    from renkou.lib.idnumber import check_character

    serial = seq * 2 + (1 if sex == "M" else 0)
    first17 = f"{region}{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + check_character(first17)


@dataclass
class Families:
    """The Wang family of 东门社区1栋 and an inflow migrant in 东门社区2栋."""

    father: object
    mother: object
    son: object
    twins: tuple
    marriage: object
    migrant: object


def build_families(cast: Cast) -> Families:
    from renkou.registry import actions as registry

    admin = cast.district_admin
    group, group2 = cast.units["group"], cast.units["group2"]
    d = datetime.date
    father = registry.register_person(
        actor=admin, name="王建国", sex="M", birth_date=d(1960, 5, 1),
        id_number=make_id(d(1960, 5, 1), "M", seq=1), residence_unit=group, hukou_unit=group,
        hukou_type="agricultural",
    )  # fmt: skip
    mother = registry.register_person(
        actor=admin, name="李秀英", sex="F", birth_date=d(1962, 3, 8),
        id_number=make_id(d(1962, 3, 8), "F", seq=2), residence_unit=group, hukou_unit=group,
        hukou_type="agricultural",
    )  # fmt: skip
    marriage = registry.record_marriage(
        actor=admin, husband=father, wife=mother, date=d(1985, 10, 1)
    )
    son = registry.record_birth(
        actor=admin, mother=mother, father=father, date=d(1987, 2, 14), sex="M", name="王伟"
    ).person
    twin1 = registry.record_birth(
        actor=admin, mother=mother, father=father, date=d(1990, 6, 1), sex="F", name="王丽",
        plurality=2,
    ).person  # fmt: skip
    twin2 = registry.record_birth(
        actor=admin, mother=mother, father=father, date=d(1990, 6, 1), sex="F", name="王娜",
        plurality=2,
    ).person  # fmt: skip
    migrant = registry.register_person(
        actor=admin, name="张敏", sex="F", birth_date=d(1995, 1, 1),
        id_number=make_id(d(1995, 1, 1), "F", region="511302", seq=3),
        residence_unit=group2, hukou_division="511302001001",
    )  # fmt: skip
    registry.record_move_in(
        actor=admin, person=migrant, date=d(2020, 3, 1), residence_unit=group2,
        division_from="511302001001",
    )  # fmt: skip
    for person in (father, mother, son, twin1, twin2, migrant):
        person.refresh_from_db()
    return Families(father, mother, son, (twin1, twin2), marriage, migrant)


@pytest.fixture
def families(cast) -> Families:
    return build_families(cast)


# --- reference data loaded by data migrations ------------------------------------------------

# A transactional test (live_server, transaction=True) ends with a flush of every table, which
# also empties what data migrations loaded. Each loader is idempotent: call them all again.
REFERENCE_LOADERS = ("renkou.policy.regimes", "renkou.benefits.programmes")


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    names = getattr(item, "fixturenames", ())
    return "transactional_db" in names or "live_server" in names


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    yield
    # After the last test the session fixtures have gone too, the test database with them.
    if nextitem is None or not _is_transactional(item):
        return
    import importlib

    from django.apps import apps

    with item.config.stash[blocking_manager_key].unblock():
        for module in REFERENCE_LOADERS:
            importlib.import_module(module).load()
        # The migrations load through historical models and write no history rows; the loaders
        # here write some (simple_history). The flush emptied every history table, so what is
        # there now is the reload's: remove it, or a later test on this worker (under xdist
        # transactional tests no longer all run last) counts one history row too many.
        for model in apps.get_models():
            if hasattr(model, "instance_type"):  # simple_history's Historical<Model>
                model._default_manager.all().delete()
