"""Report snapshot → Django template → HTML → WeasyPrint → PDF/A-3b, with the data inside.

WeasyPrint reads the stylesheet through `StaticOnlyFetcher`: files under the reports' static
folder, from disk; anything else (http, other files, data: URLs) is refused and stops the
rendering. Fonts come from the system (fontconfig: "Noto Sans CJK SC"), subset by HarfBuzz.
"""

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from weasyprint.urls import URLFetcher, URLFetcherResponse

from contracts.models import Decision, PaymentCalculation
from contracts.selectors import line_description, line_kind_label
from portfolio.money import money_text as money

from . import charts
from .selectors import report_attachment

ASSETS_DIR = (Path(__file__).resolve().parent / "static" / "reports").resolve()
MIME_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
PDF_VARIANT = "pdf/a-3b"
# Rows per table block: a long KPI table is split so each block breaks cleanly.
TABLE_BLOCK_ROWS = 25


class FetchRefused(ValueError):
    pass


class StaticOnlyFetcher(URLFetcher):
    """file:// URLs inside `root` only, read from disk; never the network."""

    def __init__(self, root: Path = ASSETS_DIR):
        super().__init__(allowed_protocols=("file",), fail_on_errors=True)
        self.root = root.resolve()

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"refused (not a local static file): {url}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise FetchRefused(f"refused (outside the report assets): {url}")
        mime_type = MIME_TYPES.get(path.suffix)
        if mime_type is None:
            raise FetchRefused(f"refused (not a report asset type): {url}")
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), headers={"Content-Type": mime_type}
        )


def when(value) -> str:
    if not value:
        return "—"
    moment = parse_datetime(value)
    return localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else value


def blocks(rows: list, size: int = TABLE_BLOCK_ROWS) -> list[list]:
    return [rows[i : i + size] for i in range(0, len(rows), size)] or [[]]


def contract_context(document: dict, report) -> dict:
    calc = document["calculation"]
    rows = [
        {**row, "evidence": [{**e, "short": e["sha256"][:12]} for e in row["evidence"]]}
        for row in document["kpi_rows"]
    ]
    return {
        "doc": document,
        "report": report,
        "calc": calc,
        "state_label": PaymentCalculation.State(calc["state"]).label,
        "amounts": {name: money(calc[name]) for name in ("full_amount", "deduction", "payable")},
        "times": {name: when(calc[name]) for name in ("computed_at", "prepared_at", "approved_at")},
        "kpi_blocks": blocks(rows),
        "lines": [
            {
                **line,
                "amount_text": money(line["amount"]),
                "kind_label": line_kind_label(line["kind"]),
                "description_text": line_description(line),
            }
            for line in document["lines"]
        ],
        "decisions": [
            {**d, "at_text": when(d["at"]), "label": Decision.Action(d["action"]).label}
            for d in document["decisions"]
        ],
        "chart": charts.score_payable_chart(document["history"], labels=charts.chart_labels()),
    }


def portfolio_context(document: dict, report) -> dict:
    rows = [
        {
            **row,
            "full_text": money(row["full_amount"]),
            "payable_text": money(row["payable"]),
            "state_label": PaymentCalculation.State(row["state"]).label,
        }
        for row in document["contracts"]
    ]
    budget = document["budget"]
    return {
        "doc": document,
        "report": report,
        "row_blocks": blocks(rows),
        "totals": {name: money(document["totals"][name]) for name in ("full_amount", "payable")}
        | {"deduction": money(document["totals"]["deduction"])},
        "budget": {
            **budget,
            "over_10": budget["share"] is not None
            and Decimal(budget["share"]) > settings.FISCAL_CEILING_PERCENT,
            **{
                f"{name}_text": money(budget[name])
                for name in ("general_expenditure", "obligations", "limit_10", "limit_5")
            },
        },
        "chart": charts.portfolio_chart(document["contracts"], labels=charts.chart_labels()),
        "budget_chart": charts.budget_chart(budget, labels=charts.chart_labels())
        if budget["general_expenditure"]
        else "",
    }


@dataclass
class Rendered:
    pdf: bytes
    pages: int


def report_html(report) -> str:
    """The final HTML of a report, in the report's language."""
    document = report.inputs
    with translation.override(report.language):
        if document["kind"] == "contract":
            return render_to_string("reports/contract.html", contract_context(document, report))
        return render_to_string("reports/portfolio.html", portfolio_context(document, report))


def html_to_pdf(html: str, *, document: dict, title: str) -> Rendered:
    """WeasyPrint alone: the HTML to a PDF/A-3b with the snapshot's JSON attached."""
    name, text = report_attachment(document)
    rendered = weasyprint.HTML(
        string=html, base_url=ASSETS_DIR.as_uri() + "/", url_fetcher=StaticOnlyFetcher()
    ).render()
    rendered.metadata.title = title
    pdf = rendered.write_pdf(
        pdf_variant=PDF_VARIANT,
        attachments=[weasyprint.Attachment(string=text, name=name, description=name)],
        uncompressed_pdf=False,
    )
    return Rendered(pdf=pdf, pages=len(rendered.pages))


def report_title(report) -> str:
    document = report.inputs
    with translation.override(report.language):
        if document["kind"] == "contract":
            return _("Performance evaluation report: %(contract)s, %(period)s") % {
                "contract": document["contract"]["title"],
                "period": document["period"]["label"],
            }
        return _("PPP portfolio report: %(city)s, %(year)s") % {
            "city": document["city"]["name"],
            "year": document["year"],
        }


def report_pdf(report) -> Rendered:
    return html_to_pdf(report_html(report), document=report.inputs, title=report_title(report))


def harfbuzz_subsetting_available() -> bool:
    """WeasyPrint subsets fonts with HarfBuzz (fast) when libharfbuzz-subset (≥ 4.1) loads;
    otherwise it falls back to fontTools (≈ 6 s for one Chinese page)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return harfbuzz_subset is not None and bool(harfbuzz.hb_version_atleast(4, 1, 0))
