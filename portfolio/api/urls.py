"""API v1: one router for every app's viewsets."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from contracts.api import views as contracts
from contracts.telemetry import api as telemetry
from portfolio.api import auth
from portfolio.api import views as portfolio
from reports import api as reports

router = DefaultRouter()
router.register("cities", portfolio.CityViewSet, basename="city")
router.register("parties", portfolio.PartyViewSet, basename="party")
router.register("projects", portfolio.ProjectViewSet, basename="project")
router.register("contracts", contracts.ContractViewSet, basename="contract")
router.register("periods", contracts.PeriodViewSet, basename="period")
router.register("measurements", contracts.MeasurementViewSet, basename="measurement")
router.register("evidence", contracts.EvidenceViewSet, basename="evidence")
router.register("payments", contracts.PaymentViewSet, basename="payment")
router.register("reports", reports.ReportViewSet, basename="report")

urlpatterns = [
    path("auth/token/", auth.TokenLoginView.as_view(), name="api-token"),
    path("auth/logout/", auth.TokenLogoutView.as_view(), name="api-logout"),
    path("auth/logoutall/", auth.TokenLogoutAllView.as_view(), name="api-logout-all"),
    path("bundles/", contracts.BundleView.as_view(), name="bundle-import"),
    path("ocds/releases/", reports.OcdsReleasesView.as_view(), name="ocds-releases"),
    path(
        "telemetry/<slug:stream>/", telemetry.TelemetryIngestView.as_view(), name="telemetry-ingest"
    ),
    path(
        "telemetry/<slug:stream>/export/",
        telemetry.TelemetryExportView.as_view(),
        name="telemetry-export",
    ),
    *router.urls,
]
