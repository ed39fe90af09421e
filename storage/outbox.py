"""The outbox: every scheduled message, keyed so that it is sent at most once.

A row's life: `pending` (due at `due_at`) → `sending` (claimed by the one dispatcher, just before
the platform call) → `sent`, `unreachable`, `failed`, or back to `pending` to be retried. Rows
the dispatcher decides not to send (too late, superseded, the member answered) become `dropped`.
A row whose member has accounts only on messengers this process does not run stays `pending` and
due, marked as waiting for a messenger (`WAITING` in `last_error`): it is not given up, and not in
flight either. Its due time is kept (the planner reads a changed one as a moved meeting).
A row found `sending` when a dispatcher takes over was claimed by a process that died between
the platform call and recording its outcome: it becomes `unknown` and is never sent again
(at most once; see schedules/dispatcher.py for why).

Written with SQLAlchemy Core: the dispatcher runs these statements for every message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import UtcDateTime, table_of, utcnow

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
DROPPED = "dropped"  # not worth sending: too late, superseded, answered, cancelled
UNREACHABLE = "unreachable"
UNKNOWN = "unknown"  # claimed by a dispatcher that died before recording the outcome
FINAL = (SENT, FAILED, DROPPED, UNREACHABLE, UNKNOWN)

# Kinds. Reminders about a meeting (the names match domain.meeting_rules' roles):
INVITATION = "invitation"
FOLLOWUP = "followup"
LAST_CALL = "last_call"
REMINDER_KINDS = (INVITATION, FOLLOWUP, LAST_CALL)
DEADLINE = "deadline"  # the self-assessment deadline
DEVELOPMENT = "development"  # Party development's deadlines (schedules.development_reminders)
DUES = "dues"  # arrears of dues, on the day the cell chose (schedules.dues_reminders)
# Notices to members and reports to the secretary:
MOVED = "moved"
CANCELLED = "cancelled"
RESULT = "result"
UNREACHABLE_LIST = "unreachable_list"
WARN_ABSENCE = "warn_absence"
WARN_EXCUSED = "warn_excused"
ROLL_CALL_MISSING = "roll_call_missing"  # the morning after a meeting that ended without a roll call
NOTICE = "notice"  # a notice worded when it was recorded: payload {"text": …} (a transfer, a rating decided)

# The start of `last_error` of a pending row waiting for a messenger that is not running.
WAITING = "waiting for a messenger: "


class OutboxMessage(SQLModel, table=True):
    """A message due at `due_at` to a member. `key` (what, for whom, which reminder) is unique:
    planning the same reminder twice, after a restart or a move, cannot send it twice."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "due_at"),
        Index("ix_outbox_meeting", "meeting_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128, unique=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: str = Field(max_length=32)  # invitation / followup / last_call / deadline / notice
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    due_at: datetime = Field(sa_type=UtcDateTime)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=PENDING, max_length=16)
    attempts: int = 0
    platform: str | None = Field(default=None, max_length=16)
    account_id: int | None = Field(default=None, foreign_key="chat_account.id")  # where it went
    last_error: str | None = Field(default=None, max_length=300)
    claimed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class DispatcherLease(SQLModel, table=True):
    """Who may dispatch: one row per lock name, held by one process until `expires_at`.

    Several processes on one database (started by mistake, or a restart overlapping the old
    process) must not send in parallel: they would double the platform's rate. The holder
    renews the lease while it works; every claim checks it in the same statement.
    """

    __tablename__ = "dispatcher_lease"

    name: str = Field(primary_key=True, max_length=32)
    owner: str = Field(max_length=128)
    expires_at: datetime = Field(sa_type=UtcDateTime)


_OUTBOX = table_of(OutboxMessage)
_LEASE = table_of(DispatcherLease)


@dataclass(frozen=True, slots=True)
class New:
    """A message to put in the outbox (ignored when its key is already there)."""

    key: str
    member_id: int
    kind: str
    due_at: datetime
    meeting_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def _insert_ignoring_duplicates(dialect: str) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(_OUTBOX).on_conflict_do_nothing(index_elements=["key"])
    return sqlite.insert(_OUTBOX).on_conflict_do_nothing(index_elements=["key"])


