"""Evaluation period labels: `2026` (annual), `2026-Q1` (quarterly), `2026-03` (monthly)."""

import calendar
import re
from datetime import date

from django.utils.translation import gettext

ANNUAL, QUARTERLY, MONTHLY = "annual", "quarterly", "monthly"

LABEL_PATTERNS = {
    ANNUAL: re.compile(r"^(?P<year>\d{4})$"),
    QUARTERLY: re.compile(r"^(?P<year>\d{4})-Q(?P<quarter>[1-4])$"),
    MONTHLY: re.compile(r"^(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])$"),
}
LABEL_EXAMPLES = {ANNUAL: "2026", QUARTERLY: "2026-Q1", MONTHLY: "2026-03"}


class BadPeriodLabel(ValueError):
    pass


def period_bounds(label: str, frequency: str) -> tuple[date, date]:
    """First and last day of the period named by `label` for a contract of `frequency`."""
    match = LABEL_PATTERNS[frequency].match(label) if isinstance(label, str) else None
    if not match:
        raise BadPeriodLabel(
            gettext("must look like {example} ({frequency} contract)").format(
                example=LABEL_EXAMPLES[frequency], frequency=frequency
            )
        )
    year = int(match["year"])
    if frequency == ANNUAL:
        first_month, months = 1, 12
    elif frequency == QUARTERLY:
        first_month, months = 3 * int(match["quarter"]) - 2, 3
    else:
        first_month, months = int(match["month"]), 1
    last_month = first_month + months - 1
    return date(year, first_month, 1), date(
        year, last_month, calendar.monthrange(year, last_month)[1]
    )


def period_label(day: date, frequency: str) -> str:
    """The label of the period of `frequency` that contains `day`."""
    if frequency == ANNUAL:
        return f"{day.year}"
    if frequency == QUARTERLY:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def period_labels_between(first: date, last: date, frequency: str) -> list[str]:
    """Labels of every period that overlaps [first, last], in order."""
    labels = []
    day = first
    while day <= last:
        label = period_label(day, frequency)
        labels.append(label)
        _, period_end = period_bounds(label, frequency)
        day = date.fromordinal(period_end.toordinal() + 1)
    return labels
