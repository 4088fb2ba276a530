"""Parent–child links (`loading.links`)."""

from __future__ import annotations

from renkou.registry.loading.loader import load_directory
from renkou.registry.models import ParentChild
from tests.registry.loading.data import LINKS, by_key, write_directory


def test_a_second_biological_mother_is_rejected_naming_the_first(cast, tmp_path):
    links = [*LINKS, ("P05", "P06", "", "")]  # P06's mother is P04 (line 7)
    report = load_directory(write_directory(tmp_path / "second-mother", links=links))
    assert [(r.file, r.line, r.key, r.field, r.code, r.reason) for r in report.rejected] == [
        (
            "parent_child.csv", len(links) + 1, "P05>P06", "parent_key", "second_parent",
            "该子女已有亲生母亲（第7行） / the child already has a biological mother (line 7)",
        )
    ]  # fmt: skip
    assert not ParentChild.objects.filter(parent=by_key("P05")).exists()
    assert ParentChild.objects.filter(parent=by_key("P04"), child=by_key("P06")).exists()
