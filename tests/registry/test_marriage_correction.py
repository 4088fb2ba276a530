"""Correcting a marriage record: validated as recording one, history kept, events follow,
and the birth-policy classification of the couple's children is recomputed."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from renkou.lib.scoping import OutOfScope
from renkou.policy.models import BirthClassification
from renkou.registry import actions as registry
from renkou.registry.models import Event, EventKind, EventState

d = datetime.date


def _couple(cast):
    admin = cast.district_admin
    husband = registry.register_person(
        actor=admin, name="朱一", sex="M", birth_date=d(1960, 1, 1),
        residence_unit=cast.units["group"], hukou_unit=cast.units["group"],
        hukou_type="agricultural",
    )  # fmt: skip
    wife = registry.register_person(
        actor=admin, name="秦一", sex="F", birth_date=d(1962, 1, 1),
        residence_unit=cast.units["group"], hukou_unit=cast.units["group"],
        hukou_type="agricultural",
    )  # fmt: skip
    marriage = registry.record_marriage(actor=admin, husband=husband, wife=wife, date=d(1990, 1, 1))
    child = registry.record_birth(
        actor=admin, mother=wife, father=husband, date=d(1987, 6, 1), sex="M", name="朱甲"
    ).person
    return husband, wife, marriage, child


@pytest.mark.django_db
def test_correcting_the_start_flips_the_classification(cast):
    _husband, _wife, marriage, child = _couple(cast)
    assert BirthClassification.objects.get(child=child).status == "outside"
    registry.correct_marriage(
        marriage, start=d(1986, 1, 1), actor=cast.township_staff, reason="结婚证核对"
    )
    row = BirthClassification.objects.get(child=child)
    assert row.status == "within", row.reasons["summary_en"]
    marriage.refresh_from_db()
    assert marriage.start_date == d(1986, 1, 1)
    last = marriage.history.order_by("-history_date").first()
    assert last.history_change_reason == "结婚证核对"
    assert last.history_user == cast.township_staff
    events = Event.objects.filter(marriage=marriage, kind=EventKind.MARRIAGE)
    assert {e.date for e in events.filter(state=EventState.ACTIVE)} == {d(1986, 1, 1)}
    assert events.filter(state=EventState.SUPERSEDED).count() == 2
    # and back again
    registry.correct_marriage(marriage, start=d(1990, 1, 1), actor=cast.district_admin,
                              reason="更正")  # fmt: skip
    assert BirthClassification.objects.get(child=child).status == "outside"


@pytest.mark.django_db
def test_a_divorce_date_can_be_set_and_events_follow(cast):
    _h, _w, marriage, _child = _couple(cast)
    registry.correct_marriage(
        marriage, end=d(2000, 5, 1), end_reason="divorce", actor=cast.district_admin, reason="x"
    )
    divorce = Event.objects.filter(marriage=marriage, kind=EventKind.DIVORCE)
    assert {e.date for e in divorce} == {d(2000, 5, 1)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start": d(1970, 1, 1)}, "husband"),  # under the marriage age
        ({"start": d(2999, 1, 1)}, "start"),  # in the future
        ({"end": d(1985, 1, 1), "end_reason": "divorce"}, "end"),  # before the start
        ({"end": d(2001, 1, 1)}, "end_reason"),  # no reason for the end
    ],
)
def test_refused_corrections_change_nothing(cast, changes, field):
    _h, _w, marriage, child = _couple(cast)
    with pytest.raises(ValidationError) as error:
        registry.correct_marriage(marriage, actor=cast.district_admin, reason="x", **changes)
    assert field in error.value.message_dict
    marriage.refresh_from_db()
    assert (marriage.start_date, marriage.end_date) == (d(1990, 1, 1), None)


@pytest.mark.django_db
def test_overlap_with_another_marriage_is_refused(cast):
    husband, _w, marriage, _child = _couple(cast)
    registry.correct_marriage(marriage, end=d(1995, 1, 1), end_reason="divorce",
                              actor=cast.district_admin, reason="x")  # fmt: skip
    other = registry.register_person(
        actor=cast.district_admin, name="韩二", sex="F", birth_date=d(1965, 1, 1),
        residence_unit=cast.units["group"],
    )  # fmt: skip
    second = registry.record_marriage(
        actor=cast.district_admin, husband=husband, wife=other, date=d(1996, 1, 1)
    )
    with pytest.raises(ValidationError) as error:
        registry.correct_marriage(second, start=d(1994, 1, 1), actor=cast.district_admin,
                                  reason="x")  # fmt: skip
    assert "husband" in error.value.message_dict


@pytest.mark.django_db
def test_scope_and_permission(cast):
    _h, _w, marriage, _child = _couple(cast)
    with pytest.raises(OutOfScope):
        registry.correct_marriage(marriage, start=d(1986, 1, 1), actor=cast.outsider, reason="x")
    with pytest.raises(PermissionDenied):
        registry.correct_marriage(marriage, start=d(1986, 1, 1), actor=cast.auditor, reason="x")
    with pytest.raises(ValidationError):
        registry.correct_marriage(marriage, start=d(1986, 1, 1), actor=cast.district_admin,
                                  reason=" ")  # fmt: skip


@pytest.mark.django_db
def test_an_end_recorded_in_error_can_be_cleared(cast):
    _h, _w, marriage, child = _couple(cast)
    registry.correct_marriage(marriage, end=d(2000, 5, 1), end_reason="divorce",
                              actor=cast.district_admin, reason="x")  # fmt: skip
    registry.correct_marriage(marriage, clear_end=True, actor=cast.district_admin,
                              reason="离婚登记有误")  # fmt: skip
    marriage.refresh_from_db()
    assert (marriage.end_date, marriage.end_reason) == (None, "")
    divorces = Event.objects.filter(marriage=marriage, kind=EventKind.DIVORCE)
    assert not divorces.filter(state=EventState.ACTIVE).exists()
    assert marriage.history.order_by("-history_date").first().history_change_reason == (
        "离婚登记有误"
    )
    with pytest.raises(ValidationError) as error:
        registry.correct_marriage(marriage, clear_end=True, end=d(2001, 1, 1),
                                  actor=cast.district_admin, reason="x")  # fmt: skip
    assert "end" in error.value.message_dict


@pytest.mark.django_db
def test_an_end_cannot_be_cleared_when_a_spouse_married_again(cast):
    husband, _w, marriage, _child = _couple(cast)
    registry.correct_marriage(marriage, end=d(1995, 1, 1), end_reason="divorce",
                              actor=cast.district_admin, reason="x")  # fmt: skip
    other = registry.register_person(
        actor=cast.district_admin, name="韩三", sex="F", birth_date=d(1966, 1, 1),
        residence_unit=cast.units["group"],
    )  # fmt: skip
    registry.record_marriage(actor=cast.district_admin, husband=husband, wife=other,
                             date=d(1997, 1, 1))  # fmt: skip
    for changes in ({"clear_end": True}, {"end": d(1998, 1, 1), "end_reason": "divorce"}):
        with pytest.raises(ValidationError) as error:
            registry.correct_marriage(marriage, actor=cast.district_admin, reason="x", **changes)
        assert "husband" in error.value.message_dict
    marriage.refresh_from_db()
    assert marriage.end_date == d(1995, 1, 1)


@pytest.mark.django_db
def test_a_marriage_with_a_deceased_spouse_keeps_its_end(cast):
    _h, wife, marriage, _child = _couple(cast)
    registry.record_death(actor=cast.district_admin, person=wife, date=d(2010, 3, 1))
    marriage.refresh_from_db()
    wife.refresh_from_db()
    assert marriage.end_date == d(2010, 3, 1)
    with pytest.raises(ValidationError) as error:
        registry.correct_marriage(marriage, clear_end=True, actor=cast.district_admin, reason="x")
    assert "end" in error.value.message_dict
