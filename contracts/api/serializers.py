from django.db.models import F
from rest_framework import serializers

from contracts import workflow
from contracts.models import (
    KPI,
    Contract,
    Evidence,
    Measurement,
    MechanismVersion,
    Milestone,
    PaymentCalculation,
    Period,
)


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

    project = serializers.CharField(source="project_code", read_only=True)
    city = serializers.CharField(source="city_name", read_only=True)
    sector = serializers.CharField(source="project_sector", read_only=True)
    government_party = serializers.CharField(source="government_party_name", read_only=True)
    private_party = serializers.CharField(source="private_party_name", read_only=True)

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
    contract = serializers.CharField(source="contract.code", read_only=True)
    is_late = serializers.BooleanField(read_only=True, help_text="submitted after due_on")

    class Meta:
        model = Period
        fields = [
            "id", "contract", "label", "starts_on", "ends_on", "due_on", "state",
            "submitted_at", "is_late", "performance_points", "compute_problem",
        ]  # fmt: skip


class MeasurementSerializer(serializers.ModelSerializer):
    contract = serializers.CharField(source="period.contract.code", read_only=True)
    kpi = serializers.CharField(source="kpi.code", read_only=True)
    submitted_by = serializers.StringRelatedField(allow_null=True)
    reviewed_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = Measurement
        fields = [
            "id", "contract", "period", "kpi", "revision", "is_current", "value", "points",
            "state", "source", "submitted_by", "submitted_at", "reviewed_by", "reviewed_at",
            "review_reason",
        ]  # fmt: skip


class MeasurementSubmitSerializer(serializers.Serializer):
    period = serializers.IntegerField(help_text="period id")
    kpi = serializers.CharField(help_text="KPI code")
    value = serializers.DecimalField(max_digits=20, decimal_places=6, required=False)
    points = serializers.DecimalField(max_digits=20, decimal_places=6, required=False)

    def validate(self, data):
        if ("value" in data) == ("points" in data):
            raise serializers.ValidationError(
                "give either value (measured KPIs) or points (manual)"
            )
        return data


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class MarkPaidSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=100)
    paid_on = serializers.DateField()


class EvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.StringRelatedField()
    download = serializers.HyperlinkedIdentityField(view_name="evidence-download")

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
    contract = serializers.CharField(source="period.contract.code", read_only=True)
    period_label = serializers.CharField(source="period.label", read_only=True)
    mechanism_version = serializers.IntegerField(source="mechanism_version.version")
    prepared_by = serializers.StringRelatedField(allow_null=True)
    approved_by = serializers.StringRelatedField(allow_null=True)
    result = serializers.JSONField(read_only=True)
    actions = serializers.SerializerMethodField(
        help_text="what the caller may do now (contracts/workflow.py): compute, prepare, "
        "approve, return, mark_paid, adjust"
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
        return workflow.allowed_actions(calculation, self.context["request"].user)


class BundleErrorSerializer(serializers.Serializer):
    path = serializers.CharField()
    message = serializers.CharField()
