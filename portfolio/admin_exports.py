"""Admin lists export what they show: the rows of the filtered, searched, scoped changelist
(every page), with its columns, as CSV or XLSX (`portfolio/exports.py` writes them).

Any ModelAdmin that derives from `ExportableAdmin` gets `…/export/csv/` and `…/export/xlsx/`
beside its changelist, taking the changelist's own query string, and the two links above the
list (templates/admin/change_list.html)."""

from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404
from django.urls import path
from django.utils.html import strip_tags
from django.utils.text import capfirst

from .exports import EXPORT_FORMATS, Column, table_response
from .fields import MoneyField

FIELD_KINDS = [
    (models.DateTimeField, "datetime"),
    (models.DateField, "date"),
    (models.BooleanField, "bool"),
    (models.IntegerField, "number"),
    (models.DecimalField, "number"),
]


def field_kind(field) -> str:
    if isinstance(field, MoneyField):
        return "money"
    if field.choices or field.is_relation:
        return "text"
    return next((kind for cls, kind in FIELD_KINDS if isinstance(field, cls)), "text")


class ExportableAdmin:
    """A ModelAdmin mixin: its changelist exports as CSV and XLSX."""

    def get_urls(self):
        opts = self.opts
        export = path(
            "export/<str:fmt>/",
            self.admin_site.admin_view(self.export_view),
            name=f"{opts.app_label}_{opts.model_name}_export",
        )
        return [export, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "export_formats": EXPORT_FORMATS}
        return super().changelist_view(request, extra_context)

    def export_view(self, request, fmt: str):
        if fmt not in EXPORT_FORMATS:
            raise Http404
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        names = [n for n in changelist.list_display if n != "action_checkbox"]
        columns = [self._column(name) for name in names]

        def rows():
            for obj in changelist.queryset.iterator(chunk_size=1000):
                yield {c.key: self._value(obj, c.key) for c in columns}

        return table_response(columns, rows(), fmt=fmt, name=self.opts.model_name)

    def _column(self, name) -> Column:
        header = capfirst(str(label_for_field(name, self.model, model_admin=self)))
        try:
            kind = field_kind(self.opts.get_field(self._source(name)))
        except (FieldDoesNotExist, TypeError):
            kind = "text"
        return Column(name, header, kind)

    def _source(self, name) -> str:
        """A column's model field: its own, or the one a display method is ordered by (an
        amount shown grouped, "3,552,000.00", exports as the number)."""
        method = getattr(self, name, None) if isinstance(name, str) else None
        ordering = getattr(method, "admin_order_field", None)
        return ordering if isinstance(ordering, str) and "__" not in ordering else name

    def _value(self, obj, name):
        field, _attr, value = lookup_field(self._source(name), obj, self)
        if field is None:
            return strip_tags(str(value)) if value is not None else None
        if field.choices:
            return getattr(obj, f"get_{field.name}_display")()
        if field.is_relation:
            return str(value) if value is not None else None
        return value
