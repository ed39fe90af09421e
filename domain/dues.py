"""Đảng phí (Party dues), Quy định 01-QĐ/TW of 2026: what a member owes each month, and how the
money paid fills the months.

Pure rules, no database and no clock: the caller passes the months and the amounts.

- A member's monthly amount is *declared* (the bot never asks for a salary or a pension): a
  number in đồng with its basis (1% of the social-insurance salary, 0.5% of the pension), or a
  basis that fixes it (students 5,000đ; others 0.3% / 0.2% of the regional minimum wage, a
  committee setting, 0.5% / 0.3% from 2028).
- An exemption (50 years of membership, social pension, poor household, illness) makes a month
  owe nothing; a reduction of 30, 50 or 70% lasts at most 12 months, then the full amount is
  owed again.
- Money is not paid "for a month": every payment fills the oldest month not yet paid, so a
  late payer's arrears close first; what is left after the last month due is kept as credit.
- A month is overdue once it has ended; three overdue months in a calendar year are a ground
  for removal (Điều lệ Đảng, Điều 8), warned about, never acted on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from domain.figures import thousands
from domain.text import fold

STUDENT_AMOUNT = 5_000
CONFIRM_ABOVE = 10_000_000  # đồng a month: above this the bot asks before recording
REDUCTIONS = (30, 50, 70)  # percent taken off
REDUCTION_MAX_MONTHS = 12
MONTHS_AHEAD = 12  # a payment may be dated for, or cover, at most this many months ahead
REMOVAL_MONTHS = 3  # overdue months in a calendar year: removal to be considered
NEW_SHARES_FROM = date(2028, 1, 1)  # 0.3% → 0.5% and 0.2% → 0.3% of the minimum wage


class Basis(StrEnum):
    """What a monthly amount rests on (QĐ 01-QĐ/TW)."""

    SALARY = "salary"  # 1% of last month's social-insurance salary (or benefit): declared
    PENSION = "pension"  # 0.5% of the pension: declared
    STUDENT = "student"  # 5,000đ
    OTHER = "other"  # others below retirement age: a share of the regional minimum wage
    OTHER_RETIRED = "other_retired"  # others at or above retirement age: a smaller share
    DECLARED = "declared"  # a number, basis not said


class Exemption(StrEnum):
    """Grounds on which a member pays no dues (on application)."""

    FIFTY_YEARS = "fifty_years"
    SOCIAL_PENSION = "social_pension"
    POOR_HOUSEHOLD = "poor_household"
    ILLNESS = "illness"


BASIS_NAMES: dict[str, str] = {
    Basis.SALARY: "1% lương đóng bảo hiểm xã hội",
    Basis.PENSION: "0,5% lương hưu",
    Basis.STUDENT: "học sinh, sinh viên",
    Basis.OTHER: "theo lương tối thiểu vùng, dưới tuổi nghỉ hưu",
    Basis.OTHER_RETIRED: "theo lương tối thiểu vùng, từ tuổi nghỉ hưu",
    Basis.DECLARED: "mức tự khai",
}
EXEMPTION_NAMES: dict[str, str] = {
    Exemption.FIFTY_YEARS: "50 năm tuổi đảng trở lên",
    Exemption.SOCIAL_PENSION: "hưởng trợ cấp bảo trợ xã hội",
    Exemption.POOR_HOUSEHOLD: "hộ nghèo, cận nghèo",
    Exemption.ILLNESS: "bệnh hiểm nghèo",
}
# Folded words → a basis or an exemption, as secretaries type them.
BASIS_WORDS: dict[str, Basis] = {
    "luong": Basis.SALARY, "bhxh": Basis.SALARY, "huu": Basis.PENSION, "luong huu": Basis.PENSION,
    "hocsinh": Basis.STUDENT, "hoc sinh": Basis.STUDENT, "sinhvien": Basis.STUDENT, "sinh vien": Basis.STUDENT,
    "khac": Basis.OTHER, "khac tren tuoi": Basis.OTHER_RETIRED, "khac du tuoi": Basis.OTHER_RETIRED,
    "khac tuoi huu": Basis.OTHER_RETIRED, "khac huu tuoi": Basis.OTHER_RETIRED,
}
EXEMPTION_WORDS: dict[str, Exemption] = {
    "50 nam": Exemption.FIFTY_YEARS, "50 nam tuoi dang": Exemption.FIFTY_YEARS, "tuoi dang": Exemption.FIFTY_YEARS,
    "bao tro": Exemption.SOCIAL_PENSION, "bao tro xa hoi": Exemption.SOCIAL_PENSION,
    "tro cap": Exemption.SOCIAL_PENSION,
    "ho ngheo": Exemption.POOR_HOUSEHOLD, "ngheo": Exemption.POOR_HOUSEHOLD, "can ngheo": Exemption.POOR_HOUSEHOLD,
    "ho can ngheo": Exemption.POOR_HOUSEHOLD,
    "benh": Exemption.ILLNESS, "om": Exemption.ILLNESS, "benh hiem ngheo": Exemption.ILLNESS,
}


# -- months ----------------------------------------------------------------------------------------

def month_of(day: date) -> date:
    """The first day of the month `day` falls in: how a month is written everywhere here."""
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month from `first` to `last`, both included (empty when `last` comes first)."""
    span = (last.year - first.year) * 12 + last.month - first.month
    return [add_months(month_of(first), i) for i in range(span + 1)]


