"""Site-wide checks: settings per environment, the admin, the language."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pghistory.models
import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="portfolio.settings.production",
        DJANGO_SECRET_KEY="a-long-random-production-secret-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="ppp.example.gov.cn",
        DATABASE_URL="postgres://ppp@db.example.gov.cn:5432/ppp",
        CELERY_BROKER_URL="redis://redis.example.gov.cn:6379/0",
        DJANGO_CACHE_URL="redis://redis.example.gov.cn:6379/1",
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_every_model_change_has_its_migration():
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout


@pytest.mark.django_db
def test_admin_login_page_is_served_in_chinese_by_default(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "登录" in response.content.decode()


@pytest.mark.django_db
def test_admin_login_page_in_english(client):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Log in" in response.content.decode()


def registered_models():
    return [m for m in admin.site._registry if m._meta.app_label in {"portfolio", "contracts"}]


@pytest.mark.django_db
@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_every_admin_list_opens_with_search_and_filters(admin_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "长沙"}).status_code == 200
    model_admin = admin.site._registry[model]
    assert model_admin.search_fields, f"{model.__name__} admin has no search"


def test_every_model_has_an_admin():
    from django.apps import apps

    ours = [
        m
        for m in apps.get_models()
        if m._meta.app_label in {"portfolio", "contracts", "reports"}
        and not issubclass(m, pghistory.models.Event)  # shown by pghistory's own admin
        # the admin cannot show a composite key (telemetry records: the raw export does)
        and not isinstance(m._meta.pk, models.CompositePrimaryKey)
    ]
    assert set(ours) <= set(admin.site._registry)


@pytest.mark.django_db
def test_model_names_are_chinese_by_default_and_english_on_request(admin_client):
    chinese = admin_client.get("/admin/contracts/").content.decode()
    english = admin_client.get("/admin/contracts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "考核期" in chinese and "付费机制版本" in chinese
    assert "Evaluation periods" in english and "Payment mechanism versions" in english


def test_the_favicon_is_served_where_browsers_ask(client):
    from django.contrib.staticfiles import finders

    answer = client.get("/favicon.ico")
    assert answer.status_code == 301
    assert answer["Location"] == "/static/portfolio/favicon.svg"
    assert "<svg" in Path(finders.find("portfolio/favicon.svg")).read_text()


def test_an_expected_refusal_is_logged_as_one_line(client, django_user_model, caplog):
    # given a logged-in user without a role
    from portfolio.log_filters import ExpectedRefusalsOneLine

    client.force_login(django_user_model.objects.create_user("nobody", password="x-Long-pass-1"))

    # when a page refuses them (the API answers 404 for a guessed id) and Django logs it
    with caplog.at_level("WARNING", logger="django.request"):
        client.get("/api/v1/contracts/999999/")

    # then the record the console handler writes has no traceback
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.status_code == 404
    ExpectedRefusalsOneLine().filter(record)
    assert "\n" not in logging.Formatter().format(record)
