"""Benchmark: a contract evaluation report end to end (service request → the Celery task's
code, run eagerly in this process → PDF stored with its sha256) against WeasyPrint rendering
the same final HTML alone, in the same run; peak memory per page; the cached re-request.

    .venv/bin/python bench/reports.py [--runs 5] [--screenshots]

Uses its own SQLite file (var/bench-reports.sqlite3, made again each run) with the demo
portfolio, or DATABASE_URL if set. Broker latency is not part of the figure (the task runs
eagerly): it is the queue's, not the report's. Targets (issue 6): end to end <= 1.15x
WeasyPrint alone; cached re-request < 50 ms. --screenshots writes page 1 of a contract and a
portfolio report to docs/screenshots/report-*.png (needs pdftoppm, poppler-utils).
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_FILE = ROOT / "var" / "bench-reports.sqlite3"
os.environ.setdefault("DATABASE_URL", f"sqlite:///{DB_FILE}")
os.environ.setdefault("DJANGO_MEDIA_ROOT", tempfile.mkdtemp(prefix="bench-reports-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "portfolio.settings.local"


def setup() -> None:
    import django

    if os.environ["DATABASE_URL"].startswith("sqlite") and DB_FILE.exists():
        DB_FILE.unlink()
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.CELERY_TASK_ALWAYS_EAGER = True  # the task's code, in this process
    settings.MEDIA_ROOT = os.environ["DJANGO_MEDIA_ROOT"]
    from portfolio.celery import app

    app.conf.task_always_eager = True
    call_command("migrate", verbosity=0)
    from portfolio.demo_seed import demo_seed

    demo_seed(today=date(2026, 11, 23))


def pick_subjects():
    from django.db.models import Count

    from contracts.models import PaymentCalculation

    calculation = (
        PaymentCalculation.objects.filter(
            state="approved", mechanism_version__type="score_coefficient"
        )
        .annotate(kpis=Count("mechanism_version__kpis"))
        .select_related("period__contract__project__city")
        .order_by("-kpis", "-period__starts_on")
        .first()
    ) or PaymentCalculation.objects.select_related("period__contract__project__city").first()
    return calculation


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshots", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    setup()
    print(f"demo portfolio seeded in {time.perf_counter() - started:.1f} s")

    from reports.models import Report
    from reports.rendering import (
        harfbuzz_subsetting_available,
        html_to_pdf,
        report_html,
        report_title,
    )
    from reports.services import report_request

    calculation = pick_subjects()
    contract, label = calculation.period.contract, calculation.period.label
    print(f"contract report: {contract.code} {label} ({calculation.state})")
    print(f"HarfBuzz subsetting: {harfbuzz_subsetting_available()}")

    def request(findings: str | None = None) -> Report:
        report, _ = report_request(contract=contract, period_label=label, findings=findings)
        return report

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    first = request("warm-up")  # loads fonts, templates; not timed
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    first.refresh_from_db()
    assert first.state == "ready", first.error

    e2e, alone = [], []
    for i in range(args.runs):
        # WeasyPrint alone, on the final HTML of the report version just stored
        report = Report.objects.filter(kind="contract").order_by("-version").first()
        html, title = report_html(report), report_title(report)
        t = time.perf_counter()
        html_to_pdf(html, document=report.inputs, title=title)
        alone.append(time.perf_counter() - t)
        # end to end: new findings text → new version → task → stored
        t = time.perf_counter()
        report = request(f"benchmark run {i}: 上报延迟偏高。")
        e2e.append(time.perf_counter() - t)
        report.refresh_from_db()
        assert report.state == "ready" and report.sha256, report.error

    cached = []
    for _ in range(20):
        t = time.perf_counter()
        again = request()
        cached.append(time.perf_counter() - t)
    assert again.pk == report.pk

    e2e_med, alone_med = statistics.median(e2e), statistics.median(alone)
    print(f"pages: {report.pages}, size: {report.size / 1024:.0f} KiB")
    print(f"WeasyPrint alone (same HTML):  median {alone_med * 1000:.0f} ms  {fmt(alone)}")
    print(f"end to end (request → stored): median {e2e_med * 1000:.0f} ms  {fmt(e2e)}")
    print(f"ratio end to end / WeasyPrint: {e2e_med / alone_med:.2f}x (target <= 1.15x)")
    print(
        f"cached re-request: median {statistics.median(cached) * 1000:.1f} ms, "
        f"max {max(cached) * 1000:.1f} ms (target < 50 ms)"
    )
    traced_mib, rss_mib = traced_peak / 2**20, (rss_after - rss_before) / 1024
    print(
        f"memory, first render ({first.pages} pages): Python peak (tracemalloc) "
        f"{traced_mib:.1f} MiB = {traced_mib / first.pages:.1f} MiB/page; process max RSS grew "
        f"{rss_mib:.1f} MiB = {rss_mib / first.pages:.1f} MiB/page (fonts loaded included)"
    )

    from portfolio.models import City

    city = contract.project.city
    t = time.perf_counter()
    portfolio, _ = report_request(city=city, year=2026)
    portfolio.refresh_from_db()
    print(
        f"portfolio report {city.name} 2026: {(time.perf_counter() - t) * 1000:.0f} ms, "
        f"{portfolio.pages} pages, {len(portfolio.inputs['contracts'])} contracts "
        f"({City.objects.count()} cities in the demo)"
    )
    if args.screenshots:
        out = ROOT / "docs" / "screenshots"
        out.mkdir(parents=True, exist_ok=True)
        for name, rep in (("contract", report), ("portfolio", portfolio)):
            pdf = Path(tempfile.mkdtemp()) / "r.pdf"
            pdf.write_bytes(rep.file.read())
            prefix = out / f"report-{name}"
            subprocess.run(
                ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf, prefix],
                check=True,
            )
            print(f"wrote {prefix}.png")


def fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v * 1000:.0f}" for v in values) + "] ms"


if __name__ == "__main__":
    main()
