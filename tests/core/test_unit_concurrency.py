"""Two first imports of the same units at once (`renkou load`, `units import`): the unique
code makes a duplicate impossible and the loser gets a clear rejection, never an
IntegrityError traceback."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db.models.query import QuerySet

from renkou.core import actions
from renkou.core.models import OrgUnit
from renkou.core.unit_import import import_units
from tests.concurrency import run_at_once
from tests.core.test_unit_import import DISTRICT, GROUP, TOWN, TREE_REVERSED, VILLAGE, write_csv


@pytest.mark.django_db
def test_a_code_created_meanwhile_is_a_clear_validation_error(cast):
    district = OrgUnit.objects.get(code=DISTRICT)
    actions.create_unit(actor=None, parent=district, code=TOWN, name="新镇", kind="town")
    # the existence check ran before the other import wrote (the race, made deterministic)
    race = mock.patch.object(QuerySet, "exists", return_value=False)
    with race, pytest.raises(ValidationError) as raised:
        actions.create_unit(actor=None, parent=district, code=TOWN, name="新镇", kind="town")
    assert "code" in raised.value.message_dict
    assert OrgUnit.objects.filter(code=TOWN).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_first_imports_make_each_unit_once(cast, tmp_path):
    path = write_csv(tmp_path / "units.csv", TREE_REVERSED)
    results = run_at_once(lambda: import_units(path, partial=True), 2)
    assert not [r for r in results if isinstance(r, BaseException)], results
    for code in (TOWN, VILLAGE, GROUP):
        assert OrgUnit.objects.filter(code=code).count() == 1
