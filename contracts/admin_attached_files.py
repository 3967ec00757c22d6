"""The files attached to objections and rectification notices, listed for officials (read
only): each links to its download, which checks the scope again (the objection's and the
notice's admin pages serve them)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from contracts.admin_base import ServiceOnlyAdmin
from contracts.admin_objections import objection_evidence_url
from contracts.models import ObjectionEvidence, RectificationFile

FILE_COLUMNS = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at", "download"]


class AttachedFileAdmin(ServiceOnlyAdmin):
    list_filter = ["content_type", "uploaded_at"]
    readonly_fields = [
        "original_name",
        "sha256",
        "size",
        "content_type",
        "uploaded_by",
        "uploaded_at",
    ]
    exclude = ["file"]

    def file_url(self, attached) -> str:
        raise NotImplementedError

    @admin.display(description=_("download"))
    def download(self, attached) -> str:
        return format_html('<a href="{}">{}</a>', self.file_url(attached), _("download"))


@admin.register(ObjectionEvidence)
class ObjectionEvidenceAdmin(AttachedFileAdmin):
    list_display = ["objection", *FILE_COLUMNS]
    list_select_related = ["objection__period__contract", "uploaded_by"]
    search_fields = ["original_name", "sha256", "objection__period__contract__code"]
    readonly_fields = ["objection", *AttachedFileAdmin.readonly_fields]

    def file_url(self, attached: ObjectionEvidence) -> str:
        return objection_evidence_url(attached)


@admin.register(RectificationFile)
class RectificationFileAdmin(AttachedFileAdmin):
    list_display = ["notice", *FILE_COLUMNS]
    list_select_related = ["notice__period__contract", "uploaded_by"]
    search_fields = ["original_name", "sha256", "notice__period__contract__code"]
    readonly_fields = ["notice", *AttachedFileAdmin.readonly_fields]

    def file_url(self, attached: RectificationFile) -> str:
        return reverse("admin:contracts_rectificationnotice_file", args=[attached.pk])
