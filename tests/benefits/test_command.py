"""`renkou benefits load|qualify|programmes`."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from renkou.benefits.models import Cycle

pytestmark = pytest.mark.django_db


def test_load_is_idempotent_and_qualify_runs_every_programme(cast, village):
    out = io.StringIO()
    call_command("benefits", "load", stdout=out)
    assert "新建 0" in out.getvalue() or "created 0" in out.getvalue()
    out = io.StringIO()
    call_command("benefits", "qualify", "all", "2025", "--unit", "510199000000", stdout=out)
    assert Cycle.objects.filter(year=2025).count() == 6
    assert "农村部分计划生育家庭奖励扶助" in out.getvalue() or "rural" in out.getvalue().lower()
    jiangfu = Cycle.objects.get(programme__code="jiangfu", year=2025)
    assert jiangfu.candidates.count() == 4
    with pytest.raises(CommandError):
        call_command("benefits", "qualify", "jiangfu", "2025", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("benefits", "qualify", "nope", "2025", "--unit", "510199000000")


def test_dry_run_writes_nothing(cast, village):
    call_command("benefits", "qualify", "jiangfu", "2025", "--unit", "510199000000", "--dry-run",
                 stdout=io.StringIO())  # fmt: skip
    assert not Cycle.objects.exists()
