"""The period review page shows each telemetry KPI with its source, sample size and
fingerprint, the company's own figure beside it and a flag beyond the KPI's tolerance; the
official can compute the telemetry KPIs again (sent to a worker after commit)."""

import html
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import Measurement
from contracts.services.measurements import measurement_submit
from contracts.tasks import aggregate_period_telemetry
from contracts.telemetry.aggregation import period_telemetry_aggregate
from tests.contracts.conftest import person
from tests.telemetry.conftest import AFTER, START, reopened_to_telemetry, store

pytestmark = pytest.mark.django_db


def review(client, period) -> str:
    response = client.get(reverse("admin:contracts_period_review", args=[period.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def telemetry_cell(page: str, code: str) -> str:
    start = page.index(f'data-telemetry="{code}"')
    return page[start : page.index("</div>", start)]


@pytest.mark.parametrize(("reported", "flagged"), [("99.9", True), (None, False)])
def test_each_telemetry_kpi_shows_source_sample_fingerprint_and_the_company_figure(
    client, setup, reported, flagged
):
    contract, period, *_ = setup
    period_telemetry_aggregate(period_id=period.pk, today=AFTER)
    computed = Measurement.objects.get(period=period, kpi__code="OUT-1", origin="telemetry")
    if reported:
        company = person("company", "enterprise", contract.private_party)
        measurement_submit(
            period=period, kpi=computed.kpi, user=company, source="api", value=Decimal(reported)
        )
    official = person("official", "preparer", contract.government_party)
    client.force_login(official)
    # when
    cell = telemetry_cell(review(client, period), "OUT-1")
    # then
    assert "station-heartbeat" in cell
    assert f'<span class="sample-size">{computed.sample_size}</span>' in cell
    assert computed.fingerprint[:16] in cell and f'title="{computed.fingerprint}"' in cell
    assert ("company reported" in cell or "企业填报" in cell) == bool(reported)
    assert ('class="tolerance-flag"' in cell) == flagged
    if reported:
        difference = Decimal(reported) - computed.value
        assert abs(difference) > Decimal("0.5")
        assert str(difference.normalize()) in cell


def test_within_the_tolerance_nothing_is_flagged(client, setup):
    contract, period, *_ = setup
    period_telemetry_aggregate(period_id=period.pk, today=AFTER)
    computed = Measurement.objects.get(period=period, kpi__code="OUT-1", origin="telemetry")
    company = person("company", "enterprise", contract.private_party)
    measurement_submit(
        period=period, kpi=computed.kpi, user=company, source="api",
        value=computed.value + Decimal("0.5"),
    )  # fmt: skip
    client.force_login(person("official", "preparer", contract.government_party))
    cell = telemetry_cell(review(client, period), "OUT-1")
    assert "0.5" in cell and 'class="tolerance-flag"' not in cell


def test_the_official_computes_the_telemetry_kpis_again_on_a_worker(
    client, setup, django_capture_on_commit_callbacks
):
    contract, period, heartbeat, *_ = setup
    period_telemetry_aggregate(period_id=period.pk, today=AFTER)
    official = person("official", "preparer", contract.government_party)
    reopened_to_telemetry(period, official)
    store(heartbeat, [("late", START, "", None, "")])
    client.force_login(official)
    url = reverse("admin:period_telemetry", args=[period.pk])
    assert url in review(client, period)
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url)
    # then one task is sent after commit; the worker's run makes a new revision
    assert response.status_code == 302 and len(callbacks) == 1
    aggregate_period_telemetry(period.pk)
    current = Measurement.objects.get(
        period=period, kpi__code="OUT-1", origin="telemetry", is_current=True
    )
    assert current.revision == 2


def test_another_agency_cannot_compute_them(client, setup):
    from portfolio.models import Party

    _contract, period, *_ = setup
    elsewhere = Party.objects.create(kind="government", name="某市财政局")
    client.force_login(person("other", "preparer", elsewhere))
    assert client.post(reverse("admin:period_telemetry", args=[period.pk])).status_code == 404
