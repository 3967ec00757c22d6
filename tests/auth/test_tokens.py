"""API tokens (django-rest-knox): only a hash is stored, they expire after API_TOKEN_HOURS,
and the user (logout, logoutall) or an administrator (the admin) revokes them."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def get_token(username="auditor", password="pw") -> str:
    answer = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password})
    assert answer.status_code == 200, answer.content
    return answer.json()["token"]


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_token_from_the_endpoint_works_and_only_its_hash_is_stored(people):
    token = get_token()
    assert with_token(token).get("/api/v1/contracts/").status_code == 200

    stored = AuthToken.objects.get(user=people.auditor)
    columns = [str(value) for value in AuthToken.objects.values().get().values()]
    assert token not in columns  # neither the token nor
    assert all(token not in value for value in columns)  # any column holding it
    assert len(stored.digest) == 128 and stored.token_key == token[: len(stored.token_key)]


def test_a_token_expires_after_api_token_hours(people, settings):
    before = timezone.now()
    answer = APIClient().post("/api/v1/auth/token/", {"username": "auditor", "password": "pw"})
    expiry = AuthToken.objects.get().expiry
    assert timedelta(hours=9, minutes=59) < expiry - before <= timedelta(hours=10, seconds=5)
    assert answer.json()["expiry"]

    _instance, short = AuthToken.objects.create(user=people.auditor, expiry=timedelta(seconds=1))
    assert with_token(short).get("/api/v1/contracts/").status_code == 200
    time.sleep(1.5)
    assert with_token(short).get("/api/v1/contracts/").status_code == 401


def test_the_user_revokes_a_token_or_all_of_theirs(people):
    first, second, third = get_token(), get_token(), get_token()
    assert with_token(first).post("/api/v1/auth/logout/").status_code == 204
    assert with_token(first).get("/api/v1/contracts/").status_code == 401
    assert with_token(second).get("/api/v1/contracts/").status_code == 200

    assert with_token(second).post("/api/v1/auth/logoutall/").status_code == 204
    assert with_token(second).get("/api/v1/contracts/").status_code == 401
    assert with_token(third).get("/api/v1/contracts/").status_code == 401


def test_an_administrator_revokes_a_token_in_the_admin(people, admin_client):
    token = get_token()
    digest = AuthToken.objects.get().digest
    listed = admin_client.get(reverse("admin:knox_authtoken_changelist"))
    assert listed.status_code == 200 and "auditor" in listed.content.decode()

    deleted = admin_client.post(
        reverse("admin:knox_authtoken_delete", args=[digest]), {"post": "yes"}
    )

    assert deleted.status_code == 302
    assert with_token(token).get("/api/v1/contracts/").status_code == 401


def test_an_official_cannot_see_the_tokens_in_the_admin(people, client):
    get_token()
    client.force_login(people.preparer)
    assert client.get(reverse("admin:knox_authtoken_changelist")).status_code == 403
