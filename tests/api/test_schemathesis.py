"""The API against its own OpenAPI schema, with generated requests (Schemathesis, Hypothesis).

Every operation of /api/schema/ gets a bounded number of generated requests (MAX_EXAMPLES,
plus Schemathesis' own edge cases), sent in-process through Django's WSGI handler into the
test database, on the demo portfolio (`demo_seed`) with a few evidence files and reports,
as each of an auditor, an enterprise user and an official. A positive integer `{id}` is
mapped onto an existing object of its kind, so details answer 200 and are checked too.

Every check Schemathesis has runs (no 5xx, status codes, content types, headers and bodies as
documented, what the schema calls invalid refused and what it calls valid accepted, auth not
ignored…), with one rule by kind of operation, not by operation: a write whose body the
schema accepts may still be refused with a documented 400 by a rule no JSON Schema states
(wrong credentials, a state or cross-field rule, a bundle's content), so "valid data
accepted" is checked on reads, where every parameter's rule is in the schema.
"""

import hashlib
from datetime import date

import pytest
import schemathesis
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, Phase, settings
from knox.models import AuthToken
from rest_framework.permissions import SAFE_METHODS
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from schemathesis.checks import CHECKS as CHECK_REGISTRY
from schemathesis.checks import load_all_checks, positive_data_acceptance

from contracts.models import Evidence, Measurement, PaymentCalculation
from portfolio.demo_seed import demo_seed
from portfolio.models import City, User
from reports.models import Report
from reports.services import report_request
from tests.conftest import rolled_back

TODAY = date(2026, 11, 23)
MAX_EXAMPLES = 15
load_all_checks()
# Every check Schemathesis has, whatever it adds in a later version: none is picked out.
CHECKS = CHECK_REGISTRY.get_all()
# One of each role sends every operation's requests.
USERS = ("auditor", "enterprise_a", "gov_preparer")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler())

# Existing ids by the first segment after /api/v1/, filled once the demo is there.
EXISTING: dict[str, list[int]] = {}


@schema.hook
def map_path_parameters(context, path_parameters):
    """A positive integer id → an existing object's (0, negative or not a number: as is)."""
    if not path_parameters:
        return path_parameters
    value, ids = path_parameters.get("id"), EXISTING.get(context.operation.path.split("/")[3])
    if isinstance(value, int) and not isinstance(value, bool) and value > 0 and ids:
        path_parameters["id"] = ids[value % len(ids)]
    return path_parameters


@pytest.fixture(scope="module")
def demo_tokens(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo portfolio and tokens, once for the module, in a transaction rolled back at its
    end; each operation's test runs in a savepoint of it (pytest-django's `db`).

    The WSGI handler runs in the test's thread, on the test's connection: like Django's test
    client, keep `close_old_connections` off the request signals, or the first request would
    close the connection that holds the transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    media = tmp_path_factory.mktemp("media")
    try:
        with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), rolled_back():
            demo_seed(today=TODAY)
            files_and_reports_add()
            EXISTING.update(existing_ids())
            yield {
                name: AuthToken.objects.create(user=User.objects.get(username=name))[1]
                for name in USERS
            }
    finally:
        EXISTING.clear()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def files_and_reports_add() -> None:
    """The demo has neither: evidence for a few measurements; a ready contract report and a
    pending portfolio report."""
    uploader = User.objects.get(username="enterprise_a")
    for measurement in Measurement.objects.filter(is_current=True).order_by("pk")[:3]:
        Evidence.objects.create(
            measurement=measurement, file=ContentFile(PDF, name="a.pdf"), original_name="a.pdf",
            sha256=hashlib.sha256(PDF).hexdigest(), size=len(PDF),
            content_type="application/pdf", uploaded_by=uploader,
        )  # fmt: skip
    period = PaymentCalculation.objects.order_by("pk").first().period
    report, _ = report_request(contract=period.contract, period_label=period.label)
    report.file.save("report.pdf", ContentFile(PDF), save=False)
    report.state, report.sha256, report.size = "ready", hashlib.sha256(PDF).hexdigest(), len(PDF)
    report.save()
    report_request(city=City.objects.get(name="长沙"), year=TODAY.year)


def existing_ids() -> dict[str, list[int]]:
    from contracts import models as contracts
    from portfolio import models as portfolio

    models = {
        "cities": portfolio.City, "parties": portfolio.Party, "projects": portfolio.Project,
        "contracts": contracts.Contract, "periods": contracts.Period,
        "measurements": contracts.Measurement, "evidence": contracts.Evidence,
        "payments": contracts.PaymentCalculation, "reports": Report,
    }  # fmt: skip
    return {
        name: list(model.objects.order_by("pk").values_list("pk", flat=True))
        for name, model in models.items()
    }


@pytest.fixture
def tokens(demo_tokens, db, monkeypatch):
    cache.clear()  # throttle counts (a local-memory cache)
    monkeypatch.setattr(
        ScopedRateThrottle, "THROTTLE_RATES", {"auth": "10000/min", "uploads": "10000/min"}
    )
    return demo_tokens


@pytest.mark.parametrize("user", USERS)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_schema_says(case, tokens, user):
    case.call_and_validate(
        headers={"Authorization": f"Token {tokens[user]}"},
        checks=CHECKS,
        excluded_checks=[] if case.method in SAFE_METHODS else [positive_data_acceptance],
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "payments/?computed_after=2026-01-01T00:00:00-18:30",
        "measurements/?submitted_before=2026-01-01T00:00:00%2B16:00",
        "evidence/?uploaded_after=2026-01-01T00:00:00-16:00",
        "payments/?computed_after=0001-01-01",
        "measurements/?submitted_after=0001-01-01T00:00:00%2B01:00",
        "evidence/?uploaded_before=9999-12-31T23:59:59-14:00",
    ],
)
def test_a_date_time_filter_never_answers_5xx(query):
    """Once 500 where the database cannot hold the moment; any 2xx or 400 will do."""
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(User.objects.create_user("fuzz", is_superuser=True))
    assert client.get(f"/api/v1/{query}").status_code < 500
