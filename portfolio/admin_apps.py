"""django.contrib.admin with our site (`portfolio.access.AdminSite`): closed to officials
whose session has not passed the second factor. Named in INSTALLED_APPS instead of
"django.contrib.admin"; every `admin.site.register` lands on this site."""

from django.contrib.admin.apps import AdminConfig


class PortfolioAdminConfig(AdminConfig):
    default_site = "portfolio.access.AdminSite"
