"""Security properties of the platform: hashing, password policy, lockout, sessions,
headers, CSRF, the TOTP second factor, the production profile and log redaction.

Every test here checks behaviour from the outside (HTTP, subprocess, log output) so that a
change to a setting, middleware or template that weakens it makes a test fail.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import logging
import os
import secrets
import string
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from renkou.core import actions
from renkou.core.models import ApiToken
from renkou.lib.logredact import RedactPersonalData, redact
from tests.conftest import PASSWORD, api_headers

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOGIN_URL = "/accounts/login/"
OTP_VERIFY_URL = "/accounts/otp/verify/"
OTP_SETUP_URL = "/accounts/otp/setup/"
ID_18 = "11010519491231002X"
ID_15 = "110105491231002"
MOBILE = "13812345678"


def _fresh_settings_module():
    """Execute renkou/settings.py as a new module (the test run overrides some settings)."""
    import renkou.settings as loaded

    spec = importlib.util.spec_from_file_location("renkou_settings_fresh", loaded.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _session_user_ids() -> list[str]:
    return [
        str(s.get_decoded().get(SESSION_KEY))
        for s in Session.objects.all()
        if s.get_decoded().get(SESSION_KEY)
    ]


def _sign_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)


def _current_totp(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


# --- 1. password hashing ------------------------------------------------------------------


def test_settings_hash_passwords_with_argon2_first(settings):
    fresh = _fresh_settings_module()
    assert fresh.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert not any("MD5" in h or "SHA1" in h or "Unsalted" in h for h in fresh.PASSWORD_HASHERS)

    settings.PASSWORD_HASHERS = fresh.PASSWORD_HASHERS
    encoded = make_password("Some-passw0rd-here")
    assert encoded.startswith("argon2$argon2id$")
    from django.contrib.auth.hashers import check_password

    assert check_password("Some-passw0rd-here", encoded)
    assert not check_password("some-passw0rd-here", encoded)


# --- 2. password policy -------------------------------------------------------------------


def _create(cast, username: str, password: str):
    return actions.create_staff_user(
        actor=cast.district_admin,
        username=username,
        password=password,
        role="grid_worker",
        unit=cast.unit("village"),
    )


@pytest.mark.parametrize(
    ("username", "password", "expected"),
    [
        ("wangfang", "Sh0rt-pw", "too short"),
        ("wangfang", "abcdefghijkl", "two kinds of characters"),
        ("wangfang", "1234567890123", "two kinds of characters"),
        ("wangfang", "1234567890123", "entirely numeric"),
        ("wangfang", "x-WangFang-2026", "username"),
        ("wangfang", "password123", "too common"),
        ("wangfang", "Qwertyuiop", "too common"),
    ],
)
def test_weak_passwords_are_refused(cast, username, password, expected):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        _create(cast, username, password)
    errors = caught.value.message_dict
    assert list(errors) == ["password"]
    assert any(expected in message for message in errors["password"]), errors


def test_weak_password_creates_no_account(cast):
    from renkou.core.models import User

    with pytest.raises(ValidationError):
        _create(cast, "wangfang", "password123")
    assert not User.objects.filter(username="wangfang").exists()


def test_good_password_is_accepted(cast):
    user = _create(cast, "wangfang", "Liu-shu-7319-qiao")
    assert user.check_password("Liu-shu-7319-qiao")
    assert user.has_usable_password()


# --- 3. login throttling / lockout (django-axes) -------------------------------------------


def _is_signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def test_five_wrong_passwords_lock_the_account(cast):
    limit = django_settings.AXES_FAILURE_LIMIT
    assert limit == 5
    client = Client()
    for _attempt in range(limit - 1):
        response = _sign_in(client, "township_staff", "Wrong-passw0rd!")
        assert response.status_code == 200  # the form again, with an error
        assert response.context["form"].errors
    _sign_in(client, "township_staff", "Wrong-passw0rd!")

    response = _sign_in(client, "township_staff", PASSWORD)
    assert response.status_code == 429
    assert "core/locked_out.html" in [t.name for t in response.templates]
    assert not _is_signed_in(client)

    # Locked by account, not by address: a fresh client (same address) is refused too ...
    other_client = Client()
    assert _sign_in(other_client, "township_staff", PASSWORD).status_code == 429
    assert not _is_signed_in(other_client)
    # ... while another user from the same address signs in normally.
    response = _sign_in(other_client, "district_staff", PASSWORD)
    assert response.status_code == 302
    assert _is_signed_in(other_client)


def test_fewer_failures_than_the_limit_do_not_lock(cast):
    client = Client()
    for _attempt in range(django_settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, "township_staff", "Wrong-passw0rd!")
    response = _sign_in(client, "township_staff", PASSWORD)
    assert response.status_code == 302
    assert _is_signed_in(client)


# --- 4. login: session rotation and API-only accounts ---------------------------------------


def test_login_rotates_the_session_key(cast):
    client = Client()
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    # An anonymous session (as a language or unit choice would create) before signing in.
    anonymous = client.session
    anonymous["probe"] = "before-login"
    anonymous.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = anonymous.session_key
    before = anonymous.session_key
    assert Session.objects.filter(session_key=before).exists()

    response = _sign_in(client, "township_staff")
    assert response.status_code == 302
    after = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert after and after != before
    assert client.session[SESSION_KEY] == str(cast.township_staff.pk)
    # The pre-login key is dead: replaying it (session fixation) gives no signed-in session.
    assert not Session.objects.filter(session_key=before).exists()
    attacker = Client()
    attacker.cookies[django_settings.SESSION_COOKIE_NAME] = before
    assert attacker.get("/units/").status_code == 302


def test_feed_account_cannot_sign_in_to_the_web(cast):
    client = Client()
    response = _sign_in(client, "feed_account")
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["api_only"]
    assert not _is_signed_in(client)


def test_feed_account_session_gets_no_web_pages_but_the_api_works(cast, client):
    client.force_login(cast.feed_account, backend="renkou.core.backends.RoleBackend")
    for path in ("/", "/units/", f"/units/{cast.units['district'].pk}/", "/staff/", "/audit/"):
        assert client.get(path).status_code == 403, path
    token_client = Client()
    response = token_client.get("/api/v1/units", **api_headers(cast, "feed_account"))
    assert response.status_code == 200
    assert response.json()["count"] > 0


# --- 5. idle expiry ------------------------------------------------------------------------


def test_session_expires_after_thirty_idle_minutes(cast):
    client = Client()
    assert _sign_in(client, "township_staff").status_code == 302
    assert abs(client.session.get_expiry_age() - 30 * 60) <= 5

    row = Session.objects.get(session_key=client.session.session_key)
    remaining = row.expire_date - timezone.now()
    assert datetime.timedelta(minutes=29) < remaining <= datetime.timedelta(minutes=30)

    # Every request renews the idle window.
    Session.objects.filter(pk=row.pk).update(
        expire_date=timezone.now() + datetime.timedelta(minutes=2)
    )
    assert client.get("/units/").status_code == 200
    row.refresh_from_db()
    assert row.expire_date - timezone.now() > datetime.timedelta(minutes=29)

    # After the window the same cookie is worthless.
    Session.objects.filter(pk=row.pk).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get("/units/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


# --- 6. disabling an account ---------------------------------------------------------------


def test_disable_user_ends_sessions_and_revokes_tokens(cast):
    victim = Client()
    victim.force_login(cast.grid_worker, backend="renkou.core.backends.RoleBackend")
    bystander = Client()
    bystander.force_login(cast.township_staff, backend="renkou.core.backends.RoleBackend")
    assert victim.get("/units/").status_code == 200
    assert victim.get("/api/v1/units", **api_headers(cast, "grid_worker")).status_code == 200
    assert str(cast.grid_worker.pk) in _session_user_ids()

    actions.disable_user(actor=cast.district_admin, user=cast.grid_worker, reason="离职")

    assert str(cast.grid_worker.pk) not in _session_user_ids()
    assert str(cast.township_staff.pk) in _session_user_ids()
    response = victim.get("/units/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert bystander.get("/units/").status_code == 200

    assert not ApiToken.objects.filter(user=cast.grid_worker, revoked_at__isnull=True).exists()
    assert Client().get("/api/v1/units", **api_headers(cast, "grid_worker")).status_code == 401
    assert Client().get("/api/v1/units", **api_headers(cast, "feed_account")).status_code == 200


# --- 7. headers and inline script ----------------------------------------------------------


class _ScriptAudit(HTMLParser):
    """Collects inline scripts and event-handler attributes of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.external_scripts: list[str] = []
        self._in_inline: str | None = None
        self._inline_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            lowered = name.lower()
            if lowered.startswith("on") or lowered.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"<{tag} {name}=...>")
            if lowered in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            if attributes.get("src"):
                self.external_scripts.append(attributes["src"])
            else:
                self._in_inline = (attributes.get("type") or "").strip().lower()
                self._inline_text = []

    def handle_data(self, data):
        if self._in_inline is not None:
            self._inline_text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_inline is not None:
            if self._in_inline != "application/json":
                self.problems.append(f"inline <script type={self._in_inline!r}>")
            self._in_inline = None


