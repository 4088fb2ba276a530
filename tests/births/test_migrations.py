"""births 0002 adds the one-active-application-per-order constraint; a database that ran
before it may hold the duplicates it forbids (issue 13), so the migration first cancels all
but the most advanced of each set, with a transition row naming the one kept."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from renkou.births.models import BirthApplication, Transition
from tests.births.conftest import make_couple, new_application
from tests.conftest import build_cast

BEFORE = ("births", "0001_birth_applications")


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_duplicates_made_before_the_constraint_are_cancelled_and_the_furthest_kept():
    cast = build_cast()
    couple = make_couple(cast)
    first = new_application(cast, couple, order=2)
    executor = _migrate([BEFORE])
    try:
        old = executor.loader.project_state([BEFORE]).apps.get_model("births", "BirthApplication")
        copies = []
        for state in ("submitted", "draft"):
            row = old.objects.get(pk=first.pk)
            row.pk = None
            row.state = state
            row.save()
            copies.append(row.pk)
        # the same couple's other order is no duplicate and stays as it is
        other = old.objects.get(pk=first.pk)
        other.pk, other.child_order = None, 3
        other.save()
    finally:
        executor = MigrationExecutor(connection)
        _migrate(executor.loader.graph.leaf_nodes())

    states = dict(BirthApplication.objects.values_list("pk", "state"))
    submitted, second_draft = copies
    assert states[submitted] == "submitted"  # the furthest along is kept
    assert states[first.pk] == "cancelled"
    assert states[second_draft] == "cancelled"
    assert states[other.pk] == "draft"
    notes = Transition.objects.filter(
        application_id__in=[first.pk, second_draft], to_state="cancelled"
    )
    assert notes.count() == 2
    assert all(str(submitted) in note.note for note in notes)
