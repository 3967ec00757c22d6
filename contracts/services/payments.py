"""Computing what the government owes per contract period, set-based.

Every way of computing — the command, the Celery task, a period run — goes through
`payments_compute`: it reads a batch of periods with a fixed number of queries, runs the pure
engine on each and writes the calculations with one upsert (`calculations_upsert`). A
calculation that is approved or paid is never touched again.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import engine
from contracts.models import PaymentCalculation, PaymentRun, Period
from contracts.selectors import evaluation_documents, mechanism_terms_by_contract, terms_in_force

from .approvals import ActionRefused
from .calculation_writes import calculations_upsert

SCORE_PLACES = Decimal("1e-10")
# What computing reads of a period (`evaluation_documents` reads pk, label, performance_points).
PERIOD_FIELDS = ["pk", "contract_id", "contract_code", "label", "starts_on", "performance_points"]
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

    Periods whose calculation is final (approved, paid) are reported, not recomputed; so are
    periods lacking accepted measurements (which KPIs) — never computed with zeros."""
    outcome = ComputeOutcome()
    with transaction.atomic():
        # Lock existing calculations, in a fixed order, so an approval cannot slip in between
        # this read and the write below.
        final = dict(
            PaymentCalculation.objects.select_for_update()
            .filter(period_id__in=period_ids, state__in=PaymentCalculation.FINAL_STATES)
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
            if period.pk in final:
                outcome.problems.append({**where, "problem": f"already {final[period.pk]}"})
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
        calculations_upsert(outcome.computed, RECOMPUTED_FIELDS)
    return outcome


def _stored(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def payment_compute_enqueue(*, period: Period) -> None:
    """Compute the period on a worker once the current transaction commits.

    A final (approved, paid) payment is refused here, where the caller still hears it: the
    worker would only skip it."""
    from contracts.tasks import compute_payment  # tasks import services: import late

    final = PaymentCalculation.objects.filter(
        period=period, state__in=PaymentCalculation.FINAL_STATES
    ).first()
    if final is not None:
        raise ActionRefused(
            _("The payment is %(state)s: it is final and is not computed again.")
            % {"state": final.get_state_display()}
        )
    transaction.on_commit(lambda: compute_payment.delay(period.pk))
