"""Serving evidence files: only after the caller checked permission, always as a download."""

from django.http import FileResponse

from contracts.models import Evidence, RectificationFile


def evidence_response(evidence: Evidence | RectificationFile) -> FileResponse:
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
