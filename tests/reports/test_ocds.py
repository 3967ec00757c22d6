"""The OCDS export: valid against the official schemas and codelists for every demo and
example contract, scoped like the rest of the API, in a fixed number of queries."""

import copy
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.bundles import bundle_import
from contracts.models import Contract, PaymentCalculation, Period
from contracts.services.approvals import (
    adjustment_approve,
    payment_adjust,
    payment_approve,
    payment_mark_paid,
    payment_prepare,
)
from contracts.services.payments import payments_compute
from portfolio.demo_seed import demo_seed
from portfolio.models import Party, User
from reports.ocds import money, ocds_release_package
from reports.selectors import ocds_contracts_data
from tests.conftest import EXAMPLE_NAMES
from tests.contracts.conftest import person
from tests.ocds_validation import ocds_errors

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)
URL = "/api/v1/ocds/releases/"


def export(code: str) -> dict:
    data = ocds_contracts_data(contracts=Contract.objects.filter(code=code))
    return ocds_release_package(data, uri=f"https://example.org/ocds/{code}", today=TODAY)


def pay_everything(contract: Contract) -> None:
    """Every computed payment of the contract prepared, approved and paid, the first one
    adjusted too: through the workflow's own services."""
    preparer = person(f"p-{contract.pk}", "preparer", contract.government_party)
    approver = person(f"a-{contract.pk}", "approver", contract.government_party)
    payments = PaymentCalculation.objects.filter(period__contract=contract).order_by("pk")
    for calculation in payments:
        payment_prepare(calculation=calculation, user=preparer)
        payment_approve(calculation=calculation, user=approver)
        payment_mark_paid(
            calculation=calculation, user=approver, reference="GK-1", paid_on=date(2026, 9, 1)
        )
    adjustment = payment_adjust(
        calculation=payments.first(), user=approver, amount=Decimal("-100.50"), reason="复核"
    )
    # counts once a second official approves it (four eyes)
    second = person(f"a2-{contract.pk}", "approver", contract.government_party)
    adjustment_approve(adjustment=adjustment, user=second)


# Validation: every contract of the demo and of the shared examples, with zero errors.


def test_every_demo_contract_exports_valid_ocds(tmp_path):
    # given the demo portfolio (payments in every workflow state)
    demo_seed(today=TODAY)
    output = tmp_path / "all.json"

    # when every contract is exported by the command
    call_command("export_ocds", "--all", "--uri", "https://example.org/ocds/all.json",
                 "--output", str(output))  # fmt: skip
    package = json.loads(output.read_text(encoding="utf-8"))

    # then the package is valid, with one release per contract and every part filled somewhere
    assert ocds_errors(package) == []
    assert len(package["releases"]) == Contract.objects.count()
    filled = {
        key
        for release in package["releases"]
        for key in release["contracts"][0].get("implementation", {})
    }
    assert filled == {"milestones", "metrics", "transactions", "performanceFailures"}
    # and only approved and paid payments are transactions
    final = PaymentCalculation.objects.filter(state__in=PaymentCalculation.FINAL_STATES)
    transactions = [
        t
        for release in package["releases"]
        for t in release["contracts"][0].get("implementation", {}).get("transactions", [])
    ]
    assert len(transactions) == final.count() < PaymentCalculation.objects.count()


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_contract_exports_valid_ocds(name, example):
    # given the example imported, its payments computed, paid and one adjusted
    contract = bundle_import(document=example(name)).contract
    payments_compute(period_ids=list(contract.periods.values_list("pk", flat=True)), via="command")
    pay_everything(contract)

    # when it is exported
    package = export(contract.code)

    # then it is valid, and its deductions and payments are there
    assert ocds_errors(package) == []
    implementation = package["releases"][0]["contracts"][0]["implementation"]
    payable = PaymentCalculation.objects.get(period__contract=contract).payable
    assert implementation["transactions"][0]["value"] == money(payable, contract.currency)
    assert implementation["transactions"][1]["value"]["amount"] == -100.5
    assert implementation["performanceFailures"]
    assert all(f["penaltyPaid"] for f in implementation["performanceFailures"])