def month_text(month: date) -> str:
    return f"{month.month}/{month.year}"


def months_text(months: Sequence[date]) -> str:
    """`tháng 9, 10/2026, 1/2027`: months of one year share it, written once after the last."""
    parts: list[str] = []
    for index, month in enumerate(months):
        last_of_year = index == len(months) - 1 or months[index + 1].year != month.year
        parts.append(month_text(month) if last_of_year else str(month.month))
    return "tháng " + ", ".join(parts)


_MONTH = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{4}|\d{2})$")


def parse_month(text: str, today: date) -> date | None:
    """`11/2026`, `11/26`, or `11` (this year): the month's first day; None when not a month."""
    typed = text.strip()
    match = _MONTH.match(typed)
    if match is not None:
        month, year_text = int(match.group(1)), match.group(2)
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    elif re.fullmatch(r"\d{1,2}", typed):
        month, year = int(typed), today.year
    else:
        return None
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        return None
    return date(year, month, 1)


# -- money -----------------------------------------------------------------------------------------

_AMOUNT = re.compile(r"^(\d{1,3}(?:[.,]\d{3})+|\d{1,12})(k|d|dong|vnd|nghin|ngan)?$")


def parse_amount(text: str) -> int | None:
    """An amount of đồng as typed: `45000`, `45.000`, `45,000đ`, `45k`, `45 nghìn`; None otherwise.
    No sign: a negative amount is refused by the caller in words."""
    key = fold(text).replace(" ", "")
    match = _AMOUNT.match(key)
    if match is None:
        return None
    number = int(match.group(1).replace(".", "").replace(",", ""))
    if match.group(2) in ("k", "nghin", "ngan"):
        number *= 1000
    return number


def money(amount: int) -> str:
    """`45.000đ` (a negative amount with a real minus sign)."""
    sign = "−" if amount < 0 else ""
    return f"{sign}{thousands(abs(amount))}đ"


def _round(value: Fraction) -> int:
    """To the whole đồng, half up."""
    return int(value + Fraction(1, 2))


# -- what a month owes ---------------------------------------------------------------------------

def minimum_wage_share(month: date, retired: bool) -> Fraction:
    """The share of the regional minimum wage owed by members without salary or pension."""
    if month >= NEW_SHARES_FROM:
        return Fraction(3, 1000) if retired else Fraction(5, 1000)
    return Fraction(2, 1000) if retired else Fraction(3, 1000)


@dataclass(frozen=True, slots=True)
class Rate:
    """A declared amount, in force from the month `starts` until a later declaration. An
    exemption or a reduction rides on it with its own last month (inclusive; None: open)."""

    starts: date
    basis: str
    amount: int  # the month's amount before any reduction (for the fixed bases: as computed then)
    exemption: str | None = None
    exemption_until: date | None = None
    reduction: int = 0  # percent taken off
    reduction_until: date | None = None


def reduction_end(starts: date, until: date | None) -> date:
    """The last reduced month: the one typed, else the twelfth; never beyond the twelfth."""
    longest = add_months(starts, REDUCTION_MAX_MONTHS - 1)
    return longest if until is None else until


def check_reduction(percent: int, starts: date, until: date | None) -> str | None:
    """Why a reduction cannot be recorded (Vietnamese), or None."""
    if percent not in REDUCTIONS:
        return "Mức giảm đảng phí là 30%, 50% hoặc 70%."
    if until is not None and until < starts:
        return f"Tháng kết thúc giảm ({month_text(until)}) trước tháng bắt đầu ({month_text(starts)})."
    if until is not None and until > add_months(starts, REDUCTION_MAX_MONTHS - 1):
        return (f"Giảm đảng phí tối đa {REDUCTION_MAX_MONTHS} tháng: từ tháng {month_text(starts)} đến chậm nhất "
                f"tháng {month_text(add_months(starts, REDUCTION_MAX_MONTHS - 1))}.")
    return None


def rate_on(rates: Sequence[Rate], month: date) -> Rate | None:
    """The declaration in force in `month`: the latest one starting by then (rates in the order
    they were recorded; of two starting the same month, the later recorded wins)."""
    found: Rate | None = None
    for rate in rates:
        if rate.starts <= month and (found is None or rate.starts >= found.starts):
            found = rate
    return found