def _script_problems(html: str) -> tuple[list[str], list[str]]:
    parser = _ScriptAudit()
    parser.feed(html)
    parser.close()
    return parser.problems, parser.external_scripts


def _csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [w.lower() for w in words[1:]]
    return directives


def _assert_protective_headers(response, path: str) -> None:
    assert response["Cache-Control"] == "no-store", path
    assert response["X-Frame-Options"] == "DENY", path
    assert response["X-Content-Type-Options"] == "nosniff", path
    csp = _csp_directives(response["Content-Security-Policy"])
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src, path
    assert "'unsafe-inline'" not in script_src, path
    assert "'unsafe-eval'" not in script_src, path
    assert "*" not in script_src and "data:" not in script_src, path
    assert csp.get("frame-ancestors") == ["'none'"], path
    assert csp.get("object-src") == ["'none'"], path


def _personal_pages(cast) -> list[str]:
    return [
        "/",
        "/units/",
        f"/units/{cast.units['village'].pk}/",
        "/staff/",
        f"/staff/{cast.grid_worker.pk}/",
        "/staff/new/",
        f"/units/{cast.units['village'].pk}/rename/",
        "/audit/",
    ]


def test_personal_pages_carry_protective_headers(cast, login):
    client = login(cast.district_admin)
    for path in [*_personal_pages(cast), "/api/v1/units", "/api/v1/me"]:
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_protective_headers(response, path)
    revealed = client.post(f"/staff/{cast.grid_worker.pk}/reveal/")
    assert revealed.status_code == 200
    _assert_protective_headers(revealed, "reveal")


