"""One FilterSet per model, shared by the API and any list page; `q` searches free text."""

import django_filters
from django.db.models import Q

from portfolio.filtersets import BooleanFilter, DateTimeFilter, FilterSet

from .models import (
    Contract,
    Evidence,
    Measurement,
    Objection,
    ObjectionEvidence,
    PaymentCalculation,
    Period,
    RectificationFile,
    RectificationNotice,
    overdue_rectification_q,
)


class ContractFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label="q")
    city = django_filters.CharFilter(field_name="project__city__name")
    sector = django_filters.CharFilter(field_name="project__sector")
    stage = django_filters.CharFilter(field_name="project__stage")
    project = django_filters.CharFilter(field_name="project__code")
    starts_after = django_filters.DateFilter(field_name="starts_on", lookup_expr="gte")
    starts_before = django_filters.DateFilter(field_name="starts_on", lookup_expr="lte")

    class Meta:
        model = Contract
        fields = ["frequency", "currency"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(code__icontains=value)
            | Q(title__icontains=value)
            | Q(project__name__icontains=value)
            | Q(private_party__name__icontains=value)
        )


class PeriodFilterSet(FilterSet):
    contract = django_filters.CharFilter(field_name="contract__code")
    city = django_filters.CharFilter(field_name="contract__project__city__name")
    project = django_filters.CharFilter(field_name="contract__project__code")
    period = django_filters.CharFilter(field_name="label")
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = Period
        fields = ["state"]


class MeasurementFilterSet(FilterSet):
    contract = django_filters.CharFilter(field_name="period__contract__code")
    period = django_filters.CharFilter(field_name="period__label")
    kpi = django_filters.CharFilter(field_name="kpi__code")
    submitted_after = DateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = DateTimeFilter(field_name="submitted_at", lookup_expr="lte")

    class Meta:
        model = Measurement
        fields = ["state", "is_current", "source", "origin"]


class EvidenceFilterSet(FilterSet):
    contract = django_filters.CharFilter(field_name="measurement__period__contract__code")
    period = django_filters.CharFilter(field_name="measurement__period__label")
    uploaded_after = DateTimeFilter(field_name="uploaded_at", lookup_expr="gte")
    uploaded_before = DateTimeFilter(field_name="uploaded_at", lookup_expr="lte")

    class Meta:
        model = Evidence
        fields = ["measurement", "content_type", "sha256"]


class PaymentFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label="q")
    contract = django_filters.CharFilter(field_name="period__contract__code")
    city = django_filters.CharFilter(field_name="period__contract__project__city__name")
    sector = django_filters.CharFilter(field_name="period__contract__project__sector")
    project = django_filters.CharFilter(field_name="period__contract__project__code")
    period = django_filters.CharFilter(field_name="period__label")
    computed_after = DateTimeFilter(field_name="computed_at", lookup_expr="gte")
    computed_before = DateTimeFilter(field_name="computed_at", lookup_expr="lte")

    class Meta:
        model = PaymentCalculation
        fields = ["state", "grade"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(period__contract__code__icontains=value)
            | Q(period__contract__private_party__name__icontains=value)
        )


class ObjectionFilterSet(FilterSet):
    contract = django_filters.CharFilter(field_name="period__contract__code")
    period = django_filters.CharFilter(field_name="period__label")
    lodged_after = DateTimeFilter(field_name="lodged_at", lookup_expr="gte")
    lodged_before = DateTimeFilter(field_name="lodged_at", lookup_expr="lte")

    class Meta:
        model = Objection
        fields = ["state", "calculation", "measurement"]


class ObjectionEvidenceFilterSet(FilterSet):
    class Meta:
        model = ObjectionEvidence
        fields = ["objection"]


class RectificationFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label="q")
    contract = django_filters.CharFilter(field_name="period__contract__code")
    city = django_filters.CharFilter(field_name="period__contract__project__city__name")
    project = django_filters.CharFilter(field_name="period__contract__project__code")
    period = django_filters.CharFilter(field_name="period__label")
    kpi = django_filters.CharFilter(field_name="kpi__code")
    overdue = BooleanFilter(method="overdue_filter", label="overdue")
    deadline_after = django_filters.DateFilter(field_name="deadline", lookup_expr="gte")
    deadline_before = django_filters.DateFilter(field_name="deadline", lookup_expr="lte")

    class Meta:
        model = RectificationNotice
        fields = ["state"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(problem__icontains=value)
            | Q(required_action__icontains=value)
            | Q(answer__icontains=value)
            | Q(period__contract__code__icontains=value)
        )

    def overdue_filter(self, queryset, name, value):
        from django.utils import timezone

        overdue = overdue_rectification_q(timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class RectificationFileFilterSet(FilterSet):
    contract = django_filters.CharFilter(field_name="notice__period__contract__code")
    period = django_filters.CharFilter(field_name="notice__period__label")
    uploaded_after = DateTimeFilter(field_name="uploaded_at", lookup_expr="gte")
    uploaded_before = DateTimeFilter(field_name="uploaded_at", lookup_expr="lte")

    class Meta:
        model = RectificationFile
        fields = ["notice", "content_type", "sha256"]
