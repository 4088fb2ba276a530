"""Sign-in lockout: by account and address together, a throttle per address across accounts,
and an administrator's audited unlock from the staff page.

Addresses are the test client's REMOTE_ADDR (no trusted proxy in the default profile).
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from renkou.core.lockout import client_address
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
WRONG = "Wrong-passw0rd!"
A, B = "198.51.100.7", "203.0.113.9"


def _sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(LOGIN_URL, {"username": username, "password": password})


def _signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def _lock(username: str, address: str) -> None:
    client = Client(REMOTE_ADDR=address)
    for _attempt in range(django_settings.AXES_FAILURE_LIMIT):
        _sign_in(client, username, WRONG)
    assert _sign_in(client, username).status_code == 429


def test_failures_from_one_address_do_not_lock_the_account_elsewhere(cast):
    _lock("district_admin", A)
    # the same account and address stay locked, also for a fresh session ...
    again = Client(REMOTE_ADDR=A)
    assert _sign_in(again, "district_admin").status_code == 429
    assert not _signed_in(again)
    # ... but from another address the account signs in normally
    elsewhere = Client(REMOTE_ADDR=B)
    assert _sign_in(elsewhere, "district_admin").status_code == 302
    assert _signed_in(elsewhere)


def test_spraying_from_one_address_is_throttled_across_usernames(cast):
    limit = django_settings.RENKOU_LOGIN_ADDRESS_FAILURE_LIMIT
    assert limit > django_settings.AXES_FAILURE_LIMIT
    sprayer = Client(REMOTE_ADDR=A)
    usernames = [f"user{n:02d}" for n in range(limit - 1)]
    for username in usernames:  # one try each: no account reaches its own limit
        assert _sign_in(sprayer, username, WRONG).status_code == 200
    # below the address limit a right password still works from there
    below = Client(REMOTE_ADDR=A)
    assert _sign_in(below, "district_staff").status_code == 302
    _sign_in(sprayer, "grid_worker", WRONG)  # the limit-th failure from A
    for username in ("township_staff", "auditor"):
        blocked = Client(REMOTE_ADDR=A)
        response = _sign_in(blocked, username)
        assert response.status_code == 429, username
        assert not _signed_in(blocked)
    # other addresses are not affected
    other = Client(REMOTE_ADDR=B)
    assert _sign_in(other, "township_staff").status_code == 302


def test_admin_unlocks_an_account_from_the_staff_page_and_it_is_audited(cast):
    target = cast.township_staff
    _lock(target.username, A)
    admin = Client()
    admin.force_login(cast.district_admin, backend="renkou.core.backends.RoleBackend")
    page = admin.get(reverse("staff-detail", args=[target.pk])).content.decode()
    assert 'id="unlock-form"' in page
    response = admin.post(reverse("staff-unlock", args=[target.pk]), {"reason": "本人来电确认"})
    assert response.status_code == 302
    assert 'id="unlock-form"' not in admin.get(response["Location"]).content.decode()

    client = Client(REMOTE_ADDR=A)
    assert _sign_in(client, target.username).status_code == 302
    assert _signed_in(client)

    rows = target.history.filter(history_change_reason__contains="本人来电确认")
    assert [row.history_user_id for row in rows] == [cast.district_admin.pk]
    audit = admin.get(reverse("audit")).content.decode()
    assert "本人来电确认" in audit


def test_unlock_needs_scope_then_permission(cast):
    target = cast.township_staff
    _lock(target.username, A)
    url = reverse("staff-unlock", args=[target.pk])
    outsider = Client()
    outsider.force_login(cast.outsider, backend="renkou.core.backends.RoleBackend")
    assert outsider.post(url, {"reason": "x"}).status_code == 404
    reader = Client()
    reader.force_login(cast.district_staff, backend="renkou.core.backends.RoleBackend")
    assert reader.post(url, {"reason": "x"}).status_code == 403
    assert _sign_in(Client(REMOTE_ADDR=A), target.username).status_code == 429


def test_address_comes_from_the_trusted_proxy_only(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    settings.RENKOU_TRUSTED_PROXIES = 0
    assert client_address(request) == "10.0.0.2"  # no proxy trusted: the header is ignored
    settings.RENKOU_TRUSTED_PROXIES = 1
    assert client_address(request) == "198.51.100.7"  # what our one proxy saw; not a spoof
    settings.RENKOU_TRUSTED_PROXIES = 2
    assert client_address(request) == "1.2.3.4"
    settings.RENKOU_TRUSTED_PROXIES = 3  # fewer hops than proxies: the nearest we trust
    assert client_address(request) == "1.2.3.4"
    bare = rf.get("/", REMOTE_ADDR="10.0.0.2")
    assert client_address(bare) == "10.0.0.2"
