"""The error answers every app's API declares (django-ninja schemas; `lib` imports no app),
so that an app's `api` never imports another app's `api`."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """Every 4xx answer: a message (400/401/403/404), messages by field (a refused change,
    422) or the request's validation errors (422)."""

    detail: str | dict[str, list[str]] | list[dict[str, Any]]


# The error answers each kind of endpoint can give, declared so the schema documents them:
# 400 a body that is not JSON, 401 no or a bad token, 403 no permission, 404 missing or out
# of scope, 422 invalid input or a refused change.
READ_ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 400: ErrorOut, 403: ErrorOut}
