"""The second factor, for the person: enrol an authenticator app (TOTP), get recovery codes,
and prove the factor after the password. Officials are sent here by the admin when
`OFFICIALS_REQUIRE_2FA` is on (portfolio.access)."""

from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portfolio.access import requires_second_factor, second_factor_verified

RECOVERY_CODES = 10


class LoginView(auth_views.LoginView):
    """Django's login page, saying how many wrong passwords lock the account and whether
    officials need a second factor here (the next step, on /accounts/two-factor/)."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            failure_limit=settings.AXES_FAILURE_LIMIT,
            two_factor_required=settings.OFFICIALS_REQUIRE_2FA,
            **kwargs,
        )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("One-time code"),
        max_length=16,
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


def _next_url(request) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return "/"


def _enrolment_device(user) -> TOTPDevice:
    """The authenticator being set up: one unconfirmed TOTP device, kept until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(
        user=user, name=str(_("Authenticator app")), confirmed=False
    )


def _new_recovery_codes(user) -> list[str]:
    """Ten single-use recovery codes (django-otp static tokens); the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=str(_("Recovery codes")))
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Verify this session with a code, or — with no authenticator yet — enrol one: the
    secret and otpauth URL (with a QR code) to add to the app, confirmed by a first code,
    then the recovery codes, shown once."""
    user = request.user
    next_url = _next_url(request)
    enrolled = user_has_device(user)
    form = CodeForm(request.POST or None)
    context = {
        "form": form,
        "next": next_url,
        "required": requires_second_factor(user),
        "verified": second_factor_verified(user),
    }
    if enrolled:
        if request.method == "POST" and form.is_valid():
            device = match_token(user, form.cleaned_data["code"].strip())
            if device is not None:
                otp_login(request, device)
                return redirect(next_url)
            form.add_error("code", _("This code is wrong or has expired."))
        return render(request, "registration/two_factor.html", context)

    device = _enrolment_device(user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if device.verify_token(form.cleaned_data["code"].strip()):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = _new_recovery_codes(user)
                otp_login(request, device)
                context.update(recovery_codes=codes, verified=True)
                return render(request, "registration/two_factor_done.html", context)
        form.add_error("code", _("This code is wrong or has expired."))
    context.update(
        secret=b32encode(device.bin_key).decode(),
        otpauth_url=device.config_url,
        qr_svg=segno.make(device.config_url, error="m").svg_inline(scale=4),
    )
    return render(request, "registration/two_factor_setup.html", context)
