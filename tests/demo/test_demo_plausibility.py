"""The seeded demo's history is one an auditor believes: who did what, when, in what order,
with what evidence. Reads the database the seed wrote; checks each rule on every row."""

import datetime
import hashlib
import io
from collections import defaultdict

import pytest
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from contracts.models import (
    Contract,
    Decision,
    Evidence,
    Measurement,
    PaymentCalculation,
    Period,
    TelemetryRecord,
)
from portfolio.demo_history import RECENT_PERIODS
from portfolio.demo_seed import demo_seed
from portfolio.models import User
from tests.conftest import rolled_back

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 23)
State = PaymentCalculation.State


def midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_current_timezone())


def period_end(period: Period) -> datetime.datetime:
    return midnight(period.ends_on + datetime.timedelta(days=1))


@pytest.fixture
def seeded(media):
    demo_seed(today=TODAY)
    return midnight(TODAY)


def test_payments_were_prepared_approved_and_paid_in_order_by_two_officials(seeded):
    calculations = PaymentCalculation.objects.select_related("period__contract")
    decisions = defaultdict(dict)
    for d in Decision.objects.all():
        decisions[d.calculation_id][d.action] = d
    last_review = {}
    for m in Measurement.objects.exclude(reviewed_at=None):
        last_review[m.period_id] = max(m.reviewed_at, last_review.get(m.period_id, m.reviewed_at))
    states = set()
    for c in calculations:
        states.add(c.state)
        officials = set(
            User.objects.filter(party=c.period.contract.government_party_id).values_list(
                "pk", flat=True
            )
        )
        assert period_end(c.period) < c.computed_at < seeded, c
        if c.period_id in last_review:
            assert last_review[c.period_id] < c.computed_at, c
        if c.state in (State.PREPARED, State.APPROVED, State.PAID):
            assert c.computed_at < c.prepared_at < seeded, c
            assert c.prepared_by_id in officials
            prepare = decisions[c.pk]["prepare"]
            assert (prepare.user_id, prepare.created_at) == (c.prepared_by_id, c.prepared_at)
        if c.state in (State.APPROVED, State.PAID):
            assert c.prepared_at < c.approved_at < seeded, c
            assert c.approved_by_id != c.prepared_by_id and c.approved_by_id in officials
            approve = decisions[c.pk]["approve"]
            assert (approve.user_id, approve.created_at) == (c.approved_by_id, c.approved_at)
            assert c.period.state == Period.State.LOCKED
        else:
            assert c.period.state != Period.State.LOCKED
        if c.state == State.PAID:
            paid = decisions[c.pk]["mark_paid"]
            assert c.approved_at < paid.created_at < seeded, c
            assert paid.created_at.astimezone(timezone.get_current_timezone()).date() == c.paid_on
            assert paid.user_id in officials and c.paid_reference
        if c.state == State.RETURNED:
            returned = decisions[c.pk]["return"]
            assert returned.reason and c.computed_at < returned.created_at < seeded
        if c.state == State.COMPUTED:
            assert not decisions[c.pk]
    # every state occurs, and some periods are provisional: computed or prepared, not final
    assert states == set(State.values)
    provisional = calculations.filter(state__in=[State.COMPUTED, State.PREPARED])
    assert provisional.count() >= Contract.objects.count()


def test_measurements_were_submitted_by_the_enterprise_and_reviewed_by_its_officials(seeded):
    revisions = defaultdict(list)
    latest = {
        contract.pk: contract.periods.exclude(state=Period.State.OPEN).latest("starts_on").pk
        for contract in Contract.objects.all()
    }
    awaiting = 0
    for m in Measurement.objects.select_related(
        "period__contract", "submitted_by", "reviewed_by", "kpi"
    ):
        contract = m.period.contract
        # after the period ends (the city's computation: the night after)
        assert period_end(m.period) < m.submitted_at < seeded, m
        if m.origin == Measurement.Origin.TELEMETRY:
            # the city's value of a telemetry KPI: nobody of the company submitted it; it is
            # accepted by the agency's officials, or waits for them in the latest period
            assert m.kpi.is_telemetry and m.submitted_by is None, m
            if m.source == Measurement.Source.TELEMETRY:  # computed from the records
                assert len(m.fingerprint) == 64 and m.sample_size > 0, m
                assert m.evidence.get().original_name.endswith(".csv")
            else:  # an earlier period's figure, imported with the contract's bundle
                assert m.source == Measurement.Source.IMPORT, m
            if m.state == Measurement.State.SUBMITTED:
                assert m.period_id == latest[contract.pk] and m.reviewed_by is None, m
                awaiting += 1
                continue
            assert m.state == Measurement.State.ACCEPTED, m
            assert m.reviewed_by.party_id == contract.government_party_id
            assert m.submitted_at < m.reviewed_at < seeded, m
            continue
        assert m.submitted_by is not None and m.submitted_by.party_id == contract.private_party_id
        assert m.submitted_by.role == User.Role.ENTERPRISE
        # first submitted by its due date (a resubmission after a return may come later)
        if m.revision == 1:
            assert timezone.localtime(m.submitted_at).date() <= m.period.due_on, m
        if m.kpi.is_telemetry:
            # the company's own figure for a telemetry KPI: shown beside the city's value,
            # never reviewed (it does not count)
            assert (m.state, m.reviewed_by, m.is_current) == ("submitted", None, True), m
            continue
        assert m.state in (Measurement.State.ACCEPTED, Measurement.State.RETURNED), m
        assert m.reviewed_by.party_id == contract.government_party_id
        assert m.submitted_at < m.reviewed_at < seeded, m
        revisions[m.period_id, m.kpi_id].append(m)
    assert awaiting >= 1
    # a few items were returned with a reason and resubmitted after the return
    resubmitted = [r for r in revisions.values() if len(r) > 1]
    assert 10 <= len(resubmitted) <= len(revisions) // 4
    for first, second in (sorted(r, key=lambda m: m.revision) for r in resubmitted):
        assert (first.revision, first.state, first.is_current) == (1, "returned", False)
        assert first.review_reason
        assert (second.revision, second.state, second.is_current) == (2, "accepted", True)
        assert first.reviewed_at < second.submitted_at < second.reviewed_at


