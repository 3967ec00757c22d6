from django.contrib import admin
from django.urls import include, path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portfolio.views import home

admin.site.site_header = _("PPP smart-city portfolio")
admin.site.site_title = _("PPP portfolio")
admin.site.index_title = _("Workplace")
# "View site": the portfolio dashboard (the start page "/" would send an official straight
# back to the admin).
admin.site.site_url = reverse_lazy("dashboard:index")

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("portfolio/", include("portfolio.dashboard.urls")),
    path("portal/", include("contracts.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("portfolio.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # The language: the one chosen at /i18n/setlang/ (a cookie), else the Accept-Language
    # header, else zh-Hans.
    path("admin/", admin.site.urls),
]
