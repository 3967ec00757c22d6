"""Telemetry API: ingestion with a contract's ingest key, the raw export for officials and
auditors (their own login, scoped by `visible_to`)."""

import re

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import authentication, exceptions, permissions, renderers, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts.models import Period, TelemetryStream
from contracts.telemetry.export import EXPORT_FORMATS, export_chunks
from contracts.telemetry.ingest import BatchRefused, telemetry_ingest
from contracts.telemetry.keys import ingest_key_authenticate
from portfolio.models import User


class IngestKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer ppp_ik_…`: a contract's ingest key (not a person). Unknown,
    malformed or revoked: 401. The request has no user; `request.auth` is the key."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give the ingest key after Bearer."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked ingest key.")) from None
        key = ingest_key_authenticate(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked ingest key."))
        return None, key

    def authenticate_header(self, request):
        return f'{self.keyword} realm="telemetry"'


class IngestKeyScheme(OpenApiAuthenticationExtension):
    target_class = IngestKeyAuthentication
    name = "ingestKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "a contract's ingest key"}


class HasIngestKey(permissions.BasePermission):
    message = gettext_lazy("Send the contract's ingest key: Authorization: Bearer <key>.")

    def has_permission(self, request, view):
        return request.auth is not None and hasattr(request.auth, "contract_id")


COUNTS = inline_serializer(
    "TelemetryIngested",
    {
        "received": serializers.IntegerField(),
        "new": serializers.IntegerField(),
        "duplicates": serializers.IntegerField(),
    },
)
REFUSED = inline_serializer(
    "TelemetryRefused",
    {
        "detail": serializers.CharField(),
        "errors": inline_serializer(
            "TelemetryLineError",
            {
                "line": serializers.IntegerField(),
                "field": serializers.CharField(),
                "message": serializers.CharField(),
            },
            many=True,
        ),
    },
)


class TelemetryIngestView(APIView):
    """POST one batch of records (NDJSON or CSV, `Content-Encoding: gzip` allowed) into one
    of the key's contract's streams; the whole batch is accepted or refused."""

    authentication_classes = [IngestKeyAuthentication]
    permission_classes = [HasIngestKey]
    parser_classes = []  # the body is read as a stream by the service

    @extend_schema(
        operation_id="telemetry_ingest",
        request={
            "application/x-ndjson": OpenApiTypes.STR,
            "text/csv": OpenApiTypes.STR,
        },
        responses={
            200: COUNTS,
            400: OpenApiResponse(REFUSED, description="refused whole: the first errors"),
            401: OpenApiResponse(description="no ingest key, or an unknown or revoked one"),
            404: OpenApiResponse(description="no such stream in the key's contract"),
            413: OpenApiResponse(REFUSED, description="larger than TELEMETRY_MAX_BATCH_BYTES"),
            415: OpenApiResponse(REFUSED, description="not NDJSON or CSV, or not gzip"),
        },
    )
    def post(self, request, stream: str):
        key = request.auth
        found = (
            TelemetryStream.objects.select_related("contract")
            .filter(contract_id=key.contract_id, code=stream)
            .first()
        )
        if found is None:
            raise exceptions.NotFound(
                _("The key's contract has no stream %(code)s.") % {"code": stream}
            )
        try:
            result = telemetry_ingest(
                stream=found,
                body=request._request,
                content_type=request.META.get("CONTENT_TYPE", ""),
                content_encoding=request.META.get("HTTP_CONTENT_ENCODING", ""),
            )
        except BatchRefused as exc:
            return Response({"detail": exc.detail, "errors": exc.errors}, status=exc.status)
        return Response(result.as_dict())


class _ExportRenderer(renderers.BaseRenderer):
    """`?format=` picks the export; errors are answered in JSON (handle_exception)."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return b""


class NDJSONRenderer(_ExportRenderer):
    media_type, format = "application/x-ndjson", "ndjson"


class CSVRenderer(_ExportRenderer):
    media_type, format = "text/csv", "csv"


class LinesRenderer(_ExportRenderer):
    media_type, format = "text/plain", "lines"


class CanExportTelemetry(permissions.BasePermission):
    message = gettext_lazy("Officials and auditors only.")

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user.is_authenticated
            and (user.is_superuser or user.is_official or user.role == User.Role.AUDITOR)
        )


# A period label (2026, 2026-Q1, 2026-03); any other number is a period id (`id:N` always).
LABEL = re.compile(r"^(19|20)\d\d(-Q[1-4]|-(0[1-9]|1[0-2]))?$")


class TelemetryExportView(APIView):
    """GET the exact records of one stream in one period, in the canonical order and line
    format (`docs/telemetry.md`, "Raw record export"), streamed."""

    permission_classes = [CanExportTelemetry]
    renderer_classes = [NDJSONRenderer, CSVRenderer, LinesRenderer]

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return response

    @extend_schema(
        operation_id="telemetry_export",
        parameters=[
            OpenApiParameter("period", str, required=True, description="period id or label"),
            OpenApiParameter("contract", str, description="contract code, when labels clash"),
            OpenApiParameter(
                "format",
                str,
                pattern="^(ndjson|csv|lines)?$",
                description="ndjson (default), csv, or lines: the canonical lines",
            ),
        ],
        responses={
            (200, "application/x-ndjson"): OpenApiTypes.STR,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "text/plain"): OpenApiTypes.STR,
            400: OpenApiResponse(description="no period given, or a label several match"),
        },
    )
    def get(self, request, stream: str):
        text = request.query_params.get("period", "").strip()
        if not text:
            raise exceptions.ValidationError({"period": [_("Give the period: its id or label.")]})
        streams = TelemetryStream.objects.visible_to(request.user).filter(code=stream)
        if contract := request.query_params.get("contract"):
            streams = streams.filter(contract__code=contract)
        periods = Period.objects.filter(contract__in=streams.values("contract")).select_related(
            "contract"
        )
        if text.startswith("id:") and text[3:].isdigit():
            periods = periods.filter(pk=int(text[3:]))
        elif text.isdigit() and not LABEL.match(text):
            periods = periods.filter(pk=int(text))
        else:
            periods = periods.filter(label=text)
        found = list(periods[:2])
        if not found:
            raise exceptions.NotFound()
        if len(found) > 1:
            raise exceptions.ValidationError(
                {
                    "period": [
                        _("Several contracts have this stream and period: give contract=CODE.")
                    ]
                }
            )
        period = found[0]
        stream_obj = streams.select_related("contract").get(contract=period.contract)
        fmt = request.accepted_renderer.format
        response = StreamingHttpResponse(
            export_chunks(stream=stream_obj, period=period, fmt=fmt),
            content_type=f"{EXPORT_FORMATS[fmt]}; charset=utf-8",
        )
        extension = {"ndjson": "ndjson", "csv": "csv", "lines": "txt"}[fmt]
        name = f"{period.contract.code}-{stream_obj.code}-{period.label}.{extension}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
