"""Kept tallies: each meeting's roll-call totals, each cell's monthly report counts by kind, and
each member's reports per month of a year in a cell.

Why: `/tonghop` for a committee's year counted every attendance row of some 1,200 meetings and
every report of 10,000 members, each time it was asked. These two tables hold the same counts,
kept up to date as the rows are written, so the summary reads a few hundred tally rows instead
(issue 12: meetings 36 → 2 ms, reports 43 → 3 ms). Who reported in a period (the reporters among
a committee's 10,000 members) was a probe into the reports for every member; it is one row per
member and year in `member_report_tally`, its twelve months side by side.

One source of truth (style.md): a tally is written by the same code path, in the same
transaction, as the rows it counts; it never holds anything the rows do not say.

- Attendance rows are only ever written as ORM objects (storage.meetings, storage.attendance:
  answers, check-ins, the secretary's entries and corrections, the paper roll call, the end of a
  meeting): the flush that writes them adds their change to `roll_call_tally` (`_count_flushed`).
  The totals count every status a row carries, exempt members included: who is exempt is read
  today, so the summary still takes their rows off, as it always did.
- Reports are inserted on the fast lane (`storage.reports.add`, which calls `report_added` on the
  same lane) and deleted by `storage.reports.remove` (which calls `report_removed` just before);
  reports added as ORM objects (imports, seeded data) are counted by the same flush hook.
  A report's month is the month of `done_on`, and its cell the `cell_id` copied from the member
  when it was stored, as the summary has always counted it; periods are whole months, so the
  months' sums are exactly the period's counts.

A Core statement that inserts, deletes or re-keys these rows must call the functions here; a
test rebuilds both tallies from the rows after every kind of write (`rebuilt`) and compares them
with the kept ones (`kept`). Increments are upserts (`count = count + delta`), so two transactions
counting into one row at once both count (PostgreSQL serialises them on the row; SQLite has
one writer).
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import Index, event, inspect, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.vocabulary import Presence
from storage.lane import Sql, lane
from storage.types import table_of

PRESENCES = (Presence.PRESENT, Presence.EXCUSED, Presence.ABSENT)


class RollCallTally(SQLModel, table=True):
    """A meeting's attendance rows counted by status (no row: nobody has a status yet)."""

    __tablename__ = "roll_call_tally"

    meeting_id: int = Field(primary_key=True, foreign_key="meeting.id", sa_column_kwargs={"autoincrement": False})
    present: int = 0
    excused: int = 0
    absent: int = 0


class ReportTally(SQLModel, table=True):
    """A cell's reports of one month (`month`: its first day) and kind."""

    __tablename__ = "report_tally"

    cell_id: int = Field(primary_key=True, foreign_key="org_unit.id", sa_column_kwargs={"autoincrement": False})
    month: date = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=16)
    count: int = 0


class MemberReportTally(SQLModel, table=True):
    """A member's reports in one cell over one year, month by month (`m1` January … `m12`):
    whether they reported in a period is whether one of its months is above 0."""

    __tablename__ = "member_report_tally"
    __table_args__ = (Index("ix_member_report_tally_cell", "cell_id", "year"),)

    member_id: int = Field(primary_key=True, foreign_key="member.id", sa_column_kwargs={"autoincrement": False})
    cell_id: int = Field(primary_key=True, foreign_key="org_unit.id", sa_column_kwargs={"autoincrement": False})
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    m1: int = 0
    m2: int = 0
    m3: int = 0
    m4: int = 0
    m5: int = 0
    m6: int = 0
    m7: int = 0
    m8: int = 0
    m9: int = 0
    m10: int = 0
    m11: int = 0
    m12: int = 0


ROLL_CALL = table_of(RollCallTally)
REPORTS = table_of(ReportTally)
MEMBER_REPORTS = table_of(MemberReportTally)
MONTHS = tuple(f"m{month}" for month in range(1, 13))


def month_of(day: date) -> date:
    return day.replace(day=1)


# -- reports on the fast lane ------------------------------------------------------------------------

_REPORT_KEY = Sql("SELECT member_id, cell_id, done_on, kind FROM report WHERE id = ?")


# How a count is added, written once for every statement that adds one: `INTO … <rows> ADD …`.
_REPORTS_INTO = "INSERT INTO report_tally (cell_id, month, kind, count)"
_REPORTS_ADD = "ON CONFLICT (cell_id, month, kind) DO UPDATE SET count = report_tally.count + excluded.count"
_MEMBERS_INTO = f"INSERT INTO member_report_tally (member_id, cell_id, year, {', '.join(MONTHS)})"


