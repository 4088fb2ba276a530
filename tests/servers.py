"""`renkou` in a subprocess for the tests that need the real thing (gunicorn, collectstatic):
an environment of its own, a free port, and a server that is always stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def renkou_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without its Renkou/Django settings (the test database
    included): the subprocess uses SQLite in `data_dir`, plus `extra`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RENKOU_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env.update(RENKOU_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="renkou.settings", **extra)
    return env


def run_renkou(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (this interpreter, our own CLI)
        [sys.executable, "-m", "renkou.cli", *args],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(env: dict[str, str], log: Path, *options: str) -> Iterator[str]:
    """`renkou serve` on a free port, its output in `log`; yields the base URL once the port
    listens, and stops the server (and its workers) on the way out."""
    port = free_port()
    with log.open("w") as out:
        server = subprocess.Popen(  # noqa: S603 (this interpreter, our own CLI)
            [sys.executable, "-m", "renkou.cli", "serve", "--bind", f"127.0.0.1:{port}", *options],
            env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_listening(port, server, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _wait_listening(port: int, server: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-4000:]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"renkou serve did not listen on {port}:\n{log.read_text()[-4000:]}")
