"""compute(): one evaluation period under one payment mechanism."""

from collections.abc import Mapping
from decimal import DecimalException

from contracts.engine.decimals import engine_context
from contracts.engine.deductions import compute_deductions
from contracts.engine.errors import EngineInputError
from contracts.engine.results import DEDUCTIONS, SCORE_COEFFICIENT, Result
from contracts.engine.score_coefficient import compute_score_coefficient


def compute(mechanism: Mapping, kpis: list[Mapping], evaluation: Mapping) -> Result:
    """Pure: the same inputs always give the same Result; nothing is read or written."""
    kind = mechanism.get("type")
    with engine_context():
        try:
            if kind == SCORE_COEFFICIENT:
                return compute_score_coefficient(mechanism, kpis, evaluation)
            if kind == DEDUCTIONS:
                return compute_deductions(mechanism, evaluation)
        except DecimalException as exc:
            # Only absurd magnitudes get here (e.g. an amount of 1E+40 rounded to cents).
            raise EngineInputError(f"numbers out of range: {exc!r}") from exc
    raise EngineInputError(f"mechanism.type: unknown mechanism {kind!r}")
