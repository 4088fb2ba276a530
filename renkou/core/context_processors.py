from __future__ import annotations

from django.http import HttpRequest

from renkou.core import queries


def renkou(request: HttpRequest) -> dict:
    """The current unit (the picker's choice) for the header of every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"current_unit": queries.current_unit(request)}
