"""Template filters shared by every app."""

from __future__ import annotations

from django import template

from renkou.lib import masking

register = template.Library()


@register.filter
def mask_id(number: str | None) -> str:
    """`110105********002X`; the full number only ever goes out through a logged reveal."""
    return masking.mask_id_number(number or "") or "—"
