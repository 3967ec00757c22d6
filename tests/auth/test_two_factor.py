"""Two-factor authentication (django-otp: TOTP, recovery codes) for officials: with
OFFICIALS_REQUIRE_2FA on, the admin and the API's official actions — every payment decision —
need a session verified with the second factor; enrolment is a page of its own."""

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.auth.conftest import totp_code

pytestmark = pytest.mark.django_db


def password_only(username: str) -> Client:
    client = Client()
    answer = client.post("/accounts/login/", {"username": username, "password": "pw"})
    assert answer.status_code == 302
    return client


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def prepare(client, people):
    return client.post(f"/api/v1/payments/{people.calculation.pk}/prepare/")


def test_an_official_without_the_second_factor_cannot_use_the_admin(people, two_factor_on):
    enrolled(people.preparer)
    client = password_only("preparer")
    page = f"/admin/contracts/paymentcalculation/{people.calculation.pk}/change/"

    answer = client.get(page, follow=True)

    assert answer.redirect_chain[-1][0].startswith("/accounts/two-factor/?next=")
    assert "%2Fpaymentcalculation%2F" in answer.redirect_chain[-1][0]
    assert answer.status_code == 200 and 'name="code"' in answer.content.decode()


def test_a_payment_decision_without_the_second_factor_is_refused(people, two_factor_on):
    device = enrolled(people.preparer)
    client = password_only("preparer")

    refused = prepare(client, people)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("需要两步验证")
    people.calculation.refresh_from_db()
    assert people.calculation.state == "computed"

    # a token (issued on the password alone) never carries the second factor
    _instance, token = AuthToken.objects.create(user=people.preparer)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert prepare(api, people).status_code == 403
    assert api.get("/api/v1/payments/").status_code == 200  # reading needs no second factor

    # with the code from the app the same session decides
    verified = client.post("/accounts/two-factor/", {"code": totp_code(device), "next": "/admin/"})
    assert verified.status_code == 302 and verified["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert prepare(client, people).status_code == 200
    people.calculation.refresh_from_db()
    assert people.calculation.state == "prepared"


def test_a_wrong_code_does_not_verify(people, two_factor_on):
    enrolled(people.preparer)
    client = password_only("preparer")
    answer = client.post("/accounts/two-factor/", {"code": "000000"}, HTTP_ACCEPT_LANGUAGE="en")
    assert (
        answer.status_code == 200
        and "This code is wrong or has expired." in answer.content.decode()
    )
    assert client.get("/admin/").status_code == 302


def test_an_official_enrols_on_the_page_and_gets_recovery_codes(people, two_factor_on):
    client = password_only("approver")
    setup = client.get("/accounts/two-factor/")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', setup.content.decode()).group(1)
    assert "otpauth://totp/" in setup.content.decode() and "<svg" in setup.content.decode()
    device = TOTPDevice.objects.get(user=people.approver, confirmed=False)
    assert secret.rstrip("=") in setup.content.decode()

    done = client.post("/accounts/two-factor/", {"code": totp_code(device), "next": "/admin/"})

    codes = re.findall(r"<li><code>(\w+)</code></li>", done.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200

    # a recovery code stands in for the app, once
    for attempt, expected in ((1, 302), (2, 200)):
        other = password_only("approver")
        answer = other.post("/accounts/two-factor/", {"code": codes[0]})
        assert answer.status_code == expected, attempt
    assert StaticToken.objects.filter(device__user=people.approver).count() == 9


def test_enterprise_staff_and_auditors_need_no_second_factor(people, two_factor_on):
    assert password_only("company").get("/portal/").status_code == 200
    assert password_only("auditor").get("/portfolio/").status_code == 200


def test_with_the_requirement_off_officials_work_on_the_password(people):
    client = password_only("preparer")
    assert client.get("/admin/").status_code == 200
    assert prepare(client, people).status_code == 200
