"""Schemathesis against /api/v1/openapi.json, in process through the WSGI application.

For each operation Hypothesis generates valid and invalid requests (bounded and
derandomised, so CI sees the same examples on every run), sends them as the district admin,
and checks that nothing answers 5xx, that each status code is one the schema declares, and
that each body matches the schema declared for its status.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from renkou.core.models import OrgUnit
from renkou.wsgi import application

# Loaded at collection time; the schema view needs neither a user nor the database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_in_test_transaction(db):
    """Keep Django's WSGI handler from closing the test's connection around each request.

    The handler fires request_started/finished, whose close_old_connections drops a
    connection that is inside a transaction. SQLite's in-memory test database ignores that,
    but on PostgreSQL it would end the test's transaction (and with it the cast). Django's
    own test client disconnects the same receiver for the same reason.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _aim(case, unit_ids: list[int]) -> None:
    """Point most generated ids at real units, so handlers get past the 404.

    A generated integer n picks unit_ids[n % (len + 3)]; the three spare slots keep some
    ids as generated (almost always missing ones). Deterministic, so shrinking still works.
    """

    def pick(value):
        if isinstance(value, int) and not isinstance(value, bool):
            slot = value % (len(unit_ids) + 3)
            if slot < len(unit_ids):
                return unit_ids[slot]
        return value

    if case.path_parameters and "unit_id" in case.path_parameters:
        case.path_parameters["unit_id"] = pick(case.path_parameters["unit_id"])
    if isinstance(case.body, dict) and "parent_id" in case.body:
        case.body["parent_id"] = pick(case.body["parent_id"])


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("RENKOU_FUZZ_EXAMPLES", "25")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case, cast, wsgi_in_test_transaction):
    unit_ids = sorted(OrgUnit.objects.values_list("pk", flat=True))
    _aim(case, unit_ids)
    headers = {"Authorization": f"Bearer {cast.tokens['district_admin']}"}
    # Each example starts from the cast as built: its writes are rolled back (a savepoint),
    # so examples do not depend on each other and a database error cannot poison the rest.
    with transaction.atomic():
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    case.validate_response(response, checks=CHECKS, headers=headers)
