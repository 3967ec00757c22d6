"""The start page `/` sends each role to its own place, and asks anonymous visitors to log in."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "who, place",
    [
        ("enterprise", "portal:home"),
        ("auditor", "dashboard:index"),
        ("preparer", "admin:index"),
        ("approver", "admin:index"),
    ],
)
def test_each_role_starts_in_its_own_place(client, people, who, place):
    # given
    client.force_login(getattr(people, who))
    # when
    response = client.get("/")
    # then
    assert (response.status_code, response.url) == (302, reverse(place))


def test_an_anonymous_visitor_is_asked_to_log_in(client):
    response = client.get("/")
    assert (response.status_code, response.url) == (302, f"{reverse('login')}?next=/")


def test_logging_in_on_the_site_login_page_leads_to_the_start_page(client, people):
    # given: the login page of the site, as enterprise staff without admin access use it
    assert client.get(reverse("login")).status_code == 200
    # when
    response = client.post(
        reverse("login"), {"username": people.enterprise.username, "password": "pw"}
    )
    # then
    assert (response.status_code, response.url) == (302, reverse("home"))
