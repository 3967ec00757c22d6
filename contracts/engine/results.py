"""What a calculation returns: amounts, the score and coefficient, and every line behind them."""

from dataclasses import dataclass, field
from decimal import Decimal

from contracts.engine.decimals import engine_context, plain_text, round_half_up

SCORE_COEFFICIENT = "score_coefficient"
DEDUCTIONS = "deductions"
DEDUCTION_KINDS = ("availability", "performance", "event")


@dataclass(frozen=True)
class Line:
    """One shown amount. kind is 'component' (score_coefficient: amount = paid for that
    component) or 'availability' | 'performance' | 'event' | 'cap' (deductions: amount
    deducted; the cap line is negative). inputs holds the figures that produced amount."""

    kind: str
    code: str
    description: str
    amount: Decimal
    inputs: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict:
        with engine_context():
            inputs = {
                name: plain_text(value) if isinstance(value, Decimal) else value
                for name, value in self.inputs.items()
            }
        return {
            "kind": self.kind,
            "code": self.code,
            "description": self.description,
            "amount": format(self.amount, "f"),
            "inputs": inputs,
        }


@dataclass(frozen=True)
class Result:
    """Money fields are rounded to money_places; score, coefficient and kpi_points keep the
    precision they were computed with. payable + deduction == full_amount always."""

    mechanism_type: str
    period: str
    money_places: int
    full_amount: Decimal
    deduction: Decimal
    payable: Decimal
    score: Decimal | None = None
    grade: str | None = None
    coefficient: Decimal | None = None
    kpi_points: dict[str, Decimal] = field(default_factory=dict)
    lines: tuple[Line, ...] = ()

    def deduction_for(self, kind: str) -> Decimal:
        """Sum of the lines of one kind, before any cap."""
        with engine_context():
            total = sum((line.amount for line in self.lines if line.kind == kind), Decimal(0))
            return round_half_up(total, self.money_places)

    def as_dict(self) -> dict:
        """JSON-ready: money with exactly money_places places, the rest as plain decimals."""
        with engine_context():
            data: dict[str, object] = {
                "period": self.period,
                "mechanism_type": self.mechanism_type,
                "full_amount": format(self.full_amount, "f"),
                "deduction": format(self.deduction, "f"),
                "payable": format(self.payable, "f"),
            }
            if self.mechanism_type == SCORE_COEFFICIENT:
                data["score"] = plain_text(self.score)
                data["grade"] = self.grade
                data["coefficient"] = plain_text(self.coefficient)
                data["kpi_points"] = {code: plain_text(p) for code, p in self.kpi_points.items()}
            else:
                for kind in DEDUCTION_KINDS:
                    data[f"{kind}_deduction"] = format(self.deduction_for(kind), "f")
            data["lines"] = [line.as_dict() for line in self.lines]
            return data
