"""Working days by the official Chinese calendar (chinese-calendar), and the defined
behaviour for a year the package does not know yet (Monday to Friday, marked estimated)."""

from datetime import date

import pytest

from portfolio.working_days import is_working_day, working_day_deadline, year_known


def test_golden_week_days_are_not_working_days_and_the_make_up_saturday_is():
    # given the package's 2026 schedule: 国庆 1–7 October, make-up days Sun 20 Sep, Sat 10 Oct
    # then
    assert not any(is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert is_working_day(date(2026, 10, 8))
    assert is_working_day(date(2026, 10, 10))  # a Saturday, 调休上班
    assert is_working_day(date(2026, 9, 20))  # a Sunday, 调休上班
    assert not is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert not is_working_day(date(2026, 10, 17))  # an ordinary Saturday


def test_a_five_day_window_across_golden_week():
    # given a figure shown on Wednesday 30 September 2026
    # when five working days are counted
    deadline = working_day_deadline(date(2026, 9, 30), 5)
    # then 8, 9, 10 (make-up Saturday), 12 and 13 October count: the window closes on the 13th
    assert deadline.day == date(2026, 10, 13)
    assert not deadline.estimated


def test_the_make_up_saturday_counts_as_a_working_day():
    # given a figure shown on Friday 9 October 2026, with one working day to object
    # then the window closes on the make-up Saturday, not on Monday
    assert working_day_deadline(date(2026, 10, 9), 1).day == date(2026, 10, 10)
    # and an ordinary Friday's one working day ends on Monday
    assert working_day_deadline(date(2026, 10, 16), 1).day == date(2026, 10, 19)


def test_the_day_shown_does_not_count():
    assert working_day_deadline(date(2026, 10, 12), 0).day == date(2026, 10, 12)
    assert working_day_deadline(date(2026, 10, 12), 1).day == date(2026, 10, 13)


def test_a_year_the_calendar_does_not_know_counts_monday_to_friday_and_says_so():
    # given 2027, which chinese-calendar 1.11 does not know
    assert year_known(2026)
    assert not year_known(2027)
    # when a window runs from the last day of 2026 into 2027
    deadline = working_day_deadline(date(2026, 12, 31), 5)
    # then Fri 1 Jan (its holiday unknown) and Mon–Thu 4–7 Jan count, marked estimated
    assert deadline.day == date(2027, 1, 7)
    assert deadline.estimated
    assert is_working_day(date(2027, 1, 4)) and not is_working_day(date(2027, 1, 9))


def test_a_negative_window_is_refused():
    with pytest.raises(ValueError):
        working_day_deadline(date(2026, 10, 12), -1)
