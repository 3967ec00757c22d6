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
from django.utils.translation import gettext_lazy, pgettext_lazy
from weasyprint.urls import URLFetcher, URLFetcherResponse

from contracts.engine.decimals import round_half_up
from contracts.models import Decision, PaymentCalculation, RectificationNotice
from contracts.selectors import line_description, line_kind_label
from portfolio.models import User
from portfolio.money import money_text

from . import charts
from .selectors import FINAL, PROVISIONAL, RETURNED, report_attachment

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


# MoF grades (contracts/engine/grades.py) in the report's language: "Excellent (优)" in English.
GRADES = {
    "优": gettext_lazy("Excellent (优)"),
    "良": gettext_lazy("Good (良)"),
    "中": gettext_lazy("Fair (中)"),
    "差": gettext_lazy("Poor (差)"),
}
# KPI units the contracts write in Chinese, in the report's language ("%" and others as given).
UNITS = {
    "分": pgettext_lazy("unit", "points"),
    "秒": pgettext_lazy("unit", "seconds"),
    "毫秒": pgettext_lazy("unit", "ms"),
    "分钟": pgettext_lazy("unit", "minutes"),
    "小时": pgettext_lazy("unit", "hours"),
    "天": pgettext_lazy("unit", "days"),
    "次": pgettext_lazy("unit", "times"),
}
STATUS_LABELS = {
    FINAL: gettext_lazy("final"),
    PROVISIONAL: gettext_lazy("provisional"),
    RETURNED: gettext_lazy("returned for recomputation"),
}


def grade_label(grade: str | None) -> str:
    return str(GRADES.get(grade, grade)) if grade else "—"


def unit_label(unit: str) -> str:
    return str(UNITS.get(unit, unit))


def score_text(score: str | None, places: int) -> str:
    """The score to the places the mechanism uses (half-up), e.g. 78.58125 → "78.58"."""
    return "—" if score in (None, "") else str(round_half_up(Decimal(score), places))


def status_label(status: str, state: str) -> str:
    """ "final (paid)", "provisional (prepared)", "returned for recomputation"."""
    if status == RETURNED:
        return str(STATUS_LABELS[status])
    return f"{STATUS_LABELS[status]} ({PaymentCalculation.State(state).label})"


def signatory_text(person: dict | None) -> str:
    """ "王敏 (official (approver), 长沙市数据资源管理局)"."""
    if not person:
        return "—"
    role = User.Role(person["role"]).label if person["role"] else ""
    details = ", ".join(str(part) for part in (role, person["party"]) if part)
    return f"{person['name']} ({details})" if details else person["name"]


def when(value) -> str:
    if not value:
        return "—"
    moment = parse_datetime(value)
    return localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else value


def blocks(rows: list, size: int = TABLE_BLOCK_ROWS) -> list[list]:
    return [rows[i : i + size] for i in range(0, len(rows), size)] or [[]]


