"""Login defences (django-axes): LOGIN_FAILURE_LIMIT (10) wrong passwords lock the account
on every login path — the site's form, the admin's, the API token endpoint — for
LOGIN_LOCKOUT_MINUTES; the client's address is REMOTE_ADDR unless proxies are trusted."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from portfolio.access import client_ip

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def site_login(client, password):
    return client.post("/accounts/login/", {"username": "preparer", "password": password})


def admin_login(client, password):
    return client.post("/admin/login/", {"username": "preparer", "password": password})


def token_login(client, password):
    return APIClient().post("/api/v1/auth/token/", {"username": "preparer", "password": password})


PATHS = [site_login, admin_login, token_login]


@pytest.fixture(autouse=True)
def _token_throttle_out_of_the_way(monkeypatch):
    """The lockout, not the token endpoint's throttle (20/min), is under test here."""
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "1000/min"})


@pytest.mark.parametrize("login", PATHS, ids=lambda f: f.__name__)
def test_ten_wrong_passwords_lock_the_account_on_every_login_path(people, login, settings):
    client = Client()
    for _ in range(9):
        assert login(client, "wrong").status_code in (200, 400)  # the form again, with the error
    right = login(client, "pw")  # nine wrong, then the right one: in
    assert right.status_code in (200, 302)
    assert right.status_code != 200 or "token" in right.json()

    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong")
    locked = login(client, "pw")  # ten wrong: even the right password is refused

    assert locked.status_code == 429
    assert locked["Retry-After"] == str(30 * 60)
    assert "30" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_api_answers_the_lockout_as_json(people):
    for _ in range(10):
        token_login(None, "wrong")
    locked = APIClient().post(
        "/api/v1/auth/token/", {"username": "preparer", "password": "pw"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert locked.status_code == 429
    assert locked.json() == {
        "detail": "Too many failed logins: this account is locked for 30 minutes."
    }
    assert token_login(None, "pw").json()["detail"] == "登录失败次数过多：该账户已锁定 30 分钟。"


def test_one_path_locks_the_others_too(people):
    for _ in range(10):
        site_login(Client(), "wrong")
    assert admin_login(Client(), "pw").status_code == 429
    assert token_login(None, "pw").status_code == 429


def test_the_lock_lasts_the_configured_time(people, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=2)
    for _ in range(10):
        site_login(Client(), "wrong")
    assert site_login(Client(), "pw").status_code == 429
    time.sleep(2.5)
    client = Client()
    assert site_login(client, "pw").status_code == 302
    assert client.session["_auth_user_id"] == str(people.preparer.pk)


def test_many_accounts_tried_from_one_address_lock_that_address(people):
    names = ["preparer", "approver", "approver2", "company", "auditor"]
    for attempt in range(10):
        Client().post("/accounts/login/", {"username": names[attempt % 5], "password": "x"})
    refused = Client().post("/accounts/login/", {"username": "elsewhere", "password": "pw"})
    assert refused.status_code == 429
    # from another address the account is not locked
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert (
        other.post("/accounts/login/", {"username": "elsewhere", "password": "pw"}).status_code
        == 302
    )


def test_the_client_address_is_remote_addr_unless_proxies_are_trusted(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8"
    )
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"  # a client-sent header is not believed
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "5.6.7.8"  # what our one proxy saw
    settings.TRUSTED_PROXY_COUNT = 5
    assert client_ip(request) == "1.2.3.4"


def test_a_forged_forwarded_for_does_not_escape_the_token_throttle(people, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min", "uploads": "3/min"})
    answers = [
        APIClient()
        .post(
            "/api/v1/auth/token/",
            {"username": "auditor", "password": "pw"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
        .status_code
        for n in range(4)
    ]
    assert answers == [200, 200, 200, 429]


def caches_of(**env):
    """The cache the local settings configure, in a process of their own."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "c = settings.CACHES['default']; print(c['BACKEND'], c['LOCATION'])",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portfolio.settings.local", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_throttles_count_in_a_cache_every_process_shares():
    backend, location = caches_of(DJANGO_CACHE_URL="")
    assert backend == "django.core.cache.backends.filebased.FileBasedCache"
    assert location == str(ROOT / "var" / "cache")
    assert caches_of(DJANGO_CACHE_URL="redis://127.0.0.1:6379/7") == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6379/7",
    ]