async def enqueue(session: AsyncSession, items: Iterable[New], now: datetime, *, status: str = PENDING) -> None:
    """Insert messages; a key already present (planned before, or by another process) is kept as is."""
    values = [
        {"key": item.key, "member_id": item.member_id, "kind": item.kind, "meeting_id": item.meeting_id,
         "due_at": item.due_at, "payload": item.payload, "status": status, "attempts": 0, "created_at": now}
        for item in items
    ]
    if not values:
        return
    dialect = (await session.connection()).dialect.name
    await session.exec(_insert_ignoring_duplicates(dialect), params=values)


# -- planning -----------------------------------------------------------------------------------------

async def planned(session: AsyncSession, meeting_ids: Sequence[int], kinds: Sequence[str]) -> list[Row[Any]]:
    """The rows already planned for these meetings: key, status, due time."""
    if not meeting_ids:
        return []
    rows = await session.execute(
        select(_OUTBOX.c.id, _OUTBOX.c.key, _OUTBOX.c.status, _OUTBOX.c.due_at, _OUTBOX.c.meeting_id,
               _OUTBOX.c.member_id, _OUTBOX.c.kind)
        .where(_OUTBOX.c.meeting_id.in_(list(meeting_ids)), _OUTBOX.c.kind.in_(list(kinds)))
    )
    return list(rows)


async def planned_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        rows = await session.execute(select(_OUTBOX.c.key).where(_OUTBOX.c.key.in_(list(keys[start:start + 500]))))
        found.update(row.key for row in rows)
    return found


async def reschedule(session: AsyncSession, row_id: int, due_at: datetime) -> None:
    await session.exec(
        update(_OUTBOX).where(_OUTBOX.c.id == row_id, _OUTBOX.c.status == PENDING).values(due_at=due_at)
    )


async def drop(session: AsyncSession, row_ids: Sequence[int], reason: str, now: datetime) -> None:
    """Give up pending rows (they will never be sent), saying why."""
    if row_ids:
        await session.exec(
            update(_OUTBOX).where(_OUTBOX.c.id.in_(list(row_ids)), _OUTBOX.c.status == PENDING)
            .values(status=DROPPED, last_error=reason[:300], sent_at=None)
        )


async def drop_meeting_reminders(session: AsyncSession, meeting_id: int, reason: str) -> None:
    await session.exec(
        update(_OUTBOX).where(
            _OUTBOX.c.meeting_id == meeting_id, _OUTBOX.c.status == PENDING, _OUTBOX.c.kind.in_(REMINDER_KINDS)
        ).values(status=DROPPED, last_error=reason[:300])
    )


async def told_about(session: AsyncSession, meeting_id: int) -> set[int]:
    """Members who were sent (or may have been sent) something about this meeting."""
    rows = await session.execute(
        select(_OUTBOX.c.member_id).where(
            _OUTBOX.c.meeting_id == meeting_id, _OUTBOX.c.status.in_((SENT, UNKNOWN, SENDING))
        ).distinct()
    )
    return {row.member_id for row in rows}


async def overtaken(session: AsyncSession, row: Any, kinds: Sequence[str], as_of: datetime, *,
                    meeting_id: int | None = None, key_prefix: str | None = None) -> bool:
    """Whether a reminder due now was overtaken by another of its kind to the same member (about the
    same meeting, or with the same key prefix): a later one is due too (it goes instead), or one
    went out at or after this one's time (late, after downtime: it said everything already)."""
    other = _OUTBOX.c
    query = select(other.id).where(
        other.member_id == row.member_id, other.kind.in_(list(kinds)), other.id != row.id,
        or_(and_(other.status == PENDING, other.due_at > row.due_at, other.due_at <= as_of),
            and_(other.status == SENT, other.sent_at >= row.due_at)),
    )
    if meeting_id is not None:
        query = query.where(other.meeting_id == meeting_id)
    if key_prefix is not None:
        query = query.where(other.key.startswith(key_prefix, autoescape=True))
    return (await session.execute(query.limit(1))).first() is not None


