"""Every class of bundle error is reported with its JSON path, and nothing is written."""

import copy

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from contracts.bundles import BundleInvalid, bundle_import, validate_bundle
from contracts.models import Contract, Measurement, Period
from portfolio.models import Party, Project

# Messages as `import_bundle` prints them (English); test_bundle_language.py checks zh-Hans.
pytestmark = pytest.mark.usefixtures("english")


def messages(doc) -> list[str]:
    return [str(e) for e in validate_bundle(doc)]


def broken(example, mutate, name="cn-score-coefficient"):
    doc = copy.deepcopy(example(name))
    mutate(doc)
    return doc


@pytest.mark.parametrize(
    "name", ["cn-score-coefficient", "cn-steps", "uk-deductions", "road-events"]
)
def test_the_shared_examples_are_valid(example, name):
    assert messages(example(name)) == []


# (a change to a valid example, the error it must give: "path: message")
ERRORS = [
    # missing field
    (lambda d: d["project"].pop("code"), "project.code: is required"),
    (lambda d: d["contract"]["kpis"][2].pop("target"), "contract.kpis[2].target: is required"),
    # wrong type
    (
        lambda d: d["project"].update(cooperation_years="15"),
        "project.cooperation_years: must be an integer",
    ),
    (
        lambda d: d["contract"]["kpis"][0].update(target=99.0),
        'contract.kpis[0].target: must be a decimal string such as "99.5"',
    ),
    (lambda d: d["contract"].update(kpis={}), "contract.kpis: must be a list"),
    (lambda d: d["contract"]["kpis"][3].update(step="0"), "contract.kpis[3].step: must be > 0"),
    # unknown KPI in a measurement
    (
        lambda d: d["evaluations"][0]["measurements"][0].update(kpi="OUT-9"),
        "evaluations[0].measurements[0].kpi: unknown KPI 'OUT-9'",
    ),
    # weights not summing to 100
    (
        lambda d: d["contract"]["kpis"][0].update(max_points="25"),
        "contract.kpis: max_points must add up to 100, not 105",
    ),
    # bad period label
    (
        lambda d: d["evaluations"][0].update(period="2026-Q1"),
        "evaluations[0].period: must look like 2026 (annual contract)",
    ),
    (
        lambda d: d["evaluations"][0].update(period="2099"),
        "evaluations[0].period: is outside the contract term",
    ),
    # dates out of order
    (
        lambda d: d["contract"].update(starts_on="2032-01-01"),
        "contract.ends_on: must not be before starts_on",
    ),
    (
        lambda d: d["contract"].update(signed_on="2016-02-30"),
        "contract.signed_on: must be an ISO date (YYYY-MM-DD)",
    ),
    # duplicate codes
    (
        lambda d: d["contract"]["kpis"][1].update(code="OUT-1"),
        "contract.kpis[1].code: duplicate code 'OUT-1'",
    ),
    (
        lambda d: d["contract"]["milestones"][2].update(code="M1"),
        "contract.milestones[2].code: duplicate code 'M1'",
    ),
    (
        lambda d: d["evaluations"].append(copy.deepcopy(d["evaluations"][0])),
        "evaluations[1].period: duplicate period '2026'",
    ),
    # references, codes, choices, unknown keys
    (
        lambda d: d["parties"][1].update(credit_code="91430100MA4L0P7Q2D"),
        "parties[1].credit_code: is not a valid unified social credit code (GB 32100-2015)",
    ),
    (
        lambda d: d["contract"].update(private_party="nobody"),
        "contract.private_party: unknown party key 'nobody'",
    ),
    (
        lambda d: d["contract"].update(private_party="gov"),
        "contract.private_party: party 'gov' must be of kind enterprise",
    ),
    (
        lambda d: d["project"].update(stage="construction"),
        "project.stage: must be one of: identification, preparation, procurement, "
        "execution, handover",
    ),
    (
        lambda d: d["contract"]["kpis"][0].update(taget="99"),
        "contract.kpis[0].taget: unknown field",
    ),
    (
        lambda d: d["evaluations"][0]["measurements"][6].update(points="6"),
        "evaluations[0].measurements[6].points: must be <= 5",
    ),
    (lambda d: d.update(format="ppp-bundle/2"), 'format: must be "ppp-bundle/1"'),
    # a KPI computed from telemetry (docs/telemetry.md)
    (
        lambda d: d["contract"]["kpis"][0].update(
            telemetry={"stream": "ap heartbeat", "metric": "availability"}
        ),
        "contract.kpis[0].telemetry.stream: must be a stream code (letters, digits, - and _)",
    ),
    (
        lambda d: d["contract"]["kpis"][0].update(
            telemetry={"stream": "ap", "metric": "availability", "p": "95"}
        ),
        "contract.kpis[0].telemetry.p: does not apply to metric availability",
    ),
]


