"""Issue 13 items 7 and 9 on the benefit pages that read a text without a form: an over-long
or control-character resolution is refused with a message (never a 500 on PostgreSQL, never
stored over the column's length on SQLite)."""

import pytest
from django.urls import reverse

from renkou.benefits import actions
from renkou.benefits.models import Case, Objection
from tests.benefits.conftest import D
from tests.benefits.world import build_world


@pytest.fixture
def world(cast):
    return build_world(cast)


def _client(client, cast):
    client.force_login(cast.district_admin, backend="renkou.core.backends.RoleBackend")
    return client


@pytest.mark.parametrize("resolution", ["不" * 501, "不成\x00立", "不成\x0b立"])
def test_objection_resolution_is_checked(client, cast, world, resolution):
    candidate = world.posted.candidates.first()
    objection = actions.record_objection(
        actor=None, candidate=candidate, text="核实", raised_on=D(2024, 1, 6)
    )
    response = _client(client, cast).post(
        reverse("benefits-objection-settle", args=[objection.pk]),
        {"upheld": "0", "resolution": resolution},
    )
    assert response.status_code == 302
    objection = Objection.objects.get(pk=objection.pk)
    assert objection.resolution == "" and objection.outcome != "rejected"


@pytest.mark.parametrize("resolution", ["已" * 501, "已\x00处理"])
def test_case_resolution_is_checked(client, cast, world, resolution):
    response = _client(client, cast).post(
        reverse("benefits-case-resolve", args=[world.case.pk]), {"resolution": resolution}
    )
    assert response.status_code == 302
    case = Case.objects.get(pk=world.case.pk)
    assert (case.status, case.resolution) == ("open", "")
