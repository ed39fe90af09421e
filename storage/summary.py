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

import asyncio
from bisect import bisect_right
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, DateTime, Integer, and_, case, func, literal_column, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.pool import AssertionPool, SingletonThreadPool, StaticPool
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import meeting_rules, membership
from domain.periods import Period, local_midnight, month_starts
from domain.review import review_cutoff
from domain.vocabulary import LATEST_FIRST, REPORT_KINDS, Level, MeetingStatus, Presence, Status
from storage.assessments import Assessment, reviewed_before
from storage.lane import Sql, as_datetime, lane
from storage.meetings import Attendance, Meeting
from storage.membership import MembershipSpan, counted_on
from storage.prepared import Prepared, among, param
from storage.reports import Report
from storage.tables import ChatAccount, Member
from storage.tallies import MEMBER_REPORTS as KEPT_MEMBER_REPORTS
from storage.tallies import MONTHS as MEMBER_MONTHS
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
    """One tally per cell, in the order given; the same queries whatever the number of cells.

    One cell's reads are short whatever the data (a cell's rows, by index): on SQLite they run on
    the loop's thread. A committee's may take milliseconds: they run side by side on
    connections of their own (`_side_by_side`; on SQLite each on its aiosqlite thread)."""
    found = {cell_id: Tally(cell_id, name) for cell_id, name in cells}
    ids = list(found)
    if not ids:
        return []
    long = len(ids) > 1
    lanes: list[list[Section]] = [  # the longest first, each lane about as long as another (bench/)
        [lambda read: _members(read, found, period, today), lambda read: _members_now(read, found, today)],
        [lambda read: _long_absences(read, found, period.year, tz)],
        [lambda read: _ratings(read, found, period, today)],
        [lambda read: _meetings(read, found, period, today, tz), lambda read: _reports(read, found, period)],
    ]
    if long and _SIDE_BY_SIDE.free() and _pooled(session):
        with _SIDE_BY_SIDE:
            await _side_by_side(session, ids, lanes)
    else:
        if long:
            await plan_for_many_cells(session)
        else:
            await plan_for_one_cell(session)
        read = _Reader(session, ids, long)
        for lane_sections in lanes:
            for section in lane_sections:
                await section(read)
    return [found[cell_id] for cell_id in ids]


Section = Callable[["_Reader"], Awaitable[None]]


class _Slots:
    """How many committee summaries of this process may read side by side at once: each holds
    four connections of the pool besides its message's. Over that, a summary reads in turn on
    its message's connection (as a cell's does): never waiting for connections another summary
    holds while it holds one itself."""

    def __init__(self, count: int) -> None:
        self.count = count

    def free(self) -> bool:
        return self.count > 0

    def __enter__(self) -> None:
        self.count -= 1

    def __exit__(self, *_exc: object) -> None:
        self.count += 1


_SIDE_BY_SIDE = _Slots(1)


def _pooled(session: AsyncSession) -> bool:
    """Whether another session gets a connection of its own: not so for a SQLite database in
    memory, whose one connection every session shares (a reader's rollback would be the message's)."""
    bind = session.get_bind()
    return isinstance(bind, Engine) and not isinstance(bind.pool, StaticPool | SingletonThreadPool | AssertionPool)


async def _side_by_side(session: AsyncSession, ids: list[int], lanes: list[list[Section]]) -> None:
    """A committee's reads, its lanes side by side, each on a connection of the pool in a
    transaction of its own (rolled back: it only reads).

    Why: a committee's year is some ten grouped reads of 1–40 ms each, independent of one another;
    one after the other they left the second core idle. PostgreSQL runs each connection's reads in
    a process of its own; on SQLite each connection has its thread, and sqlite3 lets go of the GIL
    while SQLite works; readers in WAL mode do not wait for the writer (the message holds the write
    lock: it marked its update). Nothing is lost in consistency: each read was its own snapshot
    before too (PostgreSQL at READ COMMITTED; SQLite reads of committed data), and what the message
    wrote (its update's mark) is in none of these figures. Each section writes figures of its own
    into the tallies."""
    engine = session.bind
    assert engine is not None

    async def lane_of(own: list[Section]) -> None:
        async with AsyncSession(engine, expire_on_commit=False) as reader:
            await plan_for_many_cells(reader)
            read = _Reader(reader, ids, True)
            for section in own:
                await section(read)
            await reader.rollback()

    done = await asyncio.gather(*(lane_of(own) for own in lanes), return_exceptions=True)
    for outcome in done:
        if isinstance(outcome, BaseException):
            raise outcome


