"""The rules of cell work that several features share (domain.md): levels, quota, fractions.

Pure functions, no database: unit tests pin each rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from storage.assessments import COMPLETE, EXCELLENT, GOOD, INCOMPLETE
from storage.textkey import fold

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


# -- reading what people type ------------------------------------------------------------
# Everything below is pure and raises `RuleError` with a Vietnamese message that says what to
# type instead; callers show the message and save nothing.

class RuleError(ValueError):
    """Input that breaks a rule; the message is Vietnamese and meant for the user."""


# Levels as typed: codes, short codes and words, compared folded and without spaces so that
# "Hoàn thành tốt", "hoan thanh tot", "hoanthanhtot" and "HTT" are one thing.
_LEVEL_FORMS: dict[str, str] = {}
for _level, _forms in {
    EXCELLENT: ("htxsnv", "htxs", "xs", "xuat sac", "hoan thanh xuat sac", "hoan thanh xuat sac nhiem vu"),
    GOOD: ("httnv", "htt", "tot", "hoan thanh tot", "hoan thanh tot nhiem vu"),
    COMPLETE: ("htnv", "ht", "hoan thanh", "hoan thanh nhiem vu"),
    INCOMPLETE: ("khtnv", "kht", "khong hoan thanh", "khong hoan thanh nhiem vu"),
}.items():
    for _form in _forms:
        _LEVEL_FORMS[_form.replace(" ", "")] = _level
LEVEL_MAX_WORDS = 5  # "không hoàn thành nhiệm vụ" is the longest form, in words
LEVEL_HINT = ("xuất sắc, tốt, hoàn thành, không hoàn thành (hoặc mã HTXSNV, HTTNV, HTNV, KHTNV, "
              "hoặc điểm từ 0 đến 100)")
_INTEGER = re.compile(r"^[+-]?\d+$")
_WHOLE = re.compile(r"[0-9]{1,9}")


def whole_number(text: str) -> int | None:
    """A plain number of at most 9 ASCII digits (a list position, a report number), else None.

    `str.isdigit()` is not enough: it admits "²", which `int()` refuses, and numbers too large
    for a database integer.
    """
    stripped = text.strip()
    return int(stripped) if _WHOLE.fullmatch(stripped) else None


def level_from_words(text: str) -> str | None:
    """The level a word or code names ("xuất sắc", "HTTNV", "kht"...), else None. Scores are not words."""
    key = re.sub(r"[^a-z]", "", fold(text))
    return _LEVEL_FORMS.get(key) if key else None


def parse_level(text: str) -> tuple[str, int | None]:
    """A level typed as a code, as words, or as a total score: (level, score or None)."""
    stripped = text.strip()
    if _INTEGER.match(stripped):
        score = int(stripped)
        if not 0 <= score <= GENERAL_MAX + TASK_MAX:
            raise RuleError(f"Điểm xếp loại phải từ 0 đến {GENERAL_MAX + TASK_MAX}, đồng chí gõ «{stripped}».")
        return level_for(score), score
    level = level_from_words(stripped)
    if level is None:
        raise RuleError(f"Không hiểu mức «{stripped[:40]}». Mức có thể gõ: {LEVEL_HINT}.")
    return level, None


def parse_score(text: str, maximum: int, what: str, example: int) -> int:
    """A whole number of points from 0 to `maximum`."""
    stripped = text.strip()
    if not _INTEGER.match(stripped) or not 0 <= int(stripped) <= maximum:
        shown = stripped if len(stripped) <= 20 else stripped[:20] + "…"
        raise RuleError(f"{what} phải là số nguyên từ 0 đến {maximum}, đồng chí gõ «{shown}». "
                        f"Ví dụ: {example}.")
    return int(stripped)


# -- dates of reported activities ----------------------------------------------------------
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}|\d{2}))?$")
TODAY_WORDS = frozenset({"hom nay", "homnay", "nay"})
YESTERDAY_WORDS = frozenset({"hom qua", "homqua", "qua"})


def looks_like_date(word: str) -> bool:
    """True for `18/11` or `18/11/2026`: a one-line report may start with its date."""
    return _DATE.match(word.strip()) is not None


def parse_done_on(text: str, today: date) -> date:
    """The date an activity was done: `dd/mm`, `dd/mm/yyyy`, "hôm nay" or "hôm qua".

    Never in the future, never before 1 January of the current review year (the year of `today`):
    a report counts in that year's review, and a closed year is not reopened from a chat.
    """
    typed = text.strip()
    key = fold(typed)
    if key in TODAY_WORDS:
        found = today
    elif key in YESTERDAY_WORDS:
        found = today - timedelta(days=1)
    else:
        match = _DATE.match(typed)
        if match is None:
            raise RuleError(f"Ngày «{typed[:20]}» không đúng dạng. Gõ ngày/tháng, ví dụ {today:%d/%m}, "
                            "hoặc gõ «hôm nay».")
        day, month = int(match.group(1)), int(match.group(2))
        year_text = match.group(3)
        year = today.year if year_text is None else int(year_text) + (2000 if len(year_text) == 2 else 0)
        try:
            found = date(year, month, day)
        except ValueError:
            raise RuleError(f"Ngày {day:02d}/{month:02d}/{year} không có thật. Vui lòng gõ lại, "
                            f"ví dụ {today:%d/%m}.") from None
    if found > today:
        raise RuleError(f"Ngày {found:%d/%m/%Y} chưa tới: chỉ báo cáo việc đã làm (đến hôm nay {today:%d/%m/%Y}).")
    year_start = date(today.year, 1, 1)
    if found < year_start:
        raise RuleError(f"Ngày {found:%d/%m/%Y} thuộc năm trước: chỉ nhận báo cáo từ {year_start:%d/%m/%Y}.")
    return found


# -- review periods ------------------------------------------------------------------------

def review_period(today: date, *, quarterly: bool = False) -> tuple[str, int]:
    """The period key and year of the current review: ("2026", 2026) or ("2026-Q4", 2026)."""
    if quarterly:
        return f"{today.year}-Q{(today.month - 1) // 3 + 1}", today.year
    return str(today.year), today.year


def period_label(period: str) -> str:
    """ "năm 2026" or "quý 4 năm 2026"."""
    year, _, quarter = period.partition("-Q")
    return f"quý {quarter} năm {year}" if quarter else f"năm {year}"


# -- the quota of "xuất sắc" ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Quota:
    """The excellent and good counts of one group of ratings, checked against the quota share."""

    excellent: int
    good: int
    share: Fraction

    @property
    def base(self) -> int:
        """Those who completed their tasks at least well: the pool the excellent are chosen from."""
        return self.excellent + self.good

    @property
    def within(self) -> bool:
        return quota_within(self.excellent, self.good, self.share)

    def figures(self) -> str:
        """`2 xuất sắc trên 10 đảng viên hoàn thành tốt trở lên (8 tốt + 2 xuất sắc) = 20%; định mức: dưới 20%`."""
        return (f"{self.excellent} xuất sắc trên {self.base} đảng viên hoàn thành tốt trở lên "
                f"({self.good} tốt + {self.excellent} xuất sắc) = {percent(self.excellent, self.base)}; "
                f"định mức: dưới {_share_text(self.share)}")


def as_share(value: object) -> Fraction:
    """A quota setting (0.2, "0.2", "20%", 20) as an exact fraction between 0 and 1."""
    text = str(value).strip().rstrip("%")
    share = Fraction(text)
    if share > 1 or str(value).strip().endswith("%"):
        share /= 100
    if not 0 <= share <= 1:
        raise ValueError(f"quota share out of range: {value!r}")
    return share


def quota_within(excellent: int, good: int, share: Fraction) -> bool:
    """Whether `excellent` "xuất sắc" ratings keep within the quota, given `good` "tốt" ones.

    The rule (domain.md): "xuất sắc" may not exceed `share` (20%) of those rated "hoàn thành tốt".
    In the Party's guides the excellent are *chosen among* those who completed their tasks well,
    so the base is everyone rated at least "tốt" — the good plus the excellent — and the excellent
    must stay *below* the share of that base: excellent < share × (good + excellent).
    Zero excellent is always within. With 20%: 2 excellent and 9 good pass (2 < 2.2); 2 and 8 do
    not (2 is not below 2.0): the example the product owner gave. The check only warns the person
    proposing or deciding; no level is ever changed because of it.
    """
    if excellent <= 0:
        return True
    return excellent < share * (good + excellent)


def thousands(number: int) -> str:
    """Vietnamese digit grouping: 3000 -> "3.000"."""
    return f"{number:,}".replace(",", ".")


def _share_text(share: Fraction) -> str:
    value = share * 100
    return f"{int(value)}%" if value.denominator == 1 else f"{float(value):.1f}%"


# -- summaries: probation and party development -------------------------------------------
RECOGNITION_NOTICE_DAYS = 30  # probationary members due within this many days are flagged


def probation_end(admitted_on: date) -> date:
    """The day the 12 months of probation are complete (29/02 ends on 28/02 of the next year)."""
    try:
        return admitted_on.replace(year=admitted_on.year + 1)
    except ValueError:
        return admitted_on.replace(year=admitted_on.year + 1, day=28)


def latest_admission_due(today: date, days: int = RECOGNITION_NOTICE_DAYS) -> date:
    """The latest admission date whose probation ends within `days` of `today` (or has ended)."""
    limit = today + timedelta(days=days)
    year = limit.year - 1
    if limit.month == 2 and limit.day >= 28:  # admitted 29/02 of a leap year: ends on 28/02
        return date(year, 2, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28)
    return limit.replace(year=year)


def admissions_needed(members_at_year_start: int, share: object) -> int:
    """New members a year the target asks for: `share` of the members on 31/12 of last year,
    rounded up (3% of 40 members is 1.2: two admissions reach it, one does not)."""
    wanted = as_share(share) * members_at_year_start
    return -(-wanted.numerator // wanted.denominator)
