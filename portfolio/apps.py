from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = _("Portfolio")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from rest_framework import serializers

        from portfolio.access import official_session_start
        from portfolio.fields import MoneyField

        # Amounts are decimal strings in the API ("1234.50"), not the integer fen they are
        # stored as: without this, DRF would map MoneyField to its IntegerField by ancestry.
        serializers.ModelSerializer.serializer_field_mapping[MoneyField] = serializers.DecimalField
        user_logged_in.connect(official_session_start, dispatch_uid="official_session_start")
