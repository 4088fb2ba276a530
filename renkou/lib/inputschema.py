"""The base of every API input schema, and text fields sized from the model they fill.

* :class:`CheckedSchema`: a django-ninja ``Schema`` whose every text field (and list of text)
  is checked by :mod:`renkou.lib.inputcheck` — a control character is a 422 naming the field,
  never a stored value or a database error. Fields named in ``MULTILINE_FIELDS`` (reason,
  note, …) may hold tab and line breaks. ``tests/api/test_input_schemas.py`` proves every body
  of every endpoint is one.
* :func:`model_max_length` (from :mod:`renkou.lib.inputcheck`): the schemas size their text
  fields from the model field they fill, so an over-long value is a 422 on SQLite and
  PostgreSQL alike (SQLite would store it, PostgreSQL answer 500). `lib` imports no models:
  the caller passes the model class.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ValidationInfo, field_validator

from renkou.lib.inputcheck import MULTILINE_FIELDS, check_text, model_max_length

__all__ = ["NO_NUL", "CheckedSchema", "model_max_length"]

# PostgreSQL text cannot hold NUL: documented in the schema too (CheckedSchema enforces it).
NO_NUL = r"^[^\x00]*$"


class CheckedSchema(Schema):
    """Every text field refuses control characters (see the module docstring)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        name = info.field_name or ""
        return check_text(value, name, multiline=name in MULTILINE_FIELDS)
