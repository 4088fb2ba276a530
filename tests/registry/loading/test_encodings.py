"""Issue 13 item 10: the encoding of a load file is detected (charset-normalizer), not
guessed. A simulated district's persons.csv in Big5 (or Shift-JIS) is refused naming the
encoding and how to convert it — before, 1,938 garbled names were loaded — while the same
file in UTF-8, UTF-8 with BOM and GB18030 still loads, on both databases."""

from __future__ import annotations

import shutil

import pytest

from renkou.core.models import OrgUnit
from renkou.lib import formats
from renkou.lib.formats import TableError
from renkou.registry.loading.loader import LoadError, load_directory
from renkou.registry.models import Person

PERSONS = 400


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    from renkou.simulate import simulate_district

    directory = tmp_path_factory.mktemp("district")
    simulate_district(directory, persons=PERSONS, seed=13, error_profile="clean")
    return directory


def _directory(simulated, target, encoding: str, *, drop_unencodable: bool = False):
    """units, households and persons of the simulated district, persons.csv re-encoded."""
    target.mkdir()
    for name in ("units.csv", "households.csv"):
        shutil.copy(simulated / name, target / name)
    lines = (simulated / "persons.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [b"\xef\xbb\xbf"] if encoding == "utf-8-sig" else []
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    for line in lines:
        try:
            kept.append(line.encode(codec))
        except UnicodeEncodeError:
            # Simplified characters Big5/Shift-JIS lack: a real file in those encodings
            # would not hold them either; the row is left out of the fixture.
            if not drop_unencodable:
                raise
    (target / "persons.csv").write_bytes(b"".join(kept))
    return target, len(kept) - 1 - (encoding == "utf-8-sig")


@pytest.mark.parametrize(
    ("encoding", "label"), [("big5", "Big5"), ("shift_jis", "Shift-JIS"), ("euc_kr", "EUC-KR")]
)
def test_a_persons_file_in_another_encoding_is_refused_by_name(
    cast_db, simulated, tmp_path, encoding, label
):
    directory, rows = _directory(simulated, tmp_path / encoding, encoding, drop_unencodable=True)
    assert rows > 50  # a realistic file, not a handful of bytes
    with pytest.raises(LoadError) as caught:
        load_directory(directory)
    assert label in caught.value.message_zh and "UTF-8" in caught.value.message_zh
    assert label in caught.value.message_en
    assert not Person.objects.exists()
    assert not OrgUnit.objects.exists()  # refused before the units file was imported


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_the_simulated_persons_file_loads_in_utf8_and_gb18030(
    cast_db, simulated, tmp_path, encoding
):
    directory, rows = _directory(simulated, tmp_path / encoding, encoding)
    report = load_directory(directory)
    persons = report.counts["persons"]
    assert (persons.read, persons.rejected) == (rows, 0)
    expected = {
        line.split(",")[0]: line.split(",")[2]
        for line in (simulated / "persons.csv").read_text(encoding="utf-8").splitlines()[1:]
    }
    assert dict(Person.objects.values_list("source_key", "name")) == expected


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("姓名,社区", "gb18030"),
        ("代码,名称,类型\n510199001001,东门社区,社区\n", "gb18030"),
        ("姓名\n張偉\n陳淑芬\n黃志明\n", "big5"),
    ],
)
def test_short_files(text, encoding):
    data = text.encode(encoding)
    if encoding == "gb18030":
        assert formats.detect_encoding(data) == "gb18030"
    else:  # too short to tell Big5 from EUC-KR for sure: refused, never read as GB18030
        with pytest.raises(TableError, match="UTF-8 或 GB18030"):
            formats.detect_encoding(data)


@pytest.fixture
def cast_db(db):
    """The org units the simulated district's persons live in come from its units.csv."""
    return None
