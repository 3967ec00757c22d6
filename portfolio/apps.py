from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = _("Portfolio")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from portfolio.access import official_session_start

        user_logged_in.connect(official_session_start, dispatch_uid="official_session_start")
