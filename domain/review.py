"""Review (kiểm điểm, đánh giá, xếp loại chất lượng): levels, who is rated, the quota, the target.

Quy định 366-QĐ/TW and Hướng dẫn 43-HD/BTCTW (2025), as summarised in domain.md. Pure
functions: every rule here is pinned at its boundary by tests/test_domain_review.py.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from domain.errors import UserError
from domain.figures import fraction, share_text
from domain.membership import add_months
from domain.text import fold
from domain.vocabulary import Level, Status

GENERAL_MAX = 30
TASK_MAX = 70
REVIEW_AFTER_MONTHS = 6  # admitted less than this before the review: not reviewed (QĐ 124 Điều 5, kept)

LEVEL_NAMES: dict[str, str] = {  # keyed by Level, looked up by the stored text too
    Level.EXCELLENT: "Hoàn thành xuất sắc nhiệm vụ",
    Level.GOOD: "Hoàn thành tốt nhiệm vụ",
    Level.COMPLETE: "Hoàn thành nhiệm vụ",
    Level.INCOMPLETE: "Không hoàn thành nhiệm vụ",
}
LEVEL_CODES: dict[str, str] = {
    Level.EXCELLENT: "HTXSNV", Level.GOOD: "HTTNV", Level.COMPLETE: "HTNV", Level.INCOMPLETE: "KHTNV",
}


def level_for(total: int, *, violation: bool = False) -> Level:
    """The level a score out of 100 implies (Quy định 366-QĐ/TW); a violation means incomplete."""
    if violation or total < 50:
        return Level.INCOMPLETE
    if total >= 90:
        return Level.EXCELLENT
    if total >= 70:
        return Level.GOOD
    return Level.COMPLETE


# -- who is reviewed -------------------------------------------------------------------------

class NotReviewed(UserError):
    """A member who is not rated in this period; the message says why, politely."""


NOT_REVIEWED_STATUSES = (Status.EXEMPT, Status.SUSPENDED)


@functools.lru_cache(maxsize=64)  # a pure function of the day, asked once per member of a list
def review_cutoff(review_day: date) -> date:
    """The latest admission date still reviewed on `review_day`: six months before it."""
    return add_months(review_day, -REVIEW_AFTER_MONTHS)


def not_reviewed_reason(status: str, admitted_on: date | None, review_day: date) -> str | None:
    """Why a member is not reviewed on `review_day` (the last day of the review period), or None.

    Not reviewed: the exempt (miễn công tác và sinh hoạt), the suspended (đình chỉ sinh hoạt), and
    those admitted less than 6 months before the review: admitted 30/06 is reviewed on 31/12
    (six full months), admitted 01/07 is not (six months less a day).
    """
    if status == Status.EXEMPT:
        return "miễn công tác và sinh hoạt đảng"
    if status == Status.SUSPENDED:
        return "đang bị đình chỉ sinh hoạt"
    if admitted_on is not None and admitted_on > review_cutoff(review_day):
        return f"vào Đảng ngày {admitted_on:%d/%m/%Y}, chưa đủ {REVIEW_AFTER_MONTHS} tháng đến kỳ đánh giá"
    return None


def is_reviewed(status: str, admitted_on: date | None, review_day: date) -> bool:
    return not_reviewed_reason(status, admitted_on, review_day) is None


# Levels as typed: codes, short codes and words, compared folded and without spaces so that
# "Hoàn thành tốt", "hoan thanh tot", "hoanthanhtot" and "HTT" are one thing.
_LEVEL_FORMS: dict[str, Level] = {}
for _level, _forms in {
    Level.EXCELLENT: ("htxsnv", "htxs", "xs", "xuat sac", "hoan thanh xuat sac", "hoan thanh xuat sac nhiem vu"),
    Level.GOOD: ("httnv", "htt", "tot", "hoan thanh tot", "hoan thanh tot nhiem vu"),
    Level.COMPLETE: ("htnv", "ht", "hoan thanh", "hoan thanh nhiem vu"),
    Level.INCOMPLETE: ("khtnv", "kht", "khong hoan thanh", "khong hoan thanh nhiem vu"),
}.items():
    for _form in _forms:
        _LEVEL_FORMS[_form.replace(" ", "")] = _level
LEVEL_MAX_WORDS = 5  # "không hoàn thành nhiệm vụ" is the longest form, in words
LEVEL_HINT = ("xuất sắc, tốt, hoàn thành, không hoàn thành (hoặc mã HTXSNV, HTTNV, HTNV, KHTNV, "
              "hoặc điểm từ 0 đến 100)")
_INTEGER = re.compile(r"^[+-]?\d+$")


def level_from_words(text: str) -> Level | None:
    """The level a word or code names ("xuất sắc", "HTTNV", "kht"...), else None. Scores are not words."""
    key = re.sub(r"[^a-z]", "", fold(text))
    return _LEVEL_FORMS.get(key) if key else None


def parse_level(text: str) -> tuple[Level, int | None]:
    """A level typed as a code, as words, or as a total score: (level, score or None)."""
    stripped = text.strip()
    if _INTEGER.match(stripped):
        score = int(stripped)
        if not 0 <= score <= GENERAL_MAX + TASK_MAX:
            raise UserError(f"Điểm xếp loại phải từ 0 đến {GENERAL_MAX + TASK_MAX}, đồng chí gõ «{stripped}».")
        return level_for(score), score
    level = level_from_words(stripped)
    if level is None:
        raise UserError(f"Không hiểu mức «{stripped[:40]}». Mức có thể gõ: {LEVEL_HINT}.")
    return level, None


def parse_score(text: str, maximum: int, what: str, example: int) -> int:
    """A whole number of points from 0 to `maximum`."""
    stripped = text.strip()
    if not _INTEGER.match(stripped) or not 0 <= int(stripped) <= maximum:
        shown = stripped if len(stripped) <= 20 else stripped[:20] + "…"
        raise UserError(f"{what} phải là số nguyên từ 0 đến {maximum}, đồng chí gõ «{shown}». "
                        f"Ví dụ: {example}.")
    return int(stripped)


# -- the quota of "xuất sắc" ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Quota:
    """The excellent and good counts of one grassroots organisation, against the quota share."""

    excellent: int
    good: int
    share: Fraction

    @property
    def within(self) -> bool:
        return quota_within(self.excellent, self.good, self.share)

    def figures(self) -> str:
        """`1 xuất sắc, 5 hoàn thành tốt: 1/5 = 20%; định mức không quá 20% số hoàn thành tốt`."""
        return (f"{self.excellent} xuất sắc, {self.good} hoàn thành tốt: "
                f"{fraction(self.excellent, self.good, self.share)}; "
                f"định mức: không quá {share_text(self.share)} số hoàn thành tốt")


def quota_within(excellent: int, good: int, share: Fraction) -> bool:
    """Whether `excellent` "xuất sắc" ratings keep within the quota, given `good` "tốt" ones.

    The rule (domain.md, HD 21-HD/BTCTW 2019): the number rated "xuất sắc" may not exceed (≤)
    `share` (20%) of the number rated "hoàn thành tốt", in each grassroots organisation. So
    1 excellent with 5 good is within (1 ≤ 1.0), 2 with 9 is not (2 > 1.8). Zero excellent is
    always within. The check only warns; no level is ever changed because of it.
    """
    return excellent <= share * good


# -- the target -------------------------------------------------------------------------------

def target_reached(good_or_better: int, to_be_rated: int, target: Fraction) -> bool:
    """"Trên 90% đảng viên hoàn thành tốt nhiệm vụ trở lên": above the target share (strictly),
    measured over the members *to be rated*, so unrated members count against it (domain.md).
    9 of 10 is 90%: not above 90%, not reached."""
    return to_be_rated > 0 and Fraction(good_or_better, to_be_rated) > target
