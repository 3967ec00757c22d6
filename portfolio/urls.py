from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portfolio import accounts
from portfolio.views import home

admin.site.site_header = _("PPP smart-city portfolio")
admin.site.site_title = _("PPP portfolio")
admin.site.index_title = _("Workplace")

urlpatterns = [
    path("", home, name="home"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/two-factor/", accounts.two_factor, name="two-factor"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("portfolio/", include("portfolio.dashboard.urls")),
    path("portal/", include("contracts.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("portfolio.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Public, as documented: the schema and Swagger UI (its script served apart: CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # The language: the one chosen at /i18n/setlang/ (a cookie), else the Accept-Language
    # header, else zh-Hans.
    path("admin/", admin.site.urls),
]
