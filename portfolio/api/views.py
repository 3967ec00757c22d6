from django.db.models import Prefetch
from rest_framework import viewsets

from portfolio.filtersets import CityFilterSet, PartyFilterSet, ProjectFilterSet
from portfolio.models import City, CityBudget, Party, Project

from .exports import ExportableListMixin
from .serializers import CitySerializer, PartySerializer, ProjectSerializer


class CityViewSet(ExportableListMixin, viewsets.ReadOnlyModelViewSet):
    """Cities and their yearly general public budget expenditure (public figures)."""

    serializer_class = CitySerializer
    filterset_class = CityFilterSet
    queryset = City.objects.prefetch_related(
        Prefetch("budgets", queryset=CityBudget.objects.order_by("year"))
    )


class PartyViewSet(ExportableListMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PartySerializer
    filterset_class = PartyFilterSet

    def get_queryset(self):
        return Party.objects.visible_to(self.request.user).order_by("name")


class ProjectViewSet(ExportableListMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet

    def get_queryset(self):
        return Project.objects.visible_to(self.request.user).select_related("city").order_by("code")
