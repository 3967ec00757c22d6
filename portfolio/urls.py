from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from portfolio import accounts
from portfolio.views import home

handler404 = "portfolio.views.not_found"

admin.site.site_header = _("PPP smart-city portfolio")
admin.site.site_title = _("PPP portfolio")
admin.site.index_title = _("Workplace")
# "View site": the portfolio dashboard (the start page "/" would send an official straight
# back to the admin).
admin.site.site_url = reverse_lazy("dashboard:index")

urlpatterns = [
    path("", home, name="home"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/two-factor/", accounts.two_factor, name="two-factor"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("portfolio/", include("portfolio.dashboard.urls")),
    path("portal/", include("contracts.portal.urls")),
    path("reports/", include("reports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("portfolio.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Public, as documented: the schema, Swagger UI (its script served apart: CSP) and ReDoc.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("portfolio/favicon.svg"), permanent=True)),
    # The language: the one chosen at /i18n/setlang/ (a cookie), else the Accept-Language
    # header, else zh-Hans.
    path("admin/", admin.site.urls),
]
