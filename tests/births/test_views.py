"""The pages: scope (outsider 404), permission (403), the allowed role (200), the worklists,
the detail page's buttons, the certificate PDF and the public verification page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from renkou.births import actions, rules
from renkou.births.models import BirthApplication
from tests.births.conftest import application_in, new_application, tick_all

pytestmark = pytest.mark.django_db


def _as(client, user):
    client.force_login(user, backend="renkou.core.backends.RoleBackend")
    return client


def _registered(cast, couple) -> BirthApplication:
    return application_in(cast, couple, rules.REGISTRATION, rules.REGISTERED)


# --- scope and permission, page by page ---------------------------------------------------------


@pytest.mark.parametrize("name", ["birth-detail", "birth-certificate"])
def test_read_pages_scope(client, cast, couple, name):
    application = _registered(cast, couple)
    url = reverse(name, args=[application.pk])
    assert _as(client, cast.outsider).get(url).status_code == 404
    assert _as(client, cast.township_staff).get(url).status_code == 200
    assert _as(client, cast.auditor).get(url).status_code == 200  # read only, but reads
    assert _as(client, cast.feed_account).get(url).status_code == 403  # API only
    missing = reverse(name, args=[application.pk + 1000])
    assert _as(client, cast.township_staff).get(missing).status_code == 404


def test_transition_page_scope_and_permission(client, cast, couple):
    application = new_application(cast, couple, 1)
    url = reverse("birth-transition", args=[application.pk])
    assert _as(client, cast.outsider).post(url, {"action": "submit"}).status_code == 404
    assert _as(client, cast.auditor).post(url, {"action": "submit"}).status_code == 403
    application.refresh_from_db()
    assert application.state == rules.DRAFT
    response = _as(client, cast.township_staff).post(url, {"action": "submit"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == rules.SUBMITTED


def test_an_illegal_transition_shows_the_message(client, cast, couple):
    application = new_application(cast, couple, 1)
    url = reverse("birth-transition", args=[application.pk])
    response = _as(client, cast.district_admin).post(url, {"action": "cancel", "reason": "x"},
                                                     follow=True)  # fmt: skip
    assert "不能从“草稿”注销为“已注销”" in response.content.decode()
    application.refresh_from_db()
    assert application.state == rules.DRAFT


def test_document_page_scope_and_permission(client, cast, couple):
    application = new_application(cast, couple, 1)
    url = reverse("birth-document", args=[application.pk, "id_card"])
    assert _as(client, cast.outsider).post(url, {"received": "1"}).status_code == 404
    assert _as(client, cast.auditor).post(url, {"received": "1"}).status_code == 403
    assert not application.documents.get(code="id_card").received
    assert _as(client, cast.grid_worker).post(url, {"received": "1"}).status_code == 302
    assert application.documents.get(code="id_card").received


@pytest.mark.parametrize("name", ["birth-list", "birth-worklist"])
def test_lists_show_only_own_units(client, cast, couple, name):
    application = new_application(cast, couple, 1)
    actions.submit(actor=cast.township_staff, application=application)
    page = _as(client, cast.township_staff).get(reverse(name)).content.decode()
    assert reverse("birth-detail", args=[application.pk]) in page
    response = _as(client, cast.outsider).get(reverse(name))
    assert response.status_code == 200
    assert reverse("birth-detail", args=[application.pk]) not in response.content.decode()
    assert _as(client, cast.feed_account).get(reverse(name)).status_code == 403


def test_list_filters_by_state_and_unit(client, cast, couple):
    draft = new_application(cast, couple, 1)
    submitted = new_application(cast, couple, 2)
    actions.submit(actor=cast.township_staff, application=submitted)
    _as(client, cast.township_staff)
    page = client.get(reverse("birth-list"), {"state": "submitted"}).content.decode()
    assert reverse("birth-detail", args=[submitted.pk]) in page
    assert reverse("birth-detail", args=[draft.pk]) not in page
    other = client.get(reverse("birth-list"), {"unit": cast.units["village2"].pk}).content.decode()
    assert reverse("birth-detail", args=[submitted.pk]) not in other
    own = client.get(reverse("birth-list"), {"unit": cast.units["village"].pk}).content.decode()
    assert reverse("birth-detail", args=[submitted.pk]) in own


def test_worklists_per_role(client, cast, couple):
    registration = new_application(cast, couple, 1)
    actions.submit(actor=cast.township_staff, application=registration)
    approval = application_in(cast, couple, rules.APPROVAL, rules.REVIEWED)
    township = _as(client, cast.township_staff).get(reverse("birth-worklist")).content.decode()
    district = _as(client, cast.district_staff).get(reverse("birth-worklist")).content.decode()
    reg_url = reverse("birth-detail", args=[registration.pk])
    app_url = reverse("birth-detail", args=[approval.pk])
    assert 'id="worklist-township"' in township and 'id="worklist-district"' not in township
    assert reg_url in township and app_url not in township
    assert 'id="worklist-district"' in district and 'id="worklist-township"' not in district
    assert app_url in district and reg_url not in district


def test_create_page(client, cast, families):
    url = reverse("birth-create")
    assert _as(client, cast.auditor).get(url).status_code == 403
    # prefilled from the person page link
    page = _as(client, cast.township_staff).get(url, {"person": families.father.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{families.mother.pk}"' in html and f'value="{families.father.pk}"' in html
    assert _as(client, cast.outsider).get(url, {"person": families.father.pk}).status_code == 404
    # an outsider cannot name our persons in the form
    response = _as(client, cast.outsider).post(
        url, {"wife": families.mother.pk, "husband": families.father.pk, "child_order": 3}
    )
    assert response.status_code == 200 and not BirthApplication.objects.exists()
    response = _as(client, cast.township_staff).post(
        url, {"wife": families.mother.pk, "husband": families.father.pk, "child_order": 3}
    )
    application = BirthApplication.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("birth-detail", args=[application.pk])


def test_create_page_shows_action_errors(client, cast, couple):
    response = _as(client, cast.township_staff).post(
        reverse("birth-create"),
        {"wife": couple.husband.pk, "husband": couple.wife.pk, "child_order": 1},
    )
    assert response.status_code == 200
    assert 'data-field="wife"' in response.content.decode()


def test_detail_shows_only_the_legal_buttons(client, cast, couple):
    application = new_application(cast, couple, 1)
    tick_all(cast, application)
    actions.submit(actor=cast.township_staff, application=application)
    url = reverse("birth-detail", args=[application.pk])
    html = _as(client, cast.township_staff).get(url).content.decode()
    shown = set(re.findall(r'data-action="(\w+)"', html))
    assert shown == {"register", "reject", "withdraw"}
    html = _as(client, cast.auditor).get(url).content.decode()
    assert not re.findall(r'data-action="(\w+)"', html)
    assert couple.wife.id_number not in html  # masked
    html = _as(client, cast.district_staff).get(url).content.decode()
    assert set(re.findall(r'data-action="(\w+)"', html)) == {"reject"}


def test_certificate_is_a_pdf_with_the_number(client, cast, couple):
    application = _registered(cast, couple)
    response = _as(client, cast.township_staff).get(
        reverse("birth-certificate", args=[application.pk])
    )
    assert response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF")
    assert application.registration_number.encode() in body
    assert application.verification_code.encode() in body
    assert couple.wife.id_number.encode() not in body
    assert b"STSong-Light" in body


def test_no_certificate_before_a_number(client, cast, couple):
    application = new_application(cast, couple, 1)
    url = reverse("birth-certificate", args=[application.pk])
    assert _as(client, cast.township_staff).get(url).status_code == 404


def test_verify_page_is_public_and_shows_no_id(client, cast, couple):
    application = _registered(cast, couple)
    url = reverse("birth-verify", args=[application.verification_code])
    response = client.get(url)  # not signed in
    assert response.status_code == 200
    html = response.content.decode()
    assert application.registration_number in html
    assert 'data-valid="true"' in html
    assert "孙*华" in html and "赵*" in html
    assert "孙丽华" not in html and "赵强" not in html
    for number in (couple.wife.id_number, couple.husband.id_number):
        assert number not in html and number[6:14] not in html and number[-4:] not in html
    actions.cancel(actor=cast.district_admin, application=application, reason="重复")
    html = client.get(url).content.decode()
    assert 'data-valid="false"' in html and application.registration_number in html


@pytest.mark.parametrize("code", ["ZZZZZZZZZZ", "short", "%3Cscript%3E"])
def test_verify_unknown_code(client, cast, code):
    response = client.get(reverse("birth-verify", args=[code]))
    assert response.status_code == 404
    assert 'data-valid="false"' in response.content.decode()
