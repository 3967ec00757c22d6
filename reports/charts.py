"""SVG charts drawn by hand (no browser, no plotting library): inline in the report's HTML,
rendered by WeasyPrint as vectors."""

import math
from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils.translation import gettext as _

FONT = 'font-family="Noto Sans CJK SC" font-size="9"'
SMALL_FONT = 'font-family="Noto Sans CJK SC" font-size="8"'
BAR = "#4a7ab5"
LINE = "#c0392b"
GRID = "#d0d0d0"
INK = "#333333"


def chart_labels() -> dict:
    """The charts' words in the active language."""
    return {
        "payable": _("Payable (final)"),
        "provisional": _("Payable (provisional)"),
        "full_amount": _("Full amount"),
        "score": _("Score"),
        "money_axis": _("10,000 yuan"),
        # xgettext:no-python-format
        "warn": _("5% warning line"),
        # xgettext:no-python-format
        "limit": _("10% ceiling"),
        "kpi_legend": _("— accepted figure (red: target missed) · - - target"),
    }


# Whatever is stored, a chart's size and cost are fixed: every value is read as a finite
# float within ±MAX_VALUE and every axis has at most MAX_TICKS ticks (never one per unit).
MAX_VALUE = 1e300
MAX_TICKS = 8


def _num(value) -> float:
    if value in (None, ""):
        return 0.0
    number = float(Decimal(value))
    if not math.isfinite(number):
        return 0.0 if math.isnan(number) else math.copysign(MAX_VALUE, number)
    return max(-MAX_VALUE, min(MAX_VALUE, number))


def _fraction(value: float, scale_max: float) -> float:
    """The share of the axis a value takes, kept inside the plot."""
    return max(0.0, min(1.0, value / scale_max))


def _money_label(value: float) -> str:
    """1234567 → "123.5万" (zh) — money axes in 万元 read best in Chinese reports."""
    return f"{value / 10000:,.0f}"


