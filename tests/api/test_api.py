"""API v1: authentication, scope, pagination, decimal strings, and the actions."""

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from contracts.models import Evidence, Measurement, Period
from contracts.services.payments import payments_compute
from contracts.synthetic import synthetic_portfolio_create
from portfolio.models import City, User

pytestmark = pytest.mark.django_db


def test_a_token_made_by_the_command_authenticates(people, capsys):
    call_command("create_api_token", "auditor")
    token = capsys.readouterr().out.strip()
    client = APIClient()
    assert client.get("/api/v1/contracts/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/contracts/").status_code == 200


def test_the_token_endpoint_gives_a_token_and_is_throttled(people, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min", "uploads": "3/min"})
    client = APIClient()
    answers = [
        client.post("/api/v1/auth/token/", {"username": "auditor", "password": "pw"}).status_code
        for _ in range(4)
    ]
    assert answers == [200, 200, 200, 429]


def test_each_role_sees_only_its_scope(people, api):
    contract = f"/api/v1/contracts/{people.contract.pk}/"
    assert api(people.enterprise).get(contract).status_code == 200
    assert api(people.other_enterprise).get(contract).status_code == 404
    assert api(people.other_official).get(contract).status_code == 404
    assert api(people.auditor).get(contract).status_code == 200
    assert api(people.other_enterprise).get("/api/v1/payments/").json()["count"] == 0
    assert api(people.enterprise).get("/api/v1/payments/").json()["count"] == 1


def test_a_contract_reads_the_same_in_the_list_and_alone(people, api):
    # given: the list reads `.values()` rows, a contract alone is a model instance
    client, contract = api(people.auditor), people.contract
    # when
    listed = client.get("/api/v1/contracts/").json()["results"][0]
    alone = client.get(f"/api/v1/contracts/{contract.pk}/").json()
    # then
    assert listed == {name: alone[name] for name in listed}
    assert listed["project"] == contract.project.code
    assert listed["city"] == contract.project.city.name
    assert listed["government_party"] == contract.government_party.name
    assert listed["private_party"] == contract.private_party.name
    assert listed["starts_on"] == contract.starts_on.isoformat()


def test_money_and_scores_are_decimal_strings(people, api):
    payment = api(people.auditor).get("/api/v1/payments/").json()["results"][0]
    assert payment["payable"] == "3552000.00"
    assert payment["score"] == "74.0000000000"
    assert payment["result"]["coefficient"] == "0.88"


def test_lists_paginate_up_to_500(people, api):
    page = api(people.auditor).get("/api/v1/measurements/?page_size=2").json()
    assert (page["count"], len(page["results"])) == (5, 2)
    assert page["next"].endswith("page=2&page_size=2")
    big = api(people.auditor).get("/api/v1/measurements/?page_size=100000").json()
    assert len(big["results"]) == 5  # capped at 500, here all 5


def test_filters(people, api):
    client = api(people.auditor)
    assert client.get("/api/v1/contracts/?city=佛山").json()["count"] == 1
    assert client.get("/api/v1/contracts/?city=北京").json()["count"] == 0
    assert client.get("/api/v1/contracts/?q=停车").json()["count"] == 0
    assert client.get("/api/v1/contracts/?q=内涝").json()["count"] == 1
    assert client.get("/api/v1/payments/?state=computed&period=2026-Q2").json()["count"] == 1
    assert client.get("/api/v1/measurements/?kpi=OUT-1").json()["count"] == 1


def date_time_filters(client) -> list[tuple[str, str]]:
    """(list path, query parameter) for every date-time filter the schema describes."""
    paths = json.loads(client.get("/api/schema/?format=json").content)["paths"]
    return [
        (path, parameter["name"])
        for path, operations in paths.items()
        for parameter in operations.get("get", {}).get("parameters", [])
        if parameter["in"] == "query" and parameter["schema"].get("format") == "date-time"
    ]


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01",  # Asia/Shanghai time: before year 1 in UTC
        "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
    ],
)
def test_every_date_time_filter_refuses_what_the_database_cannot_hold(people, api, moment):
    client = api(people.auditor)
    filters = date_time_filters(client)
    assert len(filters) >= 6  # measurements, evidence and payments: after and before

    for path, name in filters:
        answer = client.get(path, {name: moment}, headers={"Accept-Language": "en"})
        assert answer.status_code == 400, (path, name)
        assert "between the years 1 and 9999 in UTC" in answer.json()[name][0], (path, name)


