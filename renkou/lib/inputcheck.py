"""One check for every text that comes in: no control characters.

A control character typed or pasted into a field (``"张\\u000b三"``), a NUL byte or a Unicode
line separator is never a legitimate part of a name, an address or a code. Stored, it breaks
exports (XLSX cannot hold it), PostgreSQL refuses NUL outright, and a line separator splits a
"single" line in every report. So every input refuses them, with a message naming the field:

* Django forms: :class:`CheckedFormMixin` (in ``core.forms.StyledForm`` and every other form);
* the API: :class:`CheckedSchema`, the base of every input schema (``lib.inputschema``);
* importers (the bulk loader, ``units import``, policy and programme files): :func:`check_text`
  or :func:`control_character` per cell, naming the column and the line.

Refused everywhere: C0 controls (U+0000–U+001F), DEL (U+007F), C1 controls (U+0080–U+009F),
the Unicode line and paragraph separators (U+2028, U+2029), lone surrogates and the
non-characters U+FFFE/U+FFFF. A *multi-line* field (a textarea: reasons, notes, objections)
may hold tab, line feed and carriage return; a single-line field may not.
"""

from __future__ import annotations

import re
from typing import Any

from renkou.lib.i18n import pick

__all__ = [
    "MULTILINE_FIELDS",
    "RE2_MULTI_LINE",
    "RE2_SINGLE_LINE",
    "ControlCharacterError",
    "check_data",
    "model_max_length",
    "posted_text",
    "check_text",
    "control_character",
    "describe",
]

_ALWAYS = "\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff"
_SINGLE_LINE = re.compile(f"[\x00-\x1f{_ALWAYS}]")
_MULTI_LINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_ALWAYS}]")

# The same sets in RE2 syntax, for pyarrow.compute.match_substring_regex over whole columns
# (UTF-8 in Arrow cannot hold a lone surrogate, so those need no test there).
RE2_SINGLE_LINE = r"[\x00-\x1f\x7f-\x{9f}\x{2028}\x{2029}\x{fffe}\x{ffff}]"
RE2_MULTI_LINE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x{9f}\x{2028}\x{2029}\x{fffe}\x{ffff}]"

# API input fields that may span lines (the forms decide by their widget, a Textarea).
MULTILINE_FIELDS = frozenset({"reason", "note", "notes", "text", "resolution", "comment"})

_NAMES = {"\t": "制表符 tab", "\n": "换行符 line feed", "\r": "回车符 carriage return",
          "\x00": "空字符 NUL", "\u2028": "行分隔符 line separator",
          "\u2029": "段分隔符 paragraph separator"}  # fmt: skip


def control_character(text: str, *, multiline: bool = False) -> tuple[int, str] | None:
    """(1-based position, character) of the first refused character in `text`, or None."""
    match = (_MULTI_LINE if multiline else _SINGLE_LINE).search(text)
    if match is None:
        return None
    return match.start() + 1, match.group()


def describe(char: str) -> str:
    """``U+000B`` (with a name for the usual ones), as shown in messages."""
    code = f"U+{ord(char):04X}"
    name = _NAMES.get(char)
    return f"{code} {name}" if name else code


class ControlCharacterError(ValueError):
    """A text holds a refused character; ``message_zh`` / ``message_en`` name the field."""

    code = "control_character"

    def __init__(self, field: str, position: int, char: str) -> None:
        self.field = field
        self.position = position
        self.char = char
        shown = describe(char)
        self.message_zh = (
            f"“{field}”含有不允许的控制字符（第{position}个字符，{shown}），请删除后重试"
        )
        self.message_en = (
            f"{field} contains a control character that is not allowed "
            f"(character {position}, {shown}); remove it and try again"
        )
        super().__init__(f"{self.message_zh} / {self.message_en}")

    def message(self) -> str:
        """In the active language."""
        return pick(self.message_zh, self.message_en)


def check_text(value: Any, field: str, *, multiline: bool = False) -> Any:
    """`value` unchanged, or ControlCharacterError if it is text holding a refused character
    (lists and tuples of text are checked item by item)."""
    if isinstance(value, str):
        found = control_character(value, multiline=multiline)
        if found is not None:
            raise ControlCharacterError(field, *found)
    elif isinstance(value, list | tuple):
        for item in value:
            check_text(item, field, multiline=multiline)
    return value


def check_data(data: Any, where: str = "") -> None:
    """Every text (keys included) inside parsed JSON, single-line; ControlCharacterError
    naming the path (``rule[2].label_zh``) of the first one holding a refused character."""
    if isinstance(data, str):
        check_text(data, where or "(text)")
    elif isinstance(data, dict):
        for key, value in data.items():
            path = f"{where}.{key}" if where else str(key)
            check_text(str(key), path)
            check_data(value, path)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            check_data(value, f"{where}[{index}]")


def model_max_length(model: Any, field_name: str) -> int:
    """The ``max_length`` of ``model.field_name`` (`lib` imports no models: pass the class)."""
    limit = model._meta.get_field(field_name).max_length
    if limit is None:
        raise ValueError(f"{model.__name__}.{field_name} has no max_length")
    return int(limit)


def posted_text(
    data: Any, name: str, *, max_length: int, label: str = "", multiline: bool = True
) -> str:
    """A text a view reads from ``request.POST`` without a form: stripped, free of control
    characters and at most `max_length` long, or a Django ValidationError on `name` (the
    views that read raw POST values already show an action's ValidationError)."""
    from django.core.exceptions import ValidationError

    value = (data.get(name) or "").strip()
    shown = label or name
    try:
        check_text(value, shown, multiline=multiline)
    except ControlCharacterError as error:
        raise ValidationError({name: [error.message()]}, code=error.code) from None
    if len(value) > max_length:
        raise ValidationError(
            {
                name: [
                    pick(
                        f"“{shown}”不能超过{max_length}个字符（现有{len(value)}个）",
                        f"{shown} must be at most {max_length} characters (it has {len(value)})",
                    )
                ]
            },
            code="max_length",
        )
    return value


class CheckedFormMixin:
    """For Django forms: every cleaned text value is checked (a Textarea field may span lines);
    a refused one is a field error naming the field, before `clean()` sees the value."""

    def _clean_fields(self) -> None:
        super()._clean_fields()  # type: ignore[misc]
        from django import forms
        from django.core.exceptions import ValidationError

        for name, field in self.fields.items():  # type: ignore[attr-defined]
            if name not in self.cleaned_data:  # type: ignore[attr-defined]
                continue
            multiline = isinstance(field.widget, forms.Textarea)
            label = str(field.label or name)
            try:
                check_text(self.cleaned_data[name], label, multiline=multiline)  # type: ignore[attr-defined]
            except ControlCharacterError as error:
                self.add_error(  # type: ignore[attr-defined]
                    name, ValidationError(error.message(), code=error.code)
                )


def checked_model_form() -> type:
    """A ModelForm base with the check, for `ModelAdmin.form` (built on first use, so that
    importing this module needs no configured Django)."""
    from django import forms

    global _CHECKED_MODEL_FORM
    if _CHECKED_MODEL_FORM is None:
        _CHECKED_MODEL_FORM = type("CheckedModelForm", (CheckedFormMixin, forms.ModelForm), {})
    return _CHECKED_MODEL_FORM


_CHECKED_MODEL_FORM: type | None = None
