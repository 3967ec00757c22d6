"""Reports in the admin: officials see their agency's reports (and the portfolio reports),
download them, and generate a report again (a new version when its data changed). Officials
generate a period's report and write its texts on the payment page (contracts/admin_payments.py)."""

from django.contrib import admin, messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contracts.admin_base import ServiceOnlyAdmin

from .models import Report
from .services import ReportRefused, report_request


@admin.register(Report)
class ReportAdmin(ServiceOnlyAdmin):
    list_display = [
        "__str__", "kind", "contract", "period", "city", "year", "language", "version",
        "state", "progress", "download_link", "created_at",
    ]  # fmt: skip
    list_filter = ["kind", "state", "language", "year"]
    search_fields = ["contract__code", "city__name", "sha256"]
    list_select_related = ["contract", "period", "city"]
    exclude = ["inputs", "file"]
    readonly_fields = ["download_link"]
    actions = ["generate_again"]

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="reports_report_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, pk):
        report = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, report) or report.state != Report.State.READY:
            raise Http404
        response = FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=report.filename,
            content_type="application/pdf",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @admin.display(description=_("Download"))
    def download_link(self, report):
        if report.state != Report.State.READY:
            return "—"
        url = reverse("admin:reports_report_download", args=[report.pk])
        return format_html('<a href="{}">PDF</a> <code>{}</code>', url, report.sha256[:12])

    @admin.action(description=_("Generate again"))
    def generate_again(self, request, queryset):
        for report in queryset:
            kwargs = (
                {"contract": report.contract, "period_label": report.period.label}
                if report.kind == Report.Kind.CONTRACT
                else {"city": report.city, "year": report.year}
            )
            try:
                new, created = report_request(user=request.user, language=report.language, **kwargs)
            except ReportRefused as exc:
                self.message_user(request, f"{report}: {exc}", messages.ERROR)
                continue
            self.message_user(request, report_message(new, created), messages.SUCCESS)


def report_message(report: Report, created: bool) -> SafeString:
    """What became of a request for a report, linking to the report's page."""
    url = reverse("admin:reports_report_change", args=[report.pk])
    if created:
        status = gettext("new version queued; it is rendered on a worker")
    else:
        status = gettext("unchanged; this is the existing report (%(state)s)") % {
            "state": report.get_state_display()
        }
    return format_html('<a href="{}">{}</a>: {}', url, report, status)
