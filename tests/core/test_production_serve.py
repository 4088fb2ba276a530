"""`renkou serve` under the production profile: collectstatic succeeds, the server starts and
serves a page and a hashed static file over HTTP.

The server runs in a subprocess on a free port with its own data directory (SQLite there: the
test reads nothing from the test database, so it runs the same under DATABASE_URL).
"""

from __future__ import annotations

import json
import secrets
import string
import urllib.error
import urllib.request

from tests.servers import PROJECT_ROOT, renkou_env, run_renkou, serving

HOST = "renkou.example.gov.cn"


def _production_env(data_dir) -> dict[str, str]:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return renkou_env(
        data_dir,
        RENKOU_ENV="production",
        RENKOU_SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(64)),
        RENKOU_ALLOWED_HOSTS=HOST,
    )


def _get(url: str) -> tuple[int, bytes, dict[str, str]]:
    # Behind the TLS proxy: the proxy's host name and its X-Forwarded-Proto (the production
    # profile redirects plain http to https otherwise).
    request = urllib.request.Request(url, headers={"Host": HOST, "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (localhost)
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def test_collectstatic_and_serve_work_under_the_production_profile(tmp_path):
    env = _production_env(tmp_path)

    collected = run_renkou(["collectstatic", "--noinput"], env)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    vendored = "vendor/bootstrap/bootstrap.bundle.min.js"
    hashed = manifest[vendored]
    assert hashed != vendored  # a content-hashed name, cacheable for ever

    migrated = run_renkou(["migrate", "--noinput"], env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    with serving(env, tmp_path / "serve.log") as base:
        status, body, _headers = _get(base + "/accounts/login/")
        assert status == 200
        page = body.decode()
        # The page links the hashed names from the manifest, not the source names.
        assert f"/static/{hashed}" in page

        status, body, headers = _get(f"{base}/static/{hashed}")
        assert status == 200
        assert body == (PROJECT_ROOT / "renkou/web/static" / vendored).read_bytes()
        assert "immutable" in headers.get("Cache-Control", "")
