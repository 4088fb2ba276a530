"""Response headers for personal data, and the second factor where it is mandatory."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

# Paths a signed-in user may reach before passing the second factor.
_SECOND_FACTOR_OPEN = ("/accounts/", "/static/", "/i18n/", "/healthz")


class SecurityHeadersMiddleware:
    """`no-store` on everything dynamic (pages carry personal data), CSP without inline script."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        response.setdefault("Content-Security-Policy", settings.RENKOU_CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class SecondFactorMiddleware:
    """With RENKOU_REQUIRE_SECOND_FACTOR, a session must pass TOTP before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._must_verify(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "second factor required"}, status=401)
            return redirect(
                f"{reverse('otp-verify')}?{urlencode({'next': request.get_full_path()})}"
            )
        return self.get_response(request)

    @staticmethod
    def _must_verify(request: HttpRequest) -> bool:
        if not settings.RENKOU_REQUIRE_SECOND_FACTOR:
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return False
        # No exemption for an Authorization header: token requests carry no session (the user
        # here is anonymous), and any header would otherwise let a session skip the factor.
        return not request.path.startswith(_SECOND_FACTOR_OPEN)


class ApiOnlyAccountMiddleware:
    """A department feed account is API only: its sessions get no web page (403)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from renkou.core.rules import WEB_ROLES

        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_superuser
            and user.role not in WEB_ROLES
            and not request.path.startswith(("/api/", "/static/", "/accounts/logout/"))
        ):
            return HttpResponseForbidden("API only / 仅限接口访问")
        return self.get_response(request)
