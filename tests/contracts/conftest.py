"""People around an imported example contract (cn-steps, 佛山市水利局 and its enterprise)."""

from types import SimpleNamespace

import pytest

from contracts.bundles import bundle_import
from contracts.models import PaymentCalculation, Period
from contracts.services.payments import payments_compute
from portfolio.models import Party, User


def person(username: str, role: str, party: Party) -> User:
    return User.objects.create_user(
        username=username,
        password="pw",
        role=role,
        party=party,
        is_staff=role in ("preparer", "approver"),
        email=f"{username}@example.gov.cn",
    )


@pytest.fixture
def people(example):
    """A computed payment of cn-steps and everyone who may (or may not) act on it."""
    contract = bundle_import(document=example("cn-steps")).contract
    payments_compute(period_ids=list(Period.objects.values_list("pk", flat=True)), via="command")
    other_agency = Party.objects.create(kind="government", name="某市财政局")
    other_company = Party.objects.create(kind="enterprise", name="某某科技有限公司")
    auditors = Party.objects.create(kind="auditor", name="某审计机构")
    return SimpleNamespace(
        contract=contract,
        calculation=PaymentCalculation.objects.get(),
        preparer=person("preparer", "preparer", contract.government_party),
        approver=person("approver", "approver", contract.government_party),
        second_approver=person("approver2", "approver", contract.government_party),
        other_official=person("elsewhere", "approver", other_agency),
        enterprise=person("company", "enterprise", contract.private_party),
        other_enterprise=person("othercompany", "enterprise", other_company),
        auditor=person("auditor", "auditor", auditors),
    )
