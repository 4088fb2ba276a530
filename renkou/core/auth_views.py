"""Sign-in, sign-out and the TOTP second factor (django-otp)."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from renkou.core import actions
from renkou.core.forms import LoginForm, TokenForm
from renkou.core.lockout import client_address


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


def _confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    device = _confirmed_device(request.user)
    if device is None:
        return redirect(f"{reverse('otp-setup')}?{urlencode({'next': _safe_next(request)})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _details = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"].strip()):
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error(
            "token",
            _(
                "The code is wrong or has expired; too many tries lock "
                "the second factor for a while."
            ),
        )
    return render(request, "core/otp_verify.html", {"form": form, "next": _safe_next(request)})


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: show the secret as a QR code, confirm with one code."""
    if _confirmed_device(request.user) is not None and not request.user.is_verified():
        return redirect("otp-verify")
    ip_address = client_address(request)
    device = actions.start_totp_enrolment(
        actor=request.user, user=request.user, ip_address=ip_address
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        if actions.confirm_totp_device(
            actor=request.user, device=device, token=token, ip_address=ip_address
        ):
            otp_login(request, device)
            messages.success(request, _("The second factor is set up."))
            return redirect(_safe_next(request))
        form.add_error("token", _("The code is wrong; check the time on your phone."))
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=4)
    return render(
        request,
        "core/otp_setup.html",
        {"form": form, "qr": qr, "secret": device.bin_key.hex(), "next": _safe_next(request)},
    )
