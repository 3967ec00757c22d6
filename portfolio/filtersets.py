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
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

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


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    """An integer (django-filter's NumberFilter takes any decimal: `year=0.5`)."""

    field_class = forms.IntegerField


class StrictBooleanField(forms.NullBooleanField):
    """`true` or `false` (also `1`, `0`, `True`, `False`); anything else is refused, where
    django-filter would read `is_current=null` as "no filter"."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        if str(value).lower() not in self.VALUES:
            raise ValidationError(_("Enter true or false."), code="invalid")
        return self.VALUES[str(value).lower()]

    def validate(self, value):
        pass


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        # django-filter's BooleanWidget turns any unknown word into "no filter".
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class FilterSet(django_filters.FilterSet):
    """The base of every FilterSet: date-time model fields named in `Meta.fields` get the
    `DateTimeFilter` above too, integer fields an integer filter, foreign keys the related
    id as an integer (an unknown id matches nothing, as the schema's integer says).

    What the schema calls invalid is refused with 400 on the parameter: an empty value of a
    typed filter (a date, number, choice or yes/no — `submitted_after=`) would otherwise be
    ignored. An empty text filter stays "no filter": the empty string is a string."""

    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.DateTimeField: {"filter_class": DateTimeFilter},
        models.BooleanField: {"filter_class": BooleanFilter},
        models.IntegerField: {"filter_class": IntegerFilter},
        models.SmallIntegerField: {"filter_class": IntegerFilter},
        models.BigIntegerField: {"filter_class": IntegerFilter},
        models.PositiveIntegerField: {"filter_class": IntegerFilter},
        models.PositiveSmallIntegerField: {"filter_class": IntegerFilter},
        models.PositiveBigIntegerField: {"filter_class": IntegerFilter},
        models.ForeignKey: {
            "filter_class": IntegerFilter,
            "extra": lambda f: {"field_name": f.attname},
        },
    }

    def is_valid(self):
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            typed = not isinstance(filter_, django_filters.CharFilter)
            if typed and name in self.data and self.data.get(name) == "":
                self.form.add_error(name, _("Enter a value, or leave the parameter out."))
                valid = False
        return valid


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
