"""`?format=csv` and `?format=xlsx` on every API list: the filtered rows, all of them, with the
same columns as the JSON (headers in the request's language), streamed in chunks so a list of
100,000 payments stays in bounded memory. Pagination does not apply to an export."""

from itertools import islice

from django.db.models import QuerySet
from django.utils.text import capfirst
from rest_framework import renderers, serializers

from portfolio.exports import EXPORT_FORMATS, Column, table_response

CHUNK = 1000


class _ExportRenderer(renderers.BaseRenderer):
    """Chosen by `?format=`: a list answers with its export itself, and an error before it
    (a refused filter, a missing login) is answered in JSON (ExportableListMixin)."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return b""


class CSVRenderer(_ExportRenderer):
    media_type, format = "text/csv", "csv"


class XLSXRenderer(_ExportRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None


def column_kind(field: serializers.Field) -> str:
    if isinstance(field, serializers.DecimalField):
        return "money" if field.decimal_places == 2 else "number"
    if isinstance(field, serializers.DateTimeField):
        return "datetime"
    if isinstance(field, serializers.DateField):
        return "date"
    if isinstance(field, serializers.BooleanField):
        return "bool"
    if isinstance(field, serializers.IntegerField | serializers.FloatField):
        return "number"
    return "text"


def serializer_columns(serializer: serializers.Serializer) -> list[Column]:
    return [
        Column(name, capfirst(str(field.label or name)), column_kind(field))
        for name, field in serializer.fields.items()
    ]


class ExportableListMixin:
    """On a list viewset: CSV and XLSX renderers on the list route, and the export itself.
    A viewset whose list reads something else than its queryset passes that to `export`."""

    def get_renderers(self):
        # No action: a method the route does not have, which answers 405 whatever the format.
        listed = getattr(self, "action", None) in ("list", None)
        return [*super().get_renderers(), *((CSVRenderer(), XLSXRenderer()) if listed else ())]

    @property
    def exporting(self) -> bool:
        renderer = getattr(self.request, "accepted_renderer", None)
        return renderer is not None and renderer.format in EXPORT_FORMATS

    def handle_exception(self, exc):
        if self.exporting:  # errors keep the body the schema documents for them
            self.request.accepted_renderer = renderers.JSONRenderer()
            self.request.accepted_media_type = renderers.JSONRenderer.media_type
        return super().handle_exception(exc)

    def list(self, request, *args, **kwargs):
        if self.exporting:
            return self.export(self.filter_queryset(self.get_queryset()))
        return super().list(request, *args, **kwargs)

    def export(self, items):
        if self.paginator is not None:  # every row is exported, but a bad page is still bad
            self.paginator.check_parameters(self.request)
        serializer_class = self.get_serializer_class()
        context = self.get_serializer_context()
        columns = serializer_columns(serializer_class(context=context))

        def rows():
            iterator = items.iterator(chunk_size=CHUNK) if isinstance(items, QuerySet) else items
            while chunk := list(islice(iterator, CHUNK)):
                yield from serializer_class(chunk, many=True, context=context).data

        name = self.request.path.rstrip("/").rsplit("/", 1)[-1]  # "payments", "cities"
        return table_response(columns, rows(), fmt=self.request.accepted_renderer.format, name=name)
