from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .admin_inputs import CheckedInputsMixin
from .models import City, CityBudget, Party, Project, User


class CityBudgetInline(CheckedInputsMixin, admin.TabularInline):
    model = CityBudget
    extra = 0


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "province"]
    search_fields = ["name", "name_en", "province"]
    list_filter = ["province"]
    inlines = [CityBudgetInline]


@admin.register(CityBudget)
class CityBudgetAdmin(CheckedInputsMixin, admin.ModelAdmin):
    list_display = ["city", "year", "general_expenditure"]
    list_filter = ["year", "city"]
    search_fields = ["city__name"]


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "credit_code"]
    list_filter = ["kind"]
    search_fields = ["name", "credit_code"]


@admin.register(Project)
class ProjectAdmin(CheckedInputsMixin, admin.ModelAdmin):
    list_display = ["code", "name", "city", "sector", "stage", "operation_mode", "total_investment"]
    list_filter = ["city", "sector", "stage", "return_mechanism", "operation_mode"]
    search_fields = ["code", "name", "name_en"]
    list_select_related = ["city"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "get_full_name", "party", "role", "is_staff", "is_active"]
    list_filter = ["role", "party__kind", "is_staff", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email", "party__name"]
    list_select_related = ["party"]
    autocomplete_fields = ["party"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Party and role"), {"fields": ("party", "role")}),
    )
