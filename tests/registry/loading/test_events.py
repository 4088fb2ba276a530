"""Events (`loading.events`)."""

from __future__ import annotations

from renkou.registry.loading.loader import load_directory
from renkou.registry.models import Event, ParentChild
from tests.registry.loading.data import (
    by_key,
    d,
    event,
    person,
    write_directory,
)


def test_unusual_mother_age_is_a_warning_and_a_flag(cast, tmp_path):
    persons = [
        person("Y01", "陈母", "F", d(1960, 1, 1), seq=41),
        person("Y02", "陈子", "M", d(2012, 6, 1), seq=42),  # the mother was 52
    ]
    directory = write_directory(
        tmp_path / "old-mother",
        persons=persons,
        links=[],
        marriages=[],
        events=[event("EY", "birth", "2012-06-01", "Y02", mother_key="Y01")],
        households=[],
    )
    report = load_directory(directory)
    assert report.rejected == []
    assert [w.code for w in report.warnings] == ["mother_age_unusual"]
    assert Event.objects.get(source_key="EY").flags == ["mother_age_unusual"]
    assert ParentChild.objects.filter(parent=by_key("Y01"), child=by_key("Y02")).exists()