def test_a_date_time_filter_takes_any_offset_python_does(people, api):
    # PostgreSQL refuses offsets beyond ±15:59; the filter compares in UTC
    client = api(people.auditor)
    for path, name in date_time_filters(client):
        answer = client.get(path, {name: "2026-01-01T00:00:00-18:30"})
        assert answer.status_code == 200, (path, name)


def test_enterprise_submits_a_measurement_for_an_open_period(people, api):
    Period.objects.update(state=Period.State.OPEN)
    Measurement.objects.filter(kpi__code="OUT-1").delete()
    period = Period.objects.get()
    body = {"period": period.pk, "kpi": "OUT-1", "value": "97.5"}

    assert api(people.auditor).post("/api/v1/measurements/", body).status_code == 403
    assert api(people.other_enterprise).post("/api/v1/measurements/", body).status_code == 404
    response = api(people.enterprise).post("/api/v1/measurements/", body)

    assert response.status_code == 201, response.content
    assert response.json()["value"] == "97.500000"
    assert response.json()["state"] == "submitted"
    bad = api(people.enterprise).post("/api/v1/measurements/", {**body, "value": "abc"})
    assert bad.status_code == 400 and "value" in bad.json()


def test_officials_accept_and_return_measurements(people, api):
    Measurement.objects.update(state=Measurement.State.SUBMITTED)
    out1, out2 = Measurement.objects.filter(kpi__code__in=["OUT-1", "OUT-2"]).order_by(
        "kpi__position"
    )
    assert api(people.enterprise).post(f"/api/v1/measurements/{out1.pk}/accept/").status_code == 403
    accepted = api(people.preparer).post(f"/api/v1/measurements/{out1.pk}/accept/")
    returned = api(people.approver).post(
        f"/api/v1/measurements/{out2.pk}/return/", {"reason": "缺少佐证"}
    )
    assert accepted.json()["state"] == "accepted"
    assert returned.json()["state"] == "returned" and returned.json()["review_reason"] == "缺少佐证"


def test_payment_actions_and_four_eyes(people, api):
    url = f"/api/v1/payments/{people.calculation.pk}"
    assert api(people.other_official).post(f"{url}/prepare/").status_code == 404
    assert api(people.auditor).post(f"{url}/prepare/").status_code == 403
    assert api(people.preparer).post(f"{url}/prepare/").json()["state"] == "prepared"
    people.preparer.role = "approver"
    people.preparer.save()
    refused = api(people.preparer).post(f"{url}/approve/")
    assert refused.status_code == 409 and "另一名审批人" in refused.json()["detail"]
    in_english = api(people.preparer).post(f"{url}/approve/", HTTP_ACCEPT_LANGUAGE="en")
    assert "another official must approve" in in_english.json()["detail"]
    assert api(people.approver).post(f"{url}/approve/").json()["state"] == "approved"
    paid = api(people.approver).post(
        f"{url}/mark-paid/", {"reference": "GK-1", "paid_on": "2026-08-01"}
    )
    assert paid.json()["state"] == "paid"


def test_returning_a_payment_needs_a_reason(people, api):
    url = f"/api/v1/payments/{people.calculation.pk}/return/"
    assert api(people.preparer).post(url, {}).status_code == 400
    assert api(people.preparer).post(url, {"reason": "复核"}).json()["state"] == "returned"


def test_compute_a_period_answers_202_with_a_status_url(people, api):
    period = Period.objects.get()
    assert api(people.enterprise).post(f"/api/v1/periods/{period.pk}/compute/").status_code == 403
    response = api(people.preparer).post(f"/api/v1/periods/{period.pk}/compute/")
    assert response.status_code == 202
    status = api(people.preparer).get(response.json()["status_url"]).json()
    assert status["results"][0]["period"] == period.pk


