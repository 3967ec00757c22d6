from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """`?page=` (from 1) and `?page_size=` (from 1; more than 500 is served as 500) on every
    list. A page or page size below 1 or not a whole number answers 400 (DRF would silently
    use the default); a page past the last, 404. The schema states the same bounds."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return self.page_size
        try:
            size = int(text)
        except ValueError:
            size = None
        if size is None or str(size) != text.strip() or size < 1:
            message = _("Enter a whole number from 1 (at most %(max)d are served).") % {
                "max": self.max_page_size
            }
            raise ValidationError({self.page_size_query_param: [message]})
        return min(size, self.max_page_size)

    def get_page_number(self, request, paginator):
        text = request.query_params.get(self.page_query_param)
        if text is None:
            return 1
        if not text.isascii() or not text.isdigit() or int(text) < 1:
            raise ValidationError({self.page_query_param: [_("Enter a whole number from 1.")]})
        return int(text)

    def check_parameters(self, request) -> None:
        """Refuse a bad page or page size (400) also where no page is cut: an export."""
        self.get_page_size(request)
        self.get_page_number(request, None)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = f"results per page (more than {self.max_page_size}: "
                parameter["description"] += f"{self.max_page_size})"
        return parameters


class CountedRows:
    """A list page read as `.values()` rows (`rows`, joined to the related names it shows),
    counted on `counted`: the same filtered queryset without those joins, which PostgreSQL
    counts much faster. What Django's paginator needs of a queryset: count(), slices, order."""

    def __init__(self, rows: QuerySet, *, counted: QuerySet):
        self.rows, self.counted = rows, counted
        self.ordered = rows.ordered

    def count(self) -> int:
        return self.counted.count()

    def __getitem__(self, index):
        return self.rows[index]
