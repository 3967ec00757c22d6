"""Who may get in, and how sure we are of them: the client's address, the login lockout's
answer, the second factor officials need before any payment decision, and how long an
official's session lasts. One place for these rules; settings say how strict they are."""

import time

from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, unless `TRUSTED_PROXY_COUNT` proxies stand in front
    of us, in which case the address the outermost trusted proxy saw (X-Forwarded-For counted
    from the right, as DRF's NUM_PROXIES does for the API throttles). A client-sent header is
    never believed beyond what our own proxies appended."""
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if count and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(count, len(addresses))]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer once an account is locked: 429, JSON for the API, a page
    otherwise, saying for how long."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _("Too many failed logins: this account is locked for %(minutes)d minutes.") % {
        "minutes": minutes
    }
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def requires_second_factor(user) -> bool:
    """Officials (preparers, approvers) and superusers decide payments: with
    `OFFICIALS_REQUIRE_2FA` on they must prove a second factor (TOTP or a recovery code)."""
    if not settings.OFFICIALS_REQUIRE_2FA or not user.is_authenticated:
        return False
    return user.is_superuser or user.is_official


def second_factor_verified(user) -> bool:
    """True when this session was verified with an OTP device (django-otp's middleware sets
    `is_verified` on the session's user; a user authenticated by an API token has none)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(callable(is_verified) and is_verified())


def require_second_factor(request) -> None:
    """For API actions of officials: refuse (403) unless the session is OTP-verified. API
    tokens are issued on a password alone, so they never carry the second factor."""
    if requires_second_factor(request.user) and not second_factor_verified(request.user):
        raise PermissionDenied(
            _(
                "Two-factor authentication required: log in with your one-time code at "
                "%(url)s and use that session."
            )
            % {"url": reverse("two-factor")},
            code="second_factor_required",
        )


SEEN_KEY = "official_seen"


def official_session_touch(session) -> None:
    """Start the official's inactivity window again from now."""
    session.set_expiry(int(settings.SESSION_OFFICIAL_HOURS * 3600))
    session[SEEN_KEY] = time.time()


def official_session_start(sender, request, user, **kwargs) -> None:
    """At login (connected to user_logged_in in PortfolioConfig.ready), while the session is
    being saved anyway."""
    if user.is_official or user.is_superuser:
        official_session_touch(request.session)


class SessionExpiryMiddleware:
    """Officials' sessions end after `SESSION_OFFICIAL_HOURS` without a request: the expiry
    counts from the last request. The session is saved again (one write) at most once a
    minute (a tenth of the window if shorter), so pages keep their query counts; the window is
    exact to that. Everyone else keeps Django's `SESSION_COOKIE_AGE` (`SESSION_HOURS`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and (user.is_official or user.is_superuser):
            session = request.session
            age = int(settings.SESSION_OFFICIAL_HOURS * 3600)
            idle = time.time() - session.get(SEEN_KEY, 0)
            if session.get_expiry_age() != age or idle >= min(60, age / 10):
                official_session_touch(session)
        return self.get_response(request)


class AdminSite(admin.AdminSite):
    """The admin, closed to officials whose session has not passed the second factor (when
    `OFFICIALS_REQUIRE_2FA` is on): every payment decision is made here or through the API's
    official actions, which check the same (`require_second_factor`)."""

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return not requires_second_factor(request.user) or second_factor_verified(request.user)

    def login(self, request, extra_context=None):
        # A logged-in official without the second factor is sent to give it (or to enrol),
        # not shown the admin's "you are not authorised" login form.
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff
            and requires_second_factor(user)
            and not second_factor_verified(user)
        ):
            next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
            return redirect(f"{reverse('two-factor')}?{urlencode({'next': next_url})}")
        return super().login(request, extra_context)
