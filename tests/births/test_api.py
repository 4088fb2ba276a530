"""/api/v1/births/applications: scoped list, create, read, transitions, checklist."""

from __future__ import annotations

import json

import pytest

from renkou.births import actions, rules
from renkou.births.models import BirthApplication
from tests.births.conftest import new_application
from tests.conftest import api_headers

pytestmark = pytest.mark.django_db
BASE = "/api/v1/births/applications"


def _post(client, cast, who, url, body):
    return client.post(url, json.dumps(body), content_type="application/json",
                       **api_headers(cast, who))  # fmt: skip


def _get(client, cast, who, url, **params):
    return client.get(url, params, **api_headers(cast, who))


def test_create_list_get_and_transition(client, cast, couple):
    body = {"wife_id": couple.wife.pk, "husband_id": couple.husband.pk, "child_order": 1,
            "contact_phone": "13800001111", "actual_birth_date": "2026-01-05"}  # fmt: skip
    response = _post(client, cast, "township_staff", BASE, body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "draft" and created["procedure"] == "registration"
    assert created["actual_birth_date"] == "2026-01-05"
    assert created["wife_id_number"] != couple.wife.id_number  # masked
    assert "*" in created["wife_id_number"] and created["contact_phone"] == "138****1111"
    assert created["evaluation"]["regime"]["code"] == "51-three-child-registration"
    assert [d["code"] for d in created["documents"]] == ["id_card", "hukou_book", "marriage_cert"]
    pk = created["id"]
    listed = _get(client, cast, "auditor", BASE).json()
    assert [item["id"] for item in listed["items"]] == [pk]
    assert _get(client, cast, "auditor", f"{BASE}/{pk}").json()["legal_actions"] == [
        "submit", "withdraw"
    ]  # fmt: skip
    for code in ("id_card", "hukou_book", "marriage_cert"):
        done = _post(client, cast, "township_staff", f"{BASE}/{pk}/documents/{code}", {})
        assert done.status_code == 200, done.content
    for action in ("submit", "register"):
        response = _post(client, cast, "township_staff", f"{BASE}/{pk}/transitions",
                         {"action": action, "note": "ok"})  # fmt: skip
        assert response.status_code == 200, response.content
    final = response.json()
    assert final["state"] == "registered" and final["registration_number"]
    assert [t["to_state"] for t in final["transitions"]] == ["draft", "submitted", "registered"]


def test_illegal_transition_is_422_naming_the_states(client, cast, couple):
    application = new_application(cast, couple, 1)
    response = _post(client, cast, "district_admin", f"{BASE}/{application.pk}/transitions",
                     {"action": "approve"})  # fmt: skip
    assert response.status_code == 422
    message = response.json()["detail"]["state"][0]
    assert "草稿" in message and "已审批" in message
    response = _post(client, cast, "district_admin", f"{BASE}/{application.pk}/transitions",
                     {"action": "explode"})  # fmt: skip
    assert response.status_code == 422


def test_filters(client, cast, couple):
    draft = new_application(cast, couple, 1)
    submitted = new_application(cast, couple, 2)
    actions.submit(actor=cast.township_staff, application=submitted)
    ids = [
        i["id"]
        for i in _get(client, cast, "township_staff", BASE, state="submitted").json()["items"]
    ]
    assert ids == [submitted.pk]
    ids = {i["id"] for i in _get(client, cast, "township_staff", BASE,
                                 unit=cast.units["group"].pk).json()["items"]}  # fmt: skip
    assert ids == {draft.pk, submitted.pk}
    ids = _get(client, cast, "township_staff", BASE, unit=cast.units["group2"].pk).json()["items"]
    assert ids == []
    assert _get(client, cast, "township_staff", BASE, state="nonsense").status_code == 422
    page = _get(client, cast, "township_staff", BASE, page_size=1).json()
    assert len(page["items"]) == 1 and page["has_next"] is True


def test_scope_and_permission(client, cast, couple):
    application = new_application(cast, couple, 1)
    pk = application.pk
    # outsider: 404 on everything of ours, and an empty list
    assert _get(client, cast, "outsider", f"{BASE}/{pk}").status_code == 404
    assert _get(client, cast, "outsider", BASE).json()["items"] == []
    assert _post(client, cast, "outsider", f"{BASE}/{pk}/transitions",
                 {"action": "submit"}).status_code == 404  # fmt: skip
    assert _post(client, cast, "outsider", f"{BASE}/{pk}/documents/id_card", {}).status_code == 404
    body = {"wife_id": couple.wife.pk, "husband_id": couple.husband.pk, "child_order": 2}
    assert _post(client, cast, "outsider", BASE, body).status_code == 404
    # auditor: reads, may not write (403)
    assert _get(client, cast, "auditor", f"{BASE}/{pk}").status_code == 200
    assert _post(client, cast, "auditor", BASE, body).status_code == 403
    assert _post(client, cast, "auditor", f"{BASE}/{pk}/transitions",
                 {"action": "submit"}).status_code == 403  # fmt: skip
    assert _post(client, cast, "auditor", f"{BASE}/{pk}/documents/id_card", {}).status_code == 403
    # feed account: no access to applications at all
    assert _get(client, cast, "feed_account", BASE).status_code == 403
    assert _get(client, cast, "feed_account", f"{BASE}/{pk}").status_code == 403
    # township staff: allowed
    assert _get(client, cast, "township_staff", f"{BASE}/{pk}").status_code == 200
    assert _post(client, cast, "township_staff", f"{BASE}/{pk}/transitions",
                 {"action": "submit"}).status_code == 200  # fmt: skip
    assert BirthApplication.objects.get(pk=pk).state == rules.SUBMITTED
    assert client.get(BASE).status_code == 401


def test_missing_and_foreign_answer_alike(client, cast, couple):
    application = new_application(cast, couple, 1)
    foreign = _get(client, cast, "outsider", f"{BASE}/{application.pk}")
    missing = _get(client, cast, "outsider", f"{BASE}/{application.pk + 1000}")
    assert (foreign.status_code, foreign.content) == (missing.status_code, missing.content)


def test_create_validation(client, cast, couple):
    body = {"wife_id": couple.husband.pk, "husband_id": couple.wife.pk, "child_order": 1}
    response = _post(client, cast, "township_staff", BASE, body)
    assert response.status_code == 422
    assert {"wife", "husband"} <= set(response.json()["detail"])
    body = {"wife_id": couple.wife.pk, "child_order": 0}
    assert _post(client, cast, "township_staff", BASE, body).status_code == 422
    body = {"wife_id": couple.wife.pk, "child_order": 1, "contact_name": "x\u0000"}
    assert _post(client, cast, "township_staff", BASE, body).status_code == 422
