"""The base of every API input schema, and text fields sized from the model they fill.

* :class:`CheckedSchema`: a django-ninja ``Schema`` whose every text field (and list of text)
  is checked by :mod:`renkou.lib.inputcheck` — a control character is a 422 naming the field,
  never a stored value or a database error. Fields named in ``MULTILINE_FIELDS`` (reason,
  note, …) may hold tab and line breaks. ``tests/api/test_input_schemas.py`` proves every body
  of every endpoint is one.
* :func:`model_text`: a ``Field`` whose ``max_length`` is the model field's, so an over-long
  value is a 422 on SQLite and PostgreSQL alike (SQLite would store it, PostgreSQL answer
  500). `lib` imports no models: the caller passes the model class.
"""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from pydantic import ValidationInfo, field_validator

from renkou.lib.inputcheck import MULTILINE_FIELDS, check_text, model_max_length

__all__ = ["CheckedSchema", "model_max_length", "model_text"]

# PostgreSQL text cannot hold NUL: documented in the schema too (CheckedSchema enforces it).
NO_NUL = r"^[^\x00]*$"


class CheckedSchema(Schema):
    """Every text field refuses control characters (see the module docstring)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        name = info.field_name or ""
        return check_text(value, name, multiline=name in MULTILINE_FIELDS)


def model_text(model: Any, field_name: str, default: Any = "", **extra: Any) -> Any:
    """A text ``Field`` no longer than the model field it fills."""
    return Field(default, max_length=model_max_length(model, field_name), pattern=NO_NUL, **extra)