async def invitation_outcomes(session: AsyncSession, meeting_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    """For each meeting, its invitation rows (member, status, error): who could not be reached.

    Invitations waiting for a messenger that is not running are left out: they may wait until the
    meeting, and the secretary's report of the others must not wait with them (nor name their
    members, who may yet be reached)."""
    found: dict[int, list[Row[Any]]] = {}
    if not meeting_ids:
        return found
    rows = await session.execute(
        select(_OUTBOX.c.meeting_id, _OUTBOX.c.member_id, _OUTBOX.c.status, _OUTBOX.c.last_error)
        .where(_OUTBOX.c.meeting_id.in_(list(meeting_ids)), _OUTBOX.c.kind == INVITATION)
        .order_by(_OUTBOX.c.member_id)
    )
    for row in rows:
        if row.status == PENDING and (row.last_error or "").startswith(WAITING):
            continue
        found.setdefault(row.meeting_id, []).append(row)
    return found


# -- dispatching -----------------------------------------------------------------------------------

_DUE_COLUMNS = (
    _OUTBOX.c.id, _OUTBOX.c.key, _OUTBOX.c.member_id, _OUTBOX.c.kind, _OUTBOX.c.meeting_id, _OUTBOX.c.due_at,
    _OUTBOX.c.payload, _OUTBOX.c.attempts,
)


async def due(session: AsyncSession, as_of: datetime, limit: int, after: tuple[datetime, int] | None = None
              ) -> list[Row[Any]]:
    """Pending rows due by `as_of`, oldest first (ties by id: the order they were planned)."""
    query = select(*_DUE_COLUMNS).where(_OUTBOX.c.status == PENDING, _OUTBOX.c.due_at <= as_of)
    if after is not None:
        due_at, row_id = after
        query = query.where(or_(_OUTBOX.c.due_at > due_at, and_(_OUTBOX.c.due_at == due_at, _OUTBOX.c.id > row_id)))
    rows = await session.execute(query.order_by(_OUTBOX.c.due_at, _OUTBOX.c.id).limit(limit))
    return list(rows)


async def next_due(session: AsyncSession, after: datetime | None = None) -> datetime | None:
    """When the earliest pending row falls due. Rows waiting for a messenger do not count: they stay
    overdue, and waking for them would run a pass every moment; the regular passes look at them."""
    query = select(func.min(_OUTBOX.c.due_at)).where(
        _OUTBOX.c.status == PENDING,
        or_(_OUTBOX.c.last_error.is_(None), ~_OUTBOX.c.last_error.startswith(WAITING, autoescape=True)),
    )
    if after is not None:
        query = query.where(_OUTBOX.c.due_at > after)
    value = (await session.execute(query)).scalar()
    if value is None:
        return None
    return UtcDateTime().process_result_value(value, (await session.connection()).dialect)


async def claim(session: AsyncSession, row_id: int, lock: str, owner: str, now: datetime,
                platform: str, account_id: int) -> bool:
    """Mark a row `sending` for this dispatcher, only while it holds the lease; False if not ours."""
    holds = exists().where(_LEASE.c.name == lock, _LEASE.c.owner == owner, _LEASE.c.expires_at > now)
    result = await session.exec(
        update(_OUTBOX).where(_OUTBOX.c.id == row_id, _OUTBOX.c.status == PENDING, holds)
        .values(status=SENDING, claimed_at=now, attempts=_OUTBOX.c.attempts + 1, platform=platform,
                account_id=account_id)
    )
    return bool(result.rowcount)


async def finish(session: AsyncSession, row_id: int, status: str, now: datetime, error: str | None = None) -> None:
    """Record a send's outcome (also for a row a newer dispatcher has already called `unknown`)."""
    values: dict[str, Any] = {"status": status, "last_error": error[:300] if error else None}
    if status == SENT:
        values["sent_at"] = now
    await session.exec(
        update(_OUTBOX).where(_OUTBOX.c.id == row_id, _OUTBOX.c.status.in_((SENDING, UNKNOWN))).values(**values)
    )


async def retry_at(session: AsyncSession, row_id: int, due_at: datetime, error: str) -> None:
    """Put a refused send (429, 5xx) back in line; it was not delivered, so sending again is safe."""
    await session.exec(
        update(_OUTBOX).where(_OUTBOX.c.id == row_id, _OUTBOX.c.status == SENDING)
        .values(status=PENDING, due_at=due_at, last_error=error[:300])
    )


async def release(session: AsyncSession, row_id: int, error: str) -> None:
    """Put a claimed row back, as due as it was: its account refused it, so it certainly was not
    delivered, and the dispatcher claims it again for the member's next account."""
    await session.exec(
        update(_OUTBOX).where(_OUTBOX.c.id == row_id, _OUTBOX.c.status == SENDING)
        .values(status=PENDING, last_error=error[:300])
    )


async def wait_for_messenger(session: AsyncSession, row_ids: Sequence[int], platforms: Sequence[str]) -> None:
    """Pending rows whose member is only on messengers not running here (`platforms`): they stay
    due, marked as waiting, until a pass finds one of the member's messengers running."""
    if row_ids:
        await session.exec(
            update(_OUTBOX).where(_OUTBOX.c.id.in_(list(row_ids)), _OUTBOX.c.status == PENDING)
            .values(last_error=(WAITING + ", ".join(platforms))[:300])
        )


async def mark_unreachable(session: AsyncSession, row_ids: Sequence[int], error: str) -> None:
    if row_ids:
        await session.exec(
            update(_OUTBOX).where(_OUTBOX.c.id.in_(list(row_ids)), _OUTBOX.c.status == PENDING)
            .values(status=UNREACHABLE, last_error=error[:300])
        )


async def orphans_to_unknown(session: AsyncSession) -> list[int]:
    """Rows left `sending` by a dispatcher that stopped: their outcome is unknown."""
    ids = [row.id for row in await session.execute(select(_OUTBOX.c.id).where(_OUTBOX.c.status == SENDING))]
    if ids:
        await session.exec(
            update(_OUTBOX).where(_OUTBOX.c.id.in_(ids), _OUTBOX.c.status == SENDING)
            .values(status=UNKNOWN, last_error="the dispatcher stopped before recording the outcome")
        )
    return ids


# -- the lease ---------------------------------------------------------------------------------------------

async def take_lease(session: AsyncSession, name: str, owner: str, now: datetime, expires: datetime) -> str | None:
    """Renew our lease or take an expired one; returns None when we hold it, else the holder."""
    result = await session.exec(
        update(_LEASE).where(_LEASE.c.name == name, or_(_LEASE.c.owner == owner, _LEASE.c.expires_at <= now))
        .values(owner=owner, expires_at=expires)
    )
    if result.rowcount:
        return None
    dialect = (await session.connection()).dialect.name
    statement = (postgresql.insert(_LEASE) if dialect == "postgresql" else sqlite.insert(_LEASE))
    result = await session.exec(
        statement.values(name=name, owner=owner, expires_at=expires).on_conflict_do_nothing(index_elements=["name"])
    )
    if result.rowcount:
        return None
    holder = (await session.execute(select(_LEASE.c.owner).where(_LEASE.c.name == name))).scalar()
    return str(holder) if holder is not None else ""


async def take_over(session: AsyncSession, name: str, owner: str, dead: str, expires: datetime) -> bool:
    """Take the lease from a holder known to be dead (its process is gone)."""
    result = await session.exec(
        update(_LEASE).where(_LEASE.c.name == name, _LEASE.c.owner == dead).values(owner=owner, expires_at=expires)
    )
    return bool(result.rowcount)


async def release_lease(session: AsyncSession, name: str, owner: str, now: datetime) -> None:
    await session.exec(
        update(_LEASE).where(_LEASE.c.name == name, _LEASE.c.owner == owner).values(expires_at=now)
    )
