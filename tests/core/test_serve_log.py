"""Issue 13, item 2: `renkou serve` (gunicorn) and runserver write access-log lines without ID
numbers or phone numbers, in the request line and in the Referer (docs/operations.md, "Logs").

`renkou serve` is started for real in a subprocess on a free port, with its own data directory
and a migrated SQLite database, and serves one request; runserver's `django.server` logger is
driven in-process through the logging configuration of settings.LOGGING.
"""

from __future__ import annotations

import io
import logging
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

from django.core.servers.basehttp import WSGIRequestHandler

from tests.servers import renkou_env, run_renkou, serving

ID_NUMBER = "51019919620308004X"
MOBILE = "13812345678"


def test_serve_access_log_keeps_no_personal_data(tmp_path):
    env = renkou_env(tmp_path)
    migrate = run_renkou(["migrate", "--noinput", "-v", "0"], env)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    log = tmp_path / "serve.log"
    with serving(env, log, "--workers", "1") as base:
        request = urllib.request.Request(
            f"{base}/api/v1/persons?q={ID_NUMBER}&phone={MOBILE}&page=1",
            headers={"Referer": f"{base}/persons/?q={ID_NUMBER}+{MOBILE}"},
        )
        try:
            urllib.request.urlopen(request, timeout=30).close()
        except urllib.error.HTTPError as error:
            assert error.code == 401  # no token: still a logged request
        deadline = time.monotonic() + 30
        while "/api/v1/persons" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.3)
    output = log.read_text()
    assert "GET /api/v1/persons?q=…&phone=…&page=… HTTP/1.1" in output, output
    assert f"{base}/persons/?q=…" in output, output  # the Referer, its query dropped
    for secret in (ID_NUMBER, "19620308", MOBILE, "1234" + "5678"):
        assert secret not in output, output


def test_runserver_request_lines_are_redacted():
    """What `renkou runserver` writes for a request, through the configured handlers."""
    logger = logging.getLogger("django.server")
    # The handlers settings.LOGGING configured (pytest adds capturing handlers of its own).
    configured = [h for h in logger.handlers if type(h) is logging.StreamHandler]
    assert configured, "django.server writes through a handler of settings.LOGGING"
    buffers = []
    for handler in configured:
        buffer = io.StringIO()
        buffers.append((handler, buffer, handler.setStream(buffer)))
    handler_self = SimpleNamespace(
        request=None, log_date_time_string=lambda: "08/Dec/2026 00:00:00"
    )
    try:
        for query in (f"q={ID_NUMBER}", f"q=510199+19620308+004X&m={MOBILE}", "m=138-1234-5678"):
            request_line = f"GET /api/v1/persons?{query} HTTP/1.1"
            WSGIRequestHandler.log_message(handler_self, '"%s" %s %s', request_line, "200", "42")
            WSGIRequestHandler.log_message(handler_self, '"%s" %s %s', request_line, "404", "42")
    finally:
        for handler, _buffer, stream in buffers:
            handler.setStream(stream)
    output = "".join(buffer.getvalue() for _handler, buffer, _stream in buffers)
    assert output.count('"GET /api/v1/persons?q=… HTTP/1.1" 200 42') == 1
    assert output.count('"GET /api/v1/persons?q=…&m=… HTTP/1.1" 404 42') == 1
    for secret in (ID_NUMBER, "19620308", "004X", MOBILE, "1234-5678"):
        assert secret not in output
