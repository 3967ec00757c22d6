"""Checking an uploaded evidence file before it is stored.

The type is decided by the file's content, never by the client's file name or Content-Type
header: both are whatever the client says. The client's file name is kept only as a label.
"""

import codecs
import csv
import hashlib
import io
import posixpath
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

HEAD_BYTES = 64 * 1024
CSV_DELIMITERS = ",;\t|"
XLSX_PARTS = {"[Content_Types].xml", "xl/workbook.xml"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Every type an evidence file may be (what a download answers).
EVIDENCE_CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg", XLSX, "text/csv")
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
    content_type = sniff_content_type(upload, head, whole=size <= HEAD_BYTES)
    CONTENT_CHECKS.get(content_type, lambda upload: None)(upload)
    upload.seek(0)
    return CheckedUpload(
        content_type=content_type,
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


# --- What a file of an accepted type may not contain -------------------------------------


def xlsx_max_uncompressed() -> int:
    return getattr(settings, "EVIDENCE_XLSX_MAX_UNCOMPRESSED", 100 * 1024 * 1024)


def check_xlsx(upload: UploadedFile) -> None:
    """A workbook is a ZIP: its members' names must stay inside it (no `../`, no absolute
    path) and their uncompressed sizes add up to at most EVIDENCE_XLSX_MAX_UNCOMPRESSED (a
    zip bomb of 1 GiB in 1 MB is refused). The sizes are the archive's own; reading every
    member back in chunks (bounded by the same limit, nothing written) proves they are true:
    a member longer than it says fails its CRC."""
    limit = xlsx_max_uncompressed()
    with zipfile.ZipFile(upload) as archive:
        members = archive.infolist()
        for member in members:
            name = member.filename
            parts = name.replace("\\", "/").split("/")
            if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                raise UploadRejected(
                    _("The workbook contains a file outside itself (%(name)s).")
                    % {"name": label_from(name) if posixpath.basename(name) else name[:100]}
                )
        if sum(member.file_size for member in members) > limit:
            raise UploadRejected(workbook_too_large(limit))
        total = 0
        try:
            for member in members:
                with archive.open(member) as data:
                    while chunk := data.read(1024 * 1024):
                        total += len(chunk)
                        if total > limit:
                            raise UploadRejected(workbook_too_large(limit))
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            message = _("The workbook is damaged (%(error)s).") % {"error": exc}
            raise UploadRejected(message) from None


def workbook_too_large(limit: int) -> str:
    return _("The workbook unpacks to more than %(limit)s.") % {
        "limit": f"{limit / (1024 * 1024):g} MB"
    }


# Names of PDF active content: scripts, actions run on opening or on events, launching
# programs, files carried inside. A PDF name may spell a character as #xx (/J#61vaScript).
PDF_ACTIVE = {
    "JavaScript": "JavaScript",
    "JS": "JavaScript",
    "Launch": gettext_lazy("a launch action"),
    "EmbeddedFiles": gettext_lazy("embedded files"),
    "EmbeddedFile": gettext_lazy("embedded files"),
    "AA": gettext_lazy("automatic actions"),
    "RichMedia": gettext_lazy("embedded media"),
    "XFA": gettext_lazy("an XFA form"),
}
PDF_NAME = re.compile(rb"/((?:[^\s()<>\[\]{}/%#]|#[0-9A-Fa-f]{2})+)")
PDF_STREAM = re.compile(rb"stream\r?\n")
PDF_MAX_INFLATED = 64 * 1024 * 1024


def check_pdf(upload: UploadedFile) -> None:
    """Refuse a PDF with active content (PDF_ACTIVE, or an /OpenAction that is an action
    rather than a page to open at), looked for in the file and in its compressed streams
    (object streams can hide objects), inflating at most PDF_MAX_INFLATED bytes in all."""
    data = upload.read()
    for text in pdf_texts(data):
        names = PDF_NAME.finditer(text)
        for match in names:
            name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), match[1])
            name = name.decode("latin-1")
            if name in PDF_ACTIVE:
                raise UploadRejected(pdf_refused(PDF_ACTIVE[name]))
            if name == "OpenAction" and not text[match.end() :].lstrip().startswith(b"["):
                raise UploadRejected(pdf_refused(_("an action run on opening")))


def pdf_texts(data: bytes):
    yield data
    budget, view = PDF_MAX_INFLATED, memoryview(data)
    for match in PDF_STREAM.finditer(data):
        end = data.find(b"endstream", match.end())
        if end < 0 or budget <= 0:
            break
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(view[match.end() : end], budget)
        except zlib.error:
            continue  # not a Flate stream (an image, or another filter): left as it is
        budget -= len(inflated)
        yield inflated


def pdf_refused(what) -> str:
    return _("The PDF contains active content (%(what)s): save it without it (print to PDF).") % {
        "what": what
    }


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


def check_csv(upload: UploadedFile) -> None:
    """Refuse a cell a spreadsheet would run as a formula (`=cmd|…`, `+HYPERLINK(…)`, `@SUM`):
    one that starts with = + - @ (or a tab or CR), also after spaces or a quote. A number
    (`-12.5`, `+3%`) is a number, not a formula. Rows are read one at a time."""
    text = decoded(upload.read(), final=True) or ""
    try:
        dialect = csv.Sniffer().sniff(text[:HEAD_BYTES], CSV_DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    try:
        for line_number, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
            for column, cell in enumerate(row, start=1):
                check_csv_cell(cell, row=line_number, column=column)
    except csv.Error as exc:
        message = _("The CSV file cannot be read (%(error)s).") % {"error": exc}
        raise UploadRejected(message) from None


def check_csv_cell(cell: str, *, row: int, column: int) -> None:
    stripped = cell.lstrip(" \"'")
    if stripped.startswith(FORMULA_START) and not NUMBER.fullmatch(stripped.strip()):
        raise UploadRejected(
            _("Row %(row)d, column %(column)d starts like a spreadsheet formula (%(start)s): "
              "spreadsheets would run it. Write it without the leading sign, or remove it.")
            % {"row": row, "column": column, "start": stripped[:1].replace("\t", "tab")}
        )  # fmt: skip


CONTENT_CHECKS = {XLSX: check_xlsx, "application/pdf": check_pdf, "text/csv": check_csv}
