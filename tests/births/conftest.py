"""Helpers for the birth-registration tests: a young couple of 东门社区1栋 and a way to bring
an application into any state through the actions."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from renkou.births import actions, rules
from renkou.births.models import BirthApplication
from renkou.registry import actions as registry
from tests.conftest import make_id

d = datetime.date


@dataclass
class Couple:
    husband: object
    wife: object
    marriage: object


def make_couple(cast, *, seq: int = 10, unit: str = "group", husband_division: str = "") -> Couple:
    admin = cast.district_admin
    husband = registry.register_person(
        actor=admin, name="赵强", sex="M", birth_date=d(1994, 4, 4),
        id_number=make_id(d(1994, 4, 4), "M", seq=seq), residence_unit=cast.units[unit],
        hukou_unit=None if husband_division else cast.units[unit],
        hukou_division=husband_division, hukou_type="non_agricultural",
    )  # fmt: skip
    wife = registry.register_person(
        actor=admin, name="孙丽华", sex="F", birth_date=d(1996, 6, 6),
        id_number=make_id(d(1996, 6, 6), "F", seq=seq + 1), residence_unit=cast.units[unit],
        hukou_unit=cast.units[unit], hukou_type="non_agricultural",
    )  # fmt: skip
    marriage = registry.record_marriage(actor=admin, husband=husband, wife=wife, date=d(2020, 1, 1))
    return Couple(husband, wife, marriage)


@pytest.fixture
def couple(cast) -> Couple:
    return make_couple(cast)


def new_application(cast, couple: Couple, order: int = 1, actor=None, **extra):
    return actions.create_application(
        actor=actor or cast.township_staff, wife=couple.wife, husband=couple.husband,
        child_order=order, **extra,
    )  # fmt: skip


def tick_all(cast, application, actor=None) -> None:
    for code in application.documents.values_list("code", flat=True):
        actions.check_document(
            actor=actor or cast.township_staff, application=application, code=code
        )


# How to reach each state: (procedure's child order, actions in order)
PATHS: dict[tuple[str, str], list[str]] = {
    (rules.REGISTRATION, rules.DRAFT): [],
    (rules.REGISTRATION, rules.SUBMITTED): ["submit"],
    (rules.REGISTRATION, rules.REGISTERED): ["submit", "register"],
    (rules.REGISTRATION, rules.REJECTED): ["submit", "reject"],
    (rules.REGISTRATION, rules.WITHDRAWN): ["withdraw"],
    (rules.REGISTRATION, rules.CANCELLED): ["submit", "register", "cancel"],
    (rules.APPROVAL, rules.DRAFT): [],
    (rules.APPROVAL, rules.SUBMITTED): ["submit"],
    (rules.APPROVAL, rules.REVIEWED): ["submit", "review"],
    (rules.APPROVAL, rules.APPROVED): ["submit", "review", "approve"],
    (rules.APPROVAL, rules.REJECTED): ["submit", "review", "reject"],
    (rules.APPROVAL, rules.WITHDRAWN): ["submit", "withdraw"],
    (rules.APPROVAL, rules.CANCELLED): ["submit", "review", "approve", "cancel"],
}
ORDER_FOR = {rules.REGISTRATION: 2, rules.APPROVAL: 4}  # today: up to 3 are registered


def application_in(cast, couple: Couple, procedure: str, state: str) -> BirthApplication:
    application = new_application(cast, couple, ORDER_FOR[procedure])
    assert application.procedure == procedure
    tick_all(cast, application)
    for action in PATHS[(procedure, state)]:
        application = actions.transition(
            actor=cast.district_admin, application=application, action=action, reason="理由"
        )
    assert application.state == state
    return application
