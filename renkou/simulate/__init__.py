"""Synthetic district and department feeds with ground truth (issue 4).

``simulate_district(out, persons=…, seed=…)`` writes a registry load directory; see
``docs/simulation.md``.  Importing the package is cheap: numpy and pyarrow load on first use.
"""

from __future__ import annotations

from typing import Any


def simulate_district(out: Any, **options: Any) -> Any:
    """See :func:`renkou.simulate.district.simulate_district`."""
    from renkou.simulate.district import simulate_district as run

    return run(out, **options)


__all__ = ["simulate_district"]