class _Reader:
    """Runs the prepared reads of one summary over its cells (`ids`, one parameter)."""

    __slots__ = ("ids", "long", "session")

    def __init__(self, session: AsyncSession, ids: list[int], long: bool) -> None:
        self.session, self.ids, self.long = session, ids, long

    async def __call__(self, statement: Prepared, **values: Any) -> list[tuple[Any, ...]]:
        return await statement.all(self.session, long=self.long, ids=self.ids, **values)


_INDEXED = "SET LOCAL random_page_cost = 1.1"
_PLANS = Sql(f"{_INDEXED}; SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0; "
             "SET LOCAL plan_cache_mode = force_custom_plan")
_PLANS_ONE = Sql(f"{_INDEXED}; SET LOCAL plan_cache_mode = force_custom_plan")


async def plan_for_many_cells(session: AsyncSession) -> None:
    """On PostgreSQL, plans fit for a committee's queries, for the rest of this transaction.

    - `jit = off`: the grouped queries have high planner costs (many index probes) but run in
      milliseconds; compiling them took some 30 ms per statement, more than running them.
    - no parallel workers: starting them cost more than they saved.
    - `plan_cache_mode = force_custom_plan`: asyncpg prepares statements, and after five runs
      PostgreSQL may switch to a generic plan that ignores the actual cell ids and dates; the
      committee summary then took twice as long (160 ms instead of 80 in bench/).
    - `random_page_cost = 1.1`: as `plan_for_one_cell`.
    `SET LOCAL` ends with the transaction (the message's).
    """
    if session.get_bind().dialect.name == "postgresql":
        await (await lane(session)).run(_PLANS)


async def plan_for_one_cell(session: AsyncSession) -> None:
    """On PostgreSQL, for the rest of this transaction:

    - `random_page_cost = 1.1`: chibo's tables are read from memory (or SSD), where an index probe
      costs about as much as a page read in order. At the default (4, spinning disks) one cell's
      summary scanned the whole member and span tables rather than probe them for its hundred
      members (3 ms instead of 0.6 per read, growing with every committee added). Operators who
      set it for the database lose nothing here.
    - `plan_cache_mode = force_custom_plan`: a cell's reads are the committee's statements (the
      same text, prepared once per connection). After a few committee summaries PostgreSQL found
      the generic plan cheap beside their costly custom ones and kept it for cells too: a plan made
      for any number of cells, which scanned (one cell's `/tonghop` 23.5 → 12.4 ms in bench/).
    """
    if session.get_bind().dialect.name == "postgresql":
        await (await lane(session)).run(_PLANS_ONE)


# -- members -----------------------------------------------------------------------------------

