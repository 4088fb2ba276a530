"""A small known data set for the analytics tests, built through the registry's actions.

Two townships of the cast district (东城街道 = 510199001000, 青山镇 = 510199101000).
Ages are given on 2024-07-01 (the middle day of 2024) and 2024-12-31 (its last day).

东城街道, 东门社区1栋 (group 510199001001001):
  h1 M 1990-01-01; m1 F 1994-03-01 (30 mid-year; group 30-34)
      births: 2020-05-01 F (order 1); 2024-02-10 M (order 2; mother aged 29)
  h2 M 1998-01-01; m2 F 2000-09-15 (23; group 20-24)
      births: 2024-06-01 twins M, M (orders 1 and 2; mother aged 23)
  h3 M 1984-01-01; m3 F 1985-12-31 (38; group 35-39)
      births: 2024-11-20 F (order 1; mother aged 38)
  w4 F 1975-01-01 (49; group 45-49), no births
  old M 1940-05-05, died 2024-03-01
  leaver M 1980-01-01, moved out with the registration 2024-08-01 (present mid-year only)
  outflow M 1992-02-02, moved out 2022-05-01 without the registration (流出, present)
东城街道, 东门社区2栋 (group 510199001001002):
  migrant F 1999-01-01 (25), lives here, registration elsewhere; moved in 2023-03-01 (流入)
青山镇, 青山村一组 (group 510199101201001):
  h5 M 1989-01-01; m5 F 1990-06-30 (34; group 30-34)
      births: 2018-03-03 M (order 1); 2024-01-15 M (order 2; mother aged 33)

Marriages 2015-01-01, but h2 and m2 2023-01-01.
Births recorded (recorded_at set by hand): 2024-02-10 → +10 days, twins 2024-06-01 → +40
days each, 2024-11-20 → +5 days, 2024-01-15 → +31 days; the older births → +3 days.
Policy classifications set by hand: 2024-02-10 within, twins within and outside,
2024-11-20 unknown, 2024-01-15 outside.
Birth applications and a benefit programme are added through renkou/births and
renkou/benefits' actions (add_birth_registrations, add_benefits; values in
test_births_benefits.py); they add no persons or events.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import timezone

from renkou.registry.models import Event, Person

d = datetime.date


@dataclass
class Known:
    persons: dict[str, Person] = field(default_factory=dict)
    snapshot: Path | None = None


def build_known(cast) -> Known:
    from renkou.policy.models import BirthClassification
    from renkou.registry import actions as registry

    admin = cast.district_admin
    group, group2, group3 = cast.units["group"], cast.units["group2"], cast.units["group3"]
    known = Known()
    seq = iter(range(1, 100))

    def person(key: str, sex: str, born: datetime.date, unit, **extra) -> Person:
        from tests.conftest import make_id

        extra.setdefault("residence_unit", unit)
        extra.setdefault("hukou_unit", unit)
        known.persons[key] = registry.register_person(
            actor=admin, name=key, sex=sex, birth_date=born,
            id_number=make_id(born, sex, seq=next(seq)), hukou_type="agricultural", **extra,
        )  # fmt: skip
        return known.persons[key]

    def couple(h: str, hb, m: str, mb, unit, married=None) -> tuple[Person, Person]:
        husband, wife = person(h, "M", hb, unit), person(m, "F", mb, unit)
        married = married or d(2015, 1, 1)
        registry.record_marriage(actor=admin, husband=husband, wife=wife, date=married)
        return husband, wife

    births: list[tuple[Event, int, str]] = []

    def birth(key, mother, father, day, sex, delay, status=None, plurality=1):
        event = registry.record_birth(
            actor=admin, mother=mother, father=father, date=day, sex=sex, name=key,
            plurality=plurality,
        )  # fmt: skip
        known.persons[key] = event.person
        births.append((event, delay, status))

    h1, m1 = couple("h1", d(1990, 1, 1), "m1", d(1994, 3, 1), group)
    h2, m2 = couple("h2", d(1998, 1, 1), "m2", d(2000, 9, 15), group, d(2023, 1, 1))
    h3, m3 = couple("h3", d(1984, 1, 1), "m3", d(1985, 12, 31), group)
    h5, m5 = couple("h5", d(1989, 1, 1), "m5", d(1990, 6, 30), group3)
    birth("c1a", m1, h1, d(2020, 5, 1), "F", 3)
    birth("c1b", m1, h1, d(2024, 2, 10), "M", 10, "within")
    birth("c2a", m2, h2, d(2024, 6, 1), "M", 40, "within", plurality=2)
    birth("c2b", m2, h2, d(2024, 6, 1), "M", 40, "outside", plurality=2)
    birth("c3a", m3, h3, d(2024, 11, 20), "F", 5, "unknown")
    birth("c5a", m5, h5, d(2018, 3, 3), "M", 3)
    birth("c5b", m5, h5, d(2024, 1, 15), "M", 31, "outside")
    person("w4", "F", d(1975, 1, 1), group)
    old = person("old", "M", d(1940, 5, 5), group)
    registry.record_death(actor=admin, person=old, date=d(2024, 3, 1))
    leaver = person("leaver", "M", d(1980, 1, 1), group)
    registry.record_move_out(
        actor=admin, person=leaver, date=d(2024, 8, 1), division_to="110105", moves_hukou=True
    )
    outflow = person("outflow", "M", d(1992, 2, 2), group)
    registry.record_move_out(actor=admin, person=outflow, date=d(2022, 5, 1), division_to="110105")
    migrant = person(
        "migrant", "F", d(1999, 1, 1), group2, hukou_unit=None, hukou_division="511302001001"
    )
    registry.record_move_in(
        actor=admin, person=migrant, date=d(2023, 3, 1), residence_unit=group2,
        division_from="511302001001",
    )  # fmt: skip
    for event, delay, status in births:
        recorded = datetime.datetime.combine(
            event.date + datetime.timedelta(days=delay), datetime.time(12)
        )
        Event.objects.filter(pk=event.pk).update(
            recorded_at=timezone.make_aware(recorded, datetime.UTC)
        )
        BirthClassification.objects.filter(child=event.person).delete()
        if status:
            BirthClassification.objects.create(
                child=event.person, mother=event.mother, father=event.father,
                birth_date=event.date, status=status, facts_digest="test",
                computed_at=timezone.now(),
            )  # fmt: skip
    add_birth_registrations(cast, known)
    add_benefits(cast)
    for value in known.persons.values():
        value.refresh_from_db()
    return known


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def add_birth_registrations(cast, known: Known) -> None:
    """Applications through renkou.births' actions; the workflow stamps today, so the
    submission and issue dates are then set by hand (as recorded_at above)."""
    from renkou.births import actions as births
    from renkou.births.models import BirthApplication, Transition
    from tests.births.conftest import tick_all

    admin = cast.district_admin
    p = known.persons
    plan = [  # wife, husband, order, applied, submitted, issued, then
        ("m3", "h3", 2, d(2024, 3, 1), d(2024, 3, 4), d(2024, 3, 20), None),
        ("m5", "h5", 3, d(2024, 5, 1), d(2024, 5, 6), d(2024, 7, 15), None),
        ("m1", "h1", 3, d(2024, 9, 1), d(2024, 9, 2), d(2024, 9, 12), "cancel"),
        ("m2", "h2", 3, d(2024, 10, 1), d(2024, 10, 1), None, None),
    ]
    for wife, husband, order, applied, submitted, issued, then in plan:
        app = births.create_application(
            actor=admin, wife=p[wife], husband=p[husband], child_order=order, applied_on=applied
        )
        tick_all(cast, app, actor=admin)
        births.submit(actor=admin, application=app)
        Transition.objects.filter(application=app, action="submit").update(at=_at(submitted))
        if issued is None:
            continue
        births.register(actor=admin, application=app)
        Transition.objects.filter(application=app, action="register").update(at=_at(issued))
        BirthApplication.objects.filter(pk=app.pk).update(issued_on=issued)
        if then == "cancel":
            app.refresh_from_db()
            births.cancel(actor=admin, application=app, reason="test")


BENEFIT_CODE = "t-women"


def add_benefits(cast) -> None:
    """A district programme for women aged 33+ with their household registration here:
    m3, w4 (东城街道) and m5 (青山镇) qualify in 2024 (600 yuan each, 50/30/20% central,
    provincial, local); the roster's lines of m3 and w4 are paid, m5's failed."""
    from renkou.benefits import actions as benefits
    from renkou.benefits.models import RosterLine
    from tests.benefits.conftest import run_to_approval

    district = cast.unit("district")
    programme = benefits.save_programme(
        actor=cast.district_admin, code=BENEFIT_CODE, unit=district, name_zh="测试补助",
        name_en="test allowance", source="test",
        rule=[{"block": "alive"}, {"block": "in_district", "of": "hukou"},
              {"block": "sex", "sex": "F"}, {"block": "age_at_least", "years": 33}],
        amounts=[{"from": "2020-01-01", "monthly": 50}],
        cost_shares={"central": 0.5, "provincial": 0.3, "local": 0.2},
    )  # fmt: skip
    cycle = run_to_approval(cast, programme, 2024)
    roster = benefits.build_roster(actor=None, cycle=cycle, unit=district)
    lines = RosterLine.objects.filter(roster=roster)
    lines.filter(person__name="m5").update(status="failed", failure_reason="test")
    lines.exclude(person__name="m5").update(status="paid")


@pytest.fixture
def known(cast, tmp_path) -> Known:
    from renkou.analytics.snapshot import build_snapshot

    data = build_known(cast)
    data.snapshot = build_snapshot(tmp_path / "snapshot").path
    return data
