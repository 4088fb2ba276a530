"""Small helpers every app's views share (lib: no app is imported here)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def require(request: HttpRequest, perm: str) -> None:
    """403 unless the signed-in user holds `perm` ("app.codename")."""
    if not request.user.has_perm(perm):
        raise PermissionDenied
