"""Reads on the portfolio: a city's PPP payment obligations against its general public budget
(财政承受能力), the one computation behind the dashboard, the compliance flags and the
portfolio report."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from contracts.engine.terms import period_full_amount
from contracts.models import Contract
from contracts.periods import period_bounds, period_labels_between
from contracts.selectors import mechanism_terms_by_contract, terms_in_force

from .models import CityBudget, Project
from .money import money_round

SHARE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class FiscalYear:
    """One city-year: the full amounts of every government-paid contract period of the year
    (whether computed yet or not) against the year's general public budget expenditure."""

    year: int
    obligations: Decimal
    general_expenditure: Decimal | None

    @property
    def share(self) -> Decimal | None:
        """Obligations in percent of the budget; None without a budget for the year."""
        if not self.general_expenditure:
            return None
        share = self.obligations / self.general_expenditure * 100
        # An absurd stored amount (1e30) has more digits than a quantize can hold: it is
        # shown as it is (28 significant digits), never a 500.
        if not share.is_finite() or share.adjusted() >= 20:
            return share
        return share.quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)

    @property
    def ceiling(self) -> Decimal | None:
        return self._line(settings.FISCAL_CEILING_PERCENT)

    @property
    def warning_line(self) -> Decimal | None:
        return self._line(settings.FISCAL_WARNING_PERCENT)

    @property
    def level(self) -> str:
        """ "danger" above the ceiling, "warning" above the 5% line, "ok", or "unknown"."""
        share = self.share
        if share is None:
            return "unknown"
        if share > settings.FISCAL_CEILING_PERCENT:
            return "danger"
        if share > settings.FISCAL_WARNING_PERCENT:
            return "warning"
        return "ok"

    def _line(self, percent: Decimal) -> Decimal | None:
        if not self.general_expenditure:
            return None
        return money_round(self.general_expenditure * percent / 100)


def city_fiscal_years(*, city_ids: Iterable[int], years: Iterable[int]) -> dict[int, list]:
    """City id → a FiscalYear per year, in order. Every contract of the city counts, whoever
    asks: the budget line is a city aggregate (user-pays projects owe nothing). Three queries
    whatever the number of contracts and periods."""
    city_ids, years = list(city_ids), sorted(years)
    contracts = list(
        Contract.objects.filter(project__city_id__in=city_ids)
        .exclude(project__return_mechanism=Project.ReturnMechanism.USER_PAYS)
        .select_related("project")
        .order_by("pk")
    )
    terms = mechanism_terms_by_contract(contract_ids=[c.pk for c in contracts])
    obligations = {(city_id, year): Decimal(0) for city_id in city_ids for year in years}
    for contract in contracts:
        if not terms[contract.pk]:
            continue
        for year in years:
            first = max(contract.starts_on, date(year, 1, 1))
            last = min(contract.ends_on, date(year, 12, 31))
            for label in period_labels_between(first, last, contract.frequency):
                starts_on, _ = period_bounds(label, contract.frequency)
                mechanism = terms_in_force(terms[contract.pk], starts_on).mechanism
                obligations[contract.project.city_id, year] += period_full_amount(mechanism)
    budgets = {
        (b.city_id, b.year): b.general_expenditure
        for b in CityBudget.objects.filter(city_id__in=city_ids, year__in=years)
    }
    return {
        city_id: [
            FiscalYear(year, obligations[city_id, year], budgets.get((city_id, year)))
            for year in years
        ]
        for city_id in city_ids
    }
