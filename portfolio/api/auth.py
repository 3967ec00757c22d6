"""API tokens (django-rest-knox): POST username and password, get a token that is stored
only as a hash and expires after `API_TOKEN_HOURS`; the user revokes it (logout) or all of
theirs (logoutall), an administrator deletes any in the admin (Auth tokens)."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox import views as knox
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.throttling import ScopedRateThrottle


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, write_only=True)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)

    def validate(self, attrs):
        # The Django request, not DRF's: django-axes counts the failure on it and its
        # middleware answers 429 once the account is locked.
        request = self.context["request"]._request
        user = authenticate(request=request, username=attrs["username"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(
                _("Unable to log in with provided credentials."), code="authorization"
            )
        attrs["user"] = user
        return attrs


TOKEN = inline_serializer(
    "Token",
    {
        "token": serializers.CharField(help_text="send as `Authorization: Token <token>`"),
        "expiry": serializers.DateTimeField(),
    },
)


class TokenLoginView(knox.LoginView):
    """POST username and password, get a new token and its expiry (throttled: scope `auth`;
    failed logins count towards the account's lockout)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=CredentialsSerializer,
        responses={200: TOKEN, 429: OpenApiResponse(description="throttled, or account locked")},
    )
    def post(self, request, format=None):
        serializer = CredentialsSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        request.user = serializer.validated_data["user"]
        return super().post(request, format=format)


class TokenLogoutView(knox.LogoutView):
    """Revoke the token this request is made with."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format=format)


class TokenLogoutAllView(knox.LogoutAllView):
    """Revoke every token of the caller."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format=format)
