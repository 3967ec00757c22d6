"""Is this PDF a report we issued? Someone who received a report by e-mail uploads it (or pastes
its SHA-256): it matches a stored report when its SHA-256 is that report's, and its embedded
JSON (`calculation.json` / `calculations.json`) is checked against the report's frozen inputs,
so a PDF rebuilt around other figures is told apart from a copy of ours."""

import hashlib
import io
import json
import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from .models import Report
from .selectors import report_attachment

SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Verification:
    sha256: str
    report: Report | None  # the stored report with this SHA-256, among those the user may see
    # For an uploaded file: whether its embedded JSON equals the stored inputs' (None: no
    # file, or no report to compare with); and the name of the attachment read.
    attachment_matches: bool | None = None
    attachment_name: str = ""


def report_verify(*, user, pdf: bytes | None = None, sha256: str = "") -> Verification:
    digest = hashlib.sha256(pdf).hexdigest() if pdf is not None else sha256.strip().lower()
    report = (
        Report.objects.visible_to(user)
        .filter(state=Report.State.READY, sha256=digest)
        .select_related("contract", "period", "city")
        .first()
        if SHA256.match(digest)
        else None
    )
    if pdf is None:
        return Verification(digest, report)
    name, embedded = _embedded_json(pdf)
    if report is None:
        return Verification(digest, None, None, name)
    expected_name, expected = report_attachment(report.inputs)
    matches = name == expected_name and embedded == json.loads(expected)
    return Verification(digest, report, matches, name)


def _embedded_json(pdf: bytes) -> tuple[str, object]:
    """The first JSON attachment of the PDF: (name, parsed), or ("", None)."""
    try:
        attachments = PdfReader(io.BytesIO(pdf)).attachments
        for name, contents in attachments.items():
            if name.endswith(".json") and contents:
                return name, json.loads(contents[0])
    except (PdfReadError, ValueError, KeyError, TypeError):
        pass
    return "", None
