from datetime import date

import pytest

from contracts.periods import BadPeriodLabel, period_bounds, period_label, period_labels_between


@pytest.mark.parametrize(
    "label, frequency, first, last",
    [
        ("2026", "annual", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-Q2", "quarterly", date(2026, 4, 1), date(2026, 6, 30)),
        ("2024-02", "monthly", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-12", "monthly", date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_bounds_of_a_label(label, frequency, first, last):
    assert period_bounds(label, frequency) == (first, last)
    assert period_label(first, frequency) == label
    assert period_label(last, frequency) == label


@pytest.mark.parametrize(
    "label, frequency",
    [
        ("2026-Q1", "annual"),
        ("2026-03", "quarterly"),
        ("2026-Q5", "quarterly"),
        ("2026-13", "monthly"),
        ("26", "annual"),
        ("2026-3", "monthly"),
    ],
)
def test_a_label_must_match_the_frequency(label, frequency):
    with pytest.raises(BadPeriodLabel):
        period_bounds(label, frequency)


def test_labels_between_cover_partial_periods_at_both_ends():
    labels = period_labels_between(date(2017, 7, 15), date(2018, 2, 1), "quarterly")
    assert labels == ["2017-Q3", "2017-Q4", "2018-Q1"]