def test_the_release_maps_the_contract(example, settings):
    # given cn-steps with its payment paid and a configured ocid prefix
    settings.OCDS_OCID_PREFIX = "ocds-abc123"
    contract = bundle_import(document=example("cn-steps")).contract
    payments_compute(period_ids=[contract.periods.get().pk], via="command")
    pay_everything(contract)

    # when it is exported twice
    first, second = export(contract.code), export(contract.code)

    # then the ocid, release id and date are stable; the content is the contract's
    release = first["releases"][0]
    assert release["ocid"] == "ocds-abc123-" + contract.code
    assert (release["id"], release["date"]) == (
        second["releases"][0]["id"],
        second["releases"][0]["date"],
    )
    roles = {p["name"]: p["roles"] for p in release["parties"]}
    assert set(roles[contract.government_party.name]) >= {"buyer", "payer"}
    assert set(roles[contract.private_party.name]) >= {"privateParty", "payee"}
    ocds_contract = release["contracts"][0]
    assert ocds_contract["period"]["startDate"].endswith("T00:00:00+08:00")
    assert ocds_contract["period"]["endDate"].endswith("T23:59:59+08:00")
    targets = {m["id"]: m["observations"][0]["measure"] for m in ocds_contract["agreedMetrics"]}
    observed = {
        m["id"]: m["observations"][0]["measure"] for m in ocds_contract["implementation"]["metrics"]
    }
    assert (targets["OUT-1"], observed["OUT-1"]) == ("98", "95.5")
    [failure] = ocds_contract["implementation"]["performanceFailures"]
    assert failure["penaltyImposed"].startswith("198000.00 CNY")


def test_nothing_personal_or_evidence_is_exported(people):
    # given a paid payment whose people have names and e-mail addresses
    pay_everything(people.contract)

    # when it is exported
    text = json.dumps(export(people.contract.code), ensure_ascii=False)

    # then no user, e-mail, payment reference or review reason is in it
    for secret in ("@example.gov.cn", "preparer", "approver", "GK-1", "复核", "evidence"):
        assert secret not in text


def test_money_is_rounded_half_up_to_cents_and_refused_when_inexact():
    assert money(Decimal("1.005"), "CNY") == {"amount": 1.01, "currency": "CNY"}
    assert money(Decimal("1234567890123.45"), "CNY")["amount"] == 1234567890123.45
    with pytest.raises(ValueError, match="too many digits"):
        money(Decimal("12345678901234.56"), "CNY")


# A broken export fails the validation: the validator is not a rubber stamp.


def _set(path: str, value):
    def change(package):
        *parents, last = path.split(".")
        node = package["releases"][0]
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value

    return change


