"""The rules of cell work that several features share (domain.md): levels, quota, fractions.

Pure functions, no database: unit tests pin each rule.
"""

from __future__ import annotations

from fractions import Fraction

from storage.assessments import COMPLETE, EXCELLENT, GOOD, INCOMPLETE

GENERAL_MAX = 30
TASK_MAX = 70
NO_DATA = "chưa có dữ liệu"

LEVEL_NAMES = {
    EXCELLENT: "Hoàn thành xuất sắc nhiệm vụ",
    GOOD: "Hoàn thành tốt nhiệm vụ",
    COMPLETE: "Hoàn thành nhiệm vụ",
    INCOMPLETE: "Không hoàn thành nhiệm vụ",
}
LEVEL_CODES = {EXCELLENT: "HTXSNV", GOOD: "HTTNV", COMPLETE: "HTNV", INCOMPLETE: "KHTNV"}


def level_for(total: int, *, violation: bool = False) -> str:
    """The level a score out of 100 implies (Quy định 366-QĐ/TW); a violation means incomplete."""
    if violation or total < 50:
        return INCOMPLETE
    if total >= 90:
        return EXCELLENT
    if total >= 70:
        return GOOD
    return COMPLETE


def fraction(part: int, whole: int) -> str:
    """`24/26 = 92%`; a zero denominator reads "chưa có dữ liệu", never a division error."""
    if whole <= 0:
        return NO_DATA
    return f"{part}/{whole} = {percent(part, whole)}"


def percent(part: int, whole: int) -> str:
    if whole <= 0:
        return NO_DATA
    value = Fraction(part * 100, whole)
    return f"{int(value + Fraction(1, 2))}%"
