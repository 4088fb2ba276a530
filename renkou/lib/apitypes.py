"""Strict API input types shared by every app's ninja schemas.

pydantic's lax mode reads a number as a date (seconds since 1970: `"date": 0` is 1970-01-01)
and accepts "2020-01-01T00:00:00" for a date; django-ninja's `Schema` reads any JSON value as
an object through attribute access, so a JSON array (or number, or string) passed as the body
of an endpoint whose fields are all optional was accepted as an empty object. These types
accept only what the OpenAPI schema documents:

* `ApiDate`: a string "YYYY-MM-DD" (ASCII digits, a real calendar day); `date` objects pass
  through, so output schemas built from model instances can use it too.
* `ApiDateTime`: an RFC 3339 date-time string ("2026-12-07T10:00:00+08:00"); `datetime`
  objects pass through.
* `BodySchema`: the base of every request-body schema: only a JSON object is a body.
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any

from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ModelWrapValidatorHandler,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from renkou.lib.inputschema import CheckedSchema

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
RFC3339_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def strict_date(value: Any) -> datetime.date:
    """A date from a date object or an ISO string "YYYY-MM-DD"; nothing else."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "date_from_datetime_parsing", "Input is not a valid calendar day"
            ) from None
    raise PydanticCustomError("date_type", "Input should be a date string YYYY-MM-DD")


def strict_datetime(value: Any) -> datetime.datetime:
    """A datetime from a datetime object or an RFC 3339 string with its offset; nothing else."""
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and RFC3339_DATETIME.fullmatch(value):
        try:
            return datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError:
            raise PydanticCustomError(
                "datetime_from_date_parsing", "Input is not a valid date and time"
            ) from None
    raise PydanticCustomError(
        "datetime_type", "Input should be a date-time string YYYY-MM-DDThh:mm:ss±hh:mm"
    )


ApiDate = Annotated[datetime.date, BeforeValidator(strict_date)]

DIGITS = re.compile(r"[0-9]+")


def strict_int(value: Any) -> int:
    """A whole number from an int or from ASCII digits (a query string's "12"); not "",
    " 12", "+12", "12.0" or "1_2", which pydantic's lax mode would take."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and DIGITS.fullmatch(value):
        return int(value)
    raise PydanticCustomError("int_parsing", "Input should be a whole number written in digits")


def query_int(value: Any) -> int | None:
    """For a list filter's number, as `field_validator(NAME, mode="before")(query_int)`: digits
    only, and no empty value (the pages leave an HTML form's empty fields out before
    validating, core.filters.filters_from_query). A validator on the field rather than an
    annotated type, so that the schema keeps its minimum and maximum."""
    return None if value is None else strict_int(value)


def date_within(first: datetime.date, last: datetime.date) -> Any:
    """An `ApiDate` between `first` and `last`. JSON Schema has no bounds for a date string,
    so the range is a rule (a 422 naming it) and the field's description states it."""

    def check(value: datetime.date) -> datetime.date:
        if not first <= value <= last:
            raise ValueError(f"the date must lie between {first} and {last}")
        return value

    return Annotated[
        datetime.date,
        BeforeValidator(strict_date),
        AfterValidator(check),
        Field(description=f"A date from {first} to {last}."),
    ]


ApiDateTime = Annotated[datetime.datetime, BeforeValidator(strict_datetime)]


class BodySchema(CheckedSchema):
    """A request body: a JSON object with the documented fields, never an array or a scalar;
    its text refuses control characters (`lib.inputschema.CheckedSchema`)."""

    # Replaces ninja's own wrap validator of the same name (which wraps any value in a
    # DjangoGetter, so that a list reads as an object with every field missing): refuse what
    # is not an object first, then do as ninja does.
    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler, info: ValidationInfo
    ) -> Any:
        if not isinstance(values, dict | cls):
            raise PydanticCustomError("model_type", "Input should be a JSON object")
        if cls.model_config.get("extra") == "forbid" or cls.model_config.get(
            "validate_assignment", False
        ):
            handler(values)
        return handler(DjangoGetter(values, cls, info.context))
