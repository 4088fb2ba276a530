"""Scope first, then permission: a unit or roster outside the user's scope answers 404 (as a
missing one would), whatever the user's permissions; a record in scope without the permission
answers 403. Checked on the two URLs that answered 403 first."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.benefits.world import build_world

pytestmark = pytest.mark.django_db


def _as(client, user):
    client.force_login(user, backend="renkou.core.backends.RoleBackend")
    return client


def test_new_unit_page_outside_scope_is_404_for_a_grid_worker(client, cast):
    _as(client, cast.grid_worker)
    for key in ("township", "village3", "other_village"):  # none is the grid worker's
        url = reverse("unit-create", args=[cast.units[key].pk])
        assert client.get(url).status_code == 404, key
        assert client.post(url, {"name": "x"}).status_code == 404, key
    # in scope but without the permission to add units: 403
    assert client.get(reverse("unit-create", args=[cast.units["village"].pk])).status_code == 403
    # a missing unit answers like an out-of-scope one
    assert client.get(reverse("unit-create", args=[999_999])).status_code == 404


def test_roster_pdf_outside_scope_is_404_for_township_staff(client, cast):
    world = build_world(cast)  # the roster is the district's
    url = reverse("benefits-roster-pdf", args=[world.roster.pk])
    # township staff see their township's lines of it, not the whole district's roster
    assert _as(client, cast.township_staff).get(url).status_code == 404
    assert _as(client, cast.grid_worker).get(url).status_code == 404
    # in scope without the permission on roster lines: 403
    assert _as(client, cast.feed_account).get(url).status_code == 403
    response = _as(client, cast.district_staff).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
