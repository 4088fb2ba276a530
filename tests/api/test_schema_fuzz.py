"""Schemathesis against /api/v1/openapi.json, in process through the WSGI application.

For each operation Hypothesis generates valid and invalid requests (bounded and
derandomised, so CI sees the same examples on every run), sends them as the district admin,
and checks that nothing answers 5xx, that each status code is one the schema declares, that
each body matches the schema declared for its status, that every schema-violating request is
refused and that a schema-valid one is refused only for scope, permission or a named rule.
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
    negative_data_rejection,
    positive_data_acceptance,
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
# The fuzzer generates schema-valid (positive) and schema-violating (negative) requests.
# "Schema-violating request accepted": a negative case must be refused (4xx).
# "Schema-valid request rejected": a positive case may be refused only for a reason the schema
# cannot express (scope, permission, or a domain rule: a 422 naming the rule, checked below).
FUZZ_CHECKS = [*CHECKS, negative_data_rejection, positive_data_acceptance]
schema.config.checks.positive_data_acceptance.expected_statuses = [
    "2xx", "401", "403", "404", "409", "422"
]  # fmt: skip


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
    case.validate_response(response, checks=FUZZ_CHECKS, headers=headers)
    if response.status_code == 422 and case.meta.generation.mode.is_positive:
        _assert_names_a_domain_rule(response.json()["detail"])


def _assert_names_a_domain_rule(detail) -> None:
    """A refused schema-valid request names the rule it broke: messages by field from the
    action's ValidationError, or a rule of the API's own validators (pydantic `value_error`,
    with its message). A built-in pydantic error (a length, a bound, a type) on a schema-valid
    request would be a constraint the schema does not document."""
    if isinstance(detail, dict):
        assert detail and all(isinstance(m, list) and m and all(m) for m in detail.values())
        return
    assert detail and all(e["type"] == "value_error" and e["msg"] for e in detail), detail


# --- inputs the database cannot store ------------------------------------------------------
# Each of these answered 500 on SQLite or PostgreSQL before api.py declared the limits (the
# fuzzer above finds the `page` overflow at ~200 examples; the rest were found by probing).
# Listed explicitly so the regression is caught within the bounded run.

NUL = "\x00"
LIST, CHANGES = "GET /api/v1/units", "GET /api/v1/units/{unit_id}/changes"
CREATE, RENAME = "POST /api/v1/units", "PATCH /api/v1/units/{unit_id}"
MOVE, CLOSE = "POST /api/v1/units/{unit_id}/move", "POST /api/v1/units/{unit_id}/close"
R500, R501 = "r" * 500, "r" * 501  # OrgUnitChange.reason; history stores it as text


def _building(**fields) -> dict:
    return {
        "parent_id": "village",
        "code": "510199001001003",
        "name": "楼",
        "kind": "building",
    } | fields


# (operation, unit key for {unit_id}, query, body, expected status, field named in the 422)
EDGE_CASES = [
    pytest.param(LIST, None, {"q": f"东门{NUL}"}, None, 422, "q", id="list-q-nul"),
    pytest.param(LIST, None, {"kind": NUL}, None, 422, "kind", id="list-kind-nul"),
    pytest.param(
        LIST, None, {"code_prefix": f"5101{NUL}"}, None, 422, "code_prefix", id="list-prefix-nul"
    ),
    pytest.param(LIST, None, {"page": 2**71}, None, 422, "page", id="list-page-overflow"),
    pytest.param(LIST, None, {"page": 10**9}, None, 200, None, id="list-page-max"),
    pytest.param(LIST, None, {"page_size": 2**71}, None, 200, None, id="list-page-size-huge"),
    pytest.param(LIST, None, {"parent": 2**64}, None, 422, "parent", id="list-parent-overflow"),
    pytest.param(LIST, None, {"level": 2**64}, None, 422, "level", id="list-level-huge"),
    pytest.param(CHANGES, "huge", None, None, 404, None, id="changes-id-overflow"),
    pytest.param(
        RENAME, "village", None, {"name": f"东门{NUL}"}, 422, "name", id="rename-name-nul"
    ),
    pytest.param(RENAME, "village", None, {"reason": NUL}, 422, "reason", id="rename-reason-nul"),
    pytest.param(
        RENAME, "village", None, {"name": "东", "reason": R500}, 200, None, id="rename-reason-500"
    ),
    pytest.param(
        RENAME,
        "village",
        None,
        {"name": "东", "reason": R501},
        422,
        "reason",
        id="rename-reason-501",
    ),
    pytest.param(
        CLOSE, "group", None, {"reason": f"拆{NUL}"}, 422, "reason", id="close-reason-nul"
    ),
    pytest.param(CLOSE, "group", None, {"reason": R500}, 200, None, id="close-reason-500"),
    pytest.param(
        MOVE, "village2", None, {"parent_id": 2**64}, 404, None, id="move-parent-overflow"
    ),
    pytest.param(
        MOVE,
        "village2",
        None,
        {"parent_id": "township2", "reason": R501},
        422,
        "reason",
        id="move-reason-501",
    ),
    pytest.param(CREATE, None, None, _building(name=f"楼{NUL}"), 422, "name", id="create-name-nul"),
    pytest.param(CREATE, None, None, _building(reason=R501), 422, "reason", id="create-reason-501"),
    pytest.param(CREATE, None, None, _building(reason=R500), 201, None, id="create-reason-500"),
]


@pytest.mark.parametrize(("label", "unit_key", "query", "body", "status", "field"), EDGE_CASES)
def test_input_the_database_cannot_take_is_refused(
    cast, wsgi_in_test_transaction, label, unit_key, query, body, status, field
):
    method, path = label.split(" ", 1)
    kwargs = {}
    if unit_key is not None:
        unit_id = 2**64 if unit_key == "huge" else cast.units[unit_key].pk
        kwargs["path_parameters"] = {"unit_id": unit_id}
    if query is not None:
        kwargs["query"] = query
    if body is not None:
        parent = body.get("parent_id")
        kwargs["body"] = body | (
            {"parent_id": cast.units[parent].pk} if parent in cast.units else {}
        )
    case = schema[path][method].Case(**kwargs)
    headers = {"Authorization": f"Bearer {cast.tokens['district_admin']}"}
    response = case.call(headers=headers)
    assert response.status_code == status, response.text
    case.validate_response(response, checks=CHECKS, headers=headers)
    if field is not None:
        assert field in {error["loc"][-1] for error in response.json()["detail"]}
