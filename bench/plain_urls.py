"""The app's URLs plus a plain Django view of the contract list, the floor bench/api.py
measures the API against. For the benchmark only: the app's URLconf never includes it."""

from django.http import JsonResponse
from django.urls import include, path

from contracts.models import Contract

# The API's contract fields (ContractSerializer) → their lookups.
FIELDS = {
    "id": "id", "code": "code", "title": "title", "project": "project__code",
    "city": "project__city__name", "sector": "project__sector",
    "government_party": "government_party__name", "private_party": "private_party__name",
    "signed_on": "signed_on", "starts_on": "starts_on", "ends_on": "ends_on",
    "currency": "currency", "frequency": "frequency",
}  # fmt: skip


def contracts_plain(request):
    """Page `page` of `page_size` contracts by code with the API's fields, and the count;
    no authentication, no serializer, no filters."""
    size = min(int(request.GET.get("page_size", 50)), 500)
    start = (int(request.GET.get("page", 1)) - 1) * size
    rows = Contract.objects.order_by("code").values(*FIELDS.values())[start : start + size]
    results = [{name: row[lookup] for name, lookup in FIELDS.items()} for row in rows]
    return JsonResponse({"count": Contract.objects.count(), "results": results})


urlpatterns = [
    path("bench/plain/contracts/", contracts_plain, name="bench-plain-contracts"),
    path("", include("portfolio.urls")),
]
