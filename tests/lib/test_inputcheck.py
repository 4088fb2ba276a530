"""The control-character check every input shares (forms, API schemas, importers)."""

import pytest
from django import forms

from renkou.lib.inputcheck import CheckedFormMixin, ControlCharacterError, check_text
from renkou.lib.inputcheck import control_character as found
from renkou.lib.inputschema import CheckedSchema


@pytest.mark.parametrize(
    "char", ["\x00", "\x0b", "\x1f", "\x7f", "\x85", "\x9f", "\u2028", "\u2029", "\t", "\n", "\r"]
)
def test_single_line_text_refuses_control_characters(char):
    assert found(f"张{char}三") == (2, char)


@pytest.mark.parametrize("char", ["\t", "\n", "\r"])
def test_multi_line_text_may_hold_tabs_and_line_breaks(char):
    assert found(f"第一行{char}第二行", multiline=True) is None


@pytest.mark.parametrize("char", ["\x00", "\x0b", "\x7f", "\x85", "\u2028"])
def test_multi_line_text_still_refuses_the_others(char):
    assert found(f"a{char}", multiline=True) == (2, char)


def test_ordinary_chinese_text_passes():
    assert found("王建国 · 东门社区（1栋）") is None


def test_the_error_names_the_field_and_the_character():
    with pytest.raises(ControlCharacterError) as caught:
        check_text("张\x0b三", "姓名")
    assert "姓名" in caught.value.message_zh and "U+000B" in caught.value.message_zh
    assert "U+000B" in caught.value.message_en


class _Body(CheckedSchema):
    name: str
    reason: str = ""
    aliases: list[str] = []
    phone: str | None = None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "张\x0b三"}, "name"),
        ({"name": "x", "phone": "1\x00"}, "phone"),
        ({"name": "x", "aliases": ["a", "b\u2029"]}, "aliases"),
        ({"name": "x", "reason": "a\x0b"}, "reason"),
    ],
)
def test_api_schemas_refuse_control_characters_naming_the_field(body, field):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        _Body(**body)
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]


def test_api_reasons_may_span_lines():
    assert _Body(name="x", reason="一\n二\t三").reason == "一\n二\t三"


class _Form(CheckedFormMixin, forms.Form):
    name = forms.CharField(label="姓名")
    note = forms.CharField(widget=forms.Textarea, required=False)


def test_forms_refuse_control_characters_on_the_field():
    form = _Form(data={"name": "张\x0b三", "note": "一\n二"})
    assert not form.is_valid()
    assert list(form.errors) == ["name"]
    assert "姓名" in form.errors["name"][0]
    assert _Form(data={"name": "张三", "note": "一\r\n二"}).is_valid()
