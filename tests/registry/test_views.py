"""Registry pages: scoping of every URL, the person page, event forms, lists and export."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from renkou.core.models import AccessLog
from renkou.registry.models import Event, Person

BACKEND = "renkou.core.backends.RoleBackend"


def _as(client, user):
    client.force_login(user, backend=BACKEND)
    return client


def person_urls(families):
    father, event = families.father, families.son.events.get(kind="birth")
    return [
        ("get", reverse("person-detail", args=[father.pk])),
        ("post", reverse("person-reveal", args=[father.pk])),
        ("get", reverse("event-record", args=[families.mother.pk, "birth"])),
        ("post", reverse("event-record", args=[father.pk, "death"])),
        ("get", reverse("event-correct", args=[event.pk])),
        ("post", reverse("event-void", args=[event.pk])),
    ]


def test_outsider_gets_404_everywhere(client, cast, families):
    _as(client, cast.outsider)
    for method, url in person_urls(families):
        response = getattr(client, method)(url, {"date": "2010-01-01", "reason": "x"})
        assert response.status_code == 404, url
    unit = cast.units["village"]
    assert client.get(reverse("unit-persons", args=[unit.pk, "residents"])).status_code == 404
    assert Event.objects.filter(kind="death").count() == 0
    page = client.get(reverse("person-search"), {"q": "王"}).content.decode()
    assert "王建国" not in page


def test_auditor_reads_but_cannot_write(client, cast, families):
    _as(client, cast.auditor)
    assert client.get(reverse("person-detail", args=[families.father.pk])).status_code == 200
    url = reverse("event-record", args=[families.father.pk, "death"])
    assert client.post(url, {"date": "2010-01-01"}).status_code == 403
    assert client.post(reverse("person-reveal", args=[families.father.pk])).status_code == 403
    assert client.get(reverse("person-create")).status_code == 403


def test_person_page_shows_family_and_masks_the_id(client, cast, families):
    _as(client, cast.grid_worker)
    page = client.get(reverse("person-detail", args=[families.mother.pk])).content.decode()
    for name in ("王建国", "王伟", "王丽", "王娜"):
        assert name in page
    assert families.mother.id_number not in page
    assert families.mother.id_number[:6] + "*" * 12 in page


def test_reveal_is_logged(client, cast, families):
    _as(client, cast.district_staff)
    response = client.post(reverse("person-reveal", args=[families.father.pk]))
    assert families.father.id_number in response.content.decode()
    log = AccessLog.objects.get()
    assert (log.user, log.model, log.object_id) == (
        cast.district_staff, "registry.Person", str(families.father.pk))  # fmt: skip


def test_record_a_birth_through_the_form(client, cast, families):
    _as(client, cast.grid_worker)
    url = reverse("event-record", args=[families.mother.pk, "birth"])
    response = client.post(
        url,
        {
            "date": "1998-03-03",
            "sex": "M",
            "name": "王小明",
            "father": families.father.pk,
            "plurality": 1,
        },
    )
    assert response.status_code == 302
    child = Person.objects.get(name="王小明")
    assert child.birth_order_mother == 4
    page = client.get(reverse("person-detail", args=[families.mother.pk])).content.decode()
    assert "王小明" in page


def test_a_rejected_event_shows_the_reason_and_writes_nothing(client, cast, families):
    _as(client, cast.grid_worker)
    url = reverse("event-record", args=[families.son.pk, "death"])
    response = client.post(url, {"date": "1980-01-01"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "before" in response.content.decode()
    assert not Event.objects.filter(kind="death").exists()


def test_correct_and_void_through_the_pages(client, cast, families):
    _as(client, cast.district_admin)
    birth = families.son.events.get(kind="birth")
    response = client.post(
        reverse("event-correct", args=[birth.pk]), {"date": "1987-02-15", "reason": "更正"}
    )
    assert response.status_code == 302
    assert Person.objects.get(pk=families.son.pk).birth_date.day == 15
    fixed = Event.objects.get(supersedes=birth)
    response = client.post(reverse("event-void", args=[fixed.pk]), {"reason": "重复"})
    assert response.status_code == 302
    fixed.refresh_from_db()
    assert fixed.state == "voided"


@pytest.mark.parametrize(("kind", "expected"), [
    ("residents", {"王建国", "李秀英", "王伟", "王丽", "王娜", "张敏"}),
    ("inflow", {"张敏"}),
    ("outflow", set()),
    ("deceased", set()),
])  # fmt: skip
def test_unit_lists(client, cast, families, kind, expected):
    _as(client, cast.township_staff)
    url = reverse("unit-persons", args=[cast.units["township"].pk, kind])
    page = client.get(url).content.decode()
    for name in {"王建国", "李秀英", "王伟", "王丽", "王娜", "张敏"}:
        assert (name in page) == (name in expected), (kind, name)


def test_xlsx_export(client, cast, families):
    _as(client, cast.township_staff)
    url = reverse("unit-persons", args=[cast.units["township"].pk, "residents"])
    response = client.get(url, {"format": "xlsx", "sex": "F"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    names = {row[0] for row in rows[1:]}
    assert names == {"李秀英", "王丽", "王娜", "张敏"}
    ids = {row[0]: row[3] for row in rows[1:]}
    assert ids["李秀英"] == families.mother.id_number[:6] + "*" * 12
    assert not ids["王丽"]  # a child without an ID number yet


def test_search_page(client, cast, families):
    _as(client, cast.grid_worker)
    page = client.get(reverse("person-search"), {"q": "wjg"}).content.decode()
    assert "王建国" in page and "李秀英" not in page
    partial = client.get(reverse("person-search"), {"q": "王"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "王伟" in partial.content.decode()


def test_household_page_scope(client, cast, families):
    from renkou.registry.models import Household

    household = Household.objects.create(
        number="5101990010010001", address="1栋101", unit=cast.units["group"]
    )
    Person.objects.filter(pk=families.father.pk).update(household=household, relation_to_head="02")
    _as(client, cast.grid_worker)
    page = client.get(reverse("household-detail", args=[household.pk])).content.decode()
    assert "王建国" in page
    _as(client, cast.outsider)
    assert client.get(reverse("household-detail", args=[household.pk])).status_code == 404


@pytest.mark.parametrize(("role", "header", "shown"), [
    ("township_staff", "出生日期", "1960-05-01"),  # holds the reveal permission
    ("grid_worker", "出生年月", "1960-05"),
])  # fmt: skip
def test_xlsx_birth_column_says_what_it_holds(client, cast, families, role, header, shown):
    _as(client, getattr(cast, role))
    unit = cast.units["village"] if role == "grid_worker" else cast.units["township"]
    url = reverse("unit-persons", args=[unit.pk, "residents"])
    response = client.get(url, {"format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][2] == header
    born = {row[0]: row[2] for row in rows[1:]}
    value = born["王建国"]
    assert (value.date().isoformat() if hasattr(value, "date") else value) == shown
