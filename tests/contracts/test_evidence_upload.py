"""Evidence uploads: typed by content, size-limited, stored under a random key, all or nothing."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.utils import translation

from contracts.models import Evidence, Measurement, Period
from contracts.services.approvals import ActionRefused
from contracts.services.evidence import evidence_upload
from contracts.uploads import UploadRejected, check_upload, label_from

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 100
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 100 + b"PE\x00\x00"
CSV_ROWS = "站点,在线率\n佛山一号,98.5\n佛山二号,97.0\n"


def zip_of(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<?xml version='1.0'?><x/>")
    return buffer.getvalue()


XLSX = zip_of("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/worksheets/sheet1.xml")


def stored_files(media: Path) -> list[Path]:
    return [p for p in (media / "evidence").rglob("*") if p.is_file()]


@pytest.fixture
def measurement(people):
    """OUT-1 as the enterprise submitted it, in a period awaiting the payment's approval."""
    Measurement.objects.filter(kpi__code="OUT-1").update(state=Measurement.State.SUBMITTED)
    return Measurement.objects.get(kpi__code="OUT-1")


def upload(content: bytes, name: str = "report.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def assert_refused(
    measurement, user, file, media, message: str | None = None, *, as_=ActionRefused
):
    """Refused by the workflow (ActionRefused), or as a bad file (`as_=UploadRejected`);
    either way nothing is stored."""
    # Messages are matched in English; the site's default language is Chinese.
    with translation.override("en"), pytest.raises(as_, match=message):
        evidence_upload(measurement=measurement, upload=file, user=user)
    assert Evidence.objects.count() == 0
    assert stored_files(media) == []


def assert_rejected(measurement, user, file, media, message: str | None = None) -> None:
    assert_refused(measurement, user, file, media, message, as_=UploadRejected)


def test_a_valid_pdf_is_stored_under_a_random_key(people, measurement, media):
    evidence = evidence_upload(
        measurement=measurement, upload=upload(PDF, "在线率报表.pdf"), user=people.enterprise
    )

    evidence.refresh_from_db()
    assert (evidence.original_name, evidence.content_type) == ("在线率报表.pdf", "application/pdf")
    assert (evidence.sha256, evidence.size) == (hashlib.sha256(PDF).hexdigest(), len(PDF))
    assert (evidence.measurement, evidence.uploaded_by) == (measurement, people.enterprise)
    assert evidence.file.name.startswith("evidence/") and "在线率" not in evidence.file.name
    assert stored_files(media) == [media / evidence.file.name]
    assert (media / evidence.file.name).read_bytes() == PDF


@pytest.mark.parametrize("content", [ELF, PE], ids=["elf", "pe"])
def test_an_executable_renamed_pdf_is_rejected(people, measurement, media, content):
    assert_rejected(
        measurement, people.enterprise, upload(content, "invoice.pdf"), media, "is not PDF, PNG"
    )


def test_a_file_over_the_limit_is_rejected(people, measurement, media, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    too_big = upload(PDF + b"0" * 1024)

    assert_rejected(measurement, people.enterprise, too_big, media, "larger than 1 KB")


class Unreadable:
    def __getattr__(self, name):
        raise AssertionError(f"the upload was touched: {name}")


def test_the_declared_size_refuses_without_reading_the_file(people, measurement, media):
    file = upload(PDF)
    file.size = 20 * 1024 * 1024 + 1
    file.file = Unreadable()

    assert_rejected(measurement, people.enterprise, file, media, "larger than 20 MB")


def test_a_file_bigger_than_it_claims_is_caught_while_hashing(people, measurement, media, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    file = upload(PDF + b"0" * 2048)
    file.size = 10

    assert_rejected(measurement, people.enterprise, file, media, "larger than 1 KB")


def test_an_empty_file_is_rejected(people, measurement, media):
    assert_rejected(measurement, people.enterprise, upload(b""), media, "The file is empty.")


def test_a_path_in_the_file_name_is_only_a_label(people, measurement, media):
    evidence = evidence_upload(
        measurement=measurement, upload=upload(PDF, "../../etc/passwd"), user=people.enterprise
    )

    assert evidence.original_name == "passwd"
    assert "passwd" not in evidence.file.name and ".." not in evidence.file.name
    assert stored_files(media) == [media / evidence.file.name]


def test_a_passwd_file_is_rejected_whatever_its_name(people, measurement, media):
    passwd = b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"

    assert_rejected(measurement, people.enterprise, upload(passwd, "../../etc/passwd"), media)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\Desktop\\报表.xlsx", "报表.xlsx"),
        ("re\x00port\x1b[31m.pdf", "report[31m.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("..", "evidence"),
        ("/\t\n", "evidence"),
        (None, "evidence"),
        ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
    ],
)
def test_labels_keep_no_directories_or_control_characters(name, label):
    assert label_from(name) == label


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PNG, "photo.jpg", "image/png"),  # the content decides, not the extension
        (JPEG, "photo", "image/jpeg"),
        (XLSX, "考核表.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (CSV_ROWS.encode(), "data.csv", "text/csv"),
        (CSV_ROWS.encode("utf-8-sig"), "data.csv", "text/csv"),
        (CSV_ROWS.encode("gb18030"), "data.csv", "text/csv"),
        ("站点;在线率\r\n一号;98,5\r\n".encode(), "data.txt", "text/csv"),
    ],
    ids=["png", "jpeg", "xlsx", "csv-utf8", "csv-bom", "csv-gb18030", "csv-semicolon"],
)
def test_allowed_types_are_accepted(people, measurement, media, content, name, content_type):
    evidence = evidence_upload(
        measurement=measurement,
        upload=upload(content, name, "application/octet-stream"),
        user=people.enterprise,
    )

    assert (evidence.content_type, evidence.size) == (content_type, len(content))
    assert (media / evidence.file.name).read_bytes() == content