def _members_add(columns: tuple[str, ...]) -> str:
    """The upsert clause adding the new row's `columns` (months) to a member's kept row."""
    updates = ", ".join(f"{name} = member_report_tally.{name} + excluded.{name}" for name in columns)
    return f"ON CONFLICT (member_id, cell_id, year) DO UPDATE SET {updates}"


def _count_member_month(month: int) -> str:
    column = MONTHS[month - 1]
    values = ", ".join("?" if name == column else "0" for name in MONTHS)
    return f"{_MEMBERS_INTO} VALUES (?, ?, ?, {values}) {_members_add((column,))}"


_COUNT_REPORT_TEXT = f"{_REPORTS_INTO} VALUES (?, ?, ?, ?) {_REPORTS_ADD}"


def _both(month: int) -> Sql:
    """Both report counts in one statement for PostgreSQL (a data-modifying WITH always runs to
    completion): one round trip, as before the member tally. SQLite, which runs the lane on the
    loop's thread, takes the two statements one after the other."""
    return Sql(f"WITH counted AS ({_COUNT_REPORT_TEXT}) {_count_member_month(month)}")


_COUNT_REPORT = Sql(_COUNT_REPORT_TEXT)
_COUNT_MEMBER = tuple(Sql(_count_member_month(month)) for month in range(1, 13))
_COUNT_BOTH = tuple(_both(month) for month in range(1, 13))


def with_counts(insert: str) -> Sql:
    """For PostgreSQL: `insert` (an `INSERT INTO report …` with `?` parameters, no RETURNING) and
    both counts of the report it stores, in one statement (data-modifying WITH parts always run to
    completion), returning the new report's number, or no row when it stored none. The busiest
    write of the bot then costs one round trip, as before either tally existed. SQLite, whose lane
    runs on the loop's thread, inserts and then calls `report_added`."""
    months = ", ".join(f"CASE WHEN EXTRACT(MONTH FROM done_on) = {month} THEN 1 ELSE 0 END" for month in range(1, 13))
    return Sql(
        f"WITH added AS ({insert} RETURNING number, member_id, cell_id, done_on, kind), "
        f"counted AS ({_REPORTS_INTO} "
        f"SELECT cell_id, CAST(date_trunc('month', done_on) AS date), kind, 1 FROM added {_REPORTS_ADD}), "
        f"by_member AS ({_MEMBERS_INTO} "
        f"SELECT member_id, cell_id, CAST(EXTRACT(YEAR FROM done_on) AS integer), {months} FROM added "
        f"{_members_add(MONTHS)}) "
        "SELECT number FROM added"
    )


async def report_added(session: AsyncSession, member_id: int, cell_id: int, done_on: date, kind: str) -> None:
    """A report was inserted in the session's transaction: count it (on the same lane)."""
    await _count(session, member_id, cell_id, done_on, kind, 1)


async def report_removed(session: AsyncSession, report_id: int) -> None:
    """The report `report_id` is about to be deleted in the session's transaction: uncount it.
    Called before the delete, while its member, cell, date and kind can still be read."""
    found = await (await lane(session)).one(_REPORT_KEY, report_id)
    if found is None:
        return
    member_id, cell_id, done_on, kind = found
    done = date.fromisoformat(done_on) if isinstance(done_on, str) else done_on
    await _count(session, member_id, cell_id, done, kind, -1)


async def _count(session: AsyncSession, member_id: int, cell_id: int, done_on: date, kind: str, delta: int) -> None:
    road = await lane(session)
    month = month_of(done_on)
    if road.postgres:
        await road.run(_COUNT_BOTH[done_on.month - 1], cell_id, month, kind, delta,
                       member_id, cell_id, done_on.year, delta)
        return
    await road.run(_COUNT_REPORT, cell_id, month, kind, delta)
    await road.run(_COUNT_MEMBER[done_on.month - 1], member_id, cell_id, done_on.year, delta)


# -- rows written as ORM objects -----------------------------------------------------------------------

