"""MoF performance grades: 优 90–100, 良 80–89, 中 60–79, 差 0–59."""

from decimal import Decimal

from contracts.engine.decimals import to_decimal

# Lowest score of each grade, best first.
GRADE_FLOORS = (
    (Decimal(90), "优"),
    (Decimal(80), "良"),
    (Decimal(60), "中"),
)
LOWEST_GRADE = "差"


def grade_for(score: Decimal) -> str:
    score = to_decimal(score, "score")
    for floor, grade in GRADE_FLOORS:
        if score >= floor:
            return grade
    return LOWEST_GRADE
