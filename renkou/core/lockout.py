"""Sign-in lockout (django-axes) with Renkou's two limits.

* By account and address together: AXES_FAILURE_LIMIT (5) failures of one username from one
  address lock that pair for AXES_COOLOFF_TIME. Someone elsewhere cannot lock an account out,
  and a township office behind one NAT address is not locked by one person's typos.
* By address alone: RENKOU_LOGIN_ADDRESS_FAILURE_LIMIT (20) failures from one address, over
  any usernames, lock every sign-in from that address for the same time (password spraying).

axes counts failures in AccessAttempt rows (one per username, address and user agent) and
has a single limit for every parameter combination; the per-address limit is the small check
in `RenkouAxesHandler.get_failures` below. Where the address comes from: `client_address`.
An administrator unlocks an account with `core.actions.unlock_sign_in` (the staff page).
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone


def client_address(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, unless RENKOU_TRUSTED_PROXIES reverse proxies stand
    in front of the application; then the address the outermost trusted proxy saw, read from
    the right of X-Forwarded-For (entries further left are the client's to forge)."""
    trusted = int(getattr(settings, "RENKOU_TRUSTED_PROXIES", 0) or 0)
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if trusted <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    return hops[-min(trusted, len(hops))]


def address_failures(request: HttpRequest, address: str | None) -> int:
    """Failed sign-ins from `address` within the cool-off time, over all usernames."""
    if not address:
        return 0
    attempts = AccessAttempt.objects.filter(ip_address=address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def recent_failures(username: str) -> int:
    """Failed sign-ins to `username` within the cool-off time, from every address."""
    attempts = AccessAttempt.objects.filter(username=username)
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class RenkouAxesHandler(AxesDatabaseHandler):
    """axes' database handler, locked also when the address passed its own, higher limit."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if failures >= limit:
            return failures
        address = getattr(request, "axes_ip_address", None)
        if address_failures(request, address) >= settings.RENKOU_LOGIN_ADDRESS_FAILURE_LIMIT:
            return limit
        return failures