def _between(column: Any, start: Any, end: Any) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _sum(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def reference_day(period: Period, today: date) -> date:
    """The day a period's membership is read on: its last day, or today while it runs. Who
    belonged to the cell, and in which state, comes from the membership spans on that day, so a
    December summary printed in March is unchanged by a transfer in February."""
    return min(period.end - timedelta(days=1), today)


def expected_then(span: Any) -> ColumnElement[bool]:
    """SQL: on the span, the member was expected at meetings and to report (not exempt, not away)."""
    return and_(span.status != Status.EXEMPT, ~span.away)


def _day(name: str) -> Any:
    return param(name, Date())


def _instant(name: str) -> Any:
    return param(name, DateTime(timezone=True))


def _members_then(months: tuple[int, ...]) -> Any:
    """Per cell and state on the reference day (`day`): members, admissions in the period and the
    year, reporters in the period's `months` (1–12) of `year`, and who the review rates (admitted
    by `cutoff`)."""
    span, member, counted = _SPAN.c, _MEMBER.c, KEPT_MEMBER_REPORTS.c
    start, end = _day("start"), _day("end")
    reviewed = reviewed_before(span.status, member.admitted_on, _day("cutoff"))
    # A report counts for the cell it was made in: one who reported and then moved is not a
    # reporter of the new cell (the report itself stays with the old one). Read from the
    # member's row of the year kept beside the reports (storage/tallies.py).
    reported = or_(*(counted[MEMBER_MONTHS[month - 1]] > 0 for month in months))
    return (
        select(
            span.cell_id, span.status, func.count().label("n"),
            _sum(_between(member.admitted_on, start, end)).label("admitted_in_period"),
            _sum(_between(member.admitted_on, _day("year_start"), _day("year_end"))).label("admitted_in_year"),
            _sum(and_(expected_then(span), reported)).label("reporters"),
            _sum(reviewed).label("to_be_rated"),  # the others are not reviewed: the count less these
        )
        .select_from(_SPAN.join(_MEMBER, member.id == span.member_id).outerjoin(
            KEPT_MEMBER_REPORTS, and_(counted.member_id == member.id, counted.cell_id == span.cell_id,
                                      counted.year == param("year", Integer()))))
        .where(among(span.cell_id, "ids"), counted_on(span, _day("day")))
        .group_by(span.cell_id, span.status)
    )


def _members_at() -> Any:
    span = _SPAN.c
    return (select(span.cell_id, func.count().label("n"))
            .where(among(span.cell_id, "ids"), counted_on(span, _day("day"))).group_by(span.cell_id))


def _members_today() -> Any:
    """Per cell, today's members, and the probationary ones due for recognition (admitted by `due`)."""
    member = _MEMBER.c
    return (
        select(member.cell_id, func.count(),
               _sum(and_(member.status == Status.PROBATIONARY, member.admitted_on <= _day("due"))))
        .where(among(member.cell_id, "ids"), member.active)
        .group_by(member.cell_id)
    )


def _reach_today() -> Any:
    """Per cell, today's members with a linked account, and those with one not marked unreachable.

    From the accounts to their members: those without an account are today's members less these,
    the unreachable those with an account less those with a reachable one. A grouped subquery of
    each member's accounts joined to every member read the accounts twice over (17 ms → 9 at a
    committee's 10,000 members on SQLite)."""
    member, account = _MEMBER.c, _ACCOUNT.c
    return (
        select(member.cell_id, func.count(account.member_id.distinct()),
               func.count(case((account.unreachable_since.is_(None), account.member_id)).distinct()))
        .select_from(_ACCOUNT.join(_MEMBER, member.id == account.member_id))
        .where(among(member.cell_id, "ids"), member.active)
        .group_by(member.cell_id)
    )


_MEMBERS_AT, _MEMBERS_TODAY, _REACH_TODAY = Prepared(_members_at), Prepared(_members_today), Prepared(_reach_today)
_MEMBERS_THEN: dict[tuple[int, ...], Prepared] = {}  # by the period's months: a month, a quarter, the year


def _members_then_of(period: Period) -> Prepared:
    months = tuple(range(period.start.month, (period.end - timedelta(days=1)).month + 1))
    found = _MEMBERS_THEN.get(months)
    if found is None:
        found = _MEMBERS_THEN[months] = Prepared(lambda: _members_then(months))
    return found


async def _members(read: _Reader, found: dict[int, Tally], period: Period, today: date) -> None:
    """Membership, reporting and who is rated over the members of each cell on the period's
    reference day (from history); the admissions target's base from the members on 31/12 of the
    previous year. Today's members: `_members_now`."""
    year_start = date(period.year, 1, 1)
    rows = await read(_members_then_of(period), day=reference_day(period, today), start=period.start,
                      end=period.end, year=period.year, year_start=year_start, year_end=date(period.year + 1, 1, 1),
                      cutoff=review_cutoff(period.review.last_day))
    for cell_id, status, n, admitted_in_period, admitted_in_year, reporters, to_be_rated in rows:
        tally = found[cell_id]
        tally.statuses[status] = tally.statuses.get(status, 0) + int(n)
        tally.admitted_in_period += int(admitted_in_period)
        tally.admitted_in_year += int(admitted_in_year)
        tally.reporters += int(reporters)
        tally.to_be_rated += int(to_be_rated)
        tally.not_reviewed += int(n) - int(to_be_rated)
    for cell_id, n in await read(_MEMBERS_AT, day=year_start - timedelta(days=1)):
        found[cell_id].members_at_year_start = int(n)


async def _members_now(read: _Reader, found: dict[int, Tally], today: date) -> None:
    """Reachability and probation over today's members (warnings are about now)."""
    members: dict[int, int] = {}
    for cell_id, n, due in await read(_MEMBERS_TODAY, due=membership.latest_admission_due(today)):
        members[cell_id] = int(n)
        found[cell_id].due_recognition = int(due)
    reach = {cell_id: (int(linked), int(reachable)) for cell_id, linked, reachable in await read(_REACH_TODAY)}
    for cell_id, n in members.items():
        linked, reachable = reach.get(cell_id, (0, 0))
        found[cell_id].no_account, found[cell_id].unreachable = n - linked, linked - reachable


# -- meetings and attendance --------------------------------------------------------------------

def _meeting_counts() -> Any:
    """The cells' ended meetings between `start` and `end`, each with its totals as kept beside its
    rows (storage/tallies.py): no attendance row is read."""
    meeting, kept = _MEETING.c, KEPT_ROLL_CALL.c
    return (
        select(
            meeting.id, meeting.cell_id, meeting.kind, meeting.starts_at, meeting.roll_call_at.is_not(None),
            func.coalesce(kept.present, 0), func.coalesce(kept.excused, 0), func.coalesce(kept.absent, 0),
        )
        .select_from(_MEETING.outerjoin(KEPT_ROLL_CALL, kept.meeting_id == meeting.id))
        .where(among(meeting.cell_id, "ids"), meeting.status == MeetingStatus.ENDED,
               _between(meeting.starts_at, _instant("start"), _instant("end")))
        .order_by(meeting.starts_at, meeting.id)
    )


def _exempt_rows() -> Any:
    """Exempt members are not expected: their rows (if any were made) are taken off again. Read
    from the few exempt members' ids (`exempt`, found first), by the attendance member index: with
    the members as a subquery, PostgreSQL hashed them and scanned the whole attendance table, and
    with a condition on the meetings too SQLite walked every attendance row of the window; the
    rows of meetings outside the window are simply never looked up."""
    attendance = _ATTENDANCE.c
    return (
        select(attendance.meeting_id, attendance.status, func.count())
        .where(among(attendance.member_id, "exempt"), attendance.status.is_not(None))
        .group_by(attendance.meeting_id, attendance.status)
    )


def _exempt_members() -> Any:
    return select(_MEMBER.c.id).where(among(_MEMBER.c.cell_id, "ids"), _MEMBER.c.status == Status.EXEMPT)


_MEETING_COUNTS, _EXEMPT_ROWS, _EXEMPT = Prepared(_meeting_counts), Prepared(_exempt_rows), Prepared(_exempt_members)


async def _meetings(read: _Reader, found: dict[int, Tally], period: Period, today: date, tz: ZoneInfo) -> None:
    """Ended meetings of the chart's twelve months (which include the period), with their roll call.
    Meetings without a roll call count in no rate and no month: they are listed apart."""
    months = chart_window(period, today)
    window_start = local_midnight(months[0], tz)
    period_start, period_end = period.instants(tz)
    window_end = max(period_end, local_midnight(_next_month(months[-1]), tz))
    off: dict[int, dict[str, int]] = {}
    exempt = [member_id for (member_id,) in await read(_EXEMPT)]
    rows = await _EXEMPT_ROWS.all(read.session, long=read.long, exempt=exempt) if exempt else []
    for meeting_id, status, n in rows:
        off.setdefault(meeting_id, {})[status] = n
    # A meeting's month in the chart: found among the months' first instants (the local midnights).
    bounds = [local_midnight(month, tz) for month in months]
    bounds.append(local_midnight(_next_month(months[-1]), tz))
    for meeting_id, cell_id, kind, stored_start, rolled, present, excused, absent in await read(
            _MEETING_COUNTS, start=min(window_start, period_start), end=window_end):
        cell = found[cell_id]
        starts_at = as_datetime(stored_start)
        assert starts_at is not None
        if not rolled:
            if period_start <= starts_at < period_end:
                cell.without_roll_call.append(MeetingTally(meeting_id, cell_id, kind, starts_at, 0, 0, 0,
                                                           roll_call=False))
            continue
        less = off.get(meeting_id)
        if less:
            present -= less.get(Presence.PRESENT, 0)
            excused -= less.get(Presence.EXCUSED, 0)
            absent -= less.get(Presence.ABSENT, 0)
        tally = MeetingTally(meeting_id, cell_id, kind, starts_at, present, excused, absent)
        if period_start <= starts_at < period_end:
            cell.add_meeting(tally)
        index = bisect_right(bounds, starts_at) - 1
        if 0 <= index < len(months):
            month = months[index]
            was = cell.months.get(month, (0, 0))
            cell.months[month] = (was[0] + present, was[1] + present + excused + absent)
    for cell in found.values():  # read in this order already: the sorts only confirm it
        cell.meetings.sort(key=lambda m: (m.starts_at, m.id))
        cell.without_roll_call.sort(key=lambda m: (m.starts_at, m.id))


def _next_month(first: date) -> date:
    return date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)


