"""Demo district: classify every registry birth of the demo district (`renkou demo`).

The same bulk action as `renkou policy classify`; the counts are printed by the demo command.
"""

from __future__ import annotations

from renkou.core.models import OrgUnit
from renkou.policy import actions
from renkou.policy.models import Status

Line = tuple[str, str]  # (Chinese, English)


def populate(*, district: OrgUnit | None = None) -> list[Line]:
    """Classify every birth of `district` (all births when None); one line per outcome."""
    report = actions.classify_all(unit=district)
    statuses = "，".join(f"{_zh(k)} {v:,}" for k, v in sorted(report.by_status.items()))
    statuses_en = ", ".join(f"{k} {v:,}" for k, v in sorted(report.by_status.items()))
    return [
        (
            f"已分类 {report.births:,} 个出生（{statuses}）",
            f"{report.births:,} births classified ({statuses_en})",
        )
    ]


def _zh(status: str) -> str:
    """The Chinese term in a label such as "within the regime (政策内)"."""
    label = str(Status(status).label) if status in Status.values else status
    return label.rsplit("(", 1)[-1].rstrip(")")
