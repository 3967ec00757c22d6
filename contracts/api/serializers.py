from django.db.models import F
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contracts import workflow
from contracts.models import (
    KPI,
    KPI_DECIMAL,
    Contract,
    Evidence,
    Measurement,
    MechanismVersion,
    Milestone,
    Objection,
    ObjectionEvidence,
    PaymentCalculation,
    Period,
    RectificationFile,
    RectificationNotice,
)
from contracts.numbers import validate_figure
from contracts.services.approvals import REFERENCE_MAX_LENGTH, paid_on_problem
from contracts.services.rectifications import TEXT_MAX_LENGTH, deadline_problem
from portfolio.codes import CodeError, code_normalize


class KPISerializer(serializers.ModelSerializer):
    class Meta:
        model = KPI
        fields = [
            "code", "name", "dimension", "unit", "rule", "direction", "target", "floor",
            "max_points", "step", "points_per_step", "partial_step",
        ]  # fmt: skip


class MechanismVersionSerializer(serializers.ModelSerializer):
    kpis = KPISerializer(many=True, read_only=True)

    class Meta:
        model = MechanismVersion
        fields = ["version", "effective_from", "agreement", "type", "definition", "kpis"]


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["code", "name", "due_on", "met_on"]


# A contract's own columns the API shows, and the related names (read by the query itself:
# ContractViewSet annotates a contract, or lists `.values()` rows, instead of four related
# objects a row).
CONTRACT_COLUMNS = [
    "id", "code", "title", "signed_on", "starts_on", "ends_on", "currency", "frequency",
]  # fmt: skip
CONTRACT_NAMES = {
    "project_code": F("project__code"),
    "city_name": F("project__city__name"),
    "project_sector": F("project__sector"),
    "government_party_name": F("government_party__name"),
    "private_party_name": F("private_party__name"),
}


class ContractSerializer(serializers.ModelSerializer):
    """Reads a contract annotated with CONTRACT_NAMES, or a `.values()` row of the same."""

    project = serializers.CharField(source="project_code", read_only=True, label=_("project"))
    city = serializers.CharField(source="city_name", read_only=True, label=_("city"))
    sector = serializers.CharField(source="project_sector", read_only=True, label=_("sector"))
    government_party = serializers.CharField(
        source="government_party_name", read_only=True, label=_("government party")
    )
    private_party = serializers.CharField(
        source="private_party_name", read_only=True, label=_("private party")
    )

    class Meta:
        model = Contract
        fields = [
            "id", "code", "title", "project", "city", "sector", "government_party",
            "private_party", "signed_on", "starts_on", "ends_on", "currency", "frequency",
        ]  # fmt: skip


class ContractDetailSerializer(ContractSerializer):
    mechanism_versions = MechanismVersionSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta(ContractSerializer.Meta):
        fields = [*ContractSerializer.Meta.fields, "mechanism_versions", "milestones"]


class PeriodSerializer(serializers.ModelSerializer):
    contract = serializers.CharField(source="contract.code", read_only=True, label=_("contract"))
    is_late = serializers.BooleanField(
        read_only=True, help_text="submitted after due_on", label=_("submitted late")
    )

    class Meta:
        model = Period
        fields = [
            "id", "contract", "label", "starts_on", "ends_on", "due_on", "state",
            "submitted_at", "is_late", "performance_points", "compute_problem",
        ]  # fmt: skip


class MeasurementSerializer(serializers.ModelSerializer):
    contract = serializers.CharField(
        source="period.contract.code", read_only=True, label=_("contract")
    )
    kpi = serializers.CharField(source="kpi.code", read_only=True, label=_("KPI"))
    submitted_by = serializers.StringRelatedField(allow_null=True, label=_("submitted by"))
    reviewed_by = serializers.StringRelatedField(allow_null=True, label=_("reviewed by"))

    class Meta:
        model = Measurement
        fields = [
            "id", "contract", "period", "kpi", "revision", "is_current", "value", "points",
            "state", "source", "submitted_by", "submitted_at", "reviewed_by", "reviewed_at",
            "review_reason", "origin", "sample_size", "fingerprint",
        ]  # fmt: skip


class CodeField(serializers.CharField):
    """A code in its normal form (portfolio/codes.py): `ＯＵＴ-1` is OUT-1."""

    def to_internal_value(self, data):
        try:
            return code_normalize(super().to_internal_value(data), max_length=self.max_length)
        except CodeError as exc:
            raise serializers.ValidationError(str(exc)) from None


