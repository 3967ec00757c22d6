"""Mechanism 1, score_coefficient (按效付费): fixed components + E × linked components."""

from collections.abc import Mapping
from decimal import Decimal

from contracts.engine.coefficient import coefficient_for
from contracts.engine.decimals import (
    ONE,
    ZERO,
    non_negative,
    places_setting,
    required,
    round_half_up,
)
from contracts.engine.errors import EngineInputError
from contracts.engine.grades import grade_for
from contracts.engine.kpi_points import kpi_points
from contracts.engine.results import SCORE_COEFFICIENT, Line, Result


def compute_score_coefficient(
    mechanism: Mapping, kpis: list[Mapping], evaluation: Mapping
) -> Result:
    money_places = places_setting(mechanism, "money_places", "mechanism", 2)
    score_places = places_setting(mechanism, "score_places", "mechanism", None)
    coefficient_places = _coefficient_places(mechanism)

    points = kpi_points(kpis, evaluation.get("measurements") or [])
    score = sum(points.values(), ZERO)
    if score_places is not None:
        score = round_half_up(score, score_places)
    coefficient = coefficient_for(required(mechanism, "coefficient", "mechanism"), score)
    if coefficient_places is not None:
        coefficient = round_half_up(coefficient, coefficient_places)

    lines, payable = _pay_components(
        required(mechanism, "components", "mechanism"), coefficient, money_places
    )
    full_amount = round_half_up(
        sum((line.inputs["full_amount"] for line in lines), ZERO), money_places
    )
    return Result(
        mechanism_type=SCORE_COEFFICIENT,
        period=str(required(evaluation, "period", "evaluation")),
        money_places=money_places,
        full_amount=full_amount,
        deduction=full_amount - payable,
        payable=payable,
        score=score,
        grade=grade_for(score),
        coefficient=coefficient,
        kpi_points=points,
        lines=tuple(lines),
    )


def _coefficient_places(mechanism: Mapping) -> int | None:
    """coefficient_places may sit beside money_places or inside the coefficient spec."""
    outer = places_setting(mechanism, "coefficient_places", "mechanism", None)
    spec = mechanism.get("coefficient") or {}
    inner = places_setting(spec, "coefficient_places", "mechanism.coefficient", None)
    if outer is not None and inner is not None and outer != inner:
        raise EngineInputError("mechanism: coefficient_places is set twice, differently")
    return inner if inner is not None else outer


def _pay_components(
    components: list[Mapping], coefficient: Decimal, places: int
) -> tuple[list[Line], Decimal]:
    """Lines with each component's paid amount, and payable rounded once.

    Each line is its step in the rounded running total, so the lines add up to payable
    exactly while payable is still Σ fixed + E × Σ linked rounded once at the end.
    """
    lines = []
    running = ZERO
    paid_so_far = round_half_up(running, places)
    for index, component in enumerate(components):
        where = f"mechanism.components[{index}]"
        amount = non_negative(required(component, "amount", where), f"{where}.amount")
        linked = component.get("linked")
        if not isinstance(linked, bool):
            raise EngineInputError(f"{where}.linked: must be true or false")
        factor = coefficient if linked else ONE
        running += factor * amount
        paid = round_half_up(running, places) - paid_so_far
        paid_so_far += paid
        lines.append(
            Line(
                kind="component",
                code=str(required(component, "code", where)),
                description=str(component.get("name") or ""),
                amount=paid,
                inputs={"full_amount": amount, "linked": linked, "factor": factor},
            )
        )
    return lines, paid_so_far
