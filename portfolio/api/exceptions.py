"""The API's exception handler: DRF's, with every 404 answered by DRF's own translated
message. Django's `get_object_or_404` raises Http404("No Contract matches the given query."),
which DRF passes through: English whatever the language, and naming our models."""

from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return exception_handler(exc, context)
