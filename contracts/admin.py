from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    KPI,
    AvailabilityFailure,
    Contract,
    DeductionEvent,
    Evidence,
    Measurement,
    MechanismVersion,
    Milestone,
    PaymentCalculation,
    PaymentRun,
    Period,
)


class MechanismVersionInline(admin.TabularInline):
    model = MechanismVersion
    fields = ["version", "effective_from", "type", "agreement"]
    extra = 0
    show_change_link = True


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


class KPIInline(admin.TabularInline):
    model = KPI
    extra = 0
    fields = [
        "position",
        "code",
        "name",
        "dimension",
        "unit",
        "rule",
        "direction",
        "target",
        "floor",
        "max_points",
        "step",
        "points_per_step",
        "partial_step",
    ]


class MeasurementInline(admin.TabularInline):
    model = Measurement
    extra = 0
    fields = ["kpi", "revision", "is_current", "value", "points", "state", "source", "submitted_by"]
    raw_id_fields = ["kpi", "submitted_by"]


class AvailabilityFailureInline(admin.TabularInline):
    model = AvailabilityFailure
    extra = 0


class DeductionEventInline(admin.TabularInline):
    model = DeductionEvent
    extra = 0


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "title",
        "project",
        "government_party",
        "private_party",
        "frequency",
        "starts_on",
        "ends_on",
    ]
    list_filter = ["frequency", "currency", "project__city", "project__sector", "project__stage"]
    search_fields = ["code", "title", "project__code", "project__name", "private_party__name"]
    list_select_related = ["project", "government_party", "private_party"]
    autocomplete_fields = ["project", "government_party", "private_party"]
    date_hierarchy = "starts_on"
    inlines = [MechanismVersionInline, MilestoneInline]


@admin.register(MechanismVersion)
class MechanismVersionAdmin(admin.ModelAdmin):
    list_display = ["contract", "version", "effective_from", "type", "agreement"]
    list_filter = ["type"]
    search_fields = ["contract__code", "agreement"]
    list_select_related = ["contract"]
    raw_id_fields = ["contract"]
    inlines = [KPIInline]


@admin.register(KPI)
class KPIAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "mechanism_version",
        "dimension",
        "rule",
        "target",
        "max_points",
    ]
    list_filter = ["dimension", "rule", "direction"]
    search_fields = ["code", "name", "mechanism_version__contract__code"]
    list_select_related = ["mechanism_version__contract"]
    raw_id_fields = ["mechanism_version"]


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "contract", "due_on", "met_on"]
    list_filter = ["due_on", "contract__project__city"]
    search_fields = ["code", "name", "contract__code"]
    list_select_related = ["contract"]
    raw_id_fields = ["contract"]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["contract", "label", "starts_on", "ends_on", "due_on", "state"]
    list_filter = ["state", "contract__frequency", "contract__project__city"]
    search_fields = ["label", "contract__code", "contract__private_party__name"]
    list_select_related = ["contract"]
    raw_id_fields = ["contract"]
    inlines = [MeasurementInline, AvailabilityFailureInline, DeductionEventInline]


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    list_display = ["period", "kpi", "revision", "is_current", "value", "points", "state", "source"]
    list_filter = ["state", "source", "is_current", "kpi__dimension"]
    search_fields = ["period__contract__code", "period__label", "kpi__code", "kpi__name"]
    list_select_related = ["period__contract", "kpi"]
    raw_id_fields = ["period", "kpi", "submitted_by", "reviewed_by"]


@admin.register(AvailabilityFailure)
class AvailabilityFailureAdmin(admin.ModelAdmin):
    list_display = ["period", "area", "weighting", "periods", "used", "failures_in_period"]
    list_filter = ["used"]
    search_fields = ["area", "period__contract__code"]
    list_select_related = ["period__contract"]
    raw_id_fields = ["period"]


@admin.register(DeductionEvent)
class DeductionEventAdmin(admin.ModelAdmin):
    list_display = ["period", "code", "quantity", "note"]
    list_filter = ["code"]
    search_fields = ["code", "note", "period__contract__code"]
    list_select_related = ["period__contract"]
    raw_id_fields = ["period"]


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = [
        "original_name",
        "measurement",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["content_type", "uploaded_at"]
    search_fields = ["original_name", "sha256", "measurement__period__contract__code"]
    list_select_related = ["measurement__period__contract", "measurement__kpi", "uploaded_by"]
    raw_id_fields = ["measurement", "uploaded_by"]
    readonly_fields = [
        "sha256",
        "size",
        "content_type",
        "original_name",
        "uploaded_by",
        "uploaded_at",
    ]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (computations, runs): shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentRun)
class PaymentRunAdmin(ReadOnlyAdmin):
    list_display = [
        "label",
        "state",
        "progress",
        "done",
        "failed",
        "total",
        "created_at",
        "finished_at",
    ]
    list_filter = ["state", "label"]
    search_fields = ["label"]

    @admin.display(description=_("progress"))
    def progress(self, run: PaymentRun) -> str:
        finished = run.done + run.failed
        return f"{finished}/{run.total} ({100 * finished // run.total if run.total else 100}%)"


@admin.register(PaymentCalculation)
class PaymentCalculationAdmin(ReadOnlyAdmin):
    list_display = [
        "contract",
        "period_label",
        "state",
        "score",
        "grade",
        "full_amount",
        "deduction",
        "payable",
        "computed_at",
    ]
    list_filter = [
        "state",
        "grade",
        "period__label",
        "period__contract__project__city",
        "computed_via",
    ]
    search_fields = ["period__contract__code", "period__contract__private_party__name"]
    list_select_related = ["period__contract"]
    date_hierarchy = "computed_at"

    @admin.display(description=_("contract"), ordering="period__contract__code")
    def contract(self, calculation: PaymentCalculation) -> str:
        return calculation.period.contract.code

    @admin.display(description=_("period"), ordering="period__starts_on")
    def period_label(self, calculation: PaymentCalculation) -> str:
        return calculation.period.label
