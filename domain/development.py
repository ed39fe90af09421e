"""Party development (phát triển đảng viên): a candidate's stages, the order they come in, and the
deadlines that follow from their dates (domain.md: quần chúng ưu tú; QĐ 294-QĐ/TW, 2025).

Pure: the dates come from `storage.candidates`. The rules, one each:
- Working days skip Saturdays, Sundays and the public holidays of `domain.holidays`; "within 30
  working days of a day" is the 30th working day after it (that day itself not counted).
- Months: a date N months later is the same day number, or the month's last day when it has none
  (29/02/2028 + 12 months = 28/02/2029, never 01/03): the rule of `domain.membership.add_months`,
  the one probation already uses.
- The class certificate is valid 5 years: issued 10/05/2026, valid through 09/05/2031; the bot warns
  from 90 days before it lapses while the candidate is not yet admitted.
- The cell's vote passes with at least 2/3 of its official members agreeing (5 of 7, 6 of 9).
- The ceremony is due within 30 working days of the committee's decision; probation lasts 12
  months from the ceremony; the cell's review (and the committee's recognition) is due within 30
  working days after the 12 months.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

from domain.errors import UserError
from domain.holidays import HOLIDAYS
from domain.membership import add_months, probation_end

CEREMONY_WORKING_DAYS = 30  # the ceremony after the committee's decision
REVIEW_WORKING_DAYS = 30  # the cell's review after the 12 months of probation
CERTIFICATE_MONTHS = 60  # the class certificate is valid 5 years
CERTIFICATE_WARNING = timedelta(days=90)  # warn this long before the certificate lapses
AHEAD = timedelta(days=7)  # a deadline this close is "near": the secretary is reminded
MIN_AGE, MAX_AGE = 18, 60  # age at admission (by birth year: the bot knows no birthday)


class CandidateStage(StrEnum):
    """Where a candidate stands: the last step recorded."""

    SOURCE = "source"  # on the cell's source list (danh sách quần chúng ưu tú)
    CLASS = "class"  # attended the class (lớp bồi dưỡng nhận thức về Đảng), certificate dated
    APPLICATION = "application"  # application and personal history received (đơn, lý lịch)
    INTRODUCED = "introduced"  # two introducers named
    VOTED = "voted"  # the cell voted, ≥ 2/3 of its official members agreeing
    DECIDED = "decided"  # the committee's resolution and admission decision
    ADMITTED = "admitted"  # the ceremony held: a probationary member of the cell


STAGES = tuple(CandidateStage)
STAGE_NAMES = {
    CandidateStage.SOURCE: "trong danh sách nguồn",
    CandidateStage.CLASS: "đã học lớp nhận thức về Đảng",
    CandidateStage.APPLICATION: "đã nộp đơn, lý lịch",
    CandidateStage.INTRODUCED: "đã có người giới thiệu",
    CandidateStage.VOTED: "chi bộ đã biểu quyết",
    CandidateStage.DECIDED: "đã có quyết định kết nạp",
    CandidateStage.ADMITTED: "đã kết nạp",
}
NEXT_STEP = {  # what the secretary (or the committee) records next, as the command says it
    CandidateStage.SOURCE: "học lớp nhận thức về Đảng (/nguon {n} lop dd/mm/yyyy)",
    CandidateStage.CLASS: "nộp đơn, lý lịch (/nguon {n} don dd/mm/yyyy)",
    CandidateStage.APPLICATION: "hai người giới thiệu (/nguon {n} gioithieu <tên>, <tên>)",
    CandidateStage.INTRODUCED: "chi bộ biểu quyết (/nguon {n} chibo <tán thành>/<số đảng viên chính thức> dd/mm/yyyy)",
    CandidateStage.VOTED: "đảng ủy ra quyết định (/nguon {n} quyetdinh dd/mm/yyyy)",
    CandidateStage.DECIDED: "lễ kết nạp (/nguon {n} ketnap dd/mm/yyyy)",
    CandidateStage.ADMITTED: "",
}


# -- working days and dates --------------------------------------------------------------------------

def is_working_day(day: date, holidays: frozenset[date] = HOLIDAYS) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, count: int, holidays: frozenset[date] = HOLIDAYS) -> date:
    """The `count`-th working day after `start` (`start` itself not counted, whatever it is)."""
    day = start
    left = count
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            left -= 1
    return day


@lru_cache(maxsize=4096)  # the planner asks for every open deadline at each pass
def ceremony_due(decided_on: date) -> date:
    """The last day the admission ceremony may be held."""
    return add_working_days(decided_on, CEREMONY_WORKING_DAYS)


@lru_cache(maxsize=4096)
def review_due(admitted_on: date) -> date:
    """The last day for the cell's review of a probationary member (then the committee recognises)."""
    return add_working_days(probation_end(admitted_on), REVIEW_WORKING_DAYS)


def certificate_last_day(issued_on: date) -> date:
    """The last day a class certificate is valid (5 years, the day before the anniversary)."""
    return add_months(issued_on, CERTIFICATE_MONTHS) - timedelta(days=1)


