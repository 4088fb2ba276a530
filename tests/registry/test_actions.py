"""Registry actions: validation rules, derived state, corrections and deletions."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from renkou.lib.i18n import pick
from renkou.lib.scoping import OutOfScope
from renkou.registry import actions
from renkou.registry.models import Event, EventState, Marriage, ParentChild, Person
from tests.conftest import make_id

d = datetime.date


def test_family_birth_orders(families):
    son, (twin1, twin2) = families.son, families.twins
    assert (son.birth_order_mother, son.parity_mother, son.birth_order_couple) == (1, 1, 1)
    assert {twin1.birth_order_mother, twin2.birth_order_mother} == {2, 3}
    assert twin1.parity_mother == twin2.parity_mother == 2
    assert {twin1.birth_order_couple, twin2.birth_order_couple} == {2, 3}


def test_a_child_who_died_still_counts(cast, families):
    actions.record_death(actor=cast.district_admin, person=families.son, date=d(1995, 1, 1))
    later = actions.record_birth(
        actor=cast.district_admin, mother=families.mother, father=families.father,
        date=d(1996, 8, 8), sex="M", name="王强",
    ).person  # fmt: skip
    later.refresh_from_db()
    assert (later.birth_order_mother, later.parity_mother) == (4, 3)


def test_child_of_another_father_has_own_couple_order(cast, families):
    other = actions.register_person(
        actor=cast.district_admin, name="赵刚", sex="M", birth_date=d(1961, 1, 1),
        residence_unit=cast.units["group"], hukou_unit=cast.units["group"],
    )  # fmt: skip
    child = actions.record_birth(
        actor=cast.district_admin, mother=families.mother, father=other, date=d(1998, 1, 1),
        sex="F", name="赵燕",
    ).person  # fmt: skip
    child.refresh_from_db()
    assert child.birth_order_mother == 4 and child.birth_order_couple == 1
    event = child.events.get(kind="birth")
    assert "birth_before_marriage" not in event.flags  # no marriage with 赵刚 at all


def test_birth_before_marriage_is_allowed_and_flagged(cast):
    admin, group = cast.district_admin, cast.units["group"]
    mother = actions.register_person(
        actor=admin,
        name="陈静",
        sex="F",
        birth_date=d(1990, 1, 1),
        residence_unit=group,
        hukou_unit=group,
    )
    father = actions.register_person(
        actor=admin,
        name="刘洋",
        sex="M",
        birth_date=d(1989, 1, 1),
        residence_unit=group,
        hukou_unit=group,
    )
    actions.record_marriage(actor=admin, husband=father, wife=mother, date=d(2015, 5, 1))
    event = actions.record_birth(
        actor=admin, mother=mother, father=father, date=d(2015, 1, 1), sex="M", name="刘一"
    )
    assert event.flags == ["birth_before_marriage"]


@pytest.mark.parametrize(
    ("mother_birth", "outcome"),
    [
        (d(2002, 6, 2), "rejected"),  # 11 on the birth day
        (d(2002, 6, 1), "flagged"),  # 12
        (d(1999, 6, 2), "flagged"),  # 14
        (d(1999, 6, 1), "clean"),  # 15
        (d(1963, 6, 1), "flagged"),  # 51
        (d(1964, 6, 2), "clean"),  # 49
        (d(1963, 6, 2), "clean"),  # 50
        (d(1954, 6, 1), "flagged"),  # 60
        (d(1953, 6, 1), "rejected"),  # 61
    ],
)
def test_mother_age_limits(cast, mother_birth, outcome):
    admin, group = cast.district_admin, cast.units["group"]
    mother = actions.register_person(
        actor=admin,
        name="孙梅",
        sex="F",
        birth_date=mother_birth,
        residence_unit=group,
        hukou_unit=group,
    )
    birth = d(2014, 6, 1)
    if outcome == "rejected":
        with pytest.raises(ValidationError) as error:
            actions.record_birth(actor=admin, mother=mother, date=birth, sex="F")
        assert "mother" in error.value.message_dict
        return
    event = actions.record_birth(actor=admin, mother=mother, date=birth, sex="F")
    assert event.flags == (["mother_age_unusual"] if outcome == "flagged" else [])


def _refusal(record, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        record(**kwargs)
    return error.value.message_dict


def test_no_event_after_death_or_before_birth(cast, families):
    admin = cast.district_admin
    actions.record_death(actor=admin, person=families.father, date=d(2010, 1, 1))
    after_death = _refusal(
        actions.record_move_out, actor=admin, person=families.father, date=d(2011, 1, 1)
    )
    assert after_death == {
        "date": [pick("日期晚于本人的死亡日期", "the date is after the person's death")]
    }
    before_birth = _refusal(
        actions.record_move_out, actor=admin, person=families.son, date=d(1980, 1, 1)
    )
    assert before_birth == {
        "date": [pick("日期早于本人的出生日期", "the date is before the person's birth")]
    }
    future = _refusal(actions.record_death, actor=admin, person=families.mother, date=d(2099, 1, 1))
    assert future == {"date": [pick("日期不能晚于今天", "the date cannot be in the future")]}


def test_death_sets_status_and_ends_marriage_and_void_reverts(cast, families):
    admin = cast.district_admin
    event = actions.record_death(actor=admin, person=families.father, date=d(2010, 1, 1))
    families.father.refresh_from_db()
    assert (families.father.status, families.father.death_date) == ("deceased", d(2010, 1, 1))
    marriage = Marriage.objects.get(pk=families.marriage.pk)
    assert (marriage.end_date, marriage.end_reason) == (d(2010, 1, 1), "death")
    actions.void_event(actor=admin, event=event, reason="误报")
    families.father.refresh_from_db()
    assert families.father.status == "alive" and families.father.death_date is None
    marriage.refresh_from_db()
    assert marriage.end_date is None
    event.refresh_from_db()
    assert event.state == EventState.VOIDED


def test_correcting_a_birth_date_rederives_orders(cast, families):
    admin = cast.district_admin
    son_birth = families.son.events.get(kind="birth")
    fixed = actions.correct_event(
        actor=admin, event=son_birth, date=d(1991, 2, 14), reason="出生证明更正"
    )
    son = Person.objects.get(pk=families.son.pk)
    assert son.birth_date == d(1991, 2, 14)
    assert son.birth_order_mother == 3 and son.parity_mother == 2
    twin = Person.objects.get(pk=families.twins[0].pk)
    assert twin.parity_mother == 1
    son_birth.refresh_from_db()
    assert son_birth.state == EventState.SUPERSEDED and fixed.supersedes_id == son_birth.pk


def test_voiding_a_birth_removes_it_from_the_orders(cast, families):
    son_birth = families.son.events.get(kind="birth")
    actions.void_event(actor=cast.district_admin, event=son_birth, reason="重复登记")
    twin = Person.objects.get(pk=families.twins[0].pk)
    assert twin.parity_mother == 1
    assert not ParentChild.objects.filter(child=families.son).exists()


def test_marriage_rules(cast, families):
    admin, group = cast.district_admin, cast.units["group"]
    young = actions.register_person(
        actor=admin,
        name="周杰",
        sex="M",
        birth_date=d(2000, 1, 2),
        residence_unit=group,
        hukou_unit=group,
    )
    bride = actions.register_person(
        actor=admin,
        name="吴倩",
        sex="F",
        birth_date=d(2000, 1, 1),
        residence_unit=group,
        hukou_unit=group,
    )
    with pytest.raises(ValidationError) as error:
        actions.record_marriage(actor=admin, husband=young, wife=bride, date=d(2022, 1, 1))
    assert "husband" in error.value.message_dict  # 21 < 22
    marriage = actions.record_marriage(actor=admin, husband=young, wife=bride, date=d(2022, 1, 2))
    assert marriage.husband_kind == "first"
    with pytest.raises(ValidationError) as error:  # already married
        actions.record_marriage(actor=admin, husband=families.son, wife=bride, date=d(2023, 1, 1))
    assert "wife" in error.value.message_dict
    actions.record_divorce(actor=admin, marriage=marriage, date=d(2023, 1, 1))
    again = actions.record_marriage(
        actor=admin, husband=families.son, wife=bride, date=d(2023, 6, 1)
    )
    assert again.wife_kind == "remarriage" and again.husband_kind == "first"


def test_id_number_rules(cast, families):
    admin, group = cast.district_admin, cast.units["group"]
    with pytest.raises(ValidationError) as error:  # duplicate
        actions.register_person(
            actor=admin,
            name="王建国",
            sex="M",
            birth_date=d(1960, 5, 1),
            id_number=families.father.id_number,
            residence_unit=group,
        )
    assert "id_number" in error.value.message_dict
    with pytest.raises(ValidationError) as error:  # birth date disagrees
        actions.register_person(
            actor=admin,
            name="钱多",
            sex="M",
            birth_date=d(1960, 5, 2),
            id_number=make_id(d(1960, 5, 1), "M", seq=9),
            residence_unit=group,
        )
    assert "id_number" in error.value.message_dict
    with pytest.raises(ValidationError):  # sex disagrees
        actions.register_person(
            actor=admin,
            name="钱多",
            sex="F",
            birth_date=d(1960, 5, 1),
            id_number=make_id(d(1960, 5, 1), "M", seq=9),
            residence_unit=group,
        )


def test_floating_status(cast, families):
    migrant = families.migrant
    assert (migrant.floating, migrant.floating_since) == ("inflow", d(2020, 3, 1))
    admin = cast.district_admin
    actions.record_move_out(
        actor=admin, person=families.son, date=d(2015, 3, 1), division_to="440305000000"
    )
    son = Person.objects.get(pk=families.son.pk)
    assert (son.floating, son.floating_since, son.residence_unit_id) == (
        "outflow", d(2015, 3, 1), None)  # fmt: skip
    assert son.unit_id == cast.units["group"].pk  # still kept by the unit of registration
    actions.record_move_out(actor=admin, person=families.migrant, date=d(2022, 1, 1))
    migrant.refresh_from_db()
    assert migrant.status == "moved_away" and migrant.floating == ""


def test_scope_and_permission(cast, families):
    with pytest.raises(OutOfScope):
        actions.record_death(actor=cast.outsider, person=families.father, date=d(2010, 1, 1))
    with pytest.raises(PermissionDenied):
        actions.record_death(actor=cast.auditor, person=families.father, date=d(2010, 1, 1))
    assert not Event.objects.filter(kind="death").exists()


def test_history_keeps_actor_and_reason(cast, families):
    actions.update_person(
        actor=cast.grid_worker, person=families.father, phone="13800001111", reason="电话变更"
    )
    latest = families.father.history.latest()
    assert latest.history_user == cast.grid_worker
    assert latest.history_change_reason == "电话变更"
