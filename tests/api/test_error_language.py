"""Errors the API answers are in Chinese by default and with `Accept-Language: zh-Hans`, in
English with `en`: the reports' refusals, the filters' and DRF's own messages, with the token
authentication clients use (the permission matrix checks every cell it provokes)."""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def answers(client, method: str, url: str, **kwargs) -> dict:
    """The body per language: no header, zh-Hans, en."""
    out = {}
    for name, headers in (("none", {}), ("zh", {"HTTP_ACCEPT_LANGUAGE": "zh-Hans"}),
                          ("en", {"HTTP_ACCEPT_LANGUAGE": "en"})):  # fmt: skip
        response = getattr(client, method)(url, **kwargs, **headers)
        out[name] = (response.status_code, response.json())
    return out


def test_a_reports_refusal_names_the_contract_and_period_in_either_language(people):
    contract = people.contract
    body = {"contract": contract.code, "period": "2030-Q3"}
    got = answers(token_client(people.preparer), "post", "/api/v1/reports/", data=body)
    zh = {"detail": f"{contract.code} 没有 2030-Q3 考核期"}
    assert got["none"] == got["zh"] == (409, zh)
    assert got["en"] == (409, {"detail": f"{contract.code} has no period 2030-Q3"})


def test_a_report_request_of_neither_kind_is_refused_in_either_language(people):
    client = token_client(people.auditor)
    got = answers(client, "post", "/api/v1/reports/", data={"city": "佛山", "period": "2026-Q2"})
    (status, zh), (_, en) = got["none"], got["en"]
    assert got["zh"] == got["none"] and status == 400
    assert "二者只能选其一" in zh["non_field_errors"][0]
    assert en["non_field_errors"] == ['give {"contract", "period"} or {"city", "year"}, not both']
    # half a pair: the other half is named, in either language
    got = answers(client, "post", "/api/v1/reports/", data={"year": 2026})
    assert "必填" in got["zh"][1]["city"][0]
    assert got["en"][1]["city"] == ["required with city + year"]


def test_permission_and_not_found_messages_are_translated(people):
    client = token_client(people.enterprise)
    got = answers(client, "post", f"/api/v1/payments/{people.calculation.pk}/prepare/")
    assert got["none"] == got["zh"] == (403, {"detail": "仅限政府经办人员。"})
    assert got["en"] == (403, {"detail": "Officials only."})
    # another agency's payment: DRF's own 404, never Django's "No PaymentCalculation matches"
    got = answers(token_client(people.other_official), "get",
                  f"/api/v1/payments/{people.calculation.pk}/")  # fmt: skip
    assert got["none"] == got["zh"] == (404, {"detail": "未找到。"})
    assert got["en"] == (404, {"detail": "Not found."})


def test_drf_authentication_messages_follow_the_header():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    got = answers(client, "get", "/api/v1/contracts/")
    assert got["none"] == got["zh"] == (401, {"detail": "认证令牌无效。"})
    assert got["en"] == (401, {"detail": "Invalid token."})


def test_filter_errors_are_translated(people):
    client = token_client(people.auditor)
    got = answers(client, "get", "/api/v1/payments/?state=nonsense")
    (status, zh), (_, en) = got["none"], got["en"]
    assert status == 400 and got["zh"] == got["none"]
    assert "选择" in zh["state"][0] and en["state"][0].startswith("Select a valid choice")
