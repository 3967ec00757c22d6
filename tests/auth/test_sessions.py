"""Officials' sessions end after SESSION_OFFICIAL_HOURS without a request; others' after
SESSION_HOURS (12) instead of Django's two weeks."""

import time

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def logged_in(username: str) -> Client:
    client = Client()
    assert (
        client.post("/accounts/login/", {"username": username, "password": "pw"}).status_code == 302
    )
    return client


def test_an_officials_session_ends_after_the_hours_without_a_request(people, settings):
    settings.SESSION_OFFICIAL_HOURS = 3 / 3600  # three seconds
    client = logged_in("preparer")
    assert client.get("/admin/").status_code == 200
    for _ in range(3):  # a request every 1.5 s keeps it open past the three seconds
        time.sleep(1.5)
        assert client.get("/admin/").status_code == 200
    time.sleep(3.5)  # then none for longer than that
    answer = client.get("/admin/")
    assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")


def test_an_officials_session_lasts_eight_hours_from_the_last_request(people):
    client = logged_in("approver")
    client.get("/admin/")
    assert client.session.get_expiry_age() == 8 * 3600


def test_other_sessions_last_twelve_hours_not_two_weeks(people):
    client = logged_in("company")
    client.get("/portal/")
    assert client.session.get_expiry_age() == 12 * 3600
