"""`renkou serve` under the production profile: collectstatic succeeds, the server starts and
serves a page and a hashed static file over HTTP.

The server runs in a subprocess on a free port with its own data directory (SQLite there: the
test reads nothing from the test database, so it runs the same under DATABASE_URL).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOST = "renkou.example.gov.cn"


def _production_env(data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RENKOU_", "DJANGO_")) and key != "DATABASE_URL"
    }
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env.update(
        RENKOU_ENV="production",
        RENKOU_SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(64)),
        RENKOU_ALLOWED_HOSTS=HOST,
        RENKOU_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="renkou.settings",
    )
    return env


def _renkou(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (this interpreter, our own CLI)
        [sys.executable, "-m", "renkou.cli", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes, dict[str, str]]:
    # Behind the TLS proxy: the proxy's host name and its X-Forwarded-Proto (the production
    # profile redirects plain http to https otherwise).
    request = urllib.request.Request(url, headers={"Host": HOST, "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (localhost)
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def _wait_until_up(base: str, server: subprocess.Popen, deadline_s: float = 90) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"renkou serve exited with {server.returncode}")
        try:
            status, _body, _headers = _get(base + "/healthz")
        except OSError:
            time.sleep(0.5)
            continue
        if status == 200:
            return
        time.sleep(0.5)
    raise AssertionError("renkou serve did not answer /healthz in time")


def test_collectstatic_and_serve_work_under_the_production_profile(tmp_path):
    env = _production_env(tmp_path)

    collected = _renkou(["collectstatic", "--noinput"], env)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    vendored = "vendor/bootstrap/bootstrap.bundle.min.js"
    hashed = manifest[vendored]
    assert hashed != vendored  # a content-hashed name, cacheable for ever

    migrated = _renkou(["migrate", "--noinput"], env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen(  # noqa: S603 (this interpreter, our own CLI)
        [sys.executable, "-m", "renkou.cli", "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        try:
            _wait_until_up(base, server)
        except AssertionError:
            log.seek(0)
            raise AssertionError(log.read()[-4000:]) from None

        status, body, _headers = _get(base + "/accounts/login/")
        assert status == 200
        page = body.decode()
        # The page links the hashed names from the manifest, not the source names.
        assert f"/static/{hashed}" in page

        status, body, headers = _get(f"{base}/static/{hashed}")
        assert status == 200
        assert body == (PROJECT_ROOT / "renkou/web/static" / vendored).read_bytes()
        assert "immutable" in headers.get("Cache-Control", "")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
