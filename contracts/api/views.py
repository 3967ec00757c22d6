"""API v1 for contracts, periods, measurements, evidence, payments and bundles.

Reads are scoped by `visible_to(user)` (outside the scope: 404). Writes call the same services
as the admin; a refusal by a service (wrong state, four eyes…) answers 409 with its reason.
"""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts.bundles import BundleInvalid, bundle_import, validate_bundle
from contracts.evidence_files import evidence_response
from contracts.filtersets import (
    ContractFilterSet,
    EvidenceFilterSet,
    MeasurementFilterSet,
    PaymentFilterSet,
    PeriodFilterSet,
)
from contracts.models import (
    KPI,
    Contract,
    Evidence,
    Measurement,
    MechanismVersion,
    PaymentCalculation,
    Period,
)
from contracts.services import approvals, measurements
from contracts.services.approvals import ActionRefused
from contracts.services.evidence import evidence_upload
from contracts.services.payments import payment_compute_enqueue
from contracts.uploads import UploadRejected
from portfolio.access import require_second_factor
from portfolio.api.pagination import CountedRows

from . import serializers as s

OFFICIAL_ROLES = ("preparer", "approver")
REFUSED = OpenApiResponse(description="refused by the workflow (state, four eyes…): detail")
NOT_FOUND = OpenApiResponse(description="not found, or outside the caller's scope")


class IsOfficial(permissions.BasePermission):
    message = "Officials only."

    def has_permission(self, request, view):
        if not (request.user.is_authenticated and request.user.role in OFFICIAL_ROLES):
            return False
        require_second_factor(request)  # every official action: OTP-verified sessions only
        return True


class IsEnterprise(permissions.BasePermission):
    message = "Enterprise staff only."

    def has_permission(self, request, view):
        return request.user.is_authenticated and request.user.role == "enterprise"


def refused(exc: ActionRefused) -> Response:
    return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)


class ScopedViewSet(viewsets.GenericViewSet):
    """Lists and details of what the caller may see."""

    def scoped(self):
        return self.queryset.model.objects.visible_to(self.request.user)

    def get_queryset(self):
        return self.scoped()


class ContractViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = Contract.objects.none()
    filterset_class = ContractFilterSet

    def get_serializer_class(self):
        return s.ContractDetailSerializer if self.action == "retrieve" else s.ContractSerializer

    def get_queryset(self):
        queryset = self.scoped().order_by("code")
        if self.action == "retrieve":
            queryset = queryset.annotate(**s.CONTRACT_NAMES).prefetch_related(
                Prefetch(
                    "mechanism_versions",
                    queryset=MechanismVersion.objects.prefetch_related("kpis"),
                ),
                "milestones",
            )
        return queryset

    def list(self, request, *args, **kwargs):
        # The API's most read list (other systems sync it): its rows as `.values()`, no
        # model instances, and the count without the joins.
        contracts = self.filter_queryset(self.get_queryset())
        rows = contracts.values(*s.CONTRACT_COLUMNS, **s.CONTRACT_NAMES)
        page = self.paginate_queryset(CountedRows(rows, counted=contracts))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class PeriodViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = Period.objects.none()
    serializer_class = s.PeriodSerializer
    filterset_class = PeriodFilterSet

    def get_queryset(self):
        return self.scoped().select_related("contract").order_by("contract__code", "starts_on")

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(description="queued: {period, status_url}"),
            404: NOT_FOUND,
            409: REFUSED,
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsOfficial])
    def compute(self, request, pk=None):
        """Compute the period's payment on a worker; poll the status URL for the result."""
        period = self.get_object()
        try:
            payment_compute_enqueue(period=period)
        except ActionRefused as exc:
            return refused(exc)
        status_url = request.build_absolute_uri(reverse("payment-list")) + f"?period={period.label}"
        status_url += f"&contract={period.contract.code}"
        return Response({"period": period.pk, "status_url": status_url}, status=202)


class MeasurementViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = Measurement.objects.none()
    serializer_class = s.MeasurementSerializer
    filterset_class = MeasurementFilterSet

    def get_queryset(self):
        return (
            self.scoped()
            .select_related("period__contract", "kpi", "submitted_by", "reviewed_by")
            .order_by("period__contract__code", "period__starts_on", "kpi__position", "revision")
        )

    @extend_schema(
        request=s.MeasurementSubmitSerializer,
        responses={201: s.MeasurementSerializer, 409: REFUSED, 404: NOT_FOUND},
    )
    def create(self, request):
        """Submit a KPI's value (or points, for manual KPIs) for an open period."""
        if not IsEnterprise().has_permission(request, self):
            self.permission_denied(request, message=IsEnterprise.message)
        data = s.MeasurementSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        period = get_object_or_404(
            Period.objects.visible_to(request.user), pk=data.validated_data["period"]
        )
        kpi = get_object_or_404(
            KPI.objects.filter(mechanism_version__contract=period.contract_id),
            code=data.validated_data["kpi"],
        )
        try:
            measurement = measurements.measurement_submit(
                period=period,
                kpi=kpi,
                user=request.user,
                source=Measurement.Source.API,
                value=data.validated_data.get("value"),
                points=data.validated_data.get("points"),
            )
        except ActionRefused as exc:
            return refused(exc)
        return Response(s.MeasurementSerializer(measurement).data, status=201)

    @extend_schema(request=None, responses={200: s.MeasurementSerializer, 409: REFUSED})
    @action(detail=True, methods=["post"], permission_classes=[IsOfficial])
    def accept(self, request, pk=None):
        try:
            measurement = measurements.measurement_accept(
                measurement=self.get_object(), user=request.user
            )
        except ActionRefused as exc:
            return refused(exc)
        return Response(s.MeasurementSerializer(measurement).data)

    @extend_schema(
        request=s.ReasonSerializer, responses={200: s.MeasurementSerializer, 409: REFUSED}
    )
    @action(detail=True, methods=["post"], url_path="return", permission_classes=[IsOfficial])
    def return_(self, request, pk=None):
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            measurement = measurements.measurement_return(
                measurement=self.get_object(),
                user=request.user,
                reason=data.validated_data["reason"],
            )
        except ActionRefused as exc:
            return refused(exc)
        return Response(s.MeasurementSerializer(measurement).data)


class EvidenceViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = Evidence.objects.none()
    serializer_class = s.EvidenceSerializer
    filterset_class = EvidenceFilterSet
    parser_classes = [MultiPartParser]
    throttle_scope = "uploads"

    def get_queryset(self):
        return self.scoped().select_related("uploaded_by").order_by("-uploaded_at")

    def get_throttles(self):
        return super().get_throttles() if self.action == "create" else []

    @extend_schema(
        request={"multipart/form-data": s.EvidenceUploadSerializer},
        responses={
            201: s.EvidenceSerializer,
            400: OpenApiResponse(description="bad file: reason"),
            404: NOT_FOUND,
            409: REFUSED,
        },
    )
    def create(self, request):
        """Upload a file (PDF, PNG, JPEG, XLSX or CSV, decided by its content) for a
        measurement; answers its sha256."""
        if not IsEnterprise().has_permission(request, self):
            self.permission_denied(request, message=IsEnterprise.message)
        data = s.EvidenceUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        measurement = get_object_or_404(
            Measurement.objects.visible_to(request.user), pk=data.validated_data["measurement"]
        )
        try:
            evidence = evidence_upload(
                measurement=measurement, upload=data.validated_data["file"], user=request.user
            )
        except UploadRejected as exc:
            return Response({"file": [exc.reason]}, status=400)
        except ActionRefused as exc:
            return refused(exc)
        return Response(self.get_serializer(evidence).data, status=201)

    @extend_schema(responses={(200, "application/octet-stream"): bytes, 404: NOT_FOUND})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file, as an attachment, after the scope check."""
        return evidence_response(self.get_object())


class PaymentViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = PaymentCalculation.objects.none()
    serializer_class = s.PaymentSerializer
    filterset_class = PaymentFilterSet

    def get_queryset(self):
        return (
            self.scoped()
            .select_related("period__contract", "mechanism_version", "prepared_by", "approved_by")
            .order_by("period__contract__code", "period__starts_on")
        )

    def _decide(self, decide) -> Response:
        try:
            calculation = decide(self.get_object())
        except ActionRefused as exc:
            return refused(exc)
        calculation = self.get_queryset().get(pk=calculation.pk)
        return Response(self.get_serializer(calculation).data)

    @extend_schema(request=None, responses={200: s.PaymentSerializer, 409: REFUSED})
    @action(detail=True, methods=["post"], permission_classes=[IsOfficial])
    def prepare(self, request, pk=None):
        return self._decide(lambda c: approvals.payment_prepare(calculation=c, user=request.user))

    @extend_schema(request=None, responses={200: s.PaymentSerializer, 409: REFUSED})
    @action(detail=True, methods=["post"], permission_classes=[IsOfficial])
    def approve(self, request, pk=None):
        return self._decide(lambda c: approvals.payment_approve(calculation=c, user=request.user))

    @extend_schema(request=s.ReasonSerializer, responses={200: s.PaymentSerializer, 409: REFUSED})
    @action(detail=True, methods=["post"], url_path="return", permission_classes=[IsOfficial])
    def return_(self, request, pk=None):
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data["reason"]
        return self._decide(
            lambda c: approvals.payment_return(calculation=c, user=request.user, reason=reason)
        )

    @extend_schema(request=s.MarkPaidSerializer, responses={200: s.PaymentSerializer, 409: REFUSED})
    @action(detail=True, methods=["post"], url_path="mark-paid", permission_classes=[IsOfficial])
    def mark_paid(self, request, pk=None):
        data = s.MarkPaidSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._decide(
            lambda c: approvals.payment_mark_paid(
                calculation=c, user=request.user, **data.validated_data
            )
        )


class BundleView(APIView):
    """Import a ppp-bundle/1 document (officials only): 201 with the contract, or 400 with
    every error and its JSON path; nothing is written on error."""

    permission_classes = [IsOfficial]

    @extend_schema(
        request={"application/json": dict},
        responses={
            201: OpenApiResponse(description="{contract, created, counts}"),
            400: OpenApiResponse(
                s.BundleErrorSerializer(many=True), description="every error and its JSON path"
            ),
            404: OpenApiResponse(description="the contract is another agency's"),
        },
    )
    def post(self, request):
        errors = validate_bundle(request.data)
        if not errors:
            code = request.data["contract"]["code"]
            if (
                Contract.objects.filter(code=code)
                .exclude(pk__in=Contract.objects.visible_to(request.user))
                .exists()
            ):
                raise NotFound  # another agency's contract: outside the caller's scope
            if not _is_own_agency(request.data, request.user.party):
                self.permission_denied(
                    request, message="You may import only your agency's contracts."
                )
        try:
            result = bundle_import(document=request.data, user=request.user)
        except BundleInvalid as exc:
            return Response(
                [{"path": e.path, "message": e.message} for e in exc.errors], status=400
            )
        return Response(
            {
                "contract": result.contract.code,
                "created": result.contract_created,
                "counts": result.counts,
            },
            status=201,
        )


def _is_own_agency(document: dict, party) -> bool:
    """Whether the bundle's government party is this party (by credit code, else by name)."""
    key = document["contract"]["government_party"]
    entry = next(p for p in document["parties"] if p["key"] == key)
    if entry.get("credit_code") and party.credit_code:
        return entry["credit_code"] == party.credit_code
    return entry["name"] == party.name
