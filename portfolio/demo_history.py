"""The demo's history: when each period was submitted, reviewed, computed, prepared, approved
and paid, which items were returned and why, and the evidence files enterprises attached.

Pure functions of their arguments (no Django, no I/O, no wall clock): every draw comes from a
``random.Random`` seeded with the contract code and period label, so a period's history does
not change when the reference day moves on. Times are office hours on working days (Monday to
Friday) in the time zone given; each step follows the one before it.
"""

from __future__ import annotations

import datetime
import random
import struct
import zlib
from dataclasses import dataclass, field

SEED = "ppp-demo-history/1"
# The evaluated periods nearest to the reference day carry evidence files.
RECENT_PERIODS = 2
# Share of periods with one item returned to the enterprise and resubmitted.
RETURN_SHARE = 0.15

RETURN_REASONS_VALUE = [
    "佐证材料未覆盖整个考核期（缺少最后两周的运维平台导出数据），请补充后重新提交。",
    "填报值与佐证材料中的统计口径不一致，请按考核办法的口径核对后重新提交。",
    "佐证材料缺少第三方检测机构盖章，请补充盖章版后重新提交。",
]
RETURN_REASONS_POINTS = [
    "自评分缺少佐证材料，请补充检查记录或会议纪要后重新提交。",
    "自评满分依据不足：本期有一次整改通知未闭环，请核实后重新自评。",
]
PAYMENT_RETURN_REASON = "满意度调查样本量不足，请补充第三方测评报告后重新计算。"


@dataclass
class Return:
    kpi: str
    reason: str
    returned_at: datetime.datetime
    resubmitted_at: datetime.datetime
    accepted_at: datetime.datetime


@dataclass
class PeriodHistory:
    submitted_at: datetime.datetime
    reviewed_at: datetime.datetime  # the items not returned
    computed_at: datetime.datetime
    prepared_at: datetime.datetime
    approved_at: datetime.datetime
    paid_at: datetime.datetime
    returned: Return | None = None
    evidence_kpis: list[str] = field(default_factory=list)


def _rng(*parts) -> random.Random:
    return random.Random(":".join([SEED, *map(str, parts)]))


