"""One FilterSet per model, shared by the API and any list page; `q` searches free text."""

import django_filters
from django.db.models import Q

from .models import City, Party, Project


class CityFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="q")

    class Meta:
        model = City
        fields = ["province"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(name_en__icontains=value))


class PartyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="q")

    class Meta:
        model = Party
        fields = ["kind", "credit_code"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__icontains=value))


class ProjectFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="q")
    city = django_filters.CharFilter(field_name="city__name")

    class Meta:
        model = Project
        fields = ["city", "sector", "stage", "operation_mode", "return_mechanism"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(code__icontains=value) | Q(name__icontains=value) | Q(name_en__icontains=value)
        )