def test_bundles_import_for_officials_of_their_own_agency(people, api, example):
    doc = example("uk-deductions")
    assert api(people.enterprise).post("/api/v1/bundles/", doc, format="json").status_code == 403
    assert api(people.preparer).post("/api/v1/bundles/", doc, format="json").status_code == 403
    agency = people.preparer.party  # the bundle's government party becomes the preparer's
    doc["parties"][0].update(name=agency.name, credit_code=agency.credit_code)
    created = api(people.preparer).post("/api/v1/bundles/", doc, format="json")
    assert created.status_code == 201
    assert created.json()["contract"] == "UK-POLICE-HQ-01"
    doc["contract"]["currency"] = "pounds"
    refused = api(people.preparer).post(
        "/api/v1/bundles/", doc, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 400
    assert refused.json() == [
        {"path": "contract.currency", "message": "must be at most 3 characters"}
    ]
    # without a header the same error is in Chinese, the default language
    assert api(people.preparer).post("/api/v1/bundles/", doc, format="json").json() == [
        {"path": "contract.currency", "message": "最多 3 个字符"}
    ]


def test_the_schema_and_its_docs_are_served(people, api):
    schema = api(people.auditor).get("/api/schema/?format=json")
    paths = json.loads(schema.content)["paths"]
    assert "/api/v1/payments/{id}/approve/" in paths
    assert "/api/v1/evidence/" in paths and "/api/v1/bundles/" in paths
    assert api(people.auditor).get("/api/docs/").status_code == 200


def test_the_schema_describes_every_operations_errors_with_their_bodies(people, api):
    paths = json.loads(api(people.auditor).get("/api/schema/?format=json").content)["paths"]
    described = {
        (method.upper(), path): operation["responses"]
        for path, operations in paths.items()
        for method, operation in operations.items()
    }

    for (method, path), responses in described.items():
        errors = {code for code in responses if code.startswith("4")}
        # The token endpoint takes no credentials; the auth endpoints name no object.
        assert "401" in errors or path == "/api/v1/auth/token/", (method, path)
        # Reads are every role's, but the raw telemetry export (officials and auditors).
        refuses_roles = method == "POST" or path == "/api/v1/telemetry/{stream}/export/"
        assert ("403" in errors) == refuses_roles, (method, path)
        assert "404" in errors or path.startswith("/api/v1/auth/"), (method, path)
        for code in errors:
            assert responses[code]["content"]["application/json"]["schema"], (method, path, code)
    assert "400" in described["GET", "/api/v1/payments/"]  # filters
    assert "400" not in described["POST", "/api/v1/payments/{id}/approve/"]  # no input
    assert {"409", "429"} <= described["POST", "/api/v1/evidence/"].keys()
    assert "429" in described["POST", "/api/v1/auth/token/"]
    bundle_errors = described["POST", "/api/v1/bundles/"]["400"]["content"]["application/json"]
    assert bundle_errors["schema"]["anyOf"][0]["type"] == "array"


def grow(rows: int, prefix: str) -> None:
    """`rows` more contracts, each with a period, a measurement, a payment, evidence and a
    city of its own: every list below grows by `rows`."""
    synthetic_portfolio_create(contracts=rows, kpis=1, prefix=prefix)
    new = Period.objects.filter(contract__code__startswith=f"{prefix}-")
    payments_compute(period_ids=list(new.values_list("pk", flat=True)), via="command")
    uploader = User.objects.get(username="aud")
    for n, measurement in enumerate(Measurement.objects.filter(period__in=new)):
        Evidence.objects.create(
            measurement=measurement, file=f"evidence/{prefix}{n}", original_name="a.pdf",
            sha256="0" * 64, size=1, content_type="application/pdf", uploaded_by=uploader,
        )  # fmt: skip
    City.objects.bulk_create(City(name=f"{prefix}-城{n}") for n in range(rows))


@pytest.mark.parametrize(
    "endpoint",
    [
        "contracts",
        "periods",
        "measurements",
        "payments",
        "projects",
        "parties",
        "cities",
        "evidence",
    ],
)
def test_every_list_takes_the_same_queries_for_5_or_50_rows(endpoint, api):
    client = api(User.objects.create_user("aud", password="x", is_superuser=True))
    counts = []
    for rows, prefix in ((5, "A"), (45, "B")):
        grow(rows, prefix)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"/api/v1/{endpoint}/?page_size=100").json()
        assert len(page["results"]) >= (5 if prefix == "A" else 50)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
