"""Issue 13 items 7 and 9, for every input there is and every one added later: each API body
is a `CheckedSchema` (control characters refused) whose text fields all carry a maximum
length; each form checks control characters and bounds its text fields. Then the behaviour on
the database (run on SQLite and PostgreSQL): over-long text and NUL are a 422 naming the
field, the same answer on both, and nothing is stored."""

from __future__ import annotations

import importlib
import inspect
import json
import typing

import pytest
from django import forms
from ninja import Schema

from renkou.core.models import OrgUnit
from renkou.lib.inputcheck import CheckedFormMixin
from renkou.lib.inputschema import CheckedSchema
from renkou.registry.models import Person
from tests.conftest import api_headers


def _schemas_in(annotation: typing.Any) -> list[type]:
    if isinstance(annotation, type) and issubclass(annotation, Schema):
        return [annotation]
    found: list[type] = []
    for arg in typing.get_args(annotation):
        found += _schemas_in(arg)
    return found


def _body_schemas() -> dict[str, type]:
    from renkou.api.urls import api

    bodies: dict[str, type] = {}
    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                for model in operation.models:
                    if model.__ninja_param_source__ not in ("body", "form"):
                        continue
                    for field in model.model_fields.values():
                        for schema in _schemas_in(field.annotation):
                            bodies[schema.__name__] = schema
    return bodies


def _is_text(annotation: typing.Any) -> bool:
    if annotation is str:
        return True
    return any(_is_text(arg) for arg in typing.get_args(annotation))


def test_every_api_body_is_a_checked_schema():
    bodies = _body_schemas()
    assert len(bodies) >= 15
    unchecked = sorted(
        name for name, schema in bodies.items() if not issubclass(schema, CheckedSchema)
    )
    assert unchecked == []


def test_every_text_field_of_an_api_body_has_a_maximum_length():
    unbounded = []
    for name, schema in _body_schemas().items():
        for field_name, field in schema.model_fields.items():
            if field.annotation is None or not _is_text(field.annotation):
                continue
            if typing.get_origin(field.annotation) is typing.Literal:
                continue
            if all(
                typing.get_origin(a) is typing.Literal
                for a in typing.get_args(field.annotation)
                if a is not type(None)
            ) and typing.get_args(field.annotation):
                continue
            if not any(getattr(m, "max_length", None) for m in field.metadata):
                unbounded.append(f"{name}.{field_name}")
    assert unbounded == []


FORM_MODULES = ("renkou.core.forms", "renkou.registry.forms", "renkou.births.forms",
                "renkou.benefits.forms")  # fmt: skip


def _form_classes() -> list[type]:
    classes = []
    for module_name in FORM_MODULES:
        module = importlib.import_module(module_name)
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, forms.BaseForm) and value.__module__ == module_name:
                classes.append(value)
    return classes


def test_every_form_checks_control_characters_and_bounds_its_text():
    classes = _form_classes()
    assert len(classes) >= 20
    assert [c.__name__ for c in classes if not issubclass(c, CheckedFormMixin)] == []
    unbounded = [
        f"{form.__name__}.{name}"
        for form in classes
        for name, field in form.base_fields.items()
        if type(field) is forms.CharField
        and not isinstance(field.widget, forms.PasswordInput)
        and field.max_length is None
    ]
    assert unbounded == []


# --- on the database ------------------------------------------------------------------------


def _post(client, cast, path: str, body: dict, method: str = "post"):
    return getattr(client, method)(
        path, json.dumps(body), content_type="application/json",
        **api_headers(cast, "district_admin"),
    )  # fmt: skip


def _person(cast, **fields) -> dict:
    return {
        "name": "陈晨", "sex": "F", "birth_date": "1988-08-08",
        "residence_unit_id": cast.units["group"].pk, "reason": "登记", **fields,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "陈" * 51}, "name"),
        ({"name": "陈\x00晨"}, "name"),
        ({"phone": "1" * 21}, "phone"),
        ({"hukou_division": "5" * 13}, "hukou_division"),
        ({"reason": "\x00"}, "reason"),
    ],
)
def test_person_refusals_are_the_same_422_on_both_databases(client, cast, fields, field):
    response = _post(client, cast, "/api/v1/persons", _person(cast, **fields))
    assert response.status_code == 422, response.content
    assert [error["loc"][-1] for error in response.json()["detail"]] == [field]
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "新" * 101}, "name"),
        ({"name": "新\x00村"}, "name"),
        ({"name": "新\u000b村"}, "name"),
        ({"code": "5" * 16}, "code"),
        ({"kind": "k" * 17}, "kind"),
    ],
)
def test_unit_refusals_are_422(client, cast, body, field):
    unit = {"code": "510199001003", "name": "新村", "kind": "community",
            "parent_id": cast.units["township"].pk, **body}  # fmt: skip
    response = _post(client, cast, "/api/v1/units", unit)
    assert response.status_code == 422, response.content
    assert field in {error["loc"][-1] for error in response.json()["detail"]}
    assert not OrgUnit.objects.filter(code=unit["code"]).exists()


def test_a_person_patch_with_an_over_long_former_name_is_422(client, cast, families):
    response = _post(
        client, cast, f"/api/v1/persons/{families.son.pk}",
        {"reason": "更正", "former_names": "王" * 201}, method="patch",
    )  # fmt: skip
    assert response.status_code == 422, response.content
    families.son.refresh_from_db()
    assert families.son.former_names == ""


def test_every_admin_form_of_ours_checks_control_characters():
    from django.contrib import admin

    ours = {
        model._meta.label: model_admin.form
        for model, model_admin in admin.site._registry.items()
        if model.__module__.startswith("renkou.")
    }
    assert ours
    assert [label for label, form in ours.items() if not issubclass(form, CheckedFormMixin)] == []
