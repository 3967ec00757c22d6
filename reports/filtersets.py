"""The reports' FilterSet, shared by the API and the report library page."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portfolio.filtersets import FilterSet

from .models import Report


class ReportFilterSet(FilterSet):
    city = django_filters.CharFilter(method="filter_city", label=_("city"))
    project = django_filters.CharFilter(field_name="contract__project__code", label=_("project"))
    contract = django_filters.CharFilter(field_name="contract__code", label=_("contract"))
    period = django_filters.CharFilter(field_name="period__label", label=_("period"))

    class Meta:
        model = Report
        fields = ["kind", "state", "year", "language"]

    def filter_city(self, queryset, name, value):
        return queryset.filter(Q(city__name=value) | Q(contract__project__city__name=value))
