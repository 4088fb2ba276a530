"""Issue 13 item 7: a regime or programme file holding a control character is refused naming
the file and the place in it, before anything is loaded."""

import json
import shutil

import pytest

from renkou.benefits import programmes
from renkou.policy import regimes

REGIME = {
    "code": "a", "name_zh": "甲\u000b", "name_en": "a", "scope": "nation",
    "effective_from": "2000-01-01", "base_children": 1, "source": "s",
}  # fmt: skip


def test_a_regime_file_with_a_control_character_is_refused(tmp_path):
    (tmp_path / "national.json").write_text(json.dumps([REGIME]), encoding="utf-8")
    with pytest.raises(regimes.RegimeError) as caught:
        regimes.read_files(tmp_path)
    assert "national.json" in caught.value.message_en
    assert "[0].name_zh" in caught.value.message_en and "U+000B" in caught.value.message_en


def test_a_programme_file_with_a_control_character_is_refused(tmp_path):
    source = programmes.DATA_DIR / "jiangfu.json"
    shutil.copy(source, tmp_path / "jiangfu.json")
    data = json.loads(source.read_text(encoding="utf-8"))
    data["name_zh"] = "奖励\u0000扶助"
    (tmp_path / "jiangfu.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(programmes.ProgrammeFileError) as caught:
        programmes.read_files(tmp_path)
    assert "jiangfu.json" in caught.value.message_zh and "name_zh" in caught.value.message_zh