def _held() -> ColumnElement[bool]:
    """SQL over `meeting`: ended, with a roll call, between `start` and `end` (a year's)."""
    meeting = _MEETING.c
    return and_(among(meeting.cell_id, "ids"), meeting.status == MeetingStatus.ENDED, meeting.roll_call_at.is_not(None),
                _between(meeting.starts_at, _instant("start"), _instant("end")))


def _often() -> Any:
    """Who was absent at least `absent_min` times, or excused more than `excused_over` times, at
    the held meetings, with both counts: one pass over the (meeting_id, status) index.

    Grouped by `member_id + 0`: by the bare column, SQLite walks the whole (member_id, status)
    index in order rather than sort the few rows the (meeting_id, status) index finds."""
    attendance, meeting = _ATTENDANCE.c, _MEETING.c
    member = (attendance.member_id + literal_column("0")).label("member_id")
    absent = func.count(case((attendance.status == Presence.ABSENT, 1)))
    excused = func.count(case((attendance.status == Presence.EXCUSED, 1)))
    return (
        select(member, absent, excused)
        .where(attendance.meeting_id.in_(select(meeting.id).where(_held())),
               attendance.status.in_([Presence.ABSENT, Presence.EXCUSED]))
        .group_by(member)
        .having(or_(absent >= param("absent_min", Integer()), excused > param("excused_over", Integer())))
    )


