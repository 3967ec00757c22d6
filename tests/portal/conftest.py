"""An enterprise with an open period of cn-steps, and a second company with a contract of its
own (cn-score-coefficient), so that "another company's page" is a real page."""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contracts.bundles import bundle_import
from contracts.models import Period
from contracts.services.periods import period_get_or_create
from tests.contracts.conftest import people, person  # noqa: F401

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120


def pdf(name: str = "在线率月报.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _own_media(media):
    """Every portal test stores its uploads in a media folder of its own."""
    return media


@pytest.fixture
def portal(people, example):  # noqa: F811
    other = bundle_import(document=example("cn-score-coefficient")).contract
    return SimpleNamespace(
        **vars(people),
        period=period_get_or_create(contract=people.contract, label="2026-Q3")[0],
        evaluated=Period.objects.get(contract=people.contract, label="2026-Q2"),
        other_contract=other,
        other_period=other.periods.get(),
        rival=person("rival", "enterprise", other.private_party),
    )
