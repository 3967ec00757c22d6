"""One FilterSet per model, shared by the API and any list page; `q` searches free text.

Every app's FilterSets derive from `FilterSet` below and declare date-time filters with
`DateTimeFilter` below, so that a moment the database cannot hold is refused alike
everywhere."""

from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS

from .models import City, Party, Project


class StorableDateTimeField(forms.DateTimeField):
    """A date-time the database can compare with, in UTC. Converting here turns what would
    fail in the query (500) into a 400 on the field: a moment outside years 1–9999 once in
    UTC (SQLite converts to UTC and overflows) and an offset beyond ±15:59 (PostgreSQL
    refuses it; in UTC there is none)."""

    default_error_messages = {
        "out_of_range": _("Enter a date and time between the years 1 and 9999 in UTC."),
    }

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            message = self.error_messages["out_of_range"]
            raise ValidationError(message, code="out_of_range") from None


class DateTimeFilter(django_filters.DateTimeFilter):
    field_class = StorableDateTimeField


class FilterSet(django_filters.FilterSet):
    """The base of every FilterSet: date-time model fields named in `Meta.fields` get the
    `DateTimeFilter` above too."""

    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.DateTimeField: {"filter_class": DateTimeFilter},
    }


class CityFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label="q")

    class Meta:
        model = City
        fields = ["province"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(name_en__icontains=value))


class PartyFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label="q")

    class Meta:
        model = Party
        fields = ["kind", "credit_code"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__icontains=value))


class ProjectFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label="q")
    city = django_filters.CharFilter(field_name="city__name")

    class Meta:
        model = Project
        fields = ["city", "sector", "stage", "operation_mode", "return_mechanism"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(code__icontains=value) | Q(name__icontains=value) | Q(name_en__icontains=value)
        )