def _their_rows() -> Any:
    """The held meetings' statuses of the `members` found often away, in meeting order, with the
    meeting's cell and the member's cell and state today: every status of the `excusers` (a run
    is broken by any other status), only the absences of the others."""
    attendance, meeting, member = _ATTENDANCE.c, _MEETING.c, _MEMBER.c
    return (
        select(attendance.member_id, meeting.cell_id, meeting.starts_at, attendance.status,
               member.cell_id, member.active, member.status)
        .select_from(_ATTENDANCE.join(_MEETING, meeting.id == attendance.meeting_id)
                     .join(_MEMBER, member.id == attendance.member_id))
        .where(_held(), among(attendance.member_id, "members"), attendance.status.is_not(None),
               or_(attendance.status == Presence.ABSENT, among(attendance.member_id, "excusers")))
        .order_by(attendance.member_id, meeting.starts_at, meeting.id)
    )


_OFTEN, _THEIR_ROWS = Prepared(_often), Prepared(_their_rows)


@dataclass(slots=True)
class _YearAway:
    """The year's warnings, before they are split by cell."""

    absent_months: dict[int, dict[int, list[int]]] = field(default_factory=dict)  # cell -> member -> months
    excused_runs: dict[int, dict[int, int]] = field(default_factory=dict)  # cell -> member -> longest run


