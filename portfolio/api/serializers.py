from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portfolio.models import City, CityBudget, Party, Project


class CityBudgetSerializer(serializers.ModelSerializer):
    class Meta:
        model = CityBudget
        fields = ["year", "general_expenditure"]


class CitySerializer(serializers.ModelSerializer):
    budgets = CityBudgetSerializer(many=True, read_only=True)

    class Meta:
        model = City
        fields = ["id", "name", "name_en", "province", "budgets"]


class PartySerializer(serializers.ModelSerializer):
    class Meta:
        model = Party
        fields = ["id", "kind", "name", "credit_code"]


class ProjectSerializer(serializers.ModelSerializer):
    city = serializers.CharField(source="city.name", read_only=True, label=_("city"))

    class Meta:
        model = Project
        fields = [
            "id", "code", "name", "name_en", "city", "sector", "stage", "operation_mode",
            "return_mechanism", "total_investment", "cooperation_years",
        ]  # fmt: skip