class MeasurementSubmitSerializer(serializers.Serializer):
    period = serializers.IntegerField(help_text="period id")
    kpi = CodeField(help_text="KPI code", max_length=KPI._meta.get_field("code").max_length)
    # The columns' digits and places: DRF refuses what they cannot hold (and NaN, Infinity).
    value = serializers.DecimalField(**KPI_DECIMAL, required=False, validators=[validate_figure])
    points = serializers.DecimalField(**KPI_DECIMAL, required=False, validators=[validate_figure])

    def validate(self, data):
        if ("value" in data) == ("points" in data):
            raise serializers.ValidationError(
                _("give either value (measured KPIs) or points (manual)")
            )
        return data


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class MarkPaidSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=REFERENCE_MAX_LENGTH)
    paid_on = serializers.DateField(help_text="from 2000-01-01 to today")

    def validate_paid_on(self, value):
        if problem := paid_on_problem(value):
            raise serializers.ValidationError(problem)
        return value


class EvidenceSerializer(serializers.ModelSerializer):
    # null: the telemetry aggregation's per-device summary, written by the city, not a person
    uploaded_by = serializers.StringRelatedField(
        label=_("uploaded by"),
        allow_null=True,
        help_text=_("null for the per-device summary of a telemetry KPI (computed by the city)"),
    )
    download = serializers.HyperlinkedIdentityField(
        view_name="evidence-download", label=_("download")
    )

    class Meta:
        model = Evidence
        fields = [
            "id", "measurement", "original_name", "sha256", "size", "content_type",
            "uploaded_by", "uploaded_at", "download",
        ]  # fmt: skip


class EvidenceUploadSerializer(serializers.Serializer):
    measurement = serializers.IntegerField(help_text="measurement id")
    file = serializers.FileField()


class PaymentSerializer(serializers.ModelSerializer):
    contract = serializers.CharField(
        source="period.contract.code", read_only=True, label=_("contract")
    )
    period_label = serializers.CharField(
        source="period.label", read_only=True, label=_("period label")
    )
    mechanism_version = serializers.IntegerField(
        source="mechanism_version.version", label=_("mechanism version")
    )
    prepared_by = serializers.StringRelatedField(allow_null=True, label=_("prepared by"))
    approved_by = serializers.StringRelatedField(allow_null=True, label=_("approved by"))
    result = serializers.JSONField(read_only=True, label=_("result"))
    actions = serializers.SerializerMethodField(
        help_text="what the caller may do now (contracts/workflow.py): compute, prepare, "
        "approve, return, mark_paid, adjust",
        label=_("allowed actions"),
    )

    class Meta:
        model = PaymentCalculation
        fields = [
            "id", "contract", "period", "period_label", "state", "mechanism_version", "score",
            "grade", "coefficient", "full_amount", "deduction", "payable", "result",
            "computed_at", "computed_via", "prepared_by", "prepared_at", "approved_by",
            "approved_at", "paid_reference", "paid_on", "actions",
        ]  # fmt: skip

    def get_actions(self, calculation) -> list[str]:
        request = self.context.get("request")  # no caller (a serializer used alone): none
        return workflow.allowed_actions(calculation, request.user) if request else []


class ObjectionEvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.StringRelatedField(label=_("uploaded by"))
    download = serializers.HyperlinkedIdentityField(
        view_name="objection-evidence-download", label=_("download")
    )

    class Meta:
        model = ObjectionEvidence
        fields = [
            "id", "objection", "original_name", "sha256", "size", "content_type",
            "uploaded_by", "uploaded_at", "download",
        ]  # fmt: skip


class ObjectionSerializer(serializers.ModelSerializer):
    contract = serializers.CharField(
        source="period.contract.code", read_only=True, label=_("contract")
    )
    period_label = serializers.CharField(
        source="period.label", read_only=True, label=_("period label")
    )
    lodged_by = serializers.StringRelatedField(label=_("lodged by"))
    decided_by = serializers.StringRelatedField(allow_null=True, label=_("decided by"))
    evidence = ObjectionEvidenceSerializer(many=True, read_only=True)
    actions = serializers.SerializerMethodField(
        help_text="what the caller may do now (contracts/workflow.py): add_evidence, uphold, "
        "accept",
        label=_("allowed actions"),
    )

    class Meta:
        model = Objection
        fields = [
            "id", "contract", "period", "period_label", "calculation", "measurement", "item",
            "reason", "state", "shown_at", "window_closes_on", "lodged_by", "lodged_at",
            "decided_by", "decided_at", "decision_reason", "outcome", "adjustment", "evidence",
            "actions",
        ]  # fmt: skip

    def get_actions(self, objection) -> list[str]:
        request = self.context.get("request")
        return workflow.allowed_actions(objection, request.user) if request else []