async def _year_away(read: _Reader, year: int, tz: ZoneInfo, *, absent_min: int | None,
                     excused_over: int | None) -> _YearAway:
    """Absences without reason and runs of excuses over the year's held meetings (ended, with a
    roll call; one without has no attendance), exempt members left out.

    - absences (`absent_min`: members absent at that many meetings or more; a month needs a
      meeting, so the year's warning, three months, asks for at least three): by the meeting's
      cell, the local months (1–12) of the absences, for members not exempt today;
    - excuses (`excused_over`: members excused more often than that): by the member's cell today,
      the longest run of meetings in a row missed excused, for the cells' current members not
      exempt; a run is over the meetings at which they had a status (one they were not
      expected at does not break it).

    Two reads whatever the number of cells: who is often away (counted in SQL: 89 members instead
    of 4,552 rows at a committee's year), then only their rows."""
    found = _YearAway()
    never = 1 << 30
    window = {"start": local_midnight(date(year, 1, 1), tz), "end": local_midnight(date(year + 1, 1, 1), tz)}
    often = await read(_OFTEN, absent_min=absent_min or never, excused_over=never if excused_over is None
                       else excused_over, **window)
    if not often:
        return found
    absentees = {member for member, absent, _ in often if absent_min is not None and absent >= absent_min}
    excusers = {member for member, _, excused in often if excused_over is not None and excused > excused_over}
    cells = set(read.ids)
    statuses: dict[tuple[int, int], list[str]] = {}
    for member_id, meeting_cell, starts_at, status, cell_id, active, state in await read(
            _THEIR_ROWS, members=sorted(absentees | excusers), excusers=sorted(excusers), **window):
        if member_id in absentees and status == Presence.ABSENT and not (cell_id in cells and state == Status.EXEMPT):
            month = as_datetime(starts_at).astimezone(tz).month  # type: ignore[union-attr]
            months = found.absent_months.setdefault(meeting_cell, {}).setdefault(member_id, [])
            if month not in months:
                months.append(month)
        if member_id in excusers and cell_id in cells and active and state != Status.EXEMPT:
            statuses.setdefault((cell_id, member_id), []).append(status)
    for members in found.absent_months.values():
        for months in members.values():
            months.sort()
    for (cell_id, member_id), sequence in statuses.items():
        longest = meeting_rules.longest_run(sequence, Presence.EXCUSED)
        if longest > meeting_rules.EXCUSED_RUN:
            found.excused_runs.setdefault(cell_id, {})[member_id] = longest
    return found


async def absences(session: AsyncSession, ids: list[int], year: int, tz: ZoneInfo, *,
                   at_least: int = 1) -> dict[int, dict[int, list[int]]]:
    """Cell -> member -> the local months (1–12) of `year` with an unexcused absence at an ended
    meeting with a roll call; exempt members left out. Only members absent at `at_least` meetings
    or more are listed."""
    if not ids:
        return {}
    away = await _year_away(_Reader(session, ids, len(ids) > 1), year, tz, absent_min=at_least, excused_over=None)
    return away.absent_months


async def _long_absences(read: _Reader, found: dict[int, Tally], year: int, tz: ZoneInfo) -> None:
    """The year's warnings: months without reason (removal to consider), and excused more than
    3 times in a row (attendance below the bar), for the cells' current members."""
    removal = meeting_rules.REMOVAL_MONTHS
    away = await _year_away(read, year, tz, absent_min=removal, excused_over=meeting_rules.EXCUSED_RUN)
    for cell_id, members in away.absent_months.items():
        found[cell_id].long_absent = {member_id: months for member_id, months in members.items()
                                      if len(months) >= removal}
    for cell_id, runs in away.excused_runs.items():
        found[cell_id].long_excused = runs


