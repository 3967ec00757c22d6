"""Hostile evidence files are refused with the reason (#14 finding 11): an XLSX zip bomb or
one with a member outside itself, a PDF with active content, a CSV with formula cells. Each
file is made here, in the test."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from rest_framework.test import APIClient

from contracts.models import Evidence
from contracts.uploads import UploadRejected, check_upload
from tests.contracts.test_evidence_upload import XLSX, measurement  # noqa: F401

WORKBOOK = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/worksheets/sheet1.xml"]


def workbook(*extra: str, big_member_bytes: int = 0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in (*WORKBOOK, *extra):
            archive.writestr(name, "<?xml version='1.0'?><x/>")
        if big_member_bytes:
            zeros = bytes(1024 * 1024)
            with archive.open("xl/media/bomb.bin", "w", force_zip64=True) as member:
                for _ in range(big_member_bytes // len(zeros)):
                    member.write(zeros)
    return buffer.getvalue()


def pdf(body: bytes, *, compressed: bool = False) -> bytes:
    import zlib

    if compressed:  # the object inside a Flate stream, as in an object stream
        data = zlib.compress(body)
        body = (
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
        )
    return b"%PDF-1.7\n1 0 obj " + body + b" endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def refusal(content: bytes, name: str) -> str:
    with translation.override("en"), pytest.raises(UploadRejected) as refused:
        check_upload(SimpleUploadedFile(name, content))
    return refused.value.reason


def test_a_zip_bomb_of_1_gib_is_refused_before_unpacking():
    bomb = workbook(big_member_bytes=1024**3)
    assert len(bomb) < 2 * 1024 * 1024  # 1 GiB of zeros in about 1 MB
    assert "unpacks to more than 100 MB" in refusal(bomb, "bomb.xlsx")


@pytest.mark.parametrize("member", ["../evil.sh", "xl/../../etc/cron.d/x", "/etc/passwd",
                                    "..\\evil.bat", "C:/evil.bat"])  # fmt: skip
def test_a_workbook_member_outside_the_workbook_is_refused(member):
    assert "outside itself" in refusal(workbook(member), "book.xlsx")


def test_an_ordinary_workbook_is_accepted():
    assert check_upload(SimpleUploadedFile("book.xlsx", workbook())).size > 0
    assert check_upload(SimpleUploadedFile("book.xlsx", XLSX)).size > 0


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"<< /Type /Catalog /Names << /JavaScript 2 0 R >> >>", "JavaScript"),
        (b"<< /S /JavaScript /JS (app.alert(1)) >>", "JavaScript"),
        (b"<< /Type /Action /S /J#61vaScript >>", "JavaScript"),  # #61 is "a"
        (b"<< /Type /Catalog /OpenAction << /S /URI /URI (http://x) >> >>", "on opening"),
        (b"<< /Type /Catalog /OpenAction 5 0 R >>", "on opening"),
        (b"<< /S /Launch /F (cmd.exe) >>", "launch"),
        (b"<< /Names << /EmbeddedFiles 3 0 R >> >>", "embedded files"),
        (b"<< /Type /Page /AA << /O 4 0 R >> >>", "automatic actions"),
    ],
)
@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "in-a-stream"])
def test_a_pdf_with_active_content_is_refused(body, reason, compressed):
    assert reason in refusal(pdf(body, compressed=compressed), "report.pdf")


def test_a_pdf_that_opens_at_a_page_is_accepted():
    content = pdf(b"<< /Type /Catalog /OpenAction [3 0 R /Fit] /JSON (not a script) >>")
    assert check_upload(SimpleUploadedFile("report.pdf", content)).content_type == "application/pdf"


@pytest.mark.parametrize(
    "rows",
    [
        '站点,在线率\n=cmd|" /C calc"!A0,98\n',
        '站点,在线率\n佛山,+HYPERLINK("http://x","点击")\n',
        "站点;在线率\n佛山;@SUM(A1:A9)\n",
        '站点,在线率\n佛山,"  =1+1"\n',
        "站点,在线率\n佛山, -2+3+cmd|' /C calc'!A0\n",
        "站点,在线率\n佛山,'=1+1\n",
        '站点,在线率\n"\t=1",1\n',
    ],
)
def test_a_csv_with_a_formula_cell_is_refused(rows):
    assert "spreadsheet formula" in refusal(rows.encode(), "data.csv")


def test_a_csv_with_signed_numbers_is_accepted():
    rows = "站点,变化,比率\n佛山,-12.5,+3%\n广州,-1e3,-.5\n"
    assert check_upload(SimpleUploadedFile("d.csv", rows.encode())).content_type == "text/csv"


@pytest.mark.django_db
def test_the_api_answers_400_naming_the_reason(people, measurement, media):  # noqa: F811
    client = APIClient()
    client.force_authenticate(people.enterprise)
    file = SimpleUploadedFile("data.csv", b"a,b\n1,=cmd|x\n")
    response = client.post(
        "/api/v1/evidence/", {"measurement": measurement.pk, "file": file},
        format="multipart", HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert response.status_code == 400
    assert "spreadsheet formula" in str(response.json()["file"])
    assert not Evidence.objects.exists()
