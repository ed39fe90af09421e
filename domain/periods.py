"""Summary periods: a month, a quarter or a year, as typed by people and as bounds for queries.

People type "tháng 11/2026", "quy 4/2026", "năm 2026" (with or without diacritics); the command
line writes "thang-11-2026", "quy-4-2026", "nam-2026". Both parse to the same `Period`. Bounds
are local dates (reports carry dates) and aware UTC instants (meetings carry instants): a meeting
at 00:30 on 1 December in Vietnam belongs to December even though it is still November in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.errors import UserError
from domain.text import fold

MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
REVIEW_SPILLS_INTO_MONTH = 2  # the yearly review of Y closes by default at the end of February of Y+1
FIRST_YEAR = 2000  # nothing this bot holds is older; a typo like "nam 206" is caught
EXAMPLES = "tháng 11/2026, quý 4/2026 hoặc năm 2026"  # as typed in a chat

_SEP = r"(?:\s*[/.\-]\s*|\s+)(?:nam\s*)?"
_BODY = (
    rf"thang\s*[\-]?\s*(?P<month>\d{{1,2}}|nay|truoc)(?:{_SEP}(?P<month_year>\d{{4}}))?"
    rf"|quy\s*[\-]?\s*(?P<quarter>\d|iv|i{{1,3}}|nay|truoc)(?:{_SEP}(?P<quarter_year>\d{{4}}))?"
    r"|nam\s*[\-]?\s*(?P<year>\d{4}|nay|truoc)"
    r"|(?P<bare_month>\d{1,2})\s*/\s*(?P<bare_year>\d{4})"
)
_PERIOD = re.compile(rf"(?:^|\s)(?P<text>{_BODY})$")
_LEADING = re.compile(rf"^(?P<text>{_BODY})(?=\s|$)")  # a period typed right after the command word
_QUARTER_WORD = re.compile(r"^(?:quy|q)(?=\s|$)")
_BARE_YEAR = re.compile(r"(?:19|20)\d{2}")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


class PeriodError(UserError):
    """A period that cannot be summarised; the message (Vietnamese) says what is wrong, and the
    caller adds how to type a period in its own words (a chat command or a command-line option)."""


@dataclass(frozen=True, slots=True)
class Period:
    kind: str
    year: int
    number: int = 0  # the month (1–12) or the quarter (1–4); 0 for a year

    @property
    def start(self) -> date:
        """The first day of the period."""
        if self.kind == MONTH:
            return date(self.year, self.number, 1)
        if self.kind == QUARTER:
            return date(self.year, 3 * self.number - 2, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """The first day after the period (bounds are half-open: start ≤ d < end)."""
        if self.kind == YEAR:
            return date(self.year + 1, 1, 1)
        last = self.number if self.kind == MONTH else 3 * self.number
        return date(self.year + 1, 1, 1) if last == 12 else date(self.year, last + 1, 1)

    @property
    def label(self) -> str:
        """As shown to people: "tháng 11/2026", "quý 4/2026", "năm 2026"."""
        if self.kind == MONTH:
            return f"tháng {self.number}/{self.year}"
        if self.kind == QUARTER:
            return f"quý {self.number}/{self.year}"
        return f"năm {self.year}"

    @property
    def key(self) -> str:
        """As written on the command line and in file names: "thang-11-2026"."""
        if self.kind == MONTH:
            return f"thang-{self.number}-{self.year}"
        if self.kind == QUARTER:
            return f"quy-{self.number}-{self.year}"
        return f"nam-{self.year}"

    @property
    def review(self) -> ReviewPeriod:
        """The review this summary shows: the quarter's for a quarter, the year's for a year. A
        month has no review of its own: it shows the yearly review that runs or ran in it — in
        January and February that is still the previous year's (the review of Y runs from
        December of Y to February of Y+1), from March on the year's own."""
        if self.kind == QUARTER:
            return ReviewPeriod(self.year, self.number)
        if self.kind == MONTH and self.number <= REVIEW_SPILLS_INTO_MONTH:
            return ReviewPeriod(self.year - 1)
        return ReviewPeriod(self.year)

    @property
    def review_period(self) -> str:
        return self.review.key

    @property
    def review_label(self) -> str:
        review = self.review
        return f"quý {review.quarter}/{review.year}" if review.quarter else f"năm {review.year}"

    def instants(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as aware UTC instants, from local midnight to local midnight."""
        return local_midnight(self.start, tz), local_midnight(self.end, tz)


@dataclass(frozen=True, slots=True)
class ReviewPeriod:
    """A review (kỳ đánh giá): a year, or a quarter of it (`quarter` 1–4; 0 for the year)."""

    year: int
    quarter: int = 0

    @classmethod
    def from_key(cls, key: str) -> ReviewPeriod:
        """ "2026" or "2026-Q4", as stored with each rating."""
        year, _, quarter = key.partition("-Q")
        return cls(int(year), int(quarter) if quarter else 0)

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def label(self) -> str:
        """ "năm 2026" or "quý 4 năm 2026"."""
        return f"quý {self.quarter} năm {self.year}" if self.quarter else f"năm {self.year}"

    @property
    def last_day(self) -> date:
        """The day the period ends: who is reviewed is judged on it (admitted 6 months before...)."""
        if not self.quarter:
            return date(self.year, 12, 31)
        return Period(QUARTER, self.year, self.quarter).end - timedelta(days=1)


def period_label(period: str) -> str:
    """ "năm 2026" or "quý 4 năm 2026"."""
    return ReviewPeriod.from_key(period).label


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def month_starts(last: date, count: int) -> list[date]:
    """The first days of `count` consecutive months ending with the month of `last`."""
    index = last.year * 12 + last.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def current(today: date) -> Period:
    return Period(MONTH, today.year, today.month)


def split(text: str) -> tuple[str, str]:
    """Split "<tên chi bộ> <kỳ>" into the name part and the period part (either may be empty)."""
    folded = fold(text)
    if _BARE_YEAR.fullmatch(folded):  # "/tonghop 2026"; a year after a name would be part of the name
        return "", folded
    match = _PERIOD.search(folded)
    if match is None:
        return text.strip(), ""
    # Folding keeps one character per character of the cleaned text, so cut the original
    # at the same number of words.
    words = text.split()
    kept = len(folded[: match.start("text")].split())
    return " ".join(words[:kept]), " ".join(words[kept:])


def split_leading(text: str) -> tuple[str, str]:
    """Split "<kỳ> <rest>" when the text starts with a period ("năm 2026 Chi bộ khu phố 1"):
    the period part and the rest; ("", text) when it does not start with one."""
    folded = fold(text)
    match = _LEADING.match(folded)
    if match is None:
        return "", text.strip()
    return _cut(text, len(match.group("text").split()))


@dataclass(frozen=True, slots=True)
class TypedReview:
    """What a rating command's arguments say of the review: an explicit period ("năm 2026",
    "quý 4/2026"), or "quý" alone (the open quarter), or nothing (the open review); and the rest."""

    period: ReviewPeriod | None
    quarter: bool
    rest: str


def split_review(text: str, today: date) -> TypedReview:
    """Read a review period typed right after a rating command word.

    A quarter needs its year ("quý 4/2026", "quý 4 năm 2026") or a relative word ("quý này",
    "quý trước"): "quý 2" alone is "quý" followed by member number 2, as it always was."""
    folded = fold(text)
    match = _LEADING.match(folded)
    if match is not None:
        groups = match.groupdict()
        if groups["month"] is not None or groups["bare_month"] is not None:
            raise PeriodError("Kỳ đánh giá, xếp loại là một năm hoặc một quý, không theo tháng: "
                              "gõ ví dụ năm 2026 hoặc quý 4/2026.")
        quarter_number = groups["quarter"] is not None and groups["quarter"] not in ("nay", "truoc")
        if not (quarter_number and groups["quarter_year"] is None):
            words = len(match.group("text").split())
            period = parse(" ".join(folded.split()[:words]), today)
            return TypedReview(period.review, False, _cut(text, words)[1])
    if _QUARTER_WORD.match(folded):
        return TypedReview(None, True, _cut(text, 1)[1])
    return TypedReview(None, False, text.strip())


def _cut(text: str, words: int) -> tuple[str, str]:
    """The first `words` words of the text as typed, and the rest (folding keeps the words)."""
    parts = text.split()
    return " ".join(parts[:words]), " ".join(parts[words:])


def parse(text: str, today: date) -> Period:
    """A period typed by a person or on the command line; empty means the current month."""
    folded = fold(text)
    if not folded:
        return current(today)
    if _BARE_YEAR.fullmatch(folded):
        folded = f"nam {folded}"
    match = _PERIOD.fullmatch(folded)
    if match is None:
        raise PeriodError(f"Không hiểu kỳ «{text.strip()[:40]}».")
    groups = match.groupdict()
    if groups["month"] is not None or groups["bare_month"] is not None:
        word = groups["month"] or groups["bare_month"]
        year_text = groups["month_year"] or groups["bare_year"]
        period = _relative(MONTH, word, today) or Period(MONTH, _year(year_text, today), _number(word, 12, "Tháng"))
    elif groups["quarter"] is not None:
        word = groups["quarter"]
        period = _relative(QUARTER, word, today) or Period(
            QUARTER, _year(groups["quarter_year"], today), _number(_ROMAN.get(word, word), 4, "Quý")
        )
    else:
        word = groups["year"]
        period = _relative(YEAR, word, today) or Period(YEAR, _year(word, today))
    if period.start > today:
        raise PeriodError(f"Kỳ {period.label} chưa bắt đầu nên chưa có số liệu.")
    return period


def _relative(kind: str, word: str, today: date) -> Period | None:
    """"tháng này", "quý trước", "năm nay"..."""
    if word not in ("nay", "truoc"):
        return None
    back = 1 if word == "truoc" else 0
    if kind == YEAR:
        return Period(YEAR, today.year - back)
    size = 1 if kind == MONTH else 3
    index = today.year * 12 + (today.month - 1) // size * size - back * size
    year, month0 = divmod(index, 12)
    return Period(kind, year, month0 + 1 if kind == MONTH else month0 // 3 + 1)


def _number(text: str | int, highest: int, what: str) -> int:
    value = int(text)
    if not 1 <= value <= highest:
        raise PeriodError(f"{what} phải từ 1 đến {highest}.")
    return value


def _year(text: str | None, today: date) -> int:
    if text is None:
        return today.year
    value = int(text)
    if not FIRST_YEAR <= value <= today.year:
        raise PeriodError(f"Năm phải từ {FIRST_YEAR} đến {today.year}.")
    return value
