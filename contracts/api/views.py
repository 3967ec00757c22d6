"""API v1 for contracts, periods, measurements, evidence, payments and bundles.

Reads are scoped by `visible_to(user)` (outside the scope: 404). Writes call the same services
as the admin; a refusal by a service answers 409 with its reason, which is the workflow
table's (`contracts/workflow.py`: wrong state, role, four eyes, period not ended…); payments
list the caller's `actions` from the same table.
"""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts import workflow
from contracts.bundles import BundleInvalid, bundle_import
from contracts.evidence_files import evidence_response
from contracts.filtersets import (
    ContractFilterSet,
    EvidenceFilterSet,
    MeasurementFilterSet,
    ObjectionEvidenceFilterSet,
    ObjectionFilterSet,
    PaymentFilterSet,
    PeriodFilterSet,
    RectificationFileFilterSet,
    RectificationFilterSet,
)
from contracts.models import (
    KPI,
    Contract,
    Evidence,
    Measurement,
    MechanismVersion,
    Objection,
    ObjectionEvidence,
    PaymentCalculation,
    Period,
    RectificationFile,
    RectificationNotice,
)
from contracts.services import approvals, measurements, objections, rectifications
from contracts.services.evidence import evidence_upload
from contracts.services.payments import payment_compute_enqueue
from contracts.uploads import EVIDENCE_CONTENT_TYPES, UploadRejected
from contracts.workflow import ActionRefused
from portfolio.access import require_second_factor
from portfolio.api.exports import ExportableListMixin
from portfolio.api.pagination import CountedRows
from portfolio.api.parsers import JSONBodyRefused

from . import serializers as s

OFFICIAL_ROLES = ("preparer", "approver")
REFUSED = OpenApiResponse(description="refused by the workflow (state, four eyes…): detail")
NOT_FOUND = OpenApiResponse(description="not found, or outside the caller's scope")


class IsOfficial(permissions.BasePermission):
    message = gettext_lazy("Officials only.")

    def has_permission(self, request, view):
        if not (request.user.is_authenticated and request.user.role in OFFICIAL_ROLES):
            return False
        require_second_factor(request)  # every official action: OTP-verified sessions only
        return True


class IsEnterprise(permissions.BasePermission):
    message = gettext_lazy("Enterprise staff only.")

    def has_permission(self, request, view):
        return request.user.is_authenticated and request.user.role == "enterprise"


def refused(exc: ActionRefused) -> Response:
    return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)


