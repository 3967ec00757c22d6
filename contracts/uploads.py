"""Checking an uploaded evidence file before it is stored.

The type is decided by the file's content, never by the client's file name or Content-Type
header: both are whatever the client says. The client's file name is kept only as a label.
"""

import codecs
import hashlib
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

HEAD_BYTES = 64 * 1024
CSV_DELIMITERS = ",;\t|"
XLSX_PARTS = {"[Content_Types].xml", "xl/workbook.xml"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAGIC = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
]


class UploadRejected(ValueError):
    """The file may not be stored, for the reason given (shown to the uploader)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    sha256: str
    size: int
    original_name: str


def max_bytes() -> int:
    return getattr(settings, "EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """What an acceptable upload is, or UploadRejected saying why not."""
    limit = max_bytes()
    # Trust the declared size only to refuse early; the bytes are counted while hashing.
    if upload.size == 0:
        raise UploadRejected(_("The file is empty."))
    if upload.size is not None and upload.size > limit:
        raise UploadRejected(too_large(limit))
    sha256, size = hash_in_chunks(upload, limit)
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return CheckedUpload(
        content_type=sniff_content_type(upload, head, whole=size <= HEAD_BYTES),
        sha256=sha256,
        size=size,
        original_name=label_from(upload.name),
    )


def hash_in_chunks(upload: UploadedFile, limit: int) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            raise UploadRejected(too_large(limit))
        digest.update(chunk)
    if size == 0:
        raise UploadRejected(_("The file is empty."))
    return digest.hexdigest(), size


def too_large(limit: int) -> str:
    mib, kib = 1024 * 1024, 1024
    if limit >= mib:
        shown = f"{limit / mib:g} MB"
    elif limit >= kib:
        shown = f"{limit / kib:g} KB"
    else:
        shown = f"{limit} bytes"
    return _("The file is larger than %(limit)s.") % {"limit": shown}


def sniff_content_type(upload: UploadedFile, head: bytes, *, whole: bool) -> str:
    for magic, content_type in MAGIC:
        if head.startswith(magic):
            return content_type
    if head.startswith(b"PK\x03\x04"):
        if is_xlsx(upload):
            return XLSX
        raise UploadRejected(_("The file is a ZIP archive but not an Excel workbook (.xlsx)."))
    if is_csv(head, whole=whole):
        return "text/csv"
    raise UploadRejected(_("The file's content is not PDF, PNG, JPEG, XLSX or CSV."))


def is_xlsx(upload: UploadedFile) -> bool:
    # Only the central directory is read: nothing is extracted or decompressed.
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return False
    finally:
        upload.seek(0)
    # A macro-enabled workbook (.xlsm) renamed .xlsx carries its code in vbaProject.bin.
    return names >= XLSX_PARTS and "xl/vbaProject.bin" not in names


def is_csv(head: bytes, *, whole: bool) -> bool:
    """Text in UTF-8 (with or without BOM) or GB18030 with at least one delimited line.

    Strict on purpose: any NUL or other control character (every executable has them) fails.
    """
    if b"\x00" in head:
        return False
    text = decoded(head, final=whole)
    if text is None or not text.strip():
        return False
    if any(unicodedata.category(c) == "Cc" and c not in "\t\r\n" for c in text):
        return False
    # Markup or a script with a comma somewhere is not a spreadsheet export.
    if text.lstrip().startswith(("<", "#!")):
        return False
    return any(d in line for line in text.splitlines() for d in CSV_DELIMITERS)


def decoded(head: bytes, *, final: bool) -> str | None:
    # Incremental decoders tolerate a character cut in two at the end of a partial head.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return codecs.getincrementaldecoder(encoding)().decode(head, final=final)
        except UnicodeDecodeError:
            continue
    return None


def label_from(name: str | None) -> str:
    """The client's file name as a label: no directories, no control characters, ≤ 255."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters; Cf: e.g. U+202E, which makes "gpj.exe" display as "exe.jpg".
    label = "".join(c for c in base if unicodedata.category(c) not in ("Cc", "Cf")).strip()
    if label in ("", ".", ".."):
        return "evidence"
    if len(label) > 255:
        stem, dot, ext = label.rpartition(".")
        keep_ext = dot and stem and len(ext) <= 16
        label = f"{stem[: 254 - len(ext)]}.{ext}" if keep_ext else label[:255]
    return label
