"""Tallies behind `/tonghop`: grouped SQL over indexed columns, one row per cell, never per member.

The same grouped queries serve one cell and a committee of a hundred cells (`GROUP BY cell_id`);
a committee's totals are the sum of its cells' tallies, so its lines always add up. Names (who
did not report...) are listed for one cell only: `storage.summary_names`.

Counting rules (domain.md; the rules themselves live in `domain/`):
- who belonged to a cell, and in which state, is read from the membership history on the
  period's reference day (its last day, or today while it runs): the total (đảng số) counts every
  state; exempt members, and those temporarily transferred out, are not expected at meetings nor
  to report; who is rated is `domain.review` applied to the state then;
- attendance comes from the roll call of ended meetings; a meeting without one counts nowhere;
  each meeting's totals, and each cell's reports per month and kind, are read from the tallies
  kept beside the rows (storage/tallies.py), not counted again on every summary;
- ratings count at the latest stage the cell has reached (final, else the cell's proposal, else
  the self-assessments), over the members to be rated; a committee adds up its cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, literal_column, select, text
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import meeting_rules, membership
from domain.periods import Period, local_midnight, month_starts
from domain.vocabulary import LATEST_FIRST, REPORT_KINDS, Level, MeetingStatus, Presence, Status
from storage.assessments import Assessment, reviewed_clause
from storage.meetings import Attendance, Meeting
from storage.membership import MembershipSpan, counted_on
from storage.reports import Report
from storage.tables import ChatAccount, Member
from storage.tallies import REPORTS as KEPT_REPORTS
from storage.tallies import ROLL_CALL as KEPT_ROLL_CALL
from storage.types import table_of

_MEMBER = table_of(Member)
_REPORT = table_of(Report)
_MEETING = table_of(Meeting)
_ATTENDANCE = table_of(Attendance)
_ASSESSMENT = table_of(Assessment)
_ACCOUNT = table_of(ChatAccount)
_SPAN = table_of(MembershipSpan)

CHART_MONTHS = 12
OTHER = "other"


@dataclass(frozen=True, slots=True)
class MeetingTally:
    """One ended meeting's roll call (exempt members left out). Without a roll call (`roll_call`
    False) the counts are all 0 and the meeting counts in no rate: "chưa điểm danh"."""

    id: int
    cell_id: int
    kind: str
    starts_at: datetime
    present: int
    excused: int
    absent: int
    roll_call: bool = True

    @property
    def expected(self) -> int:
        return self.present + self.excused + self.absent

    @property
    def good(self) -> bool:
        return meeting_rules.meets_quality(self.present, self.expected, self.absent)


@dataclass(slots=True)
class Tally:
    """A cell's figures for a period, or (summed by `combine`) a committee's."""

    cell_id: int | None
    name: str
    statuses: dict[str, int] = field(default_factory=dict)  # status -> active members
    admitted_in_period: int = 0
    admitted_in_year: int = 0
    members_at_year_start: int = 0  # members on 31/12 of the previous year (admitted before)
    reporters: int = 0  # members expected to report who did
    to_be_rated: int = 0  # members the review rates (domain.review.is_reviewed): every rate's denominator
    not_reviewed: int = 0  # members of the period who are not rated (exempt, suspended, admitted < 6 months)
    no_account: int = 0  # never linked a messenger account
    unreachable: int = 0  # every linked account refused our messages
    due_recognition: int = 0  # probationary, 12 months complete within 30 days (or already)
    long_absent: dict[int, list[int]] = field(default_factory=dict)  # member -> its ≥ 3 months of the year
    long_excused: dict[int, int] = field(default_factory=dict)  # member -> longest run (> 3) excused in a row
    meetings: list[MeetingTally] = field(default_factory=list)  # held in the period with a roll call (add_meeting)
    without_roll_call: list[MeetingTally] = field(default_factory=list)  # ended in the period, never roll-called
    present: int = 0  # over the period's meetings
    expected: int = 0
    good_meetings: int = 0
    months: dict[date, tuple[int, int]] = field(default_factory=dict)  # month -> (present, expected)
    reports: dict[str, int] = field(default_factory=dict)  # kind -> reports in the period
    ratings: dict[str, dict[str, int]] = field(default_factory=dict)  # stage -> level -> count
    latest_stage: str | None = None  # for a cell; None for a committee's sum
    latest: dict[str, int] = field(default_factory=dict)  # level -> count at the latest stage
    cells: int = 1

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def count(self, status: str) -> int:
        return self.statuses.get(status, 0)

    @property
    def expected_members(self) -> int:
        """Members expected at meetings, to report and to be rated: all but the exempt."""
        return self.total - self.count(Status.EXEMPT)

    def add_meeting(self, meeting: MeetingTally) -> None:
        """A meeting held in the period; its counts join the sums (kept, not recomputed: a
        committee's hundred cells are sorted and printed by them)."""
        self.meetings.append(meeting)
        self.present += meeting.present
        self.expected += meeting.expected
        self.good_meetings += meeting.good

    @property
    def report_count(self) -> int:
        return sum(self.reports.values())

    def rated(self, stage: str) -> int:
        return sum(self.ratings.get(stage, {}).values())

    @property
    def latest_rated(self) -> int:
        return sum(self.latest.values())

    @property
    def good_or_better(self) -> int:
        return self.latest.get(Level.EXCELLENT, 0) + self.latest.get(Level.GOOD, 0)


def combine(name: str, parts: Sequence[Tally]) -> Tally:
    """A committee's tally: the sum of its cells' (ratings at each cell's own latest stage)."""
    total = Tally(None, name, cells=len(parts))
    for part in parts:
        _add(total.statuses, part.statuses)
        _add(total.reports, part.reports)
        _add(total.latest, part.latest)
        for stage, levels in part.ratings.items():
            _add(total.ratings.setdefault(stage, {}), levels)
        for month, (present, expected) in part.months.items():
            was = total.months.get(month, (0, 0))
            total.months[month] = (was[0] + present, was[1] + expected)
        total.meetings.extend(part.meetings)
        total.without_roll_call.extend(part.without_roll_call)
        total.long_absent.update(part.long_absent)
        total.long_excused.update(part.long_excused)
        for name_ in ("admitted_in_period", "admitted_in_year", "members_at_year_start", "reporters",
                      "to_be_rated", "not_reviewed",
                      "no_account", "unreachable", "due_recognition", "present", "expected", "good_meetings"):
            setattr(total, name_, getattr(total, name_) + getattr(part, name_))
    return total


def _add(into: dict[Any, int], values: dict[Any, int]) -> None:
    for key, value in values.items():
        into[key] = into.get(key, 0) + value


def chart_window(period: Period, today: date) -> list[date]:
    """The months the chart shows: the twelve ending with the period's last month (or this month)."""
    return month_starts(min(period.end - timedelta(days=1), today), CHART_MONTHS)


async def tallies(
    session: AsyncSession, cells: Sequence[tuple[int, str]], period: Period, today: date, tz: ZoneInfo
) -> list[Tally]:
    """One tally per cell, in the order given; the same queries whatever the number of cells."""
    found = {cell_id: Tally(cell_id, name) for cell_id, name in cells}
    ids = list(found)
    if not ids:
        return []
    if len(ids) > 1:
        await plan_for_many_cells(session)
    await _members(session, found, ids, period, today)
    await _meetings(session, found, ids, period, today, tz)
    await _long_absences(session, found, ids, period.year, tz)
    await _reports(session, found, ids, period)
    await _ratings(session, found, ids, period, today)
    return [found[cell_id] for cell_id in ids]


async def plan_for_many_cells(session: AsyncSession) -> None:
    """On PostgreSQL, plans fit for a committee's queries, for the rest of this transaction.

    - `jit = off`: the grouped queries have high planner costs (many index probes) but run in
      milliseconds; compiling them took some 30 ms per statement, more than running them.
    - no parallel workers: starting them cost more than they saved.
    - `plan_cache_mode = force_custom_plan`: asyncpg prepares statements, and after five runs
      PostgreSQL may switch to a generic plan that ignores the actual cell ids and dates; the
      committee summary then took twice as long (160 ms instead of 80 in bench/).
    `SET LOCAL` ends with the transaction (the message's). One cell's queries need none of this.
    """
    if session.get_bind().dialect.name == "postgresql":
        for setting in ("jit = off", "max_parallel_workers_per_gather = 0", "plan_cache_mode = force_custom_plan"):
            await session.execute(text(f"SET LOCAL {setting}"))


# -- members -----------------------------------------------------------------------------------

def _between(column: Any, start: Any, end: Any) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _sum(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def account_counts(member_ids: Any) -> Any:
    """Per member (of the `member_ids` subquery): linked accounts, and those not marked unreachable.

    A grouped subquery joined once, rather than EXISTS in the select list: PostgreSQL cannot turn
    the latter into a join and hashed the whole account table three times.
    """
    account = _ACCOUNT.c
    return (
        select(account.member_id, func.count().label("accounts"),
               func.count(case((account.unreachable_since.is_(None), 1))).label("reachable"))
        .where(account.member_id.in_(member_ids))
        .group_by(account.member_id)
        .subquery()
    )


def reference_day(period: Period, today: date) -> date:
    """The day a period's membership is read on: its last day, or today while it runs. Who
    belonged to the cell, and in which state, comes from the membership spans on that day, so a
    December summary printed in March is unchanged by a transfer in February."""
    return min(period.end - timedelta(days=1), today)


def expected_then(span: Any) -> ColumnElement[bool]:
    """SQL: on the span, the member was expected at meetings and to report (not exempt, not away)."""
    return and_(span.status != Status.EXEMPT, ~span.away)


async def _members(session: AsyncSession, found: dict[int, Tally], ids: list[int], period: Period,
                   today: date) -> None:
    """Membership, reporting and who is rated over the members of each cell on the period's
    reference day (from history); reachability and probation over today's members (warnings are
    about now); the admissions target's base from the members on 31/12 of the previous year."""
    span, member = _SPAN.c, _MEMBER.c
    year_start = date(period.year, 1, 1)
    reviewed = reviewed_clause(span.status, member.admitted_on, period.review)
    # A report counts for the cell it was made in: one who reported and then moved is not a
    # reporter of the new cell (the report itself stays with the old one).
    reported = exists().where(_REPORT.c.member_id == member.id, _REPORT.c.cell_id == span.cell_id,
                              _between(_REPORT.c.done_on, period.start, period.end))
    then = (
        select(
            span.cell_id, span.status, func.count().label("n"),
            _sum(_between(member.admitted_on, period.start, period.end)).label("admitted_in_period"),
            _sum(_between(member.admitted_on, year_start, date(period.year + 1, 1, 1))).label("admitted_in_year"),
            _sum(and_(expected_then(span), reported)).label("reporters"),
            _sum(reviewed).label("to_be_rated"),
            _sum(~reviewed).label("not_reviewed"),
        )
        .select_from(_SPAN.join(_MEMBER, member.id == span.member_id))
        .where(span.cell_id.in_(ids), counted_on(span, reference_day(period, today)))
        .group_by(span.cell_id, span.status)
    )
    for row in await session.execute(then):
        tally = found[row.cell_id]
        tally.statuses[row.status] = tally.statuses.get(row.status, 0) + int(row.n)
        tally.admitted_in_period += int(row.admitted_in_period)
        tally.admitted_in_year += int(row.admitted_in_year)
        tally.reporters += int(row.reporters)
        tally.to_be_rated += int(row.to_be_rated)
        tally.not_reviewed += int(row.not_reviewed)
    at_start = (
        select(span.cell_id, func.count().label("n"))
        .where(span.cell_id.in_(ids), counted_on(span, year_start - timedelta(days=1)))
        .group_by(span.cell_id)
    )
    for row in await session.execute(at_start):
        found[row.cell_id].members_at_year_start = int(row.n)
    accounts = account_counts(select(member.id).where(member.cell_id.in_(ids)))
    any_account = accounts.c.accounts.is_not(None)
    now = (
        select(
            member.cell_id,
            _sum(~any_account).label("no_account"),
            _sum(and_(any_account, ~(accounts.c.reachable > 0))).label("unreachable"),
            _sum(and_(member.status == Status.PROBATIONARY,
                      member.admitted_on <= membership.latest_admission_due(today))).label("due"),
        )
        .select_from(_MEMBER.outerjoin(accounts, accounts.c.member_id == member.id))
        .where(member.cell_id.in_(ids), member.active)
        .group_by(member.cell_id)
    )
    for row in await session.execute(now):
        tally = found[row.cell_id]
        tally.no_account = int(row.no_account)
        tally.unreachable = int(row.unreachable)
        tally.due_recognition = int(row.due)


# -- meetings and attendance --------------------------------------------------------------------

def _exempt_ids(ids: list[int]) -> Any:
    return select(_MEMBER.c.id).where(_MEMBER.c.cell_id.in_(ids), _MEMBER.c.status == Status.EXEMPT)


async def _meetings(session: AsyncSession, found: dict[int, Tally], ids: list[int], period: Period,
                    today: date, tz: ZoneInfo) -> None:
    """Ended meetings of the chart's twelve months (which include the period), with their roll call.
    Meetings without a roll call count in no rate and no month: they are listed apart."""
    months = chart_window(period, today)
    window_start = local_midnight(months[0], tz)
    period_start, period_end = period.instants(tz)
    window_end = max(period_end, local_midnight(_next_month(months[-1]), tz))
    meeting, attendance, kept = _MEETING.c, _ATTENDANCE.c, KEPT_ROLL_CALL.c
    in_window = and_(meeting.cell_id.in_(ids), meeting.status == MeetingStatus.ENDED,
                     _between(meeting.starts_at, min(window_start, period_start), window_end))
    # Each meeting's totals as kept beside its rows (storage/tallies.py): no attendance row is read.
    counts = (
        select(
            meeting.id, meeting.cell_id, meeting.kind, meeting.starts_at, meeting.roll_call_at,
            func.coalesce(kept.present, 0).label("present"), func.coalesce(kept.excused, 0).label("excused"),
            func.coalesce(kept.absent, 0).label("absent"),
        )
        .select_from(_MEETING.outerjoin(KEPT_ROLL_CALL, kept.meeting_id == meeting.id))
        .where(in_window)
    )
    # Exempt members are not expected: their rows (if any were made) are taken off again. Both
    # databases start from the few exempt members (member index by cell and status), then their rows.
    # With a condition on the meetings too, SQLite walked every attendance row of the window by
    # the meeting index (25 ms at a committee's year) instead of the exempt members' few rows:
    # the rows of meetings outside the window are simply never looked up.
    exempt = (
        select(attendance.meeting_id, attendance.status, func.count().label("n"))
        .where(attendance.member_id.in_(_exempt_ids(ids)), attendance.status.is_not(None))
        .group_by(attendance.meeting_id, attendance.status)
    )
    off: dict[int, dict[str, int]] = {}
    for row in await session.execute(exempt):
        off.setdefault(row.meeting_id, {})[row.status] = row.n
    for row in await session.execute(counts):
        cell = found[row.cell_id]
        if row.roll_call_at is None:
            if period_start <= row.starts_at < period_end:
                cell.without_roll_call.append(MeetingTally(row.id, row.cell_id, row.kind, row.starts_at, 0, 0, 0,
                                                           roll_call=False))
            continue
        less = off.get(row.id, {})
        tally = MeetingTally(
            row.id, row.cell_id, row.kind, row.starts_at,
            row.present - less.get(Presence.PRESENT, 0), row.excused - less.get(Presence.EXCUSED, 0),
                row.absent - less.get(Presence.ABSENT, 0),
        )
        if period_start <= row.starts_at < period_end:
            cell.add_meeting(tally)
        month = row.starts_at.astimezone(tz).date().replace(day=1)
        if months[0] <= month <= months[-1]:
            was = cell.months.get(month, (0, 0))
            cell.months[month] = (was[0] + tally.present, was[1] + tally.expected)
    for cell in found.values():
        cell.meetings.sort(key=lambda m: (m.starts_at, m.id))
        cell.without_roll_call.sort(key=lambda m: (m.starts_at, m.id))


def _next_month(first: date) -> date:
    return date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)


def by_member(column: Any) -> Any:
    """SQL: `column + 0`, labelled as the column, to group attendance rows by member. Grouped by
    the bare column, SQLite walks the whole (member_id, status) index in order rather than sort
    the few rows the (meeting_id, status) index finds: 12 ms instead of 6 at a committee's year."""
    return (column + literal_column("0")).label(column.name)


async def absences(session: AsyncSession, ids: list[int], year: int, tz: ZoneInfo, *,
                   at_least: int = 1) -> dict[int, dict[int, list[int]]]:
    """Cell -> member -> the local months (1–12) of `year` with an unexcused absence at an ended
    meeting with a roll call (one without has no attendance); exempt members left out. Only members
    absent at `at_least` meetings or more are listed (a month needs a meeting, so the year's warning,
    three months, asks for at least three).

    Three steps on purpose: the year's meetings first (a few per cell, by the (cell_id, starts_at)
    index), then who was absent at least `at_least` times (counted in SQL by the (meeting_id,
    status) index: 89 members instead of 4,552 rows at a committee's year), then only their rows.
    As one join, PostgreSQL preferred to scan the whole attendance table for a committee's year.
    """
    meeting, attendance = _MEETING.c, _ATTENDANCE.c
    start, end = local_midnight(date(year, 1, 1), tz), local_midnight(date(year + 1, 1, 1), tz)
    held = await session.execute(
        select(meeting.id, meeting.cell_id, meeting.starts_at)
        .where(meeting.cell_id.in_(ids), meeting.status == MeetingStatus.ENDED, meeting.roll_call_at.is_not(None),
               _between(meeting.starts_at, start, end))
    )
    month_of = {row.id: (row.cell_id, row.starts_at.astimezone(tz).month) for row in held}
    found: dict[int, dict[int, list[int]]] = {}
    if not month_of:
        return found
    absent = and_(attendance.meeting_id.in_(list(month_of)), attendance.status == Presence.ABSENT,
                  attendance.member_id.not_in(_exempt_ids(ids)))
    if at_least > 1:
        often = await session.execute(
            select(by_member(attendance.member_id)).where(absent).group_by(by_member(attendance.member_id))
            .having(func.count() >= at_least))
        candidates = [row.member_id for row in often]
        if not candidates:
            return found
        absent = and_(absent, attendance.member_id.in_(candidates))
    for row in await session.execute(select(attendance.meeting_id, attendance.member_id).where(absent)):
        cell_id, month = month_of[row.meeting_id]
        months = found.setdefault(cell_id, {}).setdefault(row.member_id, [])
        if month not in months:
            months.append(month)
    for members in found.values():
        for months in members.values():
            months.sort()
    return found


async def _long_absences(session: AsyncSession, found: dict[int, Tally], ids: list[int], year: int,
                         tz: ZoneInfo) -> None:
    """The year's warnings: months without reason (removal to consider), and excused more than
    3 times in a row (attendance below the bar), for the cells' current members."""
    removal = meeting_rules.REMOVAL_MONTHS
    for cell_id, members in (await absences(session, ids, year, tz, at_least=removal)).items():
        found[cell_id].long_absent = {member_id: months for member_id, months in members.items()
                                      if len(months) >= removal}
    for cell_id, runs in (await excused_runs(session, ids, year, tz)).items():
        found[cell_id].long_excused = runs


async def excused_runs(session: AsyncSession, ids: list[int], year: int, tz: ZoneInfo) -> dict[int, dict[int, int]]:
    """Cell -> member -> the longest run of meetings in a row they missed excused in `year`, when
    longer than 3 (domain.md); current, non-exempt members, ended meetings with a roll call.

    Two steps: the few members excused more than 3 times in the year at all (counted by the
    (meeting_id, status) index), then only their statuses in order; a member's run is over the
    meetings at which they had a status (one they were not expected at does not break it).
    """
    meeting, attendance, member = _MEETING.c, _ATTENDANCE.c, _MEMBER.c
    start, end = local_midnight(date(year, 1, 1), tz), local_midnight(date(year + 1, 1, 1), tz)
    held = and_(meeting.cell_id.in_(ids), meeting.status == MeetingStatus.ENDED, meeting.roll_call_at.is_not(None),
                _between(meeting.starts_at, start, end))
    current = select(member.id).where(member.cell_id.in_(ids), member.active, member.status != Status.EXEMPT)
    often = (
        select(by_member(attendance.member_id))
        .where(attendance.meeting_id.in_(select(meeting.id).where(held)), attendance.status == Presence.EXCUSED,
               attendance.member_id.in_(current))
        .group_by(by_member(attendance.member_id))
        .having(func.count() > meeting_rules.EXCUSED_RUN)
    )
    candidates = [row.member_id for row in await session.execute(often)]
    found: dict[int, dict[int, int]] = {}
    if not candidates:
        return found
    rows = await session.execute(
        select(attendance.member_id, member.cell_id, attendance.status)
        .select_from(_ATTENDANCE.join(_MEETING, meeting.id == attendance.meeting_id)
                     .join(_MEMBER, member.id == attendance.member_id))
        .where(held, attendance.member_id.in_(candidates), attendance.status.is_not(None))
        .order_by(attendance.member_id, meeting.starts_at, meeting.id)
    )
    sequences: dict[tuple[int, int], list[str]] = {}
    for row in rows:
        sequences.setdefault((row.cell_id, row.member_id), []).append(row.status)
    for (cell_id, member_id), statuses in sequences.items():
        longest = meeting_rules.longest_run(statuses, Presence.EXCUSED)
        if longest > meeting_rules.EXCUSED_RUN:
            found.setdefault(cell_id, {})[member_id] = longest
    return found


# -- reports and ratings --------------------------------------------------------------------------

async def _reports(session: AsyncSession, found: dict[int, Tally], ids: list[int], period: Period) -> None:
    """Reports per cell and kind, from the monthly counts kept beside the reports
    (storage/tallies.py: a report counts for the cell and the month of `done_on` it was stored
    with, as here): a period is whole months, so its months' sums are its counts. A kind this
    code does not know (none today) is counted as "other"."""
    kept = KEPT_REPORTS.c
    query = (
        select(kept.cell_id, kept.kind, func.sum(kept["count"]).label("n"))
        .where(kept.cell_id.in_(ids), _between(kept.month, period.start, period.end))
        .group_by(kept.cell_id, kept.kind)
    )
    known = set(REPORT_KINDS)
    for row in await session.execute(query):
        kind = row.kind if row.kind in known else OTHER
        counts = found[row.cell_id].reports
        counts[kind] = counts.get(kind, 0) + int(row.n)
    for tally in found.values():
        tally.reports = {kind: count for kind, count in tally.reports.items() if count}


async def _ratings(session: AsyncSession, found: dict[int, Tally], ids: list[int], period: Period,
                   today: date) -> None:
    """Ratings of the members the review rates, by cell, stage and level, over the same members
    as the denominator (`to_be_rated`): those of the cell on the reference day, in the state they
    were in then. A rating left on a member not rated (exempted since, say) counts in no figure."""
    rating, member, span = _ASSESSMENT.c, _MEMBER.c, _SPAN.c
    review = period.review
    query = (
        select(rating.cell_id, rating.stage, rating.level, func.count().label("n"))
        .select_from(_ASSESSMENT.join(_SPAN, and_(span.member_id == rating.member_id, span.cell_id == rating.cell_id))
                     .join(_MEMBER, member.id == rating.member_id))
        .where(rating.cell_id.in_(ids), rating.period == review.key, counted_on(span, reference_day(period, today)),
               reviewed_clause(span.status, member.admitted_on, review))
        .group_by(rating.cell_id, rating.stage, rating.level)
    )
    for row in await session.execute(query):
        found[row.cell_id].ratings.setdefault(row.stage, {})[row.level] = row.n
    for tally in found.values():
        tally.latest_stage = next((stage for stage in LATEST_FIRST if tally.rated(stage)), None)
        tally.latest = dict(tally.ratings.get(tally.latest_stage, {})) if tally.latest_stage else {}

