"""Duplicate applications cannot be made, not even by simultaneous requests: the partial
unique indexes over the couple (or the mother) and the child order, and the same clear 422
as the check in `create_application` gives."""

from __future__ import annotations

import json
import time
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from renkou.births import actions, rules
from renkou.births.models import BirthApplication
from tests.births.conftest import make_couple, new_application
from tests.concurrency import run_at_once
from tests.conftest import api_headers

BASE = "/api/v1/births/applications"


@pytest.mark.django_db(transaction=True)
def test_simultaneous_posts_make_exactly_one_draft(cast):
    couple = make_couple(cast)
    body = json.dumps(
        {"wife_id": couple.wife.pk, "husband_id": couple.husband.pk, "child_order": 1}
    )
    headers = api_headers(cast, "township_staff")

    def post() -> int:
        response = Client().post(BASE, body, content_type="application/json", **headers)
        return response.status_code

    evaluate = actions._apply_evaluation

    def slow_evaluation(application):  # widens the window between the check and the insert
        time.sleep(0.2)
        return evaluate(application)

    with mock.patch.object(actions, "_apply_evaluation", side_effect=slow_evaluation):
        statuses = run_at_once(post, 6)
    assert sorted(map(str, statuses)) == ["201", "422", "422", "422", "422", "422"], statuses
    assert BirthApplication.objects.filter(wife=couple.wife, child_order=1).count() == 1


@pytest.mark.django_db
def test_a_duplicate_that_passed_the_check_is_refused_with_the_check_message(cast):
    """The race made deterministic: the second request's check ran before the first wrote."""
    couple = make_couple(cast)
    new_application(cast, couple, 1)
    real = actions._check_not_duplicate
    calls: list[int] = []

    def check_too_early(*args) -> None:  # the first check sees nothing yet
        calls.append(1)
        if len(calls) > 1:
            real(*args)

    early = mock.patch.object(actions, "_check_not_duplicate", side_effect=check_too_early)
    with early, pytest.raises(ValidationError) as raised:
        new_application(cast, couple, 1)
    assert "child_order" in raised.value.message_dict
    assert BirthApplication.objects.filter(wife=couple.wife, child_order=1).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_active_application(cast):
    couple = make_couple(cast)
    first = new_application(cast, couple, 1)
    fields = {
        "wife": couple.wife, "child_order": 1, "applied_on": first.applied_on,
        "unit": first.unit, "procedure": first.procedure,
    }  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        BirthApplication.objects.create(husband=couple.husband, **fields)
    # an unmarried applicant: no husband, still one per mother and order
    BirthApplication.objects.filter(pk=first.pk).update(husband=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        BirthApplication.objects.create(husband=None, **fields)
    # a final state frees the order again
    BirthApplication.objects.filter(pk=first.pk).update(state=rules.WITHDRAWN)
    BirthApplication.objects.create(husband=None, **fields)


@pytest.mark.django_db
def test_withdrawn_application_does_not_block_a_new_one(cast):
    couple = make_couple(cast)
    first = new_application(cast, couple, 1)
    actions.withdraw(actor=cast.township_staff, application=first)
    assert new_application(cast, couple, 1).state == rules.DRAFT


@pytest.mark.django_db(transaction=True)
def test_simultaneous_creates_through_the_action_make_exactly_one_draft(cast):
    couple = make_couple(cast)
    evaluate = actions._apply_evaluation

    def slow_evaluation(application):  # widens the window between the check and the insert
        time.sleep(0.2)
        return evaluate(application)

    with mock.patch.object(actions, "_apply_evaluation", side_effect=slow_evaluation):
        results = run_at_once(lambda: new_application(cast, couple, 1), 6)
    made = [r for r in results if isinstance(r, BirthApplication)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert (len(made), len(refused)) == (1, 5), results
    assert BirthApplication.objects.filter(wife=couple.wife, child_order=1).count() == 1
