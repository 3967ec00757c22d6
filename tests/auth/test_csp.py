"""Content-Security-Policy (django-csp) on every page: scripts only from the site (Swagger UI
and ReDoc ship with it), no inline scripts anywhere we serve."""

import re

import pytest

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split("; ")}


@pytest.mark.parametrize(
    ("username", "url"),
    [
        (None, "/accounts/login/"),
        (None, "/admin/login/"),
        (None, "/api/docs/"),
        (None, "/api/redoc/"),
        ("preparer", "/admin/"),
        ("enterprise", "/portal/"),
        ("auditor", "/portfolio/"),
    ],
)
def test_every_page_has_a_policy_without_inline_scripts(people, client, username, url):
    if username:
        client.force_login(getattr(people, username))
    response = client.get(url)
    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
    assert all("src=" in tag for tag in scripts), scripts  # none inline: the policy allows none


def test_swagger_ui_gets_its_script_from_the_site(client):
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
