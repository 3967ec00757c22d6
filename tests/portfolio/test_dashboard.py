"""The portfolio dashboard with the Django test client: who sees what, and query budgets."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import Period
from contracts.services.payments import payments_compute
from contracts.synthetic import synthetic_portfolio_create
from portfolio.demo_seed import demo_seed
from portfolio.models import Project, User
from portfolio.services import city_upsert

pytestmark = pytest.mark.django_db
INDEX = reverse("dashboard:index")


def project_url(project) -> str:
    return reverse("dashboard:project", args=[project.pk])


def test_the_dashboard_needs_a_login(client):
    response = client.get(INDEX)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_auditor_lands_on_the_dashboard(client, people):
    client.force_login(people.auditor)
    assert client.get("/")["Location"] == INDEX


@pytest.mark.parametrize("who", ["auditor", "enterprise", "preparer"])
def test_the_parties_and_auditors_see_the_project(client, people, who):
    # given
    client.force_login(getattr(people, who))
    project = people.contract.project
    # when
    index = client.get(INDEX).content.decode()
    page = client.get(project_url(project))
    # then
    assert project.name in index
    assert page.status_code == 200 and people.contract.code in page.content.decode()


@pytest.mark.parametrize("who", ["other_enterprise", "other_official"])
def test_another_company_or_agency_gets_404_and_an_empty_dashboard(client, people, who):
    # given
    client.force_login(getattr(people, who))
    project = people.contract.project
    # when
    index = client.get(INDEX).content.decode()
    page = client.get(project_url(project))
    # then
    assert project.name not in index and people.contract.code not in index
    assert page.status_code == 404


def test_a_city_shows_its_obligations_against_the_budget_lines(client, people):
    # given 15,000,000 of obligations in 2026 against a budget of 100,000,000
    city = people.contract.project.city
    city_upsert(name=city.name, budgets={2026: Decimal("100000000")})
    client.force_login(people.auditor)
    # when
    page = client.get(INDEX).content.decode()
    # then
    assert "15.00%" in page and "超过10%红线" in page and "城市超过10%红线" in page
    assert "可用性付费绩效挂钩不足" in page  # cn-steps' fixed availability fee


def test_the_project_page_shows_milestones_chart_and_flag_reasons(client, people):
    client.force_login(people.enterprise)
    page = client.get(project_url(people.contract.project)).content.decode()
    assert "监测站点建设完工验收" in page and "已完成" in page  # M1, met
    assert "<svg" in page and "2026-Q2" in page  # the trend chart
    assert "财办金〔2017〕92号" in page


def test_enterprise_a_sees_its_projects_and_not_enterprise_bs(client):
    # given the demo portfolio
    demo_seed(today=date(2026, 11, 23))
    client.force_login(User.objects.get(username="enterprise_a"))
    company_b = User.objects.get(username="enterprise_b").party
    # when
    page = client.get(INDEX).content.decode()
    # then
    company_a = User.objects.get(username="enterprise_a").party
    for project in Project.objects.filter(contracts__private_party=company_a):
        assert project.name in page
    for project in Project.objects.filter(contracts__private_party=company_b):
        assert project.name not in page
        assert client.get(project_url(project)).status_code == 404


@pytest.mark.parametrize("contracts", [2, 30])
def test_the_dashboard_reads_in_a_fixed_number_of_queries(
    client, people, contracts, django_assert_max_num_queries
):
    # given contracts with computed payments in two cities
    synthetic_portfolio_create(contracts=contracts)
    payments_compute(period_ids=list(Period.objects.values_list("pk", flat=True)), via="command")
    client.force_login(people.auditor)
    # when / then (the filter bar's cities and provinces are one of them; the compliance
    # flags' overdue rectification notices one, their monitoring alerts five)
    with django_assert_max_num_queries(27):
        response = client.get(INDEX)
    assert response.content.decode().count("SYN-") >= contracts


def test_a_project_page_reads_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    # given the demo: CS-WIFI with twenty evaluated quarters, CS-EGOV monthly with many more
    demo_seed(today=date(2026, 11, 23))
    client.force_login(User.objects.get(username="auditor"))
    for code in ("CS-WIFI", "CS-EGOV", "SH-WIFI"):
        project = Project.objects.get(code=code)
        # when / then (with the monitoring of its contracts: six of them, through the flags)
        with django_assert_max_num_queries(24):
            assert client.get(project_url(project)).status_code == 200
