"""The lively demo district: about 20,000 simulated residents loaded through the real loader,
with one account per role on real units of the generated district."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from renkou.core.demo import DemoLogin, create_accounts
from renkou.core.models import OrgUnit
from renkou.registry.loading.loader import load_directory
from renkou.simulate import simulate_district


def load_simulated_demo(
    *, persons: int = 20_000, seed: int = 2026
) -> tuple[list[DemoLogin], object]:
    """Simulate, load, and create the demo accounts; returns the logins and the load report."""
    out = Path(settings.DATA_DIR) / "demo-district"
    simulate_district(out, persons=persons, seed=seed, feeds=True)
    report = load_directory(out)
    return create_accounts(_slots()), report


def _slots() -> dict[str, OrgUnit]:
    """Real units for the accounts: the district, a street and a town (or the second
    township), a community under the first and a village under the second."""
    district = OrgUnit.objects.filter(level=1).order_by("code").first()
    townships = list(district.children.filter(closed_on__isnull=True).order_by("code"))
    streets = [t for t in townships if t.kind == "street"] or townships
    rural = [t for t in townships if t.kind in ("town", "township")] or townships[1:] or townships
    township, township2 = streets[0], rural[0]
    return {
        "district": district,
        "township": township,
        "township2": township2,
        "village": _first_child(township),
        "village2": _first_child(township2),
    }


def _first_child(unit: OrgUnit) -> OrgUnit:
    return unit.children.filter(closed_on__isnull=True).order_by("code").first() or unit
