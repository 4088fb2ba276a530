"""The grid actions: create, rename, move, close, merge, split; their permissions and history."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from renkou.core import actions, queries
from renkou.core.models import Assignment, ChangeType, OrgUnit, OrgUnitChange
from renkou.lib.scoping import OutOfScope

DAY = datetime.date(2024, 6, 1)


def error_fields(caught: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(caught.value.message_dict)


def subtree_codes(unit: OrgUnit) -> set[str]:
    return set(queries.subtree(unit).values_list("code", flat=True))


# --- create --------------------------------------------------------------------------------


def test_create_unit_sets_level_path_and_records_the_change(cast):
    township = cast.unit("township")
    unit = actions.create_unit(
        actor=cast.district_admin,
        parent=township,
        code="510199001003",
        name=" 南门社区 ",
        kind="community",
        opened_on=DAY,
        reason="新建社区",
    )
    unit.refresh_from_db()
    assert (unit.level, unit.name, unit.parent_id) == (3, "南门社区", township.pk)
    assert unit.path == f"{township.path}{unit.pk:07d}."
    change = OrgUnitChange.objects.get(unit=unit)
    assert (change.change_type, change.effective_on, change.actor) == (
        ChangeType.CREATE,
        DAY,
        cast.district_admin,
    )
    assert change.after == {"code": "510199001003", "name": "南门社区", "parent": township.pk}


@pytest.mark.parametrize(
    ("code", "kind", "field"),
    [
        ("51019900100", "community", "code"),  # 11 digits
        ("5101990010AB", "community", "code"),  # not digits
        ("510199002003", "community", "code"),  # not under 510199001000
        ("510199001000", "community", "code"),  # a level-2 code at level 3
        ("510199001001", "community", "code"),  # already used (东门社区)
        ("510199001003", "street", "kind"),  # a street is level 2
    ],
)
def test_create_unit_validation_names_the_field(cast, code, kind, field):
    before = OrgUnit.objects.count()
    with pytest.raises(ValidationError) as caught:
        actions.create_unit(
            actor=None, parent=cast.unit("township"), code=code, name="新社区", kind=kind
        )
    assert error_fields(caught) == {field}
    assert OrgUnit.objects.count() == before


def test_create_unit_requires_a_name_and_an_open_parent(cast):
    with pytest.raises(ValidationError) as caught:
        actions.create_unit(
            actor=None, parent=cast.unit("township"), code="510199001003", name="  ", kind="village"
        )
    assert error_fields(caught) == {"name"}

    village2 = actions.close_unit(actor=None, unit=cast.unit("village2"), closed_on=DAY)
    with pytest.raises(ValidationError) as caught:
        actions.create_unit(
            actor=None, parent=village2, code="510199001002001", name="一栋", kind="building"
        )
    assert error_fields(caught) == {"parent"}


def test_create_unit_below_a_group_is_refused(cast):
    with pytest.raises(ValidationError) as caught:
        actions.create_unit(
            actor=None, parent=cast.unit("group"), code="510199001001001", name="x", kind="group"
        )
    assert error_fields(caught) == {"parent"}


def test_create_unit_scope_and_permission(cast):
    # Township staff may add units in their own township …
    unit = actions.create_unit(
        actor=cast.township_staff,
        parent=cast.unit("village"),
        code="510199001001003",
        name="东门社区3栋",
        kind="building",
    )
    assert unit.parent_id == cast.units["village"].pk
    # … not in another township (404, as if it did not exist) …
    with pytest.raises(OutOfScope):
        actions.create_unit(
            actor=cast.township_staff,
            parent=cast.unit("village3"),
            code="510199101201002",
            name="青山村二组",
            kind="group",
        )
    # … and a grid worker may not add units at all, even in their own village.
    with pytest.raises(PermissionDenied):
        actions.create_unit(
            actor=cast.grid_worker,
            parent=cast.unit("village"),
            code="510199001001004",
            name="东门社区4栋",
            kind="building",
        )
    # Only the operator creates districts.
    with pytest.raises(PermissionDenied):
        actions.create_unit(
            actor=cast.district_admin, parent=None, code="510197", name="新区", kind="district"
        )


# --- rename --------------------------------------------------------------------------------


def test_rename_records_change_and_history_and_unit_on_reads_it_back(cast):
    village = cast.unit("village")
    actions.rename_unit(
        actor=cast.district_admin,
        unit=village,
        name="东门新社区",
        effective_on=DAY,
        reason="村改居更名",
    )
    village.refresh_from_db()
    assert village.name == "东门新社区"

    change = OrgUnitChange.objects.get(unit=village, change_type=ChangeType.RENAME)
    assert change.before == {"name": "东门社区"}
    assert change.after == {"name": "东门新社区"}
    assert (change.effective_on, change.reason, change.actor) == (
        DAY,
        "村改居更名",
        cast.district_admin,
    )

    latest = village.history.order_by("-history_id").first()
    assert latest.name == "东门新社区"
    assert latest.history_change_reason == "村改居更名"
    assert latest.history_user_id == cast.district_admin.pk

    assert queries.unit_on(village, DAY - datetime.timedelta(days=1)).name == "东门社区"
    assert queries.unit_on(village, DAY).name == "东门新社区"
    assert queries.unit_on(village, DAY + datetime.timedelta(days=30)).name == "东门新社区"
    assert queries.unit_on(village, datetime.date(1999, 12, 31)) is None  # opened 2000-01-01


def test_rename_to_the_same_name_records_nothing(cast):
    before = OrgUnitChange.objects.count()
    actions.rename_unit(actor=None, unit=cast.unit("village"), name=" 东门社区 ")
    assert OrgUnitChange.objects.count() == before


def test_rename_permission_and_scope(cast):
    with pytest.raises(PermissionDenied):
        actions.rename_unit(actor=cast.grid_worker, unit=cast.unit("village"), name="改名")
    with pytest.raises(Http404) as caught:
        actions.rename_unit(actor=cast.outsider, unit=cast.unit("village"), name="改名")
    assert not isinstance(caught.value, PermissionDenied)
    assert cast.unit("village").name == "东门社区"


# --- move ----------------------------------------------------------------------------------


def test_move_rewrites_the_subtree_paths(cast):
    village = cast.unit("village")
    township, township2 = cast.unit("township"), cast.unit("township2")
    old_parent_id = village.parent_id

    actions.move_unit(
        actor=cast.district_admin,
        unit=village,
        new_parent=township2,
        effective_on=DAY,
        reason="区划调整",
    )

    village.refresh_from_db()
    assert village.parent_id == township2.pk
    assert village.path == f"{township2.path}{village.pk:07d}."
    for key in ("group", "group2"):
        child = cast.unit(key)
        assert child.path.startswith(township2.path)
        assert child.path.startswith(village.path)
        assert child.parent_id == village.pk

    tree_codes = {node.unit.code for node in queries.unit_tree(cast.district_admin, township2)}
    assert {"510199001001", "510199001001001", "510199001001002"} <= tree_codes
    old_tree = {node.unit.code for node in queries.unit_tree(cast.district_admin, township)}
    assert old_tree == {"510199001000", "510199001002"}
    assert subtree_codes(township2) == {
        "510199101000",
        "510199101201",
        "510199101201001",
        "510199001001",
        "510199001001001",
        "510199001001002",
    }

    change = OrgUnitChange.objects.get(unit=village, change_type=ChangeType.MOVE)
    assert change.before == {"parent": old_parent_id}
    assert change.after == {"parent": township2.pk}
    assert change.related_unit_id == township2.pk
    assert queries.unit_on(village, DAY - datetime.timedelta(days=1)).parent_id == township.pk
    assert queries.unit_on(village, DAY).parent_id == township2.pk


def test_move_validation(cast):
    village = cast.unit("village")
    with pytest.raises(ValidationError) as caught:  # a village under a district
        actions.move_unit(actor=None, unit=village, new_parent=cast.unit("district"))
    assert error_fields(caught) == {"parent"}
    with pytest.raises(ValidationError) as caught:  # the district has no parent
        actions.move_unit(
            actor=None, unit=cast.unit("district"), new_parent=cast.unit("other_district")
        )
    assert error_fields(caught) == {"parent"}
    assert cast.unit("village").parent_id == cast.units["township"].pk


def test_township_staff_cannot_move_and_outsider_gets_404(cast):
    village = cast.unit("village")
    with pytest.raises(PermissionDenied):
        actions.move_unit(
            actor=cast.township_staff, unit=village, new_parent=cast.unit("township2")
        )
    with pytest.raises(OutOfScope) as caught:
        actions.move_unit(actor=cast.outsider, unit=village, new_parent=cast.unit("township2"))
    assert not isinstance(caught.value, PermissionDenied)
    # A district admin may not move a unit into the neighbouring district either.
    with pytest.raises(OutOfScope):
        actions.move_unit(
            actor=cast.district_admin, unit=village, new_parent=cast.unit("other_township")
        )
    assert cast.unit("village").parent_id == cast.units["township"].pk


# --- close ---------------------------------------------------------------------------------


def test_close_is_refused_while_open_children_exist(cast):
    with pytest.raises(ValidationError) as caught:
        actions.close_unit(actor=cast.district_admin, unit=cast.unit("village"), closed_on=DAY)
    assert error_fields(caught) == {"closed_on"}
    assert cast.unit("village").closed_on is None


def test_close_ends_assignments_and_records_the_change(cast):
    group = cast.unit("group")
    assignment = actions.assign_staff(
        actor=None, user=cast.grid_worker, unit=group, since=datetime.date(2020, 1, 1)
    )
    actions.close_unit(actor=cast.district_admin, unit=group, closed_on=DAY, reason="楼栋拆除")

    group.refresh_from_db()
    assignment.refresh_from_db()
    assert group.closed_on == DAY
    assert assignment.until == DAY
    assert not Assignment.objects.filter(unit=group, until__isnull=True).exists()
    change = OrgUnitChange.objects.get(unit=group, change_type=ChangeType.CLOSE)
    assert change.after == {"closed_on": "2024-06-01"}
    assert change.reason == "楼栋拆除"
    assert queries.unit_on(group, DAY - datetime.timedelta(days=1)).is_open is True
    assert queries.unit_on(group, DAY).is_open is False
    with pytest.raises(ValidationError):
        actions.close_unit(actor=None, unit=group, closed_on=DAY)


def test_close_before_opening_is_refused(cast):
    with pytest.raises(ValidationError) as caught:
        actions.close_unit(actor=None, unit=cast.unit("group"), closed_on=datetime.date(1999, 1, 1))
    assert error_fields(caught) == {"closed_on"}


# --- merge ---------------------------------------------------------------------------------


def test_merge_moves_children_and_staff_and_closes_the_absorbed_unit(cast):
    absorbed, into = cast.unit("village"), cast.unit("village2")
    day = timezone.localdate()
    old_assignment = Assignment.objects.get(
        user=cast.grid_worker, unit=absorbed, until__isnull=True
    )

    result = actions.merge_units(
        actor=cast.district_admin, absorbed=absorbed, into=into, effective_on=day, reason="撤并"
    )

    assert (result.unit.pk, result.children_moved, result.staff_moved) == (into.pk, 2, 1)
    absorbed.refresh_from_db()
    assert absorbed.closed_on == day
    for key in ("group", "group2"):
        child = cast.unit(key)
        assert child.parent_id == into.pk
        assert child.path.startswith(into.path)
        assert queries.unit_on(child, day - datetime.timedelta(days=1)).parent_id == absorbed.pk
        assert queries.unit_on(child, day).parent_id == into.pk

    old_assignment.refresh_from_db()
    assert old_assignment.until == day
    new_assignment = Assignment.objects.get(user=cast.grid_worker, until__isnull=True)
    assert (new_assignment.unit_id, new_assignment.since) == (into.pk, day)

    merges = OrgUnitChange.objects.filter(change_type=ChangeType.MERGE)
    assert {(c.unit_id, c.related_unit_id) for c in merges} == {
        (absorbed.pk, into.pk),
        (into.pk, absorbed.pk),
    }
    assert merges.get(unit=absorbed).after["merged_into"] == into.pk
    assert queries.unit_tree(cast.district_admin, absorbed) == []  # closed, hidden by default


def test_merge_keeps_one_assignment_for_staff_already_on_the_target(cast):
    absorbed, into = cast.unit("village"), cast.unit("village2")
    actions.assign_staff(actor=None, user=cast.grid_worker, unit=into)
    actions.merge_units(actor=None, absorbed=absorbed, into=into)
    active = Assignment.objects.filter(user=cast.grid_worker, until__isnull=True)
    assert [a.unit_id for a in active] == [into.pk]


def test_a_failure_mid_merge_leaves_nothing_changed(cast, monkeypatch):
    absorbed, into = cast.unit("village"), cast.unit("village2")
    paths_before = dict(OrgUnit.objects.values_list("pk", "path"))
    changes_before = OrgUnitChange.objects.count()
    history_before = OrgUnit.history.count()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    # Children have already been moved when the assignments step fails.
    monkeypatch.setattr(actions, "_end_assignments", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        actions.merge_units(actor=cast.district_admin, absorbed=absorbed, into=into)

    assert dict(OrgUnit.objects.values_list("pk", "path")) == paths_before
    assert cast.unit("group").parent_id == absorbed.pk
    assert cast.unit("village").closed_on is None
    assert OrgUnitChange.objects.count() == changes_before
    assert OrgUnit.history.count() == history_before
    assert Assignment.objects.get(user=cast.grid_worker).unit_id == absorbed.pk


def test_merge_validation_and_permissions(cast):
    with pytest.raises(ValidationError) as caught:
        actions.merge_units(actor=None, absorbed=cast.unit("village"), into=cast.unit("township"))
    assert error_fields(caught) == {"into"}
    with pytest.raises(PermissionDenied):
        actions.merge_units(
            actor=cast.township_staff, absorbed=cast.unit("village"), into=cast.unit("village2")
        )
    with pytest.raises(OutOfScope):
        actions.merge_units(
            actor=cast.outsider, absorbed=cast.unit("village"), into=cast.unit("village2")
        )
    with pytest.raises(OutOfScope):  # the target is outside the district admin's scope
        actions.merge_units(
            actor=cast.district_admin,
            absorbed=cast.unit("village"),
            into=cast.unit("other_village"),
        )
    assert cast.unit("village").closed_on is None
    assert not OrgUnitChange.objects.filter(change_type=ChangeType.MERGE).exists()


# --- split ---------------------------------------------------------------------------------


def test_split_gives_listed_children_to_new_siblings(cast):
    village = cast.unit("village")
    group, group2 = cast.unit("group"), cast.unit("group2")
    north, south = actions.split_unit(
        actor=cast.district_admin,
        unit=village,
        parts=[
            actions.SplitPart("510199001003", "东门北社区", "community", (group.pk,)),
            actions.SplitPart("510199001004", "东门南社区", "community", (group2.pk,)),
        ],
        effective_on=DAY,
        close_source=True,
        reason="拆分",
    )

    township = cast.unit("township")
    assert north.parent_id == south.parent_id == township.pk
    assert (north.opened_on, north.level) == (DAY, 3)
    group.refresh_from_db()
    group2.refresh_from_db()
    assert (group.parent_id, group2.parent_id) == (north.pk, south.pk)
    assert group.path.startswith(north.path) and group2.path.startswith(south.path)
    assert cast.unit("village").closed_on == DAY
    assert queries.unit_on(group, DAY - datetime.timedelta(days=1)).parent_id == village.pk
    assert queries.unit_on(group, DAY).parent_id == north.pk
    split_rows = OrgUnitChange.objects.filter(change_type=ChangeType.SPLIT)
    assert split_rows.get(unit=village).after == {"parts": [north.pk, south.pk]}
    assert split_rows.get(unit=north).after == {"split_from": village.pk, "children": [group.pk]}


def test_split_without_close_keeps_the_source_open(cast):
    village = cast.unit("village")
    group = cast.unit("group")
    (new,) = actions.split_unit(
        actor=None,
        unit=village,
        parts=[actions.SplitPart("510199001003", "东门北社区", "community", (group.pk,))],
    )
    assert cast.unit("village").closed_on is None
    assert cast.unit("group").parent_id == new.pk
    assert cast.unit("group2").parent_id == village.pk


def test_split_close_source_requires_every_child(cast):
    village = cast.unit("village")
    units_before = OrgUnit.objects.count()
    with pytest.raises(ValidationError) as caught:
        actions.split_unit(
            actor=None,
            unit=village,
            parts=[
                actions.SplitPart(
                    "510199001003", "东门北社区", "community", (cast.units["group"].pk,)
                )
            ],
            close_source=True,
        )
    assert error_fields(caught) == {"parts"}
    assert OrgUnit.objects.count() == units_before
    assert cast.unit("group").parent_id == village.pk


def test_split_refuses_units_that_are_not_children(cast):
    with pytest.raises(ValidationError) as caught:
        actions.split_unit(
            actor=None,
            unit=cast.unit("village"),
            parts=[actions.SplitPart("510199001003", "x", "community", (cast.units["group3"].pk,))],
        )
    assert error_fields(caught) == {"parts"}


def test_split_bad_part_code_rolls_back_earlier_parts(cast):
    village = cast.unit("village")
    units_before = OrgUnit.objects.count()
    with pytest.raises(ValidationError):
        actions.split_unit(
            actor=None,
            unit=village,
            parts=[
                actions.SplitPart(
                    "510199001003", "东门北社区", "community", (cast.units["group"].pk,)
                ),
                actions.SplitPart("510199002004", "坏代码", "community", ()),  # wrong township
            ],
        )
    assert OrgUnit.objects.count() == units_before
    assert cast.unit("group").parent_id == village.pk


def test_township_staff_cannot_split(cast):
    with pytest.raises(PermissionDenied):
        actions.split_unit(
            actor=cast.township_staff,
            unit=cast.unit("village"),
            parts=[actions.SplitPart("510199001003", "x", "community", ())],
        )
