"""What a mechanism definition promises, read without an evaluation: the full amount of a
period (what the government owes at full performance) and how much of the availability
payment performance can move (财办金〔2017〕92号)."""

from collections.abc import Mapping
from decimal import Decimal

from contracts.engine.decimals import ONE, ZERO
from contracts.engine.results import DEDUCTIONS

# Availability (可用性付费) components are named so by the bundles: code "availability_…",
# or 可用性 in the name.
AVAILABILITY_CODE_PREFIX = "availability"
AVAILABILITY_NAME_MARK = "可用性"


def period_full_amount(mechanism: Mapping) -> Decimal:
    """The amount payable for one period at full performance."""
    if mechanism["type"] == DEDUCTIONS:
        return Decimal(mechanism["base_amount"])
    return sum((Decimal(c["amount"]) for c in mechanism["components"]), ZERO)


def is_availability_component(component: Mapping) -> bool:
    return component["code"].startswith(AVAILABILITY_CODE_PREFIX) or (
        AVAILABILITY_NAME_MARK in component.get("name", "")
    )


def availability_linked_share(mechanism: Mapping) -> Decimal | None:
    """The share (0–1) of the availability payment tied to performance; None when the
    mechanism has no availability payment.

    score_coefficient: the linked availability components over all availability components.
    deductions: the whole base amount is the availability (unitary) charge, and deductions
    can take at most `cap_fraction` of it."""
    if mechanism["type"] == DEDUCTIONS:
        return Decimal(mechanism.get("cap_fraction", ONE))
    availability = [c for c in mechanism["components"] if is_availability_component(c)]
    total = sum((Decimal(c["amount"]) for c in availability), ZERO)
    if not total:
        return None
    linked = sum((Decimal(c["amount"]) for c in availability if c["linked"]), ZERO)
    return linked / total
