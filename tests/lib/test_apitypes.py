"""lib.apitypes: dates only as "YYYY-MM-DD" strings, bodies only as JSON objects, and every
request body of the API built on them (a new endpoint cannot forget it)."""

from __future__ import annotations

import datetime
import typing

import pytest
from ninja import Schema
from pydantic import BaseModel, Field, ValidationError, field_validator

from renkou.lib.apitypes import ApiDate, ApiDateTime, BodySchema, date_within, query_int


class Body(BodySchema):
    day: ApiDate | None = None
    at: ApiDateTime | None = None
    bounded: date_within(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)) | None = None


@pytest.mark.parametrize("value", ["2026-12-07", datetime.date(2026, 12, 7)])
def test_a_date_is_an_iso_string_or_a_date(value):
    assert Body.model_validate({"day": value}).day == datetime.date(2026, 12, 7)


@pytest.mark.parametrize("value", [0, 1.5, True, "0", "20261207", "2026-12-7", "2026-13-01",
                                   "2026-02-29", "2026-12-07T00:00:00", "２０２６-12-07",
                                   datetime.datetime(2026, 12, 7), [2026, 12, 7]])  # fmt: skip
def test_anything_else_is_not_a_date(value):
    with pytest.raises(ValidationError) as error:
        Body.model_validate({"day": value})
    assert error.value.errors()[0]["loc"] == ("day",)


def test_a_datetime_needs_its_offset():
    at = Body.model_validate({"at": "2026-12-07T10:00:00+08:00"}).at
    assert at.utcoffset() == datetime.timedelta(hours=8)
    assert Body.model_validate({"at": "2026-12-07T02:00:00Z"}).at == at
    for value in (0, "2026-12-07T10:00:00", "2026-12-07", "2026-12-07 10:00:00+08:00"):
        with pytest.raises(ValidationError):
            Body.model_validate({"at": value})


def test_a_bounded_date_names_its_range():
    with pytest.raises(ValidationError, match="1900-01-01 and 2100-12-31"):
        Body.model_validate({"bounded": "2101-01-01"})
    schema = Body.model_json_schema()["properties"]["bounded"]["anyOf"][0]
    assert schema["format"] == "date" and "1900-01-01" in schema["description"]


@pytest.mark.parametrize("value", [[], [{"day": "2026-12-07"}], 0, "x", None, True])
def test_a_body_is_an_object(value):
    with pytest.raises(ValidationError, match="JSON object"):
        Body.model_validate(value)


def test_a_plain_ninja_schema_reads_an_array_as_an_empty_object():
    """Why BodySchema exists: ninja's Schema reads any value through attribute access."""

    class Plain(Schema):
        name: str | None = None

    assert Plain.model_validate([]).name is None


def _models(annotation) -> list[type]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found = []
    for arg in typing.get_args(annotation):
        found += _models(arg)
    return found


def test_every_request_body_of_the_api_is_a_body_schema():
    from renkou.api.urls import api

    api.get_openapi_schema()  # resolves the routers' operations
    bodies = {}
    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for model in operation.models:
                    if getattr(model, "__ninja_param_source__", None) != "body":
                        continue
                    for field in model.model_fields.values():
                        for body in _models(field.annotation):
                            bodies[f"{operation.methods} {path} {body.__name__}"] = body
    assert len(bodies) >= 17
    plain = [name for name, body in bodies.items() if not issubclass(body, BodySchema)]
    assert not plain, plain


class _Filter(BaseModel):
    unit: int | None = Field(None, ge=1)

    _digits = field_validator("unit", mode="before")(query_int)


def test_a_query_number_keeps_its_bounds_in_the_schema():
    schema = _Filter.model_json_schema()["properties"]["unit"]["anyOf"][0]
    assert schema == {"type": "integer", "minimum": 1}


@pytest.mark.parametrize("value", ["12", 12])
def test_a_query_number_is_digits(value):
    assert _Filter(unit=value).unit == 12


@pytest.mark.parametrize("value", ["", " ", " 12", "+12", "12.0", "1_2", "１２", "1e3", True])
def test_a_query_number_is_nothing_else(value):
    with pytest.raises(ValidationError):
        _Filter(unit=value)