def _working_day(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def _office_time(day: datetime.date, rng: random.Random, tz) -> datetime.datetime:
    day = _working_day(day)
    return datetime.datetime(day.year, day.month, day.day, rng.randint(9, 16),
                             rng.randint(0, 59), tzinfo=tz)  # fmt: skip


def _after(moment: datetime.datetime, rng: random.Random, low: int, high: int, tz):
    """A moment in office hours `low`..`high` days after `moment` (a later time if the same
    day)."""
    day = moment.astimezone(tz).date() + datetime.timedelta(days=rng.randint(low, high))
    later = _office_time(day, rng, tz)
    return later if later > moment else moment + datetime.timedelta(minutes=rng.randint(20, 90))


def period_history(
    *,
    code: str,
    label: str,
    ends_on: datetime.date,
    due_on: datetime.date,
    kpis: list[tuple[str, bool]],
    recent: bool,
    tz,
) -> PeriodHistory:
    """The history of one evaluated period. `kpis` are (code, is_manual) in mechanism order;
    a deductions contract has none. The enterprise submits after the period ends and before
    it is due; the officials review within a week, the nightly run computes, one official
    prepares, another approves, the treasury pays."""
    rng = _rng(code, label)
    last_submit_day = max(ends_on + datetime.timedelta(days=2), due_on - datetime.timedelta(days=1))
    span = (last_submit_day - ends_on).days
    submitted_at = _office_time(ends_on + datetime.timedelta(days=rng.randint(2, span)), rng, tz)
    if submitted_at.date() > due_on:  # the weekend pushed it past the due date: the Friday
        friday = due_on - datetime.timedelta(days=max(0, due_on.weekday() - 4))
        submitted_at = _office_time(friday, rng, tz)
    reviewed_at = _after(submitted_at, rng, 1, 5, tz)
    returned = None
    if kpis and rng.random() < RETURN_SHARE:
        kpi, manual = rng.choice(kpis)
        reasons = RETURN_REASONS_POINTS if manual else RETURN_REASONS_VALUE
        returned_at = reviewed_at
        resubmitted_at = _after(returned_at, rng, 1, 3, tz)
        accepted_at = _after(resubmitted_at, rng, 1, 2, tz)
        returned = Return(kpi, rng.choice(reasons), returned_at, resubmitted_at, accepted_at)
    last_review = returned.accepted_at if returned else reviewed_at
    # the nightly payment run after the last review, at 02:xx
    night = last_review.astimezone(tz).date() + datetime.timedelta(days=1)
    computed_at = datetime.datetime(night.year, night.month, night.day, 2, rng.randint(0, 40),
                                    tzinfo=tz)  # fmt: skip
    prepared_at = _after(computed_at, rng, 1, 4, tz)
    approved_at = _after(prepared_at, rng, 1, 4, tz)
    paid_at = _after(approved_at, rng, 3, 12, tz)
    evidence_kpis = []
    if recent and kpis:
        measured = [c for c, manual in kpis if not manual]
        evidence_kpis = measured[:2] + [c for c, manual in kpis if manual][:1]
    return PeriodHistory(
        submitted_at, reviewed_at, computed_at, prepared_at, approved_at, paid_at, returned,
        evidence_kpis,
    )  # fmt: skip


# --- Evidence files -----------------------------------------------------------------------
# Generated, not shipped: a one-page PDF report and a PNG chart per file, both the same bytes
# for the same arguments (no dates or random ids inside), so their SHA-256 is reproducible.


def _pdf_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def evidence_pdf(*, title: str, lines: list[str]) -> bytes:
    """A minimal valid PDF 1.4: one A4 page of Helvetica text (ASCII), with its xref table."""
    stream_lines = ["BT", "/F1 16 Tf", "56 780 Td", f"({_pdf_text(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        stream_lines += ["0 -20 Td", f"({_pdf_text(line)}) Tj"]
    stream = "\n".join([*stream_lines, "ET"]).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title (%s) /Producer (ppp-demo) >>" % _pdf_text(title).encode("ascii"),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def evidence_png(*, values: list[float], width: int = 320, height: int = 120) -> bytes:
    """A bar chart of `values` (0..1, e.g. daily availability) as an RGB PNG: the kind of
    screenshot a monitoring platform exports."""
    bar = max(1, width // max(1, len(values)))
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type: none
        for x in range(width):
            i = min(len(values) - 1, x // bar)
            top = height - int(values[i] * (height - 10))
            if y >= top and x % bar != bar - 1:
                row += b"\x2b\x6c\xb0" if values[i] >= 0.9 else b"\xd9\x53\x4f"
            else:
                row += b"\xf5\xf5\xf5" if y % 30 else b"\xcc\xcc\xcc"
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def evidence_files(*, code: str, label: str, kpi: str, kpi_name: str, value: str, unit: str,
                   manual: bool) -> list[tuple[str, bytes]]:  # fmt: skip
    """The files an enterprise attaches to one measurement: (file name, content)."""
    rng = _rng("evidence", code, label, kpi)
    kind = "self-assessment record" if manual else "operations report"
    lines = [
        f"Contract: {code}",
        f"Period: {label}",
        f"KPI: {kpi}",
        f"Reported: {value} {unit}".rstrip() if unit.isascii() else f"Reported: {value}",
        f"Sample size: {rng.randint(800, 5000)} records, exported from the operator's platform",
        "Prepared by the project company for the performance evaluation.",
    ]
    files = [(f"{code}_{label}_{kpi}_{'自评记录' if manual else '运营报告'}.pdf",
              evidence_pdf(title=f"{code} {label} {kind}", lines=lines))]  # fmt: skip
    if not manual:
        days = [min(1.0, max(0.5, rng.gauss(0.96, 0.04))) for _ in range(30)]
        files.append((f"{code}_{label}_{kpi}_{kpi_name}_监测截图.png", evidence_png(values=days)))
    return files