def _nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^n at least `value` (computed, not counted up to)."""
    if not value > 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _ticks(scale_max: float) -> list[float]:
    """At most MAX_TICKS evenly spaced round values from 0 to `scale_max`."""
    step = _nice_max(scale_max / (MAX_TICKS - 2))
    count = min(int(scale_max // step), MAX_TICKS - 1)
    return [step * i for i in range(count + 1)]


def _tick_label(value: float) -> str:
    return f"{value:.0f}" if value < 1e6 and value == int(value) else f"{value:.3g}"


def score_payable_chart(history: list[dict], *, labels: dict, width=640, height=230) -> str:
    """Bars: the payable of each period (left axis, 万元); line: the score (right axis,
    0–100). A final period's bar and point are filled, a provisional one's hollow and dashed.
    `history` items: {"period", "status", "score", "payable", "full_amount"} and optionally
    "score_text" (the score as printed; else "score")."""
    left, right, top, bottom = 58, 44, 24, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(history), 1)
    money_max = _nice_max(max((_num(h["full_amount"]) for h in history), default=0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart">'
    ]
    for i in range(5):  # horizontal grid, money on the left, score on the right
        y = top + plot_h * i / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="0.5"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end" {FONT} fill="{INK}">'
            f"{_money_label(money_max * (4 - i) / 4)}</text>"
        )
        parts.append(
            f'<text x="{left + plot_w + 4}" y="{y + 3:.1f}" {FONT} fill="{LINE}">'
            f"{100 * (4 - i) // 4}</text>"
        )
    slot = plot_w / n
    bar_w = min(slot * 0.6, 48)
    points = []
    for i, h in enumerate(history):
        x_mid = left + slot * (i + 0.5)
        full_h = plot_h * _fraction(_num(h["full_amount"]), money_max)
        pay_h = plot_h * _fraction(_num(h["payable"]), money_max)
        parts.append(
            f'<rect x="{x_mid - bar_w / 2:.1f}" y="{top + plot_h - full_h:.1f}" '
            f'width="{bar_w:.1f}" height="{full_h:.1f}" fill="none" stroke="{BAR}" '
            f'stroke-dasharray="2,2" stroke-width="0.8"/>'
        )
        final = h["status"] == "final"
        parts.append(
            f'<rect x="{x_mid - bar_w / 2:.1f}" y="{top + plot_h - pay_h:.1f}" '
            f'width="{bar_w:.1f}" height="{pay_h:.1f}" {_payable_style(final)}/>'
        )
        parts.append(
            f'<text x="{x_mid:.1f}" y="{top + plot_h + 13}" text-anchor="middle" {FONT} '
            f'fill="{INK}">{escape(h["period"])}</text>'
        )
        if h["score"] is not None:
            y = top + plot_h * (1 - _fraction(_num(h["score"]), 100))
            points.append((x_mid, y, h.get("score_text", h["score"]), final))
    if points:
        parts.append(
            f'<polyline fill="none" stroke="{LINE}" stroke-width="1.5" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y, _score, _final in points)
            + '"/>'
        )
        for x, y, score, final in points:
            fill = LINE if final else "#ffffff"
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{2.5 if final else 3}" fill="{fill}" '
                f'stroke="{LINE}" stroke-width="1.2"/>'
            )
            parts.append(
                f'<text x="{x:.1f}" y="{y - 5:.1f}" text-anchor="middle" {FONT} '
                f'fill="{LINE}">{escape(str(score))}</text>'
            )
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{INK}" stroke-width="0.8"/>'
    )
    legend_y = height - 8
    parts.append(_legend(left, legend_y, labels))
    parts.append(
        f'<line x1="{left + 420}" y1="{legend_y - 4}" x2="{left + 432}" y2="{legend_y - 4}" '
        f'stroke="{LINE}" stroke-width="1.5"/>'
        f'<circle cx="{left + 426}" cy="{legend_y - 4}" r="2.5" fill="{LINE}"/>'
        f'<text x="{left + 436}" y="{legend_y}" {FONT} fill="{INK}">'
        f"{escape(str(labels['score']))}</text>"
    )
    parts.append(
        f'<text x="{left - 4}" y="{top - 10}" text-anchor="end" {FONT} fill="{INK}">'
        f"{escape(str(labels['money_axis']))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _payable_style(final: bool) -> str:
    """Final payables filled; provisional ones hollow with a dashed outline."""
    if final:
        return f'fill="{BAR}"'
    return f'fill="#ffffff" stroke="{BAR}" stroke-width="1" stroke-dasharray="3,1.5"'


def _legend(x: float, y: float, labels: dict) -> str:
    """Final payable, provisional payable, full amount: three swatches in a row."""
    swatches = (
        (_payable_style(True), labels["payable"]),
        (_payable_style(False), labels["provisional"]),
        (
            f'fill="none" stroke="{BAR}" stroke-dasharray="2,2" stroke-width="0.8"',
            labels["full_amount"],
        ),
    )
    return "".join(
        f'<rect x="{x + 140 * i}" y="{y - 8}" width="10" height="8" {style}/>'
        f'<text x="{x + 140 * i + 14}" y="{y}" {FONT} fill="{INK}">{escape(str(text))}</text>'
        for i, (style, text) in enumerate(swatches)
    )


def _full(row: dict) -> float:
    return _num(row["final"]["full_amount"]) + _num(row["provisional"]["full_amount"])


def portfolio_chart(contracts: list[dict], *, labels: dict, width=640, row_h=18) -> str:
    """Horizontal bars, one per contract: the year's final payable (filled), then its
    provisional payable (hollow, dashed), inside the full amount of both (万元)."""
    left, right, top = 150, 60, 20
    height = top + row_h * max(len(contracts), 1) + 28
    plot_w = width - left - right
    money_max = _nice_max(max((_full(c) for c in contracts), default=0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart">'
    ]
    for i in range(5):
        x = left + plot_w * i / 4
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 24}" '
            f'stroke="{GRID}" stroke-width="0.5"/>'
            f'<text x="{x:.1f}" y="{top - 7}" text-anchor="middle" {FONT} fill="{INK}">'
            f"{_money_label(money_max * i / 4)}</text>"
        )
    for i, c in enumerate(contracts):
        y = top + row_h * i
        full_w = plot_w * _fraction(_full(c), money_max)
        final_w = plot_w * _fraction(_num(c["final"]["payable"]), money_max)
        provisional_w = plot_w * _fraction(_num(c["provisional"]["payable"]), money_max)
        latest = c["latest_text"] or {}
        note = f"{latest.get('grade', '')} {latest.get('score', '')}".strip()
        parts.append(
            f'<text x="{left - 6}" y="{y + row_h * 0.65:.1f}" text-anchor="end" {FONT} '
            f'fill="{INK}">{escape(c["code"])}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{full_w:.1f}" height="{row_h - 6}" '
            f'fill="none" stroke="{BAR}" stroke-dasharray="2,2" stroke-width="0.8"/>'
            f'<rect x="{left}" y="{y + 3}" width="{final_w:.1f}" height="{row_h - 6}" '
            f"{_payable_style(True)}/>"
        )
        if provisional_w:
            parts.append(
                f'<rect x="{left + final_w:.1f}" y="{y + 4}" width="{provisional_w:.1f}" '
                f'height="{row_h - 8}" {_payable_style(False)}/>'
            )
        parts.append(
            f'<text x="{left + full_w + 4:.1f}" y="{y + row_h * 0.65:.1f}" {FONT} '
            f'fill="{INK}">{escape(note)}</text>'
        )
    legend_y = height - 6
    parts.append(
        _legend(left, legend_y, labels)
        + f'<text x="{width - 4}" y="{legend_y}" text-anchor="end" {FONT} fill="{INK}">'
        f"{escape(str(labels['money_axis']))}</text></svg>"
    )
    return "".join(parts)


def budget_chart(budget: dict, *, labels: dict, width=640, height=86) -> str:
    """One bar: the year's PPP obligations against the general budget, with the 5% and 10%
    lines (财政承受能力 10% ceiling, 5% warning)."""
    expenditure = _num(budget["general_expenditure"])
    if not expenditure:
        return ""
    left, right, top, bar_h = 20, 20, 26, 22
    plot_w = width - left - right
    warning, ceiling = settings.FISCAL_WARNING_PERCENT, settings.FISCAL_CEILING_PERCENT
    share = _num(budget["share"])
    scale_max = max(float(ceiling) * 1.2, share * 1.1)  # percent of the budget
    share_w = plot_w * _fraction(share, scale_max)
    over = share > ceiling
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{bar_h}" fill="#f2f2f2"/>',
        f'<rect x="{left}" y="{top}" width="{share_w:.1f}" height="{bar_h}" '
        f'fill="{LINE if over else BAR}"/>',
        f'<text x="{left + share_w + 4:.1f}" y="{top + 15}" {FONT} fill="{INK}">'
        f"{escape(str(budget['share']))}%</text>",
    ]
    lines = ((warning, "#e67e22", labels["warn"]), (ceiling, LINE, labels["limit"]))
    for pct, colour, text in lines:
        x = left + plot_w * float(pct) / scale_max
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 8}" x2="{x:.1f}" y2="{top + bar_h + 8}" '
            f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="4,2"/>'
            f'<text x="{x:.1f}" y="{top - 11}" text-anchor="middle" {FONT} fill="{colour}">'
            f"{escape(str(text))}</text>"
        )
    for pct in _ticks(scale_max):
        x = left + plot_w * pct / scale_max
        parts.append(
            f'<text x="{x:.1f}" y="{top + bar_h + 20}" text-anchor="middle" {FONT} '
            f'fill="{INK}">{_tick_label(pct)}%</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def kpi_chart(points: list, *, labels: dict, width=380, height=136) -> str:
    """A KPI's accepted figures (line; a missed target drawn red) against its target (dashed)
    over the last periods. `points` items have `label`, `actual`, `target` and `missed`
    (contracts.monitoring.Point); a period without an accepted figure is a gap. The scale
    spans the figures and targets shown, clamped like every chart here."""
    left, right, top, bottom = 36, 8, 10, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [_num(v) for p in points for v in (p.actual, p.target) if v is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.1
    low, high = low - pad, high + pad
    n = max(len(points), 1)
    slot = plot_w / n

    def y_of(value) -> float:
        return top + plot_h * (1 - max(0.0, min(1.0, (_num(value) - low) / (high - low))))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart kpi-chart">'
    ]
    for i in range(3):
        value = low + (high - low) * (2 - i) / 2
        y = top + plot_h * i / 2
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="0.5"/>'
            f'<text x="{left - 3}" y="{y + 3:.1f}" text-anchor="end" {FONT} fill="{INK}">'
            f"{_tick_label(value) if abs(value) >= 10 else f'{value:.3g}'}</text>"
        )
    targets, actuals = [], []
    for i, p in enumerate(points):
        x = left + slot * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 13}" text-anchor="middle" {SMALL_FONT} '
            f'fill="{INK}">{escape(str(p.label))}</text>'
        )
        targets.append(None if p.target is None else (x, y_of(p.target)))
        actuals.append(None if p.actual is None else (x, y_of(p.actual), p.missed))
    for run in _runs(targets):
        parts.append(
            f'<polyline fill="none" stroke="{INK}" stroke-width="1" stroke-dasharray="4,3" '
            'points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in run) + '"/>'
        )
    for run in _runs(actuals):
        parts.append(
            f'<polyline fill="none" stroke="{BAR}" stroke-width="1.5" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y, _missed in run)
            + '"/>'
        )
    for point in actuals:
        if point is not None:
            x, y, missed = point
            colour = LINE if missed else BAR
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}" '
                f'class="{"missed" if missed else "figure"}"/>'
            )
    parts.append(
        f'<text x="{left}" y="{height - 3}" {SMALL_FONT} fill="{INK}">'
        f"{escape(str(labels['kpi_legend']))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _runs(points: list) -> list[list]:
    """The unbroken stretches of a series with gaps (None)."""
    runs, current = [], []
    for point in points:
        if point is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(point)
    if current:
        runs.append(current)
    return runs


def monitoring_charts(watch) -> None:
    """Draw each KPI series of a contract's monitoring (`contracts.monitoring`) as
    `series.chart`, for the admin's monitoring page and the dashboard's project page."""
    labels = chart_labels()
    for line in watch.series:
        line.chart = kpi_chart(line.points, labels=labels)