def test_anonymous_pages_carry_protective_headers(db):
    client = Client()
    for path in (LOGIN_URL, "/units/", "/api/v1/units"):
        _assert_protective_headers(client.get(path), path)


def test_pages_have_no_inline_script_or_event_handlers(cast, login):
    anonymous = Client().get(LOGIN_URL)
    pages = {LOGIN_URL: anonymous}
    client = login(cast.district_admin)
    for path in _personal_pages(cast):
        pages[path] = client.get(path)
    for path, response in pages.items():
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith("text/html"), path
        problems, external = _script_problems(response.content.decode())
        assert problems == [], f"{path}: {problems}"
        assert external, f"{path}: the page should load its scripts from files"
        for src in external:
            assert src.startswith("/static/"), f"{path}: script from {src}"


def test_the_html_check_catches_inline_script():
    problems, _external = _script_problems(
        '<script>alert(1)</script><script type="application/json">{"a": 1}</script>'
        '<script type="module">x()</script><button onclick="x()">b</button>'
        '<a href=" JavaScript:x()">a</a><div hx-on:click="x()"></div>'
    )
    assert len(problems) == 5, problems


# --- 8. CSRF -------------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.district_admin, backend="renkou.core.backends.RoleBackend")
    village = cast.units["village"]
    url = f"/units/{village.pk}/rename/"
    response = client.post(url, {"name": "被篡改", "reason": "csrf"})
    assert response.status_code == 403
    assert cast.unit("village").name == "东门社区"

    for path in (f"/staff/{cast.grid_worker.pk}/disable/", f"/staff/{cast.grid_worker.pk}/reveal/"):
        assert client.post(path, {"reason": "csrf"}).status_code == 403, path
    cast.grid_worker.refresh_from_db()
    assert cast.grid_worker.is_active

    # The same request with the page's token goes through, so the 403 above was CSRF.
    page = client.get(url)
    token = page.context["csrf_token"]
    response = client.post(
        url, {"name": "东门新社区", "reason": "csrf", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert cast.unit("village").name == "东门新社区"


def test_api_write_with_the_session_needs_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.district_admin, backend="renkou.core.backends.RoleBackend")
    url = f"/api/v1/units/{cast.units['village'].pk}"
    response = client.patch(url, data={"name": "被篡改"}, content_type="application/json")
    assert response.status_code == 403
    assert cast.unit("village").name == "东门社区"
    # A bearer token needs no CSRF token (no cookie is involved).
    response = Client(enforce_csrf_checks=True).patch(
        url,
        data={"name": "东门新社区"},
        content_type="application/json",
        **api_headers(cast, "district_admin"),
    )
    assert response.status_code == 200
    assert cast.unit("village").name == "东门新社区"


def test_login_post_without_csrf_token_is_refused(cast):
    client = Client(enforce_csrf_checks=True)
    response = _sign_in(client, "township_staff")
    assert response.status_code == 403
    assert not _is_signed_in(client)


# --- 9. second factor ----------------------------------------------------------------------


@pytest.fixture
def second_factor(settings):
    settings.RENKOU_REQUIRE_SECOND_FACTOR = True


def _confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_second_factor_is_required_before_any_page(cast, login, second_factor):
    client = login(cast.township_staff)
    response = client.get("/units/")
    assert response.status_code == 302
    assert response["Location"].startswith(OTP_VERIFY_URL)
    assert "next=%2Funits%2F" in response["Location"]
    # No device yet: verification sends the user on to enrolment.
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith(OTP_SETUP_URL)
    # The API with the session cookie is closed as well.
    response = client.get("/api/v1/units")
    assert response.status_code == 401
    for path in ("/", "/staff/", f"/staff/{cast.grid_worker.pk}/", "/audit/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(OTP_VERIFY_URL), path
    response = client.post(f"/staff/{cast.grid_worker.pk}/reveal/")
    assert response.status_code == 302


def test_second_factor_required_after_a_real_sign_in(cast, second_factor):
    client = Client()
    response = _sign_in(client, "township_staff")
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith(OTP_VERIFY_URL)


def test_valid_totp_code_unlocks_the_session(cast, login, second_factor):
    device = _confirmed_device(cast.township_staff)
    client = login(cast.township_staff)
    page = client.get(f"{OTP_VERIFY_URL}?next=/units/")
    assert page.status_code == 200
    response = client.post(OTP_VERIFY_URL, {"token": _current_totp(device), "next": "/units/"})
    assert response.status_code == 302
    assert response["Location"] == "/units/"
    assert client.get("/units/").status_code == 200
    assert client.get("/api/v1/units").status_code == 200


def test_wrong_totp_code_is_refused(cast, login, second_factor):
    device = _confirmed_device(cast.township_staff)
    client = login(cast.township_staff)
    good = _current_totp(device)
    wrong = f"{(int(good) + 1) % 10**6:06d}"
    response = client.post(OTP_VERIFY_URL, {"token": wrong, "next": "/units/"})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert client.get("/units/").status_code == 302
    assert client.get("/api/v1/units").status_code == 401
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_a_used_totp_code_cannot_be_replayed(cast, second_factor):
    device = _confirmed_device(cast.township_staff)
    token = _current_totp(device)
    first = Client()
    first.force_login(cast.township_staff, backend="renkou.core.backends.RoleBackend")
    assert first.post(OTP_VERIFY_URL, {"token": token}).status_code == 302
    second = Client()
    second.force_login(cast.township_staff, backend="renkou.core.backends.RoleBackend")
    response = second.post(OTP_VERIFY_URL, {"token": token})
    assert response.status_code == 200
    assert second.get("/units/").status_code == 302


def test_an_authorization_header_does_not_skip_the_second_factor(cast, login, second_factor):
    client = login(cast.township_staff)
    for header in ("Bearer nothing", "Basic eDp5", f"Bearer {cast.tokens['feed_account']}"):
        response = client.get("/api/v1/units", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header


def test_token_clients_need_no_second_factor(cast, second_factor):
    response = Client().get("/api/v1/units", **api_headers(cast, "feed_account"))
    assert response.status_code == 200


def test_totp_setup_shows_a_qr_code_and_confirms_the_device(cast, login, second_factor):
    client = login(cast.township_staff)
    page = client.get(f"{OTP_SETUP_URL}?next=/units/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html
    device = TOTPDevice.objects.get(user=cast.township_staff)
    assert not device.confirmed
    # The unconfirmed device does not satisfy the second factor by itself.
    assert client.get("/units/").status_code == 302

    wrong = f"{(int(_current_totp(device)) + 1) % 10**6:06d}"
    response = client.post(OTP_SETUP_URL, {"token": wrong, "next": "/units/"})
    assert response.status_code == 200
    device.refresh_from_db()
    assert not device.confirmed

    device.throttle_reset()
    response = client.post(OTP_SETUP_URL, {"token": _current_totp(device), "next": "/units/"})
    assert response.status_code == 302
    assert response["Location"] == "/units/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/units/").status_code == 200


def test_setup_cannot_replace_a_confirmed_device_before_verifying(cast, login, second_factor):
    _confirmed_device(cast.township_staff)
    client = login(cast.township_staff)
    response = client.get(OTP_SETUP_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(OTP_VERIFY_URL)
    assert TOTPDevice.objects.filter(user=cast.township_staff).count() == 1


def test_next_after_verification_stays_on_this_site(cast, login, second_factor):
    device = _confirmed_device(cast.township_staff)
    client = login(cast.township_staff)
    response = client.post(
        OTP_VERIFY_URL, {"token": _current_totp(device), "next": "https://evil.example/x"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_no_second_factor_in_the_default_profile(cast, login):
    assert django_settings.RENKOU_REQUIRE_SECOND_FACTOR is False
    client = login(cast.township_staff)
    assert client.get("/units/").status_code == 200
    assert client.get("/api/v1/units").status_code == 200
    fresh = Client()
    response = _sign_in(fresh, "township_staff")
    assert response.status_code == 302
    assert fresh.get(response["Location"]).status_code == 200


# --- 10. production profile ----------------------------------------------------------------


def _production_env(tmp_path, **overrides) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RENKOU_", "DJANGO_")) and key != "DATABASE_URL"
    }
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env.update(
        RENKOU_ENV="production",
        RENKOU_SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(64)),
        RENKOU_ALLOWED_HOSTS="renkou.example.gov.cn",
        RENKOU_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="renkou.settings",
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_profile_passes_the_deploy_check(tmp_path):
    result = _run(
        ["-m", "renkou.cli", "check", "--deploy", "--fail-level", "WARNING"],
        _production_env(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _run(
        ["-c", "import renkou.settings"], _production_env(tmp_path, RENKOU_SECRET_KEY=None)
    )
    assert result.returncode != 0
    assert "RENKOU_SECRET_KEY" in result.stderr


def test_production_settings_are_hardened(tmp_path):
    script = (
        "import json, renkou.settings as s; print(json.dumps({"
        "'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE, "
        "'hsts': s.SECURE_HSTS_SECONDS, 'ssl_redirect': s.SECURE_SSL_REDIRECT, "
        "'second_factor': s.RENKOU_REQUIRE_SECOND_FACTOR, 'debug': s.DEBUG, "
        "'hosts': s.ALLOWED_HOSTS, 'httponly': s.SESSION_COOKIE_HTTPONLY, "
        "'hasher': s.PASSWORD_HASHERS[0]}))"
    )
    result = _run(["-c", script], _production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["session_secure"] is True
    assert values["csrf_secure"] is True
    assert values["hsts"] > 0
    assert values["ssl_redirect"] is True
    assert values["second_factor"] is True
    assert values["debug"] is False
    assert values["httponly"] is True
    assert values["hosts"] == ["renkou.example.gov.cn"]
    assert values["hasher"].endswith("Argon2PasswordHasher")


# --- 11. logs ------------------------------------------------------------------------------


def test_redact_masks_id_numbers_and_mobiles():
    text = f"身份证{ID_18}，旧证{ID_15}，手机{MOBILE}，小写 11010519491231002x。"
    cleaned = redact(text)
    assert ID_18 not in cleaned and ID_15 not in cleaned and MOBILE not in cleaned
    # Only the region code is kept, as on the pages (docs/privacy.md).
    assert "110105************" in cleaned and "002X" not in cleaned and "002x" not in cleaned
    assert "110105*********" in cleaned and "1002" not in cleaned
    assert "138****5678" in cleaned
    # Shorter numbers (a 12-digit division code, counts) are left alone.
    assert redact("单位 510199001001，共 1234 人") == "单位 510199001001，共 1234 人"


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(message)s"))

    def emit(self, record):
        self.lines.append(self.format(record))


def test_log_records_are_redacted_through_the_filter():
    handler = _Collect()
    handler.addFilter(RedactPersonalData())
    logger = logging.getLogger("renkou.tests.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("lookup of %s by %s", ID_18, MOBILE)
        logger.warning("plain %s", "no personal data")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    assert handler.lines[0] == "WARNING lookup of 110105************ by 138****5678"
    assert handler.lines[1] == "WARNING plain no personal data"


def test_the_configured_log_handler_redacts():
    filtered = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactPersonalData) for f in handler.filters)
    ]
    assert filtered, "settings.LOGGING must attach RedactPersonalData to the root handler"
    assert django_settings.LOGGING["handlers"]["console"]["filters"] == ["redact"]


@pytest.mark.parametrize("text", ["+8613812345678", "8613812345678", "138-1234-5678"])
def test_redact_masks_mobiles_with_prefix_or_separators(text):
    assert "5678" in redact(text) and "1234" not in redact(text)


def test_tracebacks_are_redacted():
    handler = _Collect()
    handler.addFilter(RedactPersonalData())
    logger = logging.getLogger("renkou.tests.redact.exc")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError(f"bad id {ID_18}")
        except ValueError:
            logger.exception("lookup failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    assert ID_18 not in handler.lines[0]