def test_recent_periods_have_evidence_files_stored_and_hashed(seeded):
    from django.core.files.storage import default_storage

    with_kpis = Contract.objects.filter(mechanism_versions__kpis__isnull=False).distinct()
    assert with_kpis.count() >= 15
    for contract in with_kpis:
        evaluated = contract.periods.exclude(state=Period.State.OPEN).order_by("starts_on")
        for period in list(evaluated)[-RECENT_PERIODS:]:
            files = Evidence.objects.filter(measurement__period=period)
            kinds = set(files.exclude(uploaded_by=None).values_list("content_type", flat=True))
            assert kinds == {"application/pdf", "image/png"}, period
    for evidence in Evidence.objects.select_related("measurement"):
        with default_storage.open(evidence.file.name) as f:
            content = f.read()
        assert hashlib.sha256(content).hexdigest() == evidence.sha256
        assert len(content) == evidence.size
        assert evidence.uploaded_by_id == evidence.measurement.submitted_by_id
        if evidence.uploaded_by_id is None:
            # the city's per-device summary, stored with the value it computed
            assert evidence.measurement.origin == Measurement.Origin.TELEMETRY
            assert evidence.content_type == "text/csv"
            assert evidence.uploaded_at == evidence.measurement.submitted_at
            fingerprint = f"fingerprint,{evidence.measurement.fingerprint},"
            assert content.decode().splitlines()[-1].startswith(fingerprint)
            continue
        assert evidence.uploaded_at < evidence.measurement.submitted_at
        if evidence.content_type == "application/pdf":
            assert (
                evidence.measurement.period.label
                in PdfReader(io.BytesIO(content)).pages[0].extract_text()
            )
        else:
            assert Image.open(io.BytesIO(content)).size == (320, 120)


def test_demo_people_have_names_and_e_mail_addresses(seeded):
    for user in User.objects.exclude(party=None):
        assert user.get_full_name() and "@" in user.email, user
    logins = User.objects.filter(username__in=["gov_preparer", "gov_approver", "enterprise_a"])
    assert [u.get_full_name() for u in logins.order_by("username")] == ["张伟", "陈静", "刘晓峰"]
    assert not User.objects.get(username="fs_wifi_preparer").has_usable_password()


def snapshot() -> dict:
    """Everything the history wrote, by natural keys (database ids and storage keys differ
    between runs; nothing else may)."""
    return {
        "measurements": sorted(
            Measurement.objects.values_list(
                "period__contract__code", "period__label", "kpi__code", "revision", "value",
                "points", "state", "submitted_by__username", "submitted_at",
                "reviewed_by__username", "reviewed_at", "review_reason",
            )
        ),
        "payments": sorted(
            PaymentCalculation.objects.values_list(
                "period__contract__code", "period__label", "state", "payable", "computed_at",
                "prepared_by__username", "prepared_at", "approved_by__username", "approved_at",
                "paid_reference", "paid_on",
            )
        ),
        "decisions": sorted(
            Decision.objects.values_list(
                "period__contract__code", "period__label", "action", "user__username",
                "created_at", "reason",
            )
        ),
        "evidence": sorted(
            Evidence.objects.values_list(
                "measurement__period__contract__code", "measurement__period__label",
                "measurement__kpi__code", "original_name", "sha256", "size", "uploaded_at",
            )
        ),
        "people": sorted(User.objects.values_list("username", "first_name", "email", "role")),
        "telemetry": sorted(
            Measurement.objects.exclude(fingerprint="").values_list(
                "period__contract__code", "period__label", "kpi__code", "value", "sample_size",
                "fingerprint",
            )
        ),
        "records": TelemetryRecord.objects.count(),
    }  # fmt: skip


def seeded_snapshot() -> dict:
    with rolled_back():
        demo_seed(today=TODAY)
        return snapshot()


def test_the_same_day_seeds_the_same_history(media):
    first = seeded_snapshot()
    assert not Measurement.objects.exists()  # rolled back
    second = seeded_snapshot()
    assert first == second
    assert len(first["evidence"]) > 100 and len(first["decisions"]) > 500
    assert len(first["telemetry"]) >= 7 and first["records"] > 50_000
