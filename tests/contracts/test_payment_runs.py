"""Payments on a real Celery worker: the task, a period run over many contracts, and a run
that survives its worker being killed."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from contracts import engine
from contracts.bundles import bundle_import
from contracts.models import Contract, PaymentCalculation, PaymentRun, Period
from contracts.services.payment_runs import (
    payment_run_start,
    payment_runs_resume,
    payment_runs_start_due,
)
from contracts.services.payments import payment_compute_enqueue
from contracts.synthetic import MECHANISM, synthetic_kpis, synthetic_portfolio_create
from contracts.tasks import compute_payment_chunk
from portfolio.models import Party
from tests.conftest import EXAMPLE_NAMES
from tests.contracts.conftest import person
from tests.worker import wait_until

needs_acks = pytest.mark.skipif(
    settings.CELERY_BROKER_URL == "filesystem://",
    reason="kombu's filesystem transport drops a message when it is fetched, so a killed "
    "worker's task is lost; needs Redis (CELERY_BROKER_URL), runs in CI",
)


def expected_results(evaluations: dict[str, dict]) -> dict[str, engine.Result]:
    kpis = synthetic_kpis()
    return {code: engine.compute(MECHANISM, kpis, doc) for code, doc in evaluations.items()}


def assert_every_calculation_matches(expected: dict[str, engine.Result]) -> None:
    calculations = PaymentCalculation.objects.select_related("period__contract")
    found = {c.period.contract.code: c for c in calculations}
    assert set(found) == set(expected)
    for code, result in expected.items():
        assert found[code].payable == result.payable, code
        assert found[code].result == result.as_dict(), code


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_the_celery_task_reproduces_every_expected_figure(celery_worker, example, name):
    # given an imported example
    doc = example(name)
    bundle_import(document=doc)
    # when its period is computed by the task on a worker
    for period in Period.objects.all():
        payment_compute_enqueue(period=period, user=None)  # None: the system, as a run
    calculations = wait_until(lambda: list(PaymentCalculation.objects.all()), timeout=60)
    # then the stored result carries every expected figure
    (calculation,) = calculations
    for key, value in doc["expected"][calculation.period.label].items():
        assert calculation.result[key] == value, key
    assert calculation.computed_via == PaymentCalculation.Via.TASK
    assert calculation.task_id


def test_a_period_run_computes_every_contract_on_the_worker(celery_worker):
    # given 240 contracts with a submitted period
    evaluations = synthetic_portfolio_create(contracts=240)
    # when a run is started over their label, in chunks
    run = payment_run_start(label="2026-Q1", chunk_size=25)
    assert run.total == 240
    # then the worker finishes it and every result is the engine's
    wait_until(lambda: PaymentRun.objects.get(pk=run.pk).state == PaymentRun.State.DONE)
    run.refresh_from_db()
    assert (run.done, run.failed, run.problems) == (240, 0, [])
    assert_every_calculation_matches(expected_results(evaluations))


def test_a_run_reports_contracts_lacking_measurements(celery_worker):
    synthetic_portfolio_create(contracts=30)
    incomplete = Period.objects.order_by("pk")[:2]
    for period in incomplete:
        period.measurements.filter(kpi__code__in=["K03", "K07"]).delete()

    run = payment_run_start(label="2026-Q1", chunk_size=10)

    wait_until(lambda: PaymentRun.objects.get(pk=run.pk).state == PaymentRun.State.DONE)
    run.refresh_from_db()
    assert (run.done, run.failed) == (28, 2)
    assert sorted(p["contract"] for p in run.problems) == ["SYN-00000", "SYN-00001"]
    assert {tuple(p["missing"]) for p in run.problems} == {("K03", "K07")}


@needs_acks
def test_a_run_survives_its_worker_being_killed(celery_worker):
    # given a run over 600 contracts in small chunks, on one worker
    evaluations = synthetic_portfolio_create(contracts=600)
    run = payment_run_start(label="2026-Q1", chunk_size=10)
    # when the worker is killed (SIGKILL) in the middle of the run
    wait_until(lambda: PaymentRun.objects.get(pk=run.pk).done >= 50, interval=0.02)
    celery_worker.kill()
    run.refresh_from_db()
    assert run.state == PaymentRun.State.RUNNING, "the run ended before the kill: not a test"
    # and a new worker is started, and the stalled run resumed as the beat schedule would (the
    # broker redelivers what the dead worker held, but Redis can lose a task taken from the
    # queue and not yet recorded as unacknowledged: seen here once in a few runs)
    celery_worker.start()
    assert payment_runs_resume(started_before=timezone.now()) == [run]
    try:
        wait_until(lambda: PaymentRun.objects.get(pk=run.pk).state == PaymentRun.State.DONE)
    except AssertionError:
        run.refresh_from_db()
        said = "".join(celery_worker.output[-80:])
        stuck = f"run stuck at {run.done}/{run.total}; the worker said:\n{said}"
        raise AssertionError(stuck) from None
    # then every contract period was computed exactly once, and correctly
    run.refresh_from_db()
    assert (run.done, run.failed) == (600, 0)
    assert PaymentCalculation.objects.filter(run=run).count() == 600
    assert_every_calculation_matches(expected_results(evaluations))


def test_a_run_whose_tasks_were_lost_is_resumed(celery_worker):
    # given a run whose tasks never reached a worker, and a run just started
    evaluations = synthetic_portfolio_create(contracts=20)
    lost = PaymentRun.objects.create(label="2026-Q1", total=20, state=PaymentRun.State.RUNNING)
    started_before = timezone.now()
    PaymentRun.objects.create(label="2026-Q1", total=20, state=PaymentRun.State.RUNNING)
    # when stalled runs are resumed
    resumed = payment_runs_resume(started_before=started_before)
    # then only the older one is, and its worker computes every period
    assert resumed == [lost]
    wait_until(lambda: PaymentRun.objects.get(pk=lost.pk).state == PaymentRun.State.DONE)
    assert PaymentCalculation.objects.filter(run=lost).count() == 20
    assert_every_calculation_matches(expected_results(evaluations))


@pytest.mark.django_db
def test_the_daily_schedule_starts_a_run_when_the_submission_window_closes():
    synthetic_portfolio_create(contracts=3)
    due_on = Period.objects.first().due_on

    assert payment_runs_start_due(today=due_on) == []  # still open for submission
    (run,) = payment_runs_start_due(today=due_on + timedelta(days=1))
    assert (run.label, run.total) == ("2026-Q1", 3)
    assert payment_runs_start_due(today=due_on + timedelta(days=1)) == []  # once per label


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("contracts", "chunk_size", "sizes"),
    [(3, 1000, [2, 1]), (15, 4, [4, 4, 4, 3]), (30, 10, [8, 8, 7, 7])],
)
def test_a_run_is_split_into_equal_chunks_one_share_per_worker(
    contracts, chunk_size, sizes, settings, monkeypatch, django_capture_on_commit_callbacks
):
    # given contracts and two worker processes
    settings.PAYMENT_RUN_WORKERS = 2
    synthetic_portfolio_create(contracts=contracts)
    queued = []
    monkeypatch.setattr(compute_payment_chunk, "delay", lambda run_id, ids: queued.append(ids))
    # when a run is started
    with django_capture_on_commit_callbacks(execute=True):
        payment_run_start(label="2026-Q1", chunk_size=chunk_size)
    # then its chunks are as many as a multiple of the workers, at most chunk_size, equal
    # within one, and every period is in exactly one
    assert sorted(map(len, queued), reverse=True) == sizes
    assert sorted(pk for chunk in queued for pk in chunk) == list(
        Period.objects.order_by("pk").values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_an_officials_run_covers_only_their_agencys_periods():
    # given two agencies with periods of the same label
    synthetic_portfolio_create(contracts=3, prefix="OWN")
    synthetic_portfolio_create(contracts=2, prefix="OTHER")
    other_agency = Party.objects.create(kind=Party.Kind.GOVERNMENT, name="另一市财政局")
    Contract.objects.filter(code__startswith="OTHER").update(government_party=other_agency)
    own_agency = Contract.objects.get(code="OWN-00000").government_party
    official = person("preparer", "preparer", own_agency)
    # when the official starts a run in the admin, and the nightly run starts one
    run = payment_run_start(label="2026-Q1", user=official)
    nightly = payment_run_start(label="2026-Q1")
    # then the official's covers their agency's three periods, the system's all five
    assert (run.total, nightly.total) == (3, 5)