class ObjectionLodgeSerializer(serializers.Serializer):
    calculation = serializers.IntegerField(required=False, help_text="payment id")
    measurement = serializers.IntegerField(required=False, help_text="measurement id")
    reason = serializers.CharField(max_length=5000)
    item = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="the part contested, e.g. a deduction line",
    )

    def validate(self, data):
        given = [name for name in ("calculation", "measurement") if name in data]
        if len(given) != 1:
            message = _("Give either a calculation or a measurement, not both.")
            if not given:
                message = _("Give the calculation or the measurement objected to.")
            raise serializers.ValidationError({"calculation": [message]})
        return data


class ObjectionEvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class ObjectionAcceptSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)
    amount = serializers.DecimalField(
        max_digits=17,
        decimal_places=2,
        required=False,
        help_text="the adjustment to propose, only once the payment is approved or paid",
    )


class BundleErrorSerializer(serializers.Serializer):
    path = serializers.CharField()
    message = serializers.CharField()


class RectificationFileSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.StringRelatedField(label=_("uploaded by"))
    download = serializers.HyperlinkedIdentityField(
        view_name="rectification-file-download", label=_("download")
    )

    class Meta:
        model = RectificationFile
        fields = [
            "id", "notice", "original_name", "sha256", "size", "content_type", "uploaded_by",
            "uploaded_at", "download",
        ]  # fmt: skip


class RectificationSerializer(serializers.ModelSerializer):
    contract = serializers.CharField(
        source="period.contract.code", read_only=True, label=_("contract")
    )
    period_label = serializers.CharField(
        source="period.label", read_only=True, label=_("period label")
    )
    kpi = serializers.CharField(source="kpi.code", read_only=True, allow_null=True, label=_("KPI"))
    issued_by = serializers.StringRelatedField(label=_("issued by"))
    answered_by = serializers.StringRelatedField(allow_null=True, label=_("answered by"))
    sent_back_by = serializers.StringRelatedField(allow_null=True, label=_("sent back by"))
    verified_by = serializers.StringRelatedField(allow_null=True, label=_("verified by"))
    is_overdue = serializers.SerializerMethodField(
        help_text="deadline passed and not verified", label=_("overdue")
    )
    actions = serializers.SerializerMethodField(
        help_text="what the caller may do now (contracts/workflow.py): upload, answer, verify, "
        "send_back",
        label=_("allowed actions"),
    )

    class Meta:
        model = RectificationNotice
        fields = [
            "id", "contract", "period", "period_label", "kpi", "problem", "required_action",
            "deadline", "state", "is_overdue", "issued_by", "issued_at", "answer",
            "answered_by", "answered_at", "send_back_reason", "sent_back_by", "sent_back_at",
            "verified_by", "verified_at", "actions",
        ]  # fmt: skip

    def get_is_overdue(self, notice) -> bool:
        return notice.is_overdue()

    def get_actions(self, notice) -> list[str]:
        request = self.context.get("request")
        actions = workflow.allowed_actions(notice, request.user) if request else []
        return [a for a in actions if a != "issue"]


class RectificationDetailSerializer(RectificationSerializer):
    files = RectificationFileSerializer(many=True, read_only=True, label=_("files"))

    class Meta(RectificationSerializer.Meta):
        fields = [*RectificationSerializer.Meta.fields, "files"]


class RectificationIssueSerializer(serializers.Serializer):
    period = serializers.IntegerField(help_text="period id")
    kpi = CodeField(
        required=False,
        help_text="KPI code (optional)",
        max_length=KPI._meta.get_field("code").max_length,
    )
    problem = serializers.CharField(max_length=TEXT_MAX_LENGTH, help_text="问题及原因")
    required_action = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    deadline = serializers.DateField(help_text="today or later")

    def validate_deadline(self, value):
        if problem := deadline_problem(value):
            raise serializers.ValidationError(problem)
        return value


class RectificationAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=TEXT_MAX_LENGTH)


class RectificationReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH)


class RectificationUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
