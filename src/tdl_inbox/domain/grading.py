"""The grade formula.

    p_hw  = (homework points + extra points) / possible homework points (extra excluded)
    p_exam = exam points / exam maximum
    grade = min(10, p_hw * k_hw + p_exam * k_exam)

A missing, ungraded or late-and-ungraded assignment counts 0, and so does a missing exam.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

GRADE_CAP = 10.0


@dataclass(frozen=True)
class Coefficients:
    k_hw: float
    k_exam: float
    exam_max_points: float


@dataclass(frozen=True)
class FinalGrade:
    p_hw: float
    p_exam: float
    grade: float
    """Unrounded, capped at 10."""

    @property
    def rounded(self) -> int:
        """Half up to a whole number, as grades are published (7.5 -> 8)."""
        return int(Decimal(repr(self.grade)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def homework_share(points: Mapping[str, float], extra: float, possible: float) -> float:
    """``p_hw``: what a student's grade mail reports as their standing so far."""
    homework = sum(points.values()) + extra
    return homework / possible if possible > 0 else 0.0


def final_grade(
    points: Mapping[str, float],
    extra: float,
    possible: float,
    exam_points: float | None,
    k: Coefficients,
) -> FinalGrade:
    p_hw = homework_share(points, extra, possible)
    p_exam = (exam_points or 0.0) / k.exam_max_points if k.exam_max_points > 0 else 0.0
    grade = min(GRADE_CAP, p_hw * k.k_hw + p_exam * k.k_exam)
    return FinalGrade(p_hw=p_hw, p_exam=p_exam, grade=grade)
