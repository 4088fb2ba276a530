"""Marriages (`loading.marriages`)."""

from __future__ import annotations

from renkou.registry.loading.loader import load_directory
from renkou.registry.models import Marriage
from tests.registry.loading.data import MARRIAGES, write_directory


def test_a_husband_recorded_as_female_is_rejected(cast, tmp_path):
    marriages = [*MARRIAGES, ("M02", "P04", "P03", "2004-01-01", "", "", "", "")]
    report = load_directory(write_directory(tmp_path / "swapped", marriages=marriages))
    assert [(r.file, r.line, r.key, r.field, r.code, r.reason) for r in report.rejected] == [
        (
            "marriages.csv", 3, "M02", "husband_key", "husband_sex",
            "丈夫的性别不是男 / the husband is not recorded as male",
        )
    ]  # fmt: skip
    assert set(Marriage.objects.values_list("source_key", flat=True)) == {"M01"}
