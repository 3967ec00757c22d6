"""Payment engine: pure Decimal arithmetic, no Django, no I/O.

    result = compute(contract["mechanism"], contract["kpis"], evaluation)

The rules are in shared/spec/payment-mechanisms.md.
"""

from contracts.engine.dispatch import compute
from contracts.engine.errors import EngineInputError, MissingMeasurements
from contracts.engine.grades import grade_for
from contracts.engine.results import Line, Result

__all__ = ["EngineInputError", "Line", "MissingMeasurements", "Result", "compute", "grade_for"]