@event.listens_for(Session, "before_flush")
def _count_flushed(session: Session, _context: object, _instances: object) -> None:
    """Count the attendance rows and reports this flush inserts, changes or deletes, in its
    transaction. Old values are read from the database (still unchanged before the flush): an
    attribute set without being loaded first leaves no old value in the ORM's history."""
    # Both modules import this one (to call it, and to have the hook registered). One not imported
    # yet has no rows in any session, and it is not imported here: a module imported during a flush
    # registers its own flush hook while SQLAlchemy walks them, which breaks the flush.
    meetings, stored_reports = sys.modules.get("storage.meetings"), sys.modules.get("storage.reports")
    nothing: tuple[list[Any], list[Any]] = ([], [])
    attendance = _changed(session, meetings.Attendance, ("status",)) if meetings else nothing
    reports = (_changed(session, stored_reports.Report, ("member_id", "cell_id", "done_on", "kind"))
               if stored_reports else nothing)
    if not attendance[0] and not attendance[1] and not reports[0] and not reports[1]:
        return
    with session.no_autoflush:
        roll_call = _roll_call_deltas(session, *attendance)
        counts, members = _report_deltas(session, *reports)
        if roll_call:
            _upsert(session, ROLL_CALL, ("meeting_id",), [
                {"meeting_id": meeting_id, **{str(p): by_status.get(p, 0) for p in PRESENCES}}
                for meeting_id, by_status in sorted(roll_call.items())])
        if counts:
            _upsert(session, REPORTS, ("cell_id", "month", "kind"), [
                {"cell_id": cell_id, "month": month, "kind": kind, "count": n}
                for (cell_id, month, kind), n in sorted(counts.items())])
        if members:  # one row per (member, cell, year): PostgreSQL refuses to upsert a row twice
            years: dict[tuple[int, int, int], dict[str, int]] = {}
            for (member_id, cell_id, year, month), n in sorted(members.items()):
                years.setdefault((member_id, cell_id, year), dict.fromkeys(MONTHS, 0))[MONTHS[month - 1]] = n
            _upsert(session, MEMBER_REPORTS, ("member_id", "cell_id", "year"), [
                {"member_id": member_id, "cell_id": cell_id, "year": year, **months}
                for (member_id, cell_id, year), months in years.items()])


def _changed(session: Session, model: type[SQLModel], keys: tuple[str, ...]) -> tuple[list[Any], list[Any]]:
    """(new objects of `model`, stored ones deleted or with one of `keys` changed) in this flush."""
    added = [obj for obj in session.new if isinstance(obj, model)]
    stored = [obj for obj in session.deleted if isinstance(obj, model)]
    for obj in session.dirty:
        if isinstance(obj, model):
            attrs = inspect(obj).attrs
            if any(attrs[key].history.has_changes() for key in keys):
                stored.append(obj)
    return added, stored


def _roll_call_deltas(session: Session, added: list[Any], stored: list[Any]) -> dict[int, Counter[str]]:
    deltas: dict[int, Counter[str]] = {}
    for obj in added:
        if obj.status is not None:
            deltas.setdefault(obj.meeting_id, Counter())[obj.status] += 1
    if stored:
        from storage.meetings import Attendance  # loaded already: its rows are in the session

        table = table_of(Attendance)
        gone = {obj.id for obj in session.deleted if isinstance(obj, Attendance)}
        rows = session.execute(select(table.c.id, table.c.meeting_id, table.c.status)
                               .where(table.c.id.in_([obj.id for obj in stored])))
        for row in rows:
            if row.status is not None:
                deltas.setdefault(row.meeting_id, Counter())[row.status] -= 1
        for obj in stored:
            if obj.id not in gone and obj.status is not None:
                deltas.setdefault(obj.meeting_id, Counter())[obj.status] += 1
    return {meeting_id: by_status for meeting_id, by_status in deltas.items()
            if any(by_status.get(p, 0) for p in PRESENCES)}


ReportKey = tuple[int, date, str]  # cell, month, kind
MemberKey = tuple[int, int, int, int]  # member, cell, year, month (1–12)


def _report_deltas(session: Session, added: list[Any],
                   stored: list[Any]) -> tuple[Counter[ReportKey], Counter[MemberKey]]:
    deltas: Counter[ReportKey] = Counter()
    members: Counter[MemberKey] = Counter()

    def count(member_id: int, cell_id: int, done_on: date, kind: str, delta: int) -> None:
        deltas[(cell_id, month_of(done_on), kind)] += delta
        members[(member_id, cell_id, done_on.year, done_on.month)] += delta

    for obj in added:
        count(obj.member_id, obj.cell_id, obj.done_on, obj.kind, 1)
    if stored:
        from storage.reports import Report  # loaded already: its rows are in the session

        table = table_of(Report)
        gone = {obj.id for obj in session.deleted if isinstance(obj, Report)}
        rows = session.execute(select(table.c.member_id, table.c.cell_id, table.c.done_on, table.c.kind)
                               .where(table.c.id.in_([obj.id for obj in stored])))
        for row in rows:
            count(row.member_id, row.cell_id, row.done_on, row.kind, -1)
        for obj in stored:
            if obj.id not in gone:
                count(obj.member_id, obj.cell_id, obj.done_on, obj.kind, 1)
    return Counter({key: n for key, n in deltas.items() if n}), Counter({key: n for key, n in members.items() if n})


