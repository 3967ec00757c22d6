"""Compliance flags in the contract admin: a column, a list filter, the change page."""

import pytest
from django.urls import reverse

from contracts.bundles import bundle_import
from contracts.synthetic import synthetic_portfolio_create
from portfolio.models import Party
from tests.contracts.conftest import person

pytestmark = pytest.mark.django_db
LIST = reverse("admin:contracts_contract_changelist")


def test_the_contract_list_shows_and_filters_the_flags(admin_client, people, example):
    # given cn-steps (its availability fee is all fixed) and cn-score-coefficient (30% linked,
    # an overdue milestone)
    other = bundle_import(document=example("cn-score-coefficient")).contract
    # when
    page = admin_client.get(LIST).content.decode()
    unlinked = admin_client.get(LIST, {"flag": "linked_share"}).content.decode()
    overdue = admin_client.get(LIST, {"flag": "overdue_milestones"}).content.decode()
    # then
    assert "可用性付费绩效挂钩不足" in page and "里程碑逾期" in page
    assert people.contract.code in unlinked and other.code not in unlinked
    assert other.code in overdue and people.contract.code not in overdue


def test_the_contract_page_gives_the_reasons(admin_client, people):
    url = reverse("admin:contracts_contract_change", args=[people.contract.pk])
    page = admin_client.get(url).content.decode()
    assert "财办金〔2017〕92号" in page


@pytest.mark.parametrize("rows", [2, 40])
def test_the_contract_list_flags_a_page_in_a_fixed_number_of_queries(
    client, rows, django_assert_max_num_queries
):
    synthetic_portfolio_create(contracts=rows)
    client.force_login(person("p", "preparer", Party.objects.get(kind="government")))
    # one query per kind of flag (the monitoring alerts: five), whatever the rows
    with django_assert_max_num_queries(27):
        response = client.get(LIST)
    assert response.content.decode().count("SYN-") >= rows
