"""Admin pages for officials: scoped to their agency, read-only except through actions that
call the services."""

from django.contrib import admin, messages
from django.http import HttpRequest

from contracts.services.approvals import ActionRefused
from portfolio.admin_exports import ExportableAdmin
from portfolio.admin_inputs import CheckedInputsMixin


def is_official(user) -> bool:
    return user.is_active and user.is_staff and user.role in ("preparer", "approver")


class ScopedAdmin(CheckedInputsMixin, ExportableAdmin, admin.ModelAdmin):
    """Superusers edit; officials see their agency's rows and act through buttons and actions
    (services check every step); nobody else sees anything here. Every list exports its
    filtered rows as CSV and XLSX."""

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).visible_to(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or is_official(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser or is_official(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser


class ServiceOnlyAdmin(ScopedAdmin):
    """Rows that only services write (calculations, runs, decisions): nobody edits them here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def apply_to_each(modeladmin, request, queryset, service, verb: str) -> None:
    """Run `service(obj)` on each selected row; report what was done and what was refused."""
    done, refused = 0, []
    for obj in queryset:
        try:
            service(obj)
            done += 1
        except ActionRefused as exc:
            refused.append(f"{obj}: {exc}")
    if done:
        modeladmin.message_user(request, f"{verb}: {done}", messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.ERROR)