def monthly_amount(rate: Rate, month: date, minimum_wage: int) -> int:
    """The full amount of a month under a declaration, before exemption and reduction."""
    if rate.basis == Basis.STUDENT:
        return STUDENT_AMOUNT
    if rate.basis in (Basis.OTHER, Basis.OTHER_RETIRED):
        return _round(minimum_wage * minimum_wage_share(month, rate.basis == Basis.OTHER_RETIRED))
    return rate.amount


@dataclass(frozen=True, slots=True)
class MonthDue:
    month: date
    amount: int  # owed this month (0 when exempt)
    exempt: str | None = None  # the exemption's ground
    reduction: int = 0  # percent taken off this month


def due_in(rates: Sequence[Rate], month: date, minimum_wage: int) -> MonthDue | None:
    """What `month` owes; None when no amount was declared for it yet (nothing is owed then)."""
    rate = rate_on(rates, month)
    if rate is None:
        return None
    if rate.exemption is not None and (rate.exemption_until is None or month <= rate.exemption_until):
        return MonthDue(month, 0, exempt=rate.exemption)
    full = monthly_amount(rate, month, minimum_wage)
    if rate.reduction and rate.reduction_until is not None and month <= rate.reduction_until:
        return MonthDue(month, _round(Fraction(full * (100 - rate.reduction), 100)), reduction=rate.reduction)
    return MonthDue(month, full)


def schedule(rates: Sequence[Rate], last: date, minimum_wage: int, first: date | None = None) -> list[MonthDue]:
    """Every month owed from the first declaration (or `first`, if later) to `last`, inclusive."""
    if not rates:
        return []
    start = min(rate.starts for rate in rates)
    if first is not None and first > start:
        start = first
    found = [due_in(rates, month, minimum_wage) for month in months_between(start, month_of(last))]
    return [due for due in found if due is not None]


# -- paying ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MonthState:
    month: date
    owed: int
    paid: int
    exempt: str | None = None
    reduction: int = 0

    @property
    def unpaid(self) -> int:
        return self.owed - self.paid

    @property
    def settled(self) -> bool:
        return self.paid >= self.owed


@dataclass(frozen=True, slots=True)
class Allocation:
    """Every month of a schedule with what was paid into it, oldest first, and the credit left."""

    months: tuple[MonthState, ...]
    credit: int

    @property
    def owed(self) -> int:
        return sum(state.unpaid for state in self.months)

    @property
    def balance(self) -> int:
        """Credit when positive, arrears when negative."""
        return self.credit - self.owed

    def state(self, month: date) -> MonthState | None:
        return next((state for state in self.months if state.month == month), None)

    def unpaid_months(self, before: date | None = None) -> list[MonthState]:
        """Months not fully paid (all of them, or those before the month `before`)."""
        return [state for state in self.months if not state.settled and (before is None or state.month < before)]

    def overdue_in_year(self, year: int, current: date) -> list[date]:
        """The months of `year` that have ended before the month `current` without being paid in
        full: the dues half of the removal warning."""
        return [state.month for state in self.unpaid_months(before=month_of(current)) if state.month.year == year]

    def paid_through(self) -> date | None:
        """The last month of the run of fully paid months from the first (None: the first is not)."""
        last: date | None = None
        for state in self.months:
            if not state.settled:
                break
            last = state.month
        return last


def allocate(dues: Iterable[MonthDue], paid: int) -> Allocation:
    """Fill the months oldest first with the money paid (payments and corrections summed);
    what remains after the last month is credit. Exempt months take nothing."""
    left = max(paid, 0)
    states: list[MonthState] = []
    for due in dues:
        take = min(left, due.amount)
        left -= take
        states.append(MonthState(due.month, due.amount, take, due.exempt, due.reduction))
    return Allocation(tuple(states), left)


def to_cover(allocation: Allocation, ahead: Sequence[MonthDue], months: int) -> tuple[int, list[date]]:
    """What `months` more months cost, oldest unpaid first (the allocation's unpaid months, then
    the months `ahead` of it, net of any credit): the amount and the months it covers."""
    needed: list[tuple[date, int]] = [(state.month, state.unpaid) for state in allocation.unpaid_months()]
    needed += [(due.month, due.amount) for due in ahead if due.amount > 0]
    chosen = needed[:months]
    return max(sum(amount for _month, amount in chosen) - allocation.credit, 0), [month for month, _ in chosen]


def remit(collected: int, cell_share: Fraction) -> tuple[int, int]:
    """The cell keeps its share (a committee setting) and remits the rest: (kept, remitted)."""
    kept = _round(collected * cell_share)
    return kept, collected - kept
