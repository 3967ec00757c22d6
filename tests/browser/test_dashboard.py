"""The portfolio dashboard in a real browser, on the demo portfolio: the auditor sees every city
and project, enterprise_a only its company's. Saves the pages as screenshots for the docs."""

from datetime import date

from playwright.sync_api import expect

from portfolio.demo_seed import demo_seed
from portfolio.models import City, Project, User
from tests.browser.pages import screenshot, site_login

TODAY = date(2026, 11, 23)
DASHBOARD = "项目组合看板"


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
    site_login(page, "auditor", lands_on=DASHBOARD)  # the start page sends auditors there

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
    site_login(page, "enterprise_a", lands_on=DASHBOARD, next_url="/portfolio/")

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