class ScopedViewSet(ExportableListMixin, viewsets.GenericViewSet):
    """Lists and details of what the caller may see; lists export as CSV and XLSX."""

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
        if self.exporting:
            return self.export(rows)
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
            202: OpenApiResponse(
                description="queued: {period, status_url, period_url}; once the task has run, "
                "the payment is in status_url, or the period's compute_problem says why not"
            ),
            404: NOT_FOUND,
            409: REFUSED,
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsOfficial])
    def compute(self, request, pk=None):
        """Compute the period's payment on a worker; poll the status URL for the result (a
        prepared payment is computed again only once returned; approved or paid ones never)."""
        period = self.get_object()
        try:
            payment_compute_enqueue(period=period, user=request.user)
        except ActionRefused as exc:
            return refused(exc)
        status_url = request.build_absolute_uri(reverse("payment-list")) + f"?period={period.label}"
        status_url += f"&contract={period.contract.code}"
        period_url = request.build_absolute_uri(reverse("period-detail", args=[period.pk]))
        return Response(
            {"period": period.pk, "status_url": status_url, "period_url": period_url}, status=202
        )


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

    @extend_schema(
        responses={
            # The file as uploaded, with the type its content was checked to be.
            **{(200, content_type): bytes for content_type in EVIDENCE_CONTENT_TYPES},
            404: NOT_FOUND,
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file, as an attachment, after the scope check."""
        return evidence_response(self.get_object())


class PaymentViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = PaymentCalculation.objects.none()
    serializer_class = s.PaymentSerializer
    filterset_class = PaymentFilterSet

    def get_queryset(self):
        return workflow.with_open_objection(
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


class ObjectionViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Objections (异议复核): lodged by the contract's enterprise within the window, decided by
    officials of its agency; auditors read them. Not public: no OCDS."""

    queryset = Objection.objects.none()
    serializer_class = s.ObjectionSerializer
    throttle_scope = "uploads"  # the evidence upload only (get_throttles)
    filterset_class = ObjectionFilterSet

    def get_queryset(self):
        return (
            self.scoped()
            .select_related("period__contract", "lodged_by", "decided_by")
            .prefetch_related("evidence__uploaded_by")
            .order_by("-lodged_at", "-pk")
        )

    def get_throttles(self):
        return super().get_throttles() if self.action == "evidence" else []

    def _answer(self, objection, status_code=200) -> Response:
        objection = self.get_queryset().get(pk=objection.pk)
        return Response(self.get_serializer(objection).data, status=status_code)

    @extend_schema(
        request=s.ObjectionLodgeSerializer,
        responses={201: s.ObjectionSerializer, 404: NOT_FOUND, 409: REFUSED},
    )
    def create(self, request):
        """Object to a computed payment or to a returned or accepted measurement, within
        OBJECTION_WINDOW_WORKING_DAYS working days of its being shown (409 after, with the
        date the window closed)."""
        if not IsEnterprise().has_permission(request, self):
            self.permission_denied(request, message=IsEnterprise.message)
        data = s.ObjectionLodgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "calculation" in data.validated_data:
            model, pk = PaymentCalculation, data.validated_data["calculation"]
        else:
            model, pk = Measurement, data.validated_data["measurement"]
        subject = get_object_or_404(model.objects.visible_to(request.user), pk=pk)
        try:
            objection = objections.objection_lodge(
                subject=subject,
                user=request.user,
                reason=data.validated_data["reason"],
                item=data.validated_data.get("item", ""),
            )
        except ActionRefused as exc:
            return refused(exc)
        return self._answer(objection, 201)

    @extend_schema(
        request={"multipart/form-data": s.ObjectionEvidenceUploadSerializer},
        responses={
            201: s.ObjectionEvidenceSerializer,
            400: OpenApiResponse(description="bad file: reason"),
            404: NOT_FOUND,
            409: REFUSED,
        },
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def evidence(self, request, pk=None):
        """A file for an open objection (PDF, PNG, JPEG, XLSX or CSV by its content)."""
        if not IsEnterprise().has_permission(request, self):
            self.permission_denied(request, message=IsEnterprise.message)
        objection = self.get_object()
        data = s.ObjectionEvidenceUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            evidence = objections.objection_add_evidence(
                objection=objection, upload=data.validated_data["file"], user=request.user
            )
        except UploadRejected as exc:
            return Response({"file": [exc.reason]}, status=400)
        except ActionRefused as exc:
            return refused(exc)
        answer = s.ObjectionEvidenceSerializer(evidence, context={"request": request})
        return Response(answer.data, status=201)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.ObjectionSerializer, 409: REFUSED})
    @action(detail=True, methods=["post"], permission_classes=[IsOfficial])
    def uphold(self, request, pk=None):
        """The figure stands, for the reason given."""
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            objection = objections.objection_uphold(
                objection=self.get_object(),
                user=request.user,
                reason=data.validated_data["reason"],
            )
        except ActionRefused as exc:
            return refused(exc)
        return self._answer(objection)

    @extend_schema(
        request=s.ObjectionAcceptSerializer,
        responses={
            200: s.ObjectionSerializer,
            400: OpenApiResponse(description="the amount missing or not wanted: reason"),
            409: REFUSED,
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsOfficial])
    def accept(self, request, pk=None):
        """The figure is corrected: a measurement reopened for correction, a payment computed
        again, or once approved an adjustment of `amount` proposed (four eyes)."""
        data = s.ObjectionAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            objection = objections.objection_accept(
                objection=self.get_object(), user=request.user, **data.validated_data
            )
        except objections.ObjectionInputError as exc:
            return Response({exc.field: [exc.reason]}, status=400)
        except ActionRefused as exc:
            return refused(exc)
        return self._answer(objection)


class AttachedFileViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Files attached to an objection or a rectification notice, scoped like what they are
    attached to, newest first, each with its download."""

    def get_queryset(self):
        return self.scoped().select_related("uploaded_by").order_by("-uploaded_at", "-pk")

    @extend_schema(
        responses={
            **{(200, content_type): bytes for content_type in EVIDENCE_CONTENT_TYPES},
            404: NOT_FOUND,
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file, as an attachment, after the scope check."""
        return evidence_response(self.get_object())


class ObjectionEvidenceViewSet(AttachedFileViewSet):
    """The files of objections, scoped like them (`?objection=` lists one objection's)."""

    queryset = ObjectionEvidence.objects.none()
    serializer_class = s.ObjectionEvidenceSerializer
    filterset_class = ObjectionEvidenceFilterSet


def invalid(exc: rectifications.RectificationInvalid) -> Response:
    return Response({name: [reason] for name, reason in exc.errors.items()}, status=400)


class RectificationViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Rectification notices (整改): officials of the contract's agency issue them on a period
    and verify or send back the company's answer; the company's staff attach closure files
    (`evidence/`, before answering) and answer. Not published in OCDS."""

    queryset = RectificationNotice.objects.none()
    filterset_class = RectificationFilterSet
    throttle_scope = "uploads"

    def get_throttles(self):
        return super().get_throttles() if self.action == "evidence" else []

    def get_serializer_class(self):
        if self.action in ("retrieve", "evidence", "answer", "verify", "send_back", "create"):
            return s.RectificationDetailSerializer
        return s.RectificationSerializer

    def get_queryset(self):
        queryset = (
            self.scoped()
            .select_related(
                "period__contract",
                "kpi",
                "issued_by",
                "answered_by",
                "sent_back_by",
                "verified_by",
            )
            .order_by("period__contract__code", "period__starts_on", "issued_at", "pk")
        )
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("files", queryset=RectificationFile.objects.select_related("uploaded_by"))
            )
        return queryset

    def _answer(self, notice) -> Response:
        notice = self.get_queryset().get(pk=notice.pk)
        return Response(
            s.RectificationDetailSerializer(notice, context=self.get_serializer_context()).data
        )

    @extend_schema(
        request=s.RectificationIssueSerializer,
        responses={201: s.RectificationDetailSerializer, 404: NOT_FOUND, 409: REFUSED},
    )
    def create(self, request):
        """Issue a notice on a period (officials of the contract's agency): the problem and
        its cause, the required action, a deadline, optionally the KPI it is about."""
        if not IsOfficial().has_permission(request, self):
            self.permission_denied(request, message=IsOfficial.message)
        data = s.RectificationIssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        period = get_object_or_404(
            Period.objects.visible_to(request.user).select_related("contract"),
            pk=data.validated_data["period"],
        )
        kpi = None
        if code := data.validated_data.get("kpi"):
            kpi = KPI.objects.filter(mechanism_version__contract=period.contract_id, code=code)
            kpi = (
                kpi.select_related("mechanism_version")
                .order_by("-mechanism_version__effective_from")
                .first()
            )
            if kpi is None:
                return Response({"kpi": [_("The KPI is not one of the contract's.")]}, status=400)
        try:
            notice = rectifications.rectification_issue(
                period=period,
                user=request.user,
                kpi=kpi,
                problem=data.validated_data["problem"],
                required_action=data.validated_data["required_action"],
                deadline=data.validated_data["deadline"],
            )
        except rectifications.RectificationInvalid as exc:
            return invalid(exc)
        except ActionRefused as exc:
            return refused(exc)
        response = self._answer(notice)
        response.status_code = 201
        return response

    @extend_schema(
        request={"multipart/form-data": s.RectificationUploadSerializer},
        responses={
            201: s.RectificationFileSerializer,
            400: OpenApiResponse(description="bad file: reason"),
            404: NOT_FOUND,
            409: REFUSED,
        },
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def evidence(self, request, pk=None):
        """Attach a closure evidence file (PDF, PNG, JPEG, XLSX or CSV, decided by content)
        to a notice the company has still to answer (issued or sent back)."""
        if not IsEnterprise().has_permission(request, self):
            self.permission_denied(request, message=IsEnterprise.message)
        notice = self.get_object()
        data = s.RectificationUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            record = rectifications.rectification_upload(
                notice=notice, upload=data.validated_data["file"], user=request.user
            )
        except UploadRejected as exc:
            return Response({"file": [exc.reason]}, status=400)
        except ActionRefused as exc:
            return refused(exc)
        return Response(
            s.RectificationFileSerializer(record, context=self.get_serializer_context()).data,
            status=201,
        )

    @extend_schema(
        request=s.RectificationAnswerSerializer,
        responses={200: s.RectificationDetailSerializer, 404: NOT_FOUND, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """The company says what it did (its files attached before): the notice waits for
        the officials' verification."""
        if not IsEnterprise().has_permission(request, self):
            self.permission_denied(request, message=IsEnterprise.message)
        notice = self.get_object()
        data = s.RectificationAnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            notice = rectifications.rectification_answer(
                notice=notice, user=request.user, answer=data.validated_data["answer"]
            )
        except rectifications.RectificationInvalid as exc:
            return invalid(exc)
        except ActionRefused as exc:
            return refused(exc)
        return self._answer(notice)

    @extend_schema(
        request=None,
        responses={200: s.RectificationDetailSerializer, 404: NOT_FOUND, 409: REFUSED},
    )
    @action(detail=True, methods=["post"], permission_classes=[IsOfficial])
    def verify(self, request, pk=None):
        """Close the notice: the answer and its files show the problem fixed."""
        try:
            notice = rectifications.rectification_verify(
                notice=self.get_object(), user=request.user
            )
        except ActionRefused as exc:
            return refused(exc)
        return self._answer(notice)

    @extend_schema(
        request=s.RectificationReasonSerializer,
        responses={200: s.RectificationDetailSerializer, 404: NOT_FOUND, 409: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="send-back", permission_classes=[IsOfficial])
    def send_back(self, request, pk=None):
        """Send the answer back to the company, with the reason: it answers again."""
        data = s.RectificationReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            notice = rectifications.rectification_send_back(
                notice=self.get_object(), user=request.user, reason=data.validated_data["reason"]
            )
        except rectifications.RectificationInvalid as exc:
            return invalid(exc)
        except ActionRefused as exc:
            return refused(exc)
        return self._answer(notice)


class RectificationFileViewSet(AttachedFileViewSet):
    """Closure evidence files of rectification notices, scoped like their notices."""

    queryset = RectificationFile.objects.none()
    serializer_class = s.RectificationFileSerializer
    filterset_class = RectificationFileFilterSet


BUNDLE_STATUS = {"invalid": 400, "forbidden": 403, "not_found": 404}


class BundleView(APIView):
    """Import a ppp-bundle/1 document (officials only, within their agency: `bundle_import`
    with the caller as the user): 201 with the contract, or every error and its JSON path —
    400 for a bad document, 403 for another agency named as the government party, 404 for
    another agency's project or contract (only those errors then); nothing is written on
    error."""

    permission_classes = [IsOfficial]

    @extend_schema(
        request={"application/json": dict},
        responses={
            201: OpenApiResponse(description="{contract, created, counts}"),
            400: OpenApiResponse(
                s.BundleErrorSerializer(many=True), description="every error and its JSON path"
            ),
            403: OpenApiResponse(
                s.BundleErrorSerializer(many=True),
                description="not an official, or another agency as the government party",
            ),
            404: OpenApiResponse(
                s.BundleErrorSerializer(many=True),
                description="another agency's project or contract: its JSON path",
            ),
        },
    )
    def post(self, request):
        try:
            document = request.data
        except JSONBodyRefused as exc:
            return Response(
                [{"path": exc.refused.path, "message": str(exc.refused.reason)}], status=400
            )
        try:
            result = bundle_import(document=document, user=request.user)
        except BundleInvalid as exc:
            kind = exc.kind
            return Response(
                [{"path": e.path, "message": e.message} for e in exc.errors if e.kind == kind],
                status=BUNDLE_STATUS[kind],
            )
        return Response(
            {
                "contract": result.contract.code,
                "created": result.contract_created,
                "counts": result.counts,
            },
            status=201,
        )
