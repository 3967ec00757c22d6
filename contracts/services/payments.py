"""Computing what the government owes per contract period, set-based.

Every way of computing — the command, the Celery task, a period run — goes through
`payments_compute`: it reads a batch of periods with a fixed number of queries, runs the pure
engine on each and writes the calculations with one upsert (`calculations_upsert`). A
calculation that is approved or paid is never touched again.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import DatabaseError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from contracts import engine, workflow
from contracts.models import PaymentCalculation, PaymentRun, Period
from contracts.selectors import evaluation_documents, mechanism_terms_by_contract, terms_in_force
from portfolio.money import MONEY_MAX

from .calculation_writes import calculations_upsert

SCORE_PLACES = Decimal("1e-10")
# What computing reads of a period (`evaluation_documents` reads pk, label, performance_points).
PERIOD_FIELDS = [
    "pk", "contract_id", "contract_code", "label", "starts_on", "performance_points", "state",
    "compute_problem",
]  # fmt: skip
RECOMPUTED_FIELDS = [
    "mechanism_version", "state", "inputs", "result", "score", "grade", "coefficient",
    "full_amount", "deduction", "payable", "computed_at", "computed_by", "computed_via",
    "task_id", "run",
]  # fmt: skip


@dataclass
class ComputeOutcome:
    computed: list[PaymentCalculation] = field(default_factory=list)
    # {"contract", "period", "problem", and "missing" KPI codes when measurements lack}
    problems: list[dict] = field(default_factory=list)


def payments_compute(
    *,
    period_ids: list[int],
    via: str,
    user=None,
    task_id: str = "",
    run: PaymentRun | None = None,
) -> ComputeOutcome:
    """Compute (or recompute) the calculations of these periods in one transaction.

    Which may be computed is the workflow's payment `compute` (a prepared payment only once
    it is returned; approved and paid ones never): the others are reported, not recomputed;
    so are periods lacking accepted measurements (which KPIs) — never computed with zeros —
    and results beyond what the amount columns hold. Each period's `compute_problem` says
    why it was not computed (blank when it was)."""
    outcome = ComputeOutcome()
    with transaction.atomic():
        # Lock every existing calculation of the batch, in pk order (as every writer does),
        # before reading anything: an approval either committed before (its state is read
        # here and refused) or waits until this transaction ends; the upsert below never
        # meets a row that changed state under it.
        stored = dict(
            PaymentCalculation.objects.select_for_update()
            .filter(period_id__in=period_ids)
            .order_by("pk")
            .values_list("period_id", "state")
        )
        # Rows, not model instances: a run reads thousands of periods.
        periods = list(
            Period.objects.filter(pk__in=period_ids)
            .annotate(contract_code=F("contract__code"))
            .order_by("pk")
            .values_list(*PERIOD_FIELDS, named=True)
        )
        terms = mechanism_terms_by_contract(contract_ids={p.contract_id for p in periods})
        evaluations = evaluation_documents(periods=periods, accepted_only=True)
        now = timezone.now()
        for period in periods:
            where = {"contract": period.contract_code, "period": period.label}
            state = stored.get(period.pk, workflow.NOT_COMPUTED)
            if workflow.compute_refusal(period_state=period.state, payment_state=state):
                recomputable = (
                    state == workflow.NOT_COMPUTED or state in workflow.recomputable_states()
                )
                problem = "period locked" if recomputable else f"already {state}"
                outcome.problems.append({**where, "problem": problem})
                continue
            in_force = terms_in_force(terms[period.contract_id], period.starts_on)
            evaluation = evaluations[period.pk]
            try:
                result = engine.compute(in_force.mechanism, in_force.kpis, evaluation)
            except engine.MissingMeasurements as exc:
                outcome.problems.append(
                    {**where, "problem": "missing measurements", "missing": exc.kpi_codes}
                )
                continue
            except engine.EngineInputError as exc:
                outcome.problems.append({**where, "problem": str(exc)})
                continue
            if max(abs(result.full_amount), abs(result.deduction)) > MONEY_MAX:
                outcome.problems.append(
                    {**where, "problem": f"amount beyond {MONEY_MAX:,}: {result.full_amount}"}
                )
                continue
            outcome.computed.append(
                PaymentCalculation(
                    period_id=period.pk,
                    mechanism_version=in_force.version,
                    state=PaymentCalculation.State.COMPUTED,
                    inputs={"evaluation": evaluation},
                    result=result.as_dict(),
                    score=_stored(result.score),
                    grade=result.grade or "",
                    coefficient=_stored(result.coefficient),
                    full_amount=result.full_amount,
                    deduction=result.deduction,
                    payable=result.payable,
                    computed_at=now,
                    computed_by=user,
                    computed_via=via,
                    task_id=task_id,
                    run=run,
                )
            )
        refused = calculations_upsert(
            outcome.computed, RECOMPUTED_FIELDS, replaceable=workflow.recomputable_states()
        )
        if refused:
            # Only a row written by someone not taking the locks above gets here.
            codes = {p.pk: {"contract": p.contract_code, "period": p.label} for p in periods}
            outcome.problems += [
                {**codes[c.period_id], "problem": "changed while computing"} for c in refused
            ]
            outcome.computed = [c for c in outcome.computed if c not in refused]
        _record_problems(periods, outcome)
    return outcome


def _problem_text(problem: dict) -> str:
    missing = problem.get("missing")
    return f"{problem['problem']}: {', '.join(missing)}" if missing else problem["problem"]


def _record_problems(periods, outcome: ComputeOutcome) -> None:
    """Each period's `compute_problem`: the problem, or blank once computed; only periods
    whose text changes are written."""
    texts = {(p["contract"], p["period"]): _problem_text(p) for p in outcome.problems}
    changed = []
    for period in periods:
        text = texts.get((period.contract_code, period.label), "")[:500]
        if text != period.compute_problem:
            changed.append(Period(pk=period.pk, compute_problem=text))
    Period.objects.bulk_update(changed, ["compute_problem"], batch_size=500)


def _stored(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def payment_compute(*, period_id: int, via: str, task_id: str = "") -> ComputeOutcome:
    """Compute one period (the compute endpoint's task). Its problem, if any, is the period's
    `compute_problem`, also when the database refuses the write (a lost connection or lock
    timeout is raised instead, for the task to retry)."""
    try:
        return payments_compute(period_ids=[period_id], via=via, task_id=task_id)
    except OperationalError:
        raise
    except DatabaseError as exc:
        first_line = (str(exc).splitlines() or [""])[0]
        problem = f"not stored: {type(exc).__name__}: {first_line}"[:500]
        Period.objects.filter(pk=period_id).update(compute_problem=problem)
        return ComputeOutcome(problems=[{"period_id": period_id, "problem": problem}])


def payment_compute_enqueue(*, period: Period, user) -> None:
    """Compute the period on a worker once the current transaction commits.

    The workflow's `compute` is checked here, where the caller still hears a refusal (a
    prepared payment must be returned first; a final one is never computed again): the
    worker would only record it as the period's `compute_problem`."""
    from contracts.tasks import compute_payment  # tasks import services: import late

    period = Period.objects.select_related("contract", "calculation").get(pk=period.pk)
    workflow.transition_check(period, "compute", user)
    transaction.on_commit(lambda: compute_payment.delay(period.pk))
