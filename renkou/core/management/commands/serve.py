"""`renkou serve`: gunicorn for the pages and the django-tasks worker beside it.

Ctrl-C (or SIGTERM) stops both; if either dies, the other is stopped too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform with gunicorn and run the background-task worker (服务)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("RENKOU_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, bind: str, workers: int, **options):
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        python = sys.executable
        children = [
            subprocess.Popen(  # noqa: S603 (fixed argv: this interpreter and our own modules)
                [
                    python,
                    "-m",
                    "gunicorn",
                    "renkou.wsgi:application",
                    "--bind",
                    bind,
                    "--workers",
                    str(workers),
                    "--access-logfile",
                    "-",
                    # Access-log lines without query values or personal data (lib.accesslog).
                    "--logger-class",
                    "renkou.lib.accesslog.RedactingGunicornLogger",
                ]
            ),
            subprocess.Popen([python, "-m", "renkou.cli", "db_worker"]),  # noqa: S603
        ]
        host, _sep, port = bind.rpartition(":")
        self.stdout.write(f"Renkou 人口 running at http://{host}:{port}/ (Ctrl-C to stop)")
        stopping = False

        def stop(*_args):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("stopped")
