import json
import time

from django.core.management.base import BaseCommand, CommandError

from contracts.models import PaymentCalculation, PaymentRun, Period
from contracts.services.payment_runs import payment_run_start
from contracts.services.payments import payments_compute


class Command(BaseCommand):
    help = (
        "Compute the payment of one contract period (--contract and --period) and print it, "
        "or start a period run over every contract with that period label on the Celery "
        "workers (--period alone)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--contract", metavar="CODE")
        parser.add_argument("--period", metavar="LABEL", required=True)
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--progress", action="store_true", help="period run: show progress until it ends"
        )

    def handle(self, *args, contract, period, json: bool, progress: bool, **options):
        if contract:
            self._compute_one(contract, period, as_json=json)
        else:
            self._run(period, progress=progress, as_json=json)

    def _compute_one(self, code: str, label: str, *, as_json: bool) -> None:
        found = Period.objects.filter(contract__code=code, label=label).first()
        if found is None:
            raise CommandError(f"contract {code} has no period {label}")
        outcome = payments_compute(period_ids=[found.pk], via=PaymentCalculation.Via.COMMAND)
        if outcome.problems:
            problem = outcome.problems[0]
            missing = problem.get("missing")
            detail = f": KPIs {', '.join(missing)}" if missing else ""
            raise CommandError(f"{code} {label}: {problem['problem']}{detail}")
        result = {"contract": code, **outcome.computed[0].result}
        if as_json:
            self.stdout.write(_json_dumps(result))
        else:
            self.stdout.write(_summary(result))

    def _run(self, label: str, *, progress: bool, as_json: bool) -> None:
        run = payment_run_start(label=label)
        self.stderr.write(f"payment run {run.pk}: {run.total} contract periods labelled {label}")
        while progress and run.state == PaymentRun.State.RUNNING:
            self.stderr.write(_bar(run), ending="\r")
            self.stderr.flush()
            time.sleep(0.5)
            run.refresh_from_db()
        if progress:
            self.stderr.write(_bar(run))
        summary = {
            "run": run.pk,
            "period": label,
            "state": run.state,
            "total": run.total,
            "done": run.done,
            "failed": run.failed,
            "problems": run.problems,
        }
        self.stdout.write(_json_dumps(summary) if as_json else _run_summary(summary))


def _json_dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)


def _bar(run: PaymentRun, width: int = 40) -> str:
    finished = run.done + run.failed
    filled = width * finished // run.total if run.total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {finished}/{run.total}"


def _summary(result: dict) -> str:
    lines = [f"{result['contract']} {result['period']}"]
    if "score" in result:
        lines.append(
            f"  score {result['score']} ({result['grade']}), coefficient {result['coefficient']}"
        )
        lines += [f"    {code}: {points}" for code, points in result["kpi_points"].items()]
    lines += [
        f"  full amount {result['full_amount']}",
        f"  deduction   {result['deduction']}",
        f"  payable     {result['payable']}",
    ]
    return "\n".join(lines)


def _run_summary(summary: dict) -> str:
    lines = [
        f"run {summary['run']} {summary['period']}: {summary['state']}, "
        f"{summary['done']} computed, {summary['failed']} not computed of {summary['total']}"
    ]
    for problem in summary["problems"]:
        missing = problem.get("missing")
        detail = f" ({', '.join(missing)})" if missing else ""
        lines.append(f"  {problem['contract']} {problem['period']}: {problem['problem']}{detail}")
    return "\n".join(lines)
