"""API v1 for evaluation reports: request (202 + status URL), status, download, list.

Register in portfolio/api/urls.py:
    router.register("reports", reports.ReportViewSet, basename="report")
Reads are scoped by `Report.objects.visible_to(user)` (outside the scope: 404); a request is
checked against the caller's scope of contracts / cities before anything is made.
"""

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts.api.views import IsOfficial
from contracts.models import Contract
from portfolio.api.exports import ExportableListMixin

from .filtersets import ReportFilterSet
from .models import Report
from .ocds import ocds_release_package
from .selectors import ocds_contracts_data
from .services import (
    ReportRateLimited,
    ReportRefused,
    report_request_by_names,
    report_texts_update,
)

NOT_FOUND = OpenApiResponse(description="not found, or outside the caller's scope")
QUEUED = OpenApiResponse(description="new version queued: {id, version, state, status_url}")
UNCHANGED = OpenApiResponse(description="unchanged: the existing report {id, version, …}")
RATE_LIMITED = OpenApiResponse(
    description="too many new versions in the last hour (of this report, or by the caller): "
    "detail; try again later"
)


class ReportSerializer(serializers.ModelSerializer):
    contract = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    period = serializers.SlugRelatedField(slug_field="label", read_only=True, allow_null=True)
    city = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id", "kind", "contract", "period", "city", "year", "language", "version",
            "state", "progress", "error", "inputs_hash", "sha256", "size", "pages",
            "findings", "recommendations", "created_at", "rendered_at", "download_url",
        ]  # fmt: skip

    def get_download_url(self, report) -> str | None:
        if report.state != Report.State.READY:
            return None
        request = self.context.get("request")
        url = reverse("report-download", args=[report.pk])
        return request.build_absolute_uri(url) if request else url


class ReportRequestSerializer(serializers.Serializer):
    contract = serializers.CharField(required=False, help_text="contract code")
    period = serializers.CharField(required=False, help_text="period label, e.g. 2026-Q2")
    city = serializers.CharField(required=False, help_text="city name, e.g. 佛山")
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    language = serializers.ChoiceField(
        choices=Report.Language.choices, default=Report.Language.ZH_HANS
    )

    def validate(self, data):
        # One pair, whole: a contract with a city (and no period) was once a KeyError (500).
        contract_part = "contract" in data or "period" in data
        city_part = "city" in data or "year" in data
        if contract_part == city_part:
            raise serializers.ValidationError(
                _('give {"contract", "period"} or {"city", "year"}, not both')
            )
        pair = ("contract", "period") if contract_part else ("city", "year")
        missing = {
            name: [_("required with %(fields)s") % {"fields": " + ".join(pair)}]
            for name in pair
            if name not in data
        }
        if missing:
            raise serializers.ValidationError(missing)
        return data


class ReportTextsSerializer(serializers.Serializer):
    findings = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10000,
        help_text="问题及原因 (problems and causes)",
    )
    recommendations = serializers.CharField(
        required=False, allow_blank=True, max_length=10000, help_text="建议 (recommendations)"
    )

    def validate(self, data):
        # Neither text: nothing to write (a body that is not an object reads as empty).
        if not data:
            raise serializers.ValidationError("give findings, recommendations or both")
        return data


class ReportViewSet(
    ExportableListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = Report.objects.none()
    serializer_class = ReportSerializer
    filterset_class = ReportFilterSet

    def get_queryset(self):
        return (
            Report.objects.visible_to(self.request.user)
            .select_related("contract", "period", "city")
            .defer("inputs")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(
        request=ReportRequestSerializer,
        responses={
            202: QUEUED,
            200: UNCHANGED,
            404: NOT_FOUND,
            409: OpenApiResponse(description="cannot be made (no payment computed…): detail"),
            429: RATE_LIMITED,
        },
    )
    def create(self, request):
        """Request a report. Unchanged inputs answer 200 with the existing report's id; a new
        (or changed) report answers 202 and renders on a worker: poll `status_url`."""
        serializer = ReportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            report, created = report_request_by_names(
                user=request.user,
                language=data["language"],
                contract_code=data.get("contract", ""),
                period_label=data.get("period", ""),
                city_name=data.get("city", ""),
                year=data.get("year"),
            )
        except ReportRateLimited as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        except ReportRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return queued_response(request, report, created)

    @extend_schema(
        request=ReportTextsSerializer,
        responses={
            202: QUEUED,
            200: UNCHANGED,
            403: OpenApiResponse(description="not an official of the contract's agency"),
            404: NOT_FOUND,
            409: OpenApiResponse(description="a portfolio report, or cannot be made: detail"),
            429: RATE_LIMITED,
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsOfficial])
    def texts(self, request, pk=None):
        """Officials of the contract's agency write 问题及原因 and 建议: the contract period's
        report with these texts, as a new version (202, rendered on a worker) or the existing
        report that already has them and unchanged data (200). A field left out keeps this
        report's text."""
        report = self.get_object()
        if report.kind != Report.Kind.CONTRACT:
            return Response(
                {"detail": _("only a contract report has problems and recommendations")},
                status=status.HTTP_409_CONFLICT,
            )
        serializer = ReportTextsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        texts = {
            "findings": report.findings,
            "recommendations": report.recommendations,
            **serializer.validated_data,
        }
        try:
            new, created = report_texts_update(
                user=request.user,
                contract=report.contract,
                period_label=report.period.label,
                language=report.language,
                **texts,
            )
        except ReportRateLimited as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        except ReportRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return queued_response(request, new, created)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(description="the PDF/A-3b file"),
            404: NOT_FOUND,
            409: OpenApiResponse(description="not rendered yet: detail"),
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The PDF as an attachment, streamed; its sha256 is the report's `sha256`."""
        report = self.get_object()
        if report.state != Report.State.READY:
            return Response(
                {"detail": _("The report is %(state)s.") % {"state": report.get_state_display()}},
                status=status.HTTP_409_CONFLICT,
            )
        response = FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=report.filename,
            content_type="application/pdf",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Digest"] = f"sha-256={report.sha256}"
        return response


def queued_response(request, report: Report, created: bool) -> Response:
    status_url = request.build_absolute_uri(reverse("report-detail", args=[report.pk]))
    body = {
        "id": report.pk,
        "version": report.version,
        "state": report.state,
        "sha256": report.sha256 or None,
        "status_url": status_url,
    }
    return Response(body, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


class OcdsQuerySerializer(serializers.Serializer):
    contract = serializers.CharField(help_text="contract code, e.g. CS-WIFI-2016-01")


class OcdsReleasesView(APIView):
    """A contract as an OCDS 1.1.5 release package (OCDS for PPPs profile): parties, award,
    contract value, KPI targets, milestones, accepted measurements, approved and paid
    payments and their deductions. Public-safe fields only."""

    @extend_schema(
        parameters=[OcdsQuerySerializer],
        responses={
            200: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="an OCDS release package (release-package-schema.json, version 1.1)",
            ),
            400: OpenApiResponse(description="`contract` missing: {contract: [reason]}"),
            404: NOT_FOUND,
        },
    )
    def get(self, request):
        query = OcdsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        contracts = Contract.objects.visible_to(request.user).filter(
            code=query.validated_data["contract"]
        )
        data = ocds_contracts_data(contracts=contracts)
        if not data:
            raise Http404
        package = ocds_release_package(data, uri=request.build_absolute_uri())
        return Response(package)