def test_a_large_upload_spooled_to_disk_is_checked_and_stored(people, measurement, media):
    # Closed at the end, as Django does after a request: storage moved the temporary file.
    with TemporaryUploadedFile("考核表.xlsx", "application/zip", len(XLSX), None) as file:
        file.write(XLSX)
        evidence = evidence_upload(measurement=measurement, upload=file, user=people.enterprise)

    assert evidence.content_type.endswith("spreadsheetml.sheet")
    assert (media / evidence.file.name).read_bytes() == XLSX


def test_a_long_csv_cut_mid_character_at_the_sniffed_head_is_accepted():
    # "站" is three bytes in UTF-8: the 64 KiB head ends inside one.
    content = ("a,b\n" + "站" * 30_000 + ",1\n").encode()

    assert check_upload(upload(content, "big.csv")).content_type == "text/csv"


@pytest.mark.parametrize(
    "content",
    [
        zip_of("word/document.xml", "[Content_Types].xml"),
        zip_of("xl/workbook.xml"),
        zip_of("[Content_Types].xml", "xl/workbook.xml", "xl/vbaProject.bin"),
        b"PK\x03\x04 not really a zip",
    ],
    ids=["docx", "no-content-types", "xlsm", "broken"],
)
def test_a_zip_that_is_not_an_xlsx_is_rejected(people, measurement, media, content):
    assert_rejected(measurement, people.enterprise, upload(content, "sheet.xlsx"), media, "ZIP")


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 4,
        b"just one line of words",
        b"\xff\xfe\xfd,\x80,\x81\n",
        b"<html><script>alert(1)</script>,</html>",
        b"#!/bin/sh\nrm -rf /tmp/x, /tmp/y\n",
        b"a,b\n\x1b[2J,c\n",
    ],
    ids=["binary", "no-delimiter", "not-utf8-or-gb18030", "html", "script", "escape-codes"],
)
def test_text_that_is_not_csv_is_rejected(content):
    with translation.override("en"), pytest.raises(UploadRejected, match="is not PDF, PNG"):
        check_upload(upload(content, "data.csv", "text/csv"))


@pytest.mark.parametrize("who", ["other_enterprise", "preparer", "other_official", "auditor"])
def test_only_the_contracts_enterprise_may_upload(people, measurement, media, who):
    assert_refused(measurement, getattr(people, who), upload(PDF), media, "enterprise")


def test_a_locked_period_refuses(people, measurement, media):
    Period.objects.update(state=Period.State.LOCKED)

    assert_refused(measurement, people.enterprise, upload(PDF), media, "locked")


def test_an_accepted_or_superseded_measurement_refuses(people, measurement, media):
    Measurement.objects.filter(pk=measurement.pk).update(state=Measurement.State.ACCEPTED)
    assert_refused(measurement, people.enterprise, upload(PDF), media, "accepted")

    Measurement.objects.filter(pk=measurement.pk).update(
        state=Measurement.State.RETURNED, is_current=False, review_reason="缺少检测报告"
    )
    assert_refused(measurement, people.enterprise, upload(PDF), media, "current revision")


def test_a_failed_save_leaves_no_file_behind(people, measurement, media, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Evidence, "save", fail)

    with pytest.raises(RuntimeError):
        evidence_upload(measurement=measurement, upload=upload(PDF), user=people.enterprise)
    assert Evidence.objects.count() == 0
    assert stored_files(media) == []
