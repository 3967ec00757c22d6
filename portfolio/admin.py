from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from contracts.admin_base import ScopedAdmin, city_filter

from .admin_inputs import CheckedInputsMixin
from .models import City, CityBudget, Party, Project, User

# Cities, parties and projects are read by officials too (scoped: those of their agency's
# contracts), so that what a contract page links to opens; superusers edit them.


class CityBudgetInline(CheckedInputsMixin, admin.TabularInline):
    model = CityBudget
    extra = 0


@admin.register(City)
class CityAdmin(ScopedAdmin):
    list_display = ["name", "name_en", "province"]
    search_fields = ["name", "name_en", "province"]
    list_filter = ["province"]
    inlines = [CityBudgetInline]

    def get_queryset(self, request):
        if request.user.is_superuser:
            return City.objects.all()
        visible = Project.objects.visible_to(request.user).values("city_id")
        return City.objects.filter(pk__in=visible)


@admin.register(CityBudget)
class CityBudgetAdmin(CheckedInputsMixin, admin.ModelAdmin):
    list_display = ["city", "year", "general_expenditure"]
    list_filter = ["year", "city"]
    search_fields = ["city__name"]


@admin.register(Party)
class PartyAdmin(ScopedAdmin):
    list_display = ["name", "kind", "credit_code"]
    list_filter = ["kind"]
    search_fields = ["name", "credit_code"]


@admin.register(Project)
class ProjectAdmin(ScopedAdmin):
    list_display = ["code", "name", "city", "sector", "stage", "operation_mode", "total_investment"]
    list_filter = [city_filter("city"), "sector", "stage", "return_mechanism", "operation_mode"]
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
