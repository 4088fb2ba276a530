"""`renkou demo`: a simulated district loaded through the real loader, with working logins."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from renkou.core.models import User
from renkou.registry.models import Person


@pytest.mark.django_db(transaction=True)
def test_demo_loads_a_lively_district(settings, tmp_path, client):
    settings.DATA_DIR = tmp_path
    out = io.StringIO()
    call_command("demo", persons=3000, stdout=out)
    printed = out.getvalue()
    assert "qu_admin" in printed and "Renkou-demo-2026" in printed and "Bearer rk_" in printed
    assert Person.objects.count() > 2500
    grid = User.objects.get(username="dm_grid")
    village = grid.assignments.get().unit
    assert Person.objects.filter(unit__path__startswith=village.path).exists()
    signed_in = client.post(
        "/accounts/login/", {"username": "dm_grid", "password": "Renkou-demo-2026"}
    )
    assert signed_in.status_code == 302
    page = client.get("/units/").content.decode()
    assert village.name in page
    again = io.StringIO()
    call_command("demo", if_empty=True, stdout=again)
    assert "demo kept" in again.getvalue() and Person.objects.count() > 2500