def contract_context(document: dict, report) -> dict:
    calc = document["calculation"]
    places = calc["score_places"]
    rows = [
        {
            **row,
            "unit_text": unit_label(row["unit"]),
            "points_text": score_text(row["points"], places),
            "evidence": [{**e, "short": e["sha256"][:12]} for e in row["evidence"]],
        }
        for row in document["kpi_rows"]
    ]
    score = score_text(calc["score"], places)
    history = [
        {**h, "score_text": score_text(h["score"], h["score_places"])} for h in document["history"]
    ]
    return {
        "doc": document,
        "report": report,
        "title": report_title(report),
        "calc": calc,
        "status": calc["status"],
        "status_text": status_label(calc["status"], calc["state"]),
        "state_label": PaymentCalculation.State(calc["state"]).label,
        "score": score,
        "score_rounded": calc["score"] is not None and Decimal(score) != Decimal(calc["score"]),
        "grade": grade_label(calc["grade"]),
        "amounts": {
            name: money_text(calc[name]) for name in ("full_amount", "deduction", "payable")
        },
        "times": {"computed_at": when(calc["computed_at"])},
        "kpi_blocks": blocks(rows),
        "lines": [
            {
                **line,
                "amount_text": money_text(line["amount"]),
                "kind_label": line_kind_label(line["kind"]),
                "description_text": line_description(line),
            }
            for line in document["lines"]
        ],
        "approvals": [
            {
                **a,
                "at_text": when(a["at"]),
                "label": Decision.Action(a["action"]).label,
                "by_text": signatory_text(a["by"]),
            }
            for a in document["approvals"]
        ],
        "texts": {
            name: {**shown, "borrowed": shown["language"] != report.language}
            for name, shown in document["texts_shown"].items()
        },
        "rectifications": [
            {
                **n,
                "state_label": RectificationNotice.State(n["state"]).label,
                "issued_text": f"{signatory_text(n['issued_by'])} {when(n['issued_at'])}",
                "answered_text": when(n["answered_at"]),
                "verified_text": (
                    f"{signatory_text(n['verified_by'])} {when(n['verified_at'])}"
                    if n["verified_by"]
                    else ""
                ),
                "files": [{**f, "short": f["sha256"][:12]} for f in n["files"]],
            }
            # a report made before ppp-report/4 has no notices
            for n in document.get("rectifications", [])
        ],
        "returned_periods": [h["period"] for h in history if h["status"] == RETURNED],
        "chart": charts.score_payable_chart(
            [h for h in history if h["status"] != RETURNED], labels=charts.chart_labels()
        ),
    }


def _sums_texts(sums: dict) -> dict:
    return {
        "periods": sums["periods"],
        **{name: money_text(sums[name]) for name in ("full_amount", "payable", "deduction")},
    }


def portfolio_context(document: dict, report) -> dict:
    rows = []
    for row in document["contracts"]:
        latest = row["latest"]
        rows.append(
            {
                **row,
                "final_text": _sums_texts(row[FINAL]),
                "provisional_text": _sums_texts(row[PROVISIONAL]),
                "latest_text": latest
                and {
                    "period": latest["period"],
                    "score": score_text(latest["score"], latest["score_places"]),
                    "grade": grade_label(latest["grade"]),
                    "status": latest["status"],
                    "status_text": status_label(latest["status"], latest["state"]),
                },
            }
        )
    budget, totals = document["budget"], document["totals"]
    return {
        "doc": document,
        "report": report,
        "title": report_title(report),
        "row_blocks": blocks(rows),
        "totals": {
            FINAL: _sums_texts(totals[FINAL]),
            PROVISIONAL: _sums_texts(totals[PROVISIONAL]),
            "returned": totals["returned"],
        },
        "budget": {
            **budget,
            "over_10": budget["share"] is not None
            and Decimal(budget["share"]) > settings.FISCAL_CEILING_PERCENT,
            **{
                f"{name}_text": money_text(budget[name])
                for name in ("general_expenditure", "obligations", "limit_10", "limit_5")
            },
        },
        "chart": charts.portfolio_chart(rows, labels=charts.chart_labels()),
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
        english = report.language == "en" and document["city"]["name_en"]
        return _("PPP portfolio report: %(city)s, %(year)s") % {
            "city": document["city"]["name_en"] if english else document["city"]["name"],
            "year": document["year"],
        }


def report_pdf(report) -> Rendered:
    return html_to_pdf(report_html(report), document=report.inputs, title=report_title(report))


def harfbuzz_subsetting_available() -> bool:
    """WeasyPrint subsets fonts with HarfBuzz (fast) when libharfbuzz-subset (≥ 4.1) loads;
    otherwise it falls back to fontTools (≈ 6 s for one Chinese page)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return harfbuzz_subset is not None and bool(harfbuzz.hb_version_atleast(4, 1, 0))
