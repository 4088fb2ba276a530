"""Benefit test helpers: families built through the registry's actions, a cycle run to the
end, a roster with bank accounts."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from renkou.benefits import actions
from renkou.benefits.models import Programme
from renkou.registry import actions as registry
from tests.conftest import make_id

D = datetime.date
_SEQ = iter(range(100, 10_000))


def person(cast, name, sex, birth, unit="group", hukou="agricultural", **extra):
    unit_obj = cast.units[unit]
    return registry.register_person(
        actor=cast.district_admin, name=name, sex=sex, birth_date=birth,
        id_number=extra.pop("id_number", None) or make_id(birth, sex, seq=next(_SEQ)),
        residence_unit=unit_obj, hukou_unit=unit_obj, hukou_type=hukou, **extra,
    )  # fmt: skip


def couple(cast, surname, unit="group", hukou="agricultural", born=(1955, 1957), married=1978):
    husband = person(cast, f"{surname}父", "M", D(born[0], 3, 1), unit, hukou)
    wife = person(cast, f"{surname}母", "F", D(born[1], 4, 1), unit, hukou)
    registry.record_marriage(
        actor=cast.district_admin, husband=husband, wife=wife, date=D(married, 5, 1)
    )
    return husband, wife


def child(cast, father, mother, sex, born, name=""):
    return registry.record_birth(
        actor=cast.district_admin, mother=mother, father=father, date=born, sex=sex,
        name=name or f"{mother.name[0]}子{born.year}",
    ).person  # fmt: skip


@dataclass
class Village:
    """Rural couples of 锦城区 for the 奖扶: A (东门社区1栋, one son), B (青山村一组, two
    daughters), C (东门社区1栋, a son and a daughter: not eligible), U (urban, one son)."""

    a: tuple
    b: tuple
    c: tuple
    u: tuple
    foreign: tuple


def build_village(cast) -> Village:
    a = couple(cast, "甲")
    child(cast, *a, "M", D(1982, 6, 1))
    b = couple(cast, "乙", unit="group3")
    child(cast, *b, "F", D(1981, 6, 1))
    child(cast, *b, "F", D(1986, 6, 1))
    c = couple(cast, "丙")
    child(cast, *c, "M", D(1980, 6, 1))
    child(cast, *c, "F", D(1985, 6, 1))
    u = couple(cast, "丁", hukou="non_agricultural")
    child(cast, *u, "M", D(1982, 6, 1))
    # the outsider's district: a rural couple who would be eligible there
    admin = cast.outsider
    other = cast.units["other_group"]
    h = registry.register_person(
        actor=admin,
        name="邻父",
        sex="M",
        birth_date=D(1955, 1, 1),
        residence_unit=other,
        hukou_unit=other,
        hukou_type="agricultural",
    )
    w = registry.register_person(
        actor=admin,
        name="邻母",
        sex="F",
        birth_date=D(1956, 1, 1),
        residence_unit=other,
        hukou_unit=other,
        hukou_type="agricultural",
    )
    registry.record_marriage(actor=admin, husband=h, wife=w, date=D(1978, 1, 1))
    registry.record_birth(actor=admin, mother=w, father=h, date=D(1980, 1, 1), sex="M", name="邻子")
    return Village(a, b, c, u, (h, w))


@pytest.fixture
def village(cast) -> Village:
    return build_village(cast)


def jiangfu() -> Programme:
    return Programme.objects.get(code="jiangfu")


def run_to_approval(cast, programme, year, today=None):
    """Open, confirm everything, post, approve: the cycle as the district runs it."""
    district = cast.unit("district")
    cycle = actions.open_cycle(
        actor=cast.district_staff, programme=programme, year=year, district=district
    )
    ids = list(cycle.candidates.exclude(kind="exit").values_list("pk", flat=True))
    actions.confirm_candidates(actor=cast.district_staff, cycle=cycle, candidate_ids=ids)
    actions.post_cycle(actor=cast.district_staff, cycle=cycle, posting_from=D(year, 1, 5),
                       posting_to=D(year, 1, 12))  # fmt: skip
    actions.approve_cycle(actor=cast.district_admin, cycle=cycle, today=D(year, 1, 13))
    cycle.refresh_from_db()
    return cycle


def accounts_for(cast, persons):
    for index, p in enumerate(persons):
        actions.set_bank_account(actor=cast.district_staff, person=p, bank_name="农村信用社",
                                 account_no=f"62210000{p.pk:011d}{index % 10}")  # fmt: skip
