"""Template filters shared by every app."""

from __future__ import annotations

import datetime
from typing import Any

from django import template

from renkou.lib import disclosure, masking

register = template.Library()


@register.filter
def mask_id(number: str | None) -> str:
    """`110105************`; the full number only ever goes out through a logged reveal."""
    return masking.mask_id_number(number or "") or "—"


def _viewer_sees_full(context: template.Context) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return disclosure.may_see_birth_date(user)


@register.simple_tag(takes_context=True)
def born(context: template.Context, day: datetime.date | None) -> str:
    """A person's birth date as the viewer may see it: `1985-03-12` for users holding the
    reveal permission, `1985-03` (出生年月) for everyone else (docs/privacy.md)."""
    return disclosure.shown_birth_date(day, _viewer_sees_full(context))


@register.simple_tag(takes_context=True)
def event_day(context: template.Context, event: Any) -> str:
    """An event's date; a birth event's date is a birth date and is shown as `born` is."""
    if getattr(event, "kind", "") == "birth":
        return born(context, event.date)
    return event.date.isoformat() if event.date else ""
