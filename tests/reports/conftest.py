"""Reports around the imported example contract (cn-steps) and the demo portfolio."""

import io
import json

import pytest
from pypdf import PdfReader
from rest_framework.test import APIClient

from contracts.bundles import bundle_import
from contracts.models import Period
from contracts.services.payments import payments_compute
from tests.contracts.conftest import (
    people,  # noqa: F401 — the same cast as the contracts tests
    person,
)


@pytest.fixture
def api():
    """api(user) → an APIClient authenticated as that user (None: anonymous)."""

    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def deductions(example):
    """uk-deductions computed (availability and performance deduction lines), its official."""
    contract = bundle_import(document=example("uk-deductions")).contract
    period = Period.objects.get(contract=contract)
    payments_compute(period_ids=[period.pk], via="command")
    return period.calculation, person("county", "preparer", contract.government_party)


@pytest.fixture(autouse=True)
def _media(request, settings, tmp_path):
    """Report files of a test in its own folder (except where a worker process writes them:
    it uses the test settings' MEDIA_ROOT)."""
    if "celery_worker" not in request.fixturenames:
        settings.MEDIA_ROOT = tmp_path / "media"


def pdf_reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in pdf_reader(data).pages)


def pdf_attachment(data: bytes, name: str) -> dict:
    return json.loads(pdf_reader(data).attachments[name][0])
