"""Membership history: the dated events of each member, the spans derived from them, and the
member row's cached current state — all written by `record`, one code path.

- `membership_event` is the truth (domain.history.EventKind): admitted, listed, recognised,
  transferred (permanent or temporary), exempted and its end, suspended, returned, died,
  removed, expelled; each with who recorded it and when. Nothing is edited: a correction is a
  new event.
- `membership_span` is derived from a member's events (domain.history.spans) and rebuilt by
  `record` in the same transaction: "who counted in this cell, in which state, on that day"
  is then one indexed query for a hundred cells.
- `member.cell_id`, `member.status` and `member.active` cache the standing today; `refresh`
  brings the caches of members whose standing changed by the calendar (an exemption that ended,
  a temporary transfer back) up to date, and runs with the scheduler.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, and_, delete, insert, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.history import ROLL_FLOOR, Event, EventKind, Standing, spans, standing_at
from domain.vocabulary import Status
from storage.tables import Member
from storage.types import UtcDateTime, id_of, table_of, utcnow


class MembershipEvent(SQLModel, table=True):
    """One dated event of a member's membership (never edited: corrections are new events)."""

    __tablename__ = "membership_event"
    __table_args__ = (Index("ix_membership_event_member", "member_id", "on"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    kind: str = Field(max_length=24)
    on: date
    cell_id: int | None = Field(default=None, foreign_key="org_unit.id")  # the cell it puts the member in
    status: str | None = Field(default=None, max_length=16)  # for "listed": the state recorded
    until: date | None = None  # the end of an exemption or a temporary transfer (inclusive)
    temporary: bool = False
    other_unit: str | None = Field(default=None, max_length=200)  # a unit outside the committee
    reason: str | None = Field(default=None, max_length=500)
    recorded_by: int | None = Field(default=None, foreign_key="member.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class MembershipSpan(SQLModel, table=True):
    """Days over which a member counted in one cell with one standing: [start, end)."""

    __tablename__ = "membership_span"
    __table_args__ = (
        Index("ix_membership_span_cell", "cell_id", "start"),
        Index("ix_membership_span_member", "member_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    cell_id: int = Field(foreign_key="org_unit.id")
    status: str = Field(max_length=16)
    away: bool = False  # temporarily transferred out: in the total, not expected
    start: date
    end: date | None = None


_EVENT = table_of(MembershipEvent)
_SPAN = table_of(MembershipSpan)
_MEMBER = table_of(Member)


def as_event(row: Any) -> Event:
    return Event(EventKind(row.kind), row.on, row.cell_id, Status(row.status) if row.status else None,
                 row.until, bool(row.temporary))


async def events_of(session: AsyncSession, member_id: int) -> list[Event]:
    """A member's events, in the order they happened (ties in the order recorded)."""
    rows = await session.execute(
        select(_EVENT).where(_EVENT.c.member_id == member_id).order_by(_EVENT.c.on, _EVENT.c.id))
    return [as_event(row) for row in rows]


async def record(
    session: AsyncSession, member_id: int, event: Event, *, today: date, by: int | None = None,
    now: datetime | None = None, other_unit: str | None = None, reason: str | None = None,
) -> Standing | None:
    """Write one event, rebuild the member's spans and cached state; returns the standing today."""
    await session.execute(insert(_EVENT).values(
        member_id=member_id, kind=str(event.kind), on=event.on, cell_id=event.cell_id,
        status=str(event.status) if event.status else None, until=event.until, temporary=event.temporary,
        other_unit=other_unit, reason=reason, recorded_by=by, recorded_at=now or utcnow(),
    ))
    return await rebuild(session, member_id, today)


async def rebuild(session: AsyncSession, member_id: int, today: date) -> Standing | None:
    """The member's spans and cached state, from their events (the one place that writes them)."""
    events = await events_of(session, member_id)
    await session.execute(delete(_SPAN).where(_SPAN.c.member_id == member_id))
    rows = [{"member_id": member_id, "cell_id": span.standing.cell_id, "status": str(span.standing.status),
             "away": span.standing.away, "start": span.start, "end": span.end}
            for span in spans(events) if span.standing.cell_id is not None]
    if rows:
        await session.execute(insert(_SPAN), rows)
    standing = standing_at(events, today)
    await _cache(session, member_id, standing)
    return standing


async def _cache(session: AsyncSession, member_id: int, standing: Standing | None) -> None:
    if standing is None:
        return
    values: dict[str, Any] = {"status": str(standing.status), "active": standing.active}
    if standing.cell_id is not None:  # someone who left keeps their last cell, for the record
        values["cell_id"] = standing.cell_id
    await session.execute(_MEMBER.update().where(_MEMBER.c.id == member_id).values(**values))


async def refresh(session: AsyncSession, today: date) -> int:
    """Bring cached states up to date where the calendar changed them (an exemption that ended on
    its date, a temporary transfer that came back): members whose span of today disagrees with
    their row. Returns how many were refreshed."""
    span, member = _SPAN.c, _MEMBER.c
    stale = await session.execute(
        select(span.member_id).select_from(_SPAN.join(_MEMBER, member.id == span.member_id))
        .where(counted_on(span, today),
               or_(member.status != span.status, member.cell_id != span.cell_id, ~member.active))
    )
    ids = sorted({row.member_id for row in stale})
    for member_id in ids:
        await rebuild(session, member_id, today)
    return len(ids)


def counted_on(span: Any, day: date) -> ColumnElement[bool]:
    """SQL: the span (columns of `membership_span`) covers `day`."""
    return and_(span.start <= day, or_(span.end.is_(None), span.end > day))


async def join_roll(
    session: AsyncSession, member: Member, cell_id: int, *, today: date, on: date | None = None,
    by: int | None = None, now: datetime | None = None,
) -> Standing | None:
    """A new member row entered on a cell's roll as it stands (created, imported, approved): listed
    in `cell_id` with the row's status from `on` (default: the admission date, or `ROLL_FLOOR` when
    it is unknown, so that they count in past periods as they always did)."""
    status = Status(member.status) if member.status in tuple(Status) else Status.OFFICIAL
    start = on or member.admitted_on or ROLL_FLOOR
    return await record(session, id_of(member), Event(EventKind.LISTED, start, cell_id=cell_id, status=status),
                        today=today, by=by, now=now)


async def has_events(session: AsyncSession, member_id: int) -> bool:
    return (await session.execute(select(col(MembershipEvent.id)).where(
        col(MembershipEvent.member_id) == member_id).limit(1))).first() is not None
