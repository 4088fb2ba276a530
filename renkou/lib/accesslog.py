"""Access-log lines without personal data (docs/operations.md, "Logs").

A request line carries whatever the user typed into a search box: `GET /api/v1/persons?q=<ID
number>` and the same URL again in the Referer. Access-log lines therefore keep the path and
the names of the query parameters but not their values (`/api/v1/persons?q=…&page=…`), and
then pass through the same redaction as every other log line (`logredact.redact`: ID numbers
keep only their region code, mobiles their first 3 and last 4 digits).

`RedactingGunicornLogger` is gunicorn's logger class for `renkou serve`; `RedactAccessLine`
is the logging filter of runserver's `django.server` logger (settings.LOGGING).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

from renkou.lib.logredact import RedactPersonalData, redact

__all__ = ["RedactAccessLine", "RedactingGunicornLogger", "clean", "strip_query_values"]

# `?a=1&b=2` up to the end of the URL (a space, a quote or the end of the text).
_QUERY = re.compile(r"\?([^\s\"'#]*)")
_VALUE = re.compile(r"=[^&;]*")


def strip_query_values(text: str) -> str:
    """`/persons?q=510199…&page=2` -> `/persons?q=…&page=…`: names kept, values dropped."""
    return _QUERY.sub(lambda match: "?" + _VALUE.sub("=…", match.group(1)), text)


def clean(text: str) -> str:
    """What an access-log line may show of `text`: query values dropped, numbers redacted."""
    return redact(strip_query_values(text))


class RedactAccessLine(RedactPersonalData):
    """The redaction filter, plus query values dropped: for lines that hold a request line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return super().filter(record)


class RedactingGunicornLogger(Logger):
    """gunicorn's logger with every access-log atom cleaned (request line, query string,
    Referer and every other header or environ value a format may name), and the redaction
    filter on the access and error logs' handlers as a second guard."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: clean(value) if isinstance(value, str) else value for key, value in atoms.items()
        }

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            for handler in log.handlers:
                if not any(isinstance(f, RedactPersonalData) for f in handler.filters):
                    handler.addFilter(RedactAccessLine())
