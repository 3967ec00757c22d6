"""The portfolio dashboard in a real browser, on the demo portfolio: the auditor sees every city
and project, enterprise_a only its company's. Saves the pages as screenshots for the docs."""

from datetime import date
from pathlib import Path

from django.conf import settings
from playwright.sync_api import Page, expect

from portfolio.demo_seed import demo_seed
from portfolio.models import City, Project, User

TODAY = date(2026, 11, 23)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def login(page: Page, username: str) -> None:
    """The site's login page, then the start page sends each role to its place."""
    page.goto("/accounts/login/?next=/portfolio/")
    page.fill("#id_username", username)
    page.fill("#id_password", settings.DEMO_PASSWORD)
    page.click(".login-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("项目组合看板")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name, full_page=True)


def test_the_auditor_and_an_enterprise_see_what_they_may(transactional_db, live_server, new_page):
    # given the demo portfolio
    demo_seed(today=TODAY)
    company_a = User.objects.get(username="enterprise_a").party
    company_b = User.objects.get(username="enterprise_b").party
    own = Project.objects.filter(contracts__private_party=company_a).order_by("code")
    others = Project.objects.filter(contracts__private_party=company_b)
    assert own.exists() and others.exists()

    # when the auditor opens the dashboard
    page = new_page()
    login(page, "auditor")

    # then every city and every project is there, each city with its budget lines
    expect(page.locator("section.city")).to_have_count(City.objects.count())
    links = page.locator(".projects-table a")
    expect(links).to_have_count(Project.objects.count())
    for project in Project.objects.all():
        expect(links.filter(has_text=project.name)).to_have_count(1)
    expect(page.locator(".fiscal-table").first).to_contain_text("%")
    expect(page.locator(".badge.danger", has_text="可用性付费绩效挂钩不足")).to_have_count(1)
    screenshot(page, "dashboard-auditor.png")

    # when enterprise_a opens it in a browser of its own
    page = new_page()
    login(page, "enterprise_a")

    # then only its company's projects are there, never enterprise_b's
    expect(page.locator(".scope-note")).to_be_visible()
    links = page.locator(".projects-table a")
    expect(links).to_have_count(own.count())
    for project in own:
        expect(links.filter(has_text=project.name)).to_have_count(1)
    for project in others:
        expect(page.locator("body")).not_to_contain_text(project.name)
    screenshot(page, "dashboard-enterprise.png")

    # when it opens its project: milestones, the trend chart, the flags
    page.locator(".projects-table a", has_text=own.first().name).click()
    expect(page.locator("h1")).to_have_text(own.first().name)
    expect(page.locator("svg.chart").first).to_be_visible()
    expect(page.locator(".milestones-table tbody tr").first).to_be_visible()
    screenshot(page, "dashboard-project.png")

    # and another company's project answers 404
    response = page.goto(f"/portfolio/projects/{others.first().pk}/")
    assert response.status == 404
