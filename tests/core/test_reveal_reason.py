"""The reason typed with a reveal is kept in the access log: like any text input it refuses
control characters and over-long text with a clear 400, and nothing is revealed or logged."""

from __future__ import annotations

import pytest
from django.urls import reverse

from renkou.core.models import AccessLog
from tests.registry.test_views import _as


@pytest.mark.parametrize("reason", ["核对\x00身份", "核" * 501, "核对\u000b身份"])
def test_a_bad_reason_is_refused_and_nothing_is_revealed(client, cast, families, reason):
    _as(client, cast.district_staff)
    person = reverse("person-reveal", args=[families.father.pk])
    staff = reverse("staff-reveal", args=[cast.township_staff.pk])
    for url in (person, staff):
        response = client.post(url, {"reason": reason})
        assert response.status_code == 400, (url, response.status_code)
        assert "reason" in response.content.decode() or "原因" in response.content.decode()
    assert families.father.id_number not in client.post(person, {"reason": reason}).content.decode()
    assert not AccessLog.objects.exists()


def test_a_plain_reason_reveals_and_is_logged(client, cast, families):
    _as(client, cast.district_staff)
    response = client.post(
        reverse("person-reveal", args=[families.father.pk]), {"reason": "入户核对"}
    )
    assert families.father.id_number in response.content.decode()
    assert AccessLog.objects.get().reason == "入户核对"


def test_behind_a_trusted_proxy_the_log_keeps_the_client_address(client, cast, families, settings):
    settings.RENKOU_TRUSTED_PROXIES = 1
    _as(client, cast.district_staff)
    client.post(
        reverse("person-reveal", args=[families.father.pk]),
        {"reason": "入户核对"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert AccessLog.objects.get().ip_address == "203.0.113.9"
