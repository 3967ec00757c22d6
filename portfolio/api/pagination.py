from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """`?page=` and `?page_size=` (at most 500) on every list."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


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
