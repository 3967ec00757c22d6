"""Working days in mainland China: the one place that counts them.

A day is a working day unless it is a weekend or an official public holiday, and a weekend
day the State Council names as a make-up working day (调休上班) is one. The calendar is the
maintained PyPI package `chinese-calendar`, updated each year once the State Council
publishes the next year's schedule (around November).

The package only knows the years it ships data for (2004–2026 in 1.11). For a year it does
not know, Monday to Friday count as working days and weekends do not: holidays and make-up
days of that year are not known yet, so a deadline may fall a few days earlier than the
official schedule will make it. `working_day_deadline` says when that happened (`estimated`),
and whoever shows the date says so; upgrading the package gives the real answer.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

# A bound far beyond any window counted here: counting stops rather than loop for ever.
MAX_SPAN_DAYS = 3660


def year_known(year: int) -> bool:
    """Whether the calendar package has the official holidays of `year`."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date) -> bool:
    """A working day by the official calendar; Monday to Friday in a year it does not know."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


@dataclass(frozen=True)
class Deadline:
    day: date  # the last day of the window (inclusive)
    estimated: bool  # a day counted lies in a year the calendar does not know (Mon–Fri used)


def working_day_deadline(start: date, working_days: int) -> Deadline:
    """The last day of a window of `working_days` working days counted from the day after
    `start` (the day a figure is shown does not count). 0 working days: `start` itself."""
    if working_days < 0:
        raise ValueError("working_days must be >= 0")
    day, left, estimated = start, working_days, False
    while left:
        day += timedelta(days=1)
        if (day - start).days > MAX_SPAN_DAYS:
            raise ValueError("window too long")
        estimated = estimated or not year_known(day.year)
        if is_working_day(day):
            left -= 1
    return Deadline(day=day, estimated=estimated)