def certificate_valid(issued_on: date, on: date) -> bool:
    return issued_on <= on <= certificate_last_day(issued_on)


def vote_passes(agree: int, officials: int) -> bool:
    """At least two thirds of the cell's official members agree (exactly, no rounding)."""
    return officials > 0 and 0 <= agree <= officials and 3 * agree >= 2 * officials


def votes_needed(officials: int) -> int:
    """The fewest agreeing votes that pass: 2/3 of the official members, rounded up."""
    return -(-2 * officials // 3)


def age_problem(birth_year: int, year: int) -> str | None:
    """Why a person born in `birth_year` cannot be admitted in `year` by age (18–60), else None."""
    age = year - birth_year
    if age < MIN_AGE:
        return f"năm {year} mới {age} tuổi (kết nạp từ đủ {MIN_AGE} tuổi)"
    if age > MAX_AGE:
        return f"năm {year} đã {age} tuổi (kết nạp đến {MAX_AGE} tuổi)"
    return None


# -- a candidate's path ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Progress:
    """The dates of a candidate's steps (None: not yet). `listed` is the day they entered the source list."""

    listed: date
    class_on: date | None = None  # the certificate's date
    application: date | None = None
    introduced: date | None = None
    voted: date | None = None
    decided: date | None = None
    admitted: date | None = None

    @property
    def stage(self) -> CandidateStage:
        reached = CandidateStage.SOURCE
        for stage, day in zip(STAGES[1:], self._dates()[1:], strict=True):
            if day is not None:
                reached = stage
        return reached

    def _dates(self) -> list[date | None]:
        return [getattr(self, f.name) for f in fields(self)]

    def dated(self, stage: CandidateStage) -> date | None:
        return self._dates()[STAGES.index(stage)]

    def record(self, stage: CandidateStage, on: date, today: date) -> Progress:
        """The progress with `stage` dated `on`; refused (UserError, saying what comes first) when a
        step before it is missing, a date is before the step before it, or in the future, or the
        step after it is already recorded. A step may be recorded again (a correction)."""
        if on > today:
            raise UserError(f"Ngày {on:%d/%m/%Y} chưa tới: chỉ ghi việc đã làm (đến hôm nay {today:%d/%m/%Y}).")
        index = STAGES.index(stage)
        if index + 1 < len(STAGES) and self.dated(STAGES[index + 1]) is not None:
            raise UserError(f"Bước sau đã ghi ({STAGE_NAMES[STAGES[index + 1]]}): không sửa được bước này nữa.")
        for earlier in reversed(STAGES[1:index]):  # a class attended before the listing is fine
            day = self.dated(earlier)
            if day is None:
                raise UserError(f"Chưa ghi bước trước: {STAGE_NAMES[STAGES[index - 1]].removeprefix('đã ')}.")
            if on < day:
                raise UserError(f"Ngày {on:%d/%m/%Y} trước ngày của bước trước ({STAGE_NAMES[earlier]}: "
                                f"{day:%d/%m/%Y}). Vui lòng kiểm tra lại ngày.")
            break
        name = {CandidateStage.CLASS: "class_on"}.get(stage, str(stage))
        return replace(self, **{name: on})


class DeadlineKind(StrEnum):
    CEREMONY = "ceremony"  # lễ kết nạp, within 30 working days of the decision
    REVIEW = "review"  # chi bộ xét công nhận chính thức, within 30 working days after probation
    CERTIFICATE = "certificate"  # the class certificate lapses before the candidate is admitted


DEADLINE_NAMES = {
    DeadlineKind.CEREMONY: "tổ chức lễ kết nạp",
    DeadlineKind.REVIEW: "chi bộ xét, đề nghị công nhận đảng viên chính thức",
    DeadlineKind.CERTIFICATE: "giấy chứng nhận lớp nhận thức về Đảng còn hiệu lực",
}


class DeadlineState(StrEnum):
    AHEAD = "ahead"
    NEAR = "near"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class Deadline:
    """An open deadline: `due` is the last day allowed; `warn_from` the day reminders begin."""

    kind: DeadlineKind
    due: date

    @property
    def warn_from(self) -> date:
        return self.due - (CERTIFICATE_WARNING if self.kind is DeadlineKind.CERTIFICATE else AHEAD)

    def state(self, today: date) -> DeadlineState:
        if today > self.due:
            return DeadlineState.MISSED
        return DeadlineState.NEAR if today >= self.warn_from else DeadlineState.AHEAD


def candidate_deadlines(progress: Progress) -> list[Deadline]:
    """The candidate's open deadlines: the ceremony once decided; the certificate until admitted."""
    if progress.admitted is not None:
        return []
    found = []
    if progress.class_on is not None:
        found.append(Deadline(DeadlineKind.CERTIFICATE, certificate_last_day(progress.class_on)))
    if progress.decided is not None:
        found.append(Deadline(DeadlineKind.CEREMONY, ceremony_due(progress.decided)))
    return found


def probation_deadline(admitted_on: date) -> Deadline:
    """A probationary member's open deadline: the review after the 12 months."""
    return Deadline(DeadlineKind.REVIEW, review_due(admitted_on))