def _upsert(session: Session, table: Any, keys: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """Add `rows`' counts to the tally rows with the same keys (made when missing)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(rows)
    counts = [column.name for column in table.columns if column.name not in keys]
    session.execute(statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: table.c[name] + statement.excluded[name] for name in counts}))


# -- rebuilt from the rows (tests, the benchmark's generated data) --------------------------------------

def _month_sql(dialect: str) -> str:
    if dialect == "postgresql":
        return "CAST(date_trunc('month', done_on) AS date)"
    return "date(done_on, 'start of month')"


def _member_months_sql(dialect: str) -> str:
    """SELECT member_id, cell_id, year, m1 … m12 counted from the reports."""
    if dialect == "postgresql":
        year, month = "CAST(EXTRACT(YEAR FROM done_on) AS integer)", "CAST(EXTRACT(MONTH FROM done_on) AS integer)"
    else:
        year, month = "CAST(strftime('%Y', done_on) AS integer)", "CAST(strftime('%m', done_on) AS integer)"
    months = ", ".join(f"count(CASE WHEN {month} = {number} THEN 1 END)" for number in range(1, 13))
    return f"SELECT member_id, cell_id, {year}, {months} FROM report GROUP BY member_id, cell_id, {year}"


def rebuild_statements(dialect: str) -> list[str]:
    """SQL that empties both tallies and counts them again from the rows (data loaded in bulk)."""
    month = _month_sql(dialect)
    return [
        "DELETE FROM roll_call_tally",
        "DELETE FROM report_tally",
        "DELETE FROM member_report_tally",
        "INSERT INTO roll_call_tally (meeting_id, present, excused, absent) SELECT meeting_id, "
        + ", ".join(f"count(CASE WHEN status = '{p}' THEN 1 END)" for p in PRESENCES)
        + " FROM attendance WHERE status IS NOT NULL GROUP BY meeting_id",
        f"INSERT INTO report_tally (cell_id, month, kind, count) SELECT cell_id, {month}, kind, count(*) "
        f"FROM report GROUP BY cell_id, {month}, kind",
        f"INSERT INTO member_report_tally (member_id, cell_id, year, {', '.join(MONTHS)}) "
        + _member_months_sql(dialect),
    ]


MemberMonths = dict[tuple[int, int, int], tuple[int, ...]]  # (member, cell, year) -> reports in m1 … m12
Figures = tuple[dict[int, tuple[int, int, int]], dict[tuple[int, date, str], int], MemberMonths]


async def kept(session: AsyncSession) -> Figures:
    """Both tallies as kept (rows counting nothing left out)."""
    roll_call = {row.meeting_id: (row.present, row.excused, row.absent)
                 for row in await session.execute(select(ROLL_CALL)) if row.present or row.excused or row.absent}
    columns = REPORTS.c
    reports = {(int(cell_id), month, str(kind)): int(n) for cell_id, month, kind, n in await session.execute(
        select(columns.cell_id, columns.month, columns.kind, columns["count"])) if n}
    member = MEMBER_REPORTS.c
    members = _member_months(await session.execute(
        select(member.member_id, member.cell_id, member.year, *(member[name] for name in MONTHS))))
    return roll_call, reports, members


def _member_months(rows: Any) -> MemberMonths:
    """Rows of (member, cell, year, m1 … m12), those counting nothing left out."""
    return {(int(row[0]), int(row[1]), int(row[2])): tuple(int(n) for n in row[3:])
            for row in rows if any(row[3:])}


async def rebuilt(session: AsyncSession) -> Figures:
    """Both tallies counted afresh from the attendance rows and the reports."""
    dialect = session.get_bind().dialect.name
    roll_call = {int(row[0]): (int(row[1]), int(row[2]), int(row[3])) for row in await session.execute(text(
        "SELECT meeting_id, " + ", ".join(f"count(CASE WHEN status = '{p}' THEN 1 END)" for p in PRESENCES)
        + " FROM attendance WHERE status IS NOT NULL GROUP BY meeting_id"))}
    month = _month_sql(dialect)
    reports = {}
    for row in await session.execute(text(
            f"SELECT cell_id, {month}, kind, count(*) FROM report GROUP BY cell_id, {month}, kind")):
        day = date.fromisoformat(row[1]) if isinstance(row[1], str) else row[1]
        reports[(int(row[0]), day, str(row[2]))] = int(row[3])
    members = _member_months(await session.execute(text(_member_months_sql(dialect))))
    return roll_call, reports, members