# -- reports and ratings --------------------------------------------------------------------------

def _report_counts() -> Any:
    kept = KEPT_REPORTS.c
    return (select(kept.cell_id, kept.kind, func.sum(kept["count"]))
            .where(among(kept.cell_id, "ids"), _between(kept.month, _day("start"), _day("end")))
            .group_by(kept.cell_id, kept.kind))


def _rating_counts() -> Any:
    """The period's ratings by cell, stage and level, of the members rated: on the reference day
    (`day`) in the cell, in a state the review rates, admitted by `cutoff`."""
    rating, member, span = _ASSESSMENT.c, _MEMBER.c, _SPAN.c
    return (
        select(rating.cell_id, rating.stage, rating.level, func.count())
        .select_from(_ASSESSMENT.join(_SPAN, and_(span.member_id == rating.member_id, span.cell_id == rating.cell_id))
                     .join(_MEMBER, member.id == rating.member_id))
        .where(among(rating.cell_id, "ids"), rating.period == param("review"), counted_on(span, _day("day")),
               reviewed_before(span.status, member.admitted_on, _day("cutoff")))
        .group_by(rating.cell_id, rating.stage, rating.level)
    )


def _rating_counts_semi() -> Any:
    """`_rating_counts` with the rated members as EXISTS: PostgreSQL took the join on two columns
    (member, cell) for a hundred rows, not ten thousand, and probed the members one by one (18 ms
    at a committee's year; 9 ms as a semi-join). SQLite runs the join form faster."""
    rating, member, span = _ASSESSMENT.c, _MEMBER.c, _SPAN.c
    rated = (
        select(literal_column("1"))
        .select_from(_SPAN.join(_MEMBER, member.id == span.member_id))
        .where(span.member_id == rating.member_id, span.cell_id == rating.cell_id, counted_on(span, _day("day")),
               reviewed_before(span.status, member.admitted_on, _day("cutoff")))
        .exists()
    )
    return (
        select(rating.cell_id, rating.stage, rating.level, func.count())
        .where(among(rating.cell_id, "ids"), rating.period == param("review"), rated)
        .group_by(rating.cell_id, rating.stage, rating.level)
    )


_REPORT_COUNTS = Prepared(_report_counts)
_RATING_COUNTS = {"sqlite": Prepared(_rating_counts), "postgresql": Prepared(_rating_counts_semi)}


async def _reports(read: _Reader, found: dict[int, Tally], period: Period) -> None:
    """Reports per cell and kind, from the monthly counts kept beside the reports
    (storage/tallies.py: a report counts for the cell and the month of `done_on` it was stored
    with, as here): a period is whole months, so its months' sums are its counts. A kind this
    code does not know (none today) is counted as "other"."""
    known = set(REPORT_KINDS)
    for cell_id, kind, n in await read(_REPORT_COUNTS, start=period.start, end=period.end):
        kind = kind if kind in known else OTHER
        counts = found[cell_id].reports
        counts[kind] = counts.get(kind, 0) + int(n)
    for tally in found.values():
        tally.reports = {kind: count for kind, count in tally.reports.items() if count}


async def _ratings(read: _Reader, found: dict[int, Tally], period: Period, today: date) -> None:
    """Ratings of the members the review rates, by cell, stage and level, over the same members
    as the denominator (`to_be_rated`): those of the cell on the reference day, in the state they
    were in then. A rating left on a member not rated (exempted since, say) counts in no figure."""
    review = period.review
    statement = _RATING_COUNTS[read.session.get_bind().dialect.name]
    for cell_id, stage, level, n in await read(statement, review=review.key, day=reference_day(period, today),
                                               cutoff=review_cutoff(review.last_day)):
        found[cell_id].ratings.setdefault(stage, {})[level] = n
    for tally in found.values():
        tally.latest_stage = next((stage for stage in LATEST_FIRST if tally.rated(stage)), None)
        tally.latest = dict(tally.ratings.get(tally.latest_stage, {})) if tally.latest_stage else {}