@pytest.mark.parametrize("mutate, expected", ERRORS)
def test_each_error_is_reported_with_its_path(example, mutate, expected):
    assert expected in messages(broken(example, mutate))


def test_steps_bands_must_cover_zero_and_stay_within_one(example):
    def mutate(d):
        bands = d["contract"]["mechanism"]["coefficient"]["bands"]
        bands[1]["per_point"] = "0.05"  # 0.80 + 0.05 × 10 = 1.30 at score 80
        bands.pop()  # no band with min 0

    found = messages(broken(example, mutate, "cn-steps"))
    assert (
        "contract.mechanism.coefficient.bands: "
        "must include a band with min 0 so every score is covered" in found
    )
    assert (
        "contract.mechanism.coefficient.bands[1]: coefficient would exceed 1 at score 80" in found
    )


def test_deductions_events_must_use_listed_codes(example):
    def mutate(d):
        d["evaluations"][0]["events"][0]["code"] = "graffiti"

    assert (
        "evaluations[0].events[0].code: "
        "unknown event code 'graffiti' (not in mechanism.event_rates)"
        in messages(broken(example, mutate, "road-events"))
    )


def test_every_error_of_a_document_is_reported_at_once(example):
    def mutate(d):
        d["project"].pop("code")
        d["contract"]["kpis"][3]["step"] = "-1"
        d["evaluations"][0]["period"] = "2026-13"

    assert len(messages(broken(example, mutate))) == 3


@pytest.mark.django_db
def test_an_invalid_bundle_writes_nothing(example):
    doc = broken(example, lambda d: d["contract"]["kpis"][3].update(step="0"))
    with pytest.raises(BundleInvalid):
        bundle_import(document=doc)
    assert not Project.objects.exists()
    assert not Party.objects.exists()
    assert not Contract.objects.exists()


@pytest.mark.django_db
def test_the_command_exits_non_zero_listing_every_error_and_writes_nothing(example, tmp_path):
    good = tmp_path / "good.json"
    good.write_text(__import__("json").dumps(example("cn-steps")), encoding="utf-8")
    bad = tmp_path / "bad.json"
    doc = broken(
        example,
        lambda d: (
            d["contract"]["kpis"][3].update(step="0"),
            d["evaluations"][0].update(period="2026-Q1"),
        ),
    )
    bad.write_text(__import__("json").dumps(doc), encoding="utf-8")

    with pytest.raises(CommandError) as error:
        call_command("import_bundle", str(good), str(bad))

    assert f"{bad}: contract.kpis[3].step: must be > 0" in str(error.value)
    assert f"{bad}: evaluations[0].period: must look like 2026" in str(error.value)
    # the good file was not written either: one transaction for all files
    assert not Contract.objects.exists()


@pytest.mark.django_db
def test_a_contract_code_owned_by_another_project_is_refused(example):
    # given an imported contract
    bundle_import(document=example("cn-steps"))
    # when another project's bundle reuses its code
    doc = copy.deepcopy(example("cn-score-coefficient"))
    doc["contract"]["code"] = "FS-FLOOD-2017-01"
    with pytest.raises(BundleInvalid) as error:
        bundle_import(document=doc)
    # then it is refused and the other project was not written
    assert [str(e) for e in error.value.errors] == [
        "contract.code: belongs to project FS-FLOOD-2017"
    ]
    assert not Project.objects.filter(code="CS-WIFI-2016").exists()


@pytest.mark.django_db
def test_a_locked_period_cannot_be_reimported(example):
    bundle_import(document=example("cn-steps"))
    Period.objects.update(state=Period.State.LOCKED)
    doc = copy.deepcopy(example("cn-steps"))
    doc["evaluations"][0]["measurements"][0]["value"] = "99"

    with pytest.raises(BundleInvalid) as error:
        bundle_import(document=doc)

    assert "evaluations[0].period: 2026-Q2 is locked" in str(error.value.errors[0])
    assert Measurement.objects.get(kpi__code="OUT-1").value == 95.5
    # the same figures again are no change: the re-import goes through
    bundle_import(document=example("cn-steps"))


@pytest.mark.django_db
def test_empty_lists_in_a_locked_period_are_no_change(example):
    bundle_import(document=example("uk-deductions"))
    Period.objects.update(state=Period.State.LOCKED)
    doc = copy.deepcopy(example("uk-deductions"))
    doc["evaluations"][0]["events"] = []  # none, as the stored period has

    bundle_import(document=doc)

    doc["evaluations"][0]["availability_failures"] = []  # but these are a change
    with pytest.raises(BundleInvalid) as error:
        bundle_import(document=doc)
    assert "evaluations[0].period: 2026-03 is locked" in str(error.value.errors[0])


@pytest.mark.django_db
def test_dry_run_checks_everything_and_writes_nothing(example):
    result = bundle_import(document=example("uk-deductions"), dry_run=True)
    assert result.contract.code == "UK-POLICE-HQ-01"
    assert not Contract.objects.exists()