DELETE = object()
BROKEN = [
    ("invalid date", _set("date", "2026-13-45T00:00:00+08:00"), "is not a 'date-time'"),
    ("date without time", _set("contracts.0.dateSigned", "2016-09-30"), "is not a 'date-time'"),
    ("unknown party role", _set("parties.0.roles", ["buyer", "landlord"]), "not in partyRole"),
    ("missing ocid", _set("ocid", DELETE), "'ocid' is a required property"),
    ("missing award id", _set("contracts.0.awardID", DELETE), "'awardID' is a required"),
    ("amount as text", _set("contracts.0.value.amount", "100.00"), "is not of type 'number'"),
    ("unknown currency", _set("contracts.0.value.currency", "RMB"), "'RMB' is not one of"),
    ("bad milestone status", _set("contracts.0.implementation.milestones.0.status", "done"),
     "'done' is not one of"),
    ("unknown milestone type", _set("contracts.0.implementation.milestones.0.type", "party"),
     "not in milestoneType"),
    ("unknown release tag", _set("tag", ["contract", "final"]), "'final' is not one of"),
    ("buyer not a party", _set("buyer", {"id": "nobody", "name": "x"}), "no party with id"),
    ("not a uri", _set("contracts.0.implementation.milestones.0.documents",
                       [{"id": "1", "url": "not a uri"}]), "is not a 'uri'"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_export_fails_the_validation(example, change, message):
    # given a valid export
    contract = bundle_import(document=example("cn-score-coefficient")).contract
    package = export(contract.code)
    assert ocds_errors(package) == []

    # when it is broken
    broken = copy.deepcopy(package)
    change(broken)

    # then the validation says where and why
    errors = ocds_errors(broken)
    assert any(message in error for error in errors), errors


# The API: the same scope as everything else, and a fixed number of queries.


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("enterprise", 200),
        ("other_enterprise", 404),
        ("preparer", 200),
        ("other_official", 404),
        ("auditor", 200),
    ],
)
def test_the_api_answers_each_role_within_its_scope(people, api, who, status):
    user = None if who == "anonymous" else getattr(people, who)
    response = api(user).get(URL, {"contract": people.contract.code})
    assert response.status_code == status
    if status == 200:
        package = response.json()
        assert package["uri"] == f"http://testserver{URL}?contract={people.contract.code}"
        assert ocds_errors(package) == []


def test_the_api_needs_a_contract_and_knows_no_other(people, api):
    client = api(people.auditor)
    missing = client.get(URL)
    assert missing.status_code == 400
    assert list(missing.json()) == ["contract"]
    assert client.get(URL, {"contract": "NO-SUCH-CODE"}).status_code == 404


def test_the_export_does_not_grow_in_queries_with_the_periods(example, api):
    # given two contracts, one with 2 evaluated, paid periods and one with 8
    auditor = User.objects.create_user("auditor", role="auditor", party=Party.objects.create(
        kind="auditor", name="某审计机构"))  # fmt: skip
    counts = []
    for code, periods in (("FS-SHORT-01", 2), ("FS-LONG-01", 8)):
        document = example("cn-steps")
        document["project"]["code"] = code.rsplit("-", 1)[0]
        document["contract"]["code"] = code
        evaluation = document["evaluations"][0]
        document["evaluations"] = [
            {**evaluation, "period": f"{2024 + i // 4}-Q{i % 4 + 1}"} for i in range(periods)
        ]
        contract = bundle_import(document=document).contract
        payments_compute(
            period_ids=list(contract.periods.values_list("pk", flat=True)), via="command"
        )
        pay_everything(contract)
        assert Period.objects.filter(contract=contract).count() == periods

        # when each is exported through the API
        with CaptureQueriesContext(connection) as queries:
            response = api(auditor).get(URL, {"contract": code})
        assert response.status_code == 200
        counts.append(len(queries))

    # then both take the same queries: the contract, mechanism versions, KPIs, milestones,
    # periods with their payments, measurements, adjustments
    assert counts == [7, 7]


def test_the_command_exports_one_contract_with_its_api_address(example, capsys, settings):
    # given an imported contract and the site's public address
    settings.OCDS_BASE_URL = "https://ppp.example.cn"
    contract = bundle_import(document=example("road-events")).contract

    # when one contract is exported to stdout
    call_command("export_ocds", "--contract", contract.code)
    package = json.loads(capsys.readouterr().out)

    # then its uri is the API's address for it, and it is valid
    assert package["uri"] == f"https://ppp.example.cn{URL}?contract={contract.code}"
    assert [r["ocid"] for r in package["releases"]] == [
        f"{settings.OCDS_OCID_PREFIX}-{contract.code}"
    ]
    assert ocds_errors(package) == []


def test_the_command_refuses_an_unknown_contract_and_all_without_a_uri():
    with pytest.raises(CommandError, match="no contract with code 'NOPE'"):
        call_command("export_ocds", "--contract", "NOPE")
    with pytest.raises(CommandError, match="--uri is required with --all"):
        call_command("export_ocds", "--all")
