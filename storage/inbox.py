"""The inbox: every update is stored before the platform is told "200 OK", and handled from here.

A webhook answered 200 is never delivered again, so the answer must mean "kept": the edge (a
webhook, or a polling loop) writes the update here, answers, and wakes the workers (bot/intake.py).
Workers of every process share the inbox:

- A worker *claims* rows with a lease (`claimed_by`, `claimed_until`). A row whose lease expired
  (its worker died, or was stopped mid-way) is claimed again by any live worker. On PostgreSQL
  the claim skips rows another worker is claiming at the same moment (`FOR UPDATE SKIP LOCKED`);
  on SQLite, writers are serialised by the database itself.
- Only the oldest waiting row of a chat (`chat_key`) can be claimed, so one person's messages are
  handled in the order they arrived, whichever process holds them.
- A row goes once it is handled. Handling it twice (a worker died after the commit, before the
  delete) is harmless: the router's de-duplication mark (processed_update) commits with what the
  message stored, and a second handling finds it.

A new row is stored as the platform-neutral `Incoming` (`{"incoming": {...}}`). Rows written by a
version before 0008 hold the platform's raw update; the intake reads those with the channel's
own parser.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from domain.messages import Incoming
from storage.db import Database
from storage.types import UtcDateTime, inserted_id, table_of, utcnow


class InboxUpdate(SQLModel, table=True):
    """One platform update received and not yet handled."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("platform", "update_key"), Index("ix_inbox_chat", "chat_key", "id"))

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    update_key: str = Field(max_length=96)
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    chat_key: str = Field(default="", max_length=160)  # platform and chat: one chat's updates in order
    claimed_by: str | None = Field(default=None, max_length=64)  # the worker handling it
    claimed_until: datetime | None = Field(default=None, sa_type=UtcDateTime)  # then another may take it
    attempts: int = 0  # how many times a worker has claimed it


_INBOX = table_of(InboxUpdate)


@dataclass(frozen=True, slots=True)
class Stored:
    id: int
    platform: str
    update_key: str
    body: dict[str, Any]
    received_at: datetime
    attempts: int = 1


def chat_key(incoming: Incoming) -> str:
    """The queue a message waits in: its platform and the chat it was written in."""
    return f"{incoming.platform}:{incoming.reply_chat}"[:160]


def body_of(incoming: Incoming) -> dict[str, Any]:
    return {"incoming": asdict(incoming)}


def incoming_of(body: dict[str, Any]) -> Incoming | None:
    """The message a row holds; None for a row of the raw format before 0008."""
    fields = body.get("incoming")
    if not isinstance(fields, dict):
        return None
    return Incoming(**fields)


async def store(db: Database, incoming: Incoming, now: datetime) -> int | None:
    """Keep a message; its row id, or None when the same delivery is already waiting.

    Raises what the database raises: the edge then answers 503 and the platform delivers again.
    """
    key = (incoming.update_key or "")[:96]
    async with db.session() as session:
        try:
            result = await session.exec(insert(_INBOX).values(
                platform=incoming.platform, update_key=key, body=body_of(incoming), received_at=now,
                chat_key=chat_key(incoming), attempts=0,
            ))
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return None
        return inserted_id(result)


async def claim(db: Database, worker: str, now: datetime, lease: timedelta, limit: int) -> list[Stored]:
    """Claim up to `limit` rows for `worker`, oldest first: the first waiting row of each chat,
    unclaimed or with an expired claim."""
    if limit <= 0:
        return []
    earlier = _INBOX.alias("earlier")
    head = ~select(earlier.c.id).where(earlier.c.chat_key == _INBOX.c.chat_key, earlier.c.id < _INBOX.c.id).exists()
    free = (_INBOX.c.claimed_until.is_(None)) | (_INBOX.c.claimed_until < now)
    chosen = (
        select(_INBOX.c.id).where(free, head).order_by(_INBOX.c.id).limit(limit)
        .with_for_update(skip_locked=True, of=_INBOX)
    )
    statement = (
        update(_INBOX).where(_INBOX.c.id.in_(chosen.scalar_subquery()))
        .values(claimed_by=worker, claimed_until=now + lease, attempts=_INBOX.c.attempts + 1)
        .returning(_INBOX.c.id, _INBOX.c.platform, _INBOX.c.update_key, _INBOX.c.body, _INBOX.c.received_at,
                   _INBOX.c.attempts)
    )
    async with db.session() as session:
        rows = (await session.execute(statement)).all()
        await session.commit()
    found = [Stored(r.id, r.platform, r.update_key, r.body, r.received_at, r.attempts) for r in rows]
    return sorted(found, key=lambda row: row.id)


async def renew(db: Database, worker: str, ids: list[int], until: datetime) -> None:
    """Extend the claims a worker still holds (an update taking longer than its lease)."""
    if not ids:
        return
    async with db.session() as session:
        await session.execute(
            update(_INBOX).where(_INBOX.c.id.in_(ids), _INBOX.c.claimed_by == worker).values(claimed_until=until)
        )
        await session.commit()


async def release(db: Database, worker: str, ids: list[int] | None = None, *, after: datetime | None = None) -> None:
    """Give back claims (all of the worker's, or `ids`): claimable again from `after` (at once when None)."""
    condition = _INBOX.c.claimed_by == worker
    if ids is not None:
        if not ids:
            return
        condition = condition & _INBOX.c.id.in_(ids)
    async with db.session() as session:
        await session.execute(update(_INBOX).where(condition).values(claimed_by=None, claimed_until=after))
        await session.commit()


async def done(db: Database, row_id: int) -> None:
    """The update was handled: forget it."""
    async with db.session() as session:
        await session.exec(delete(_INBOX).where(_INBOX.c.id == row_id))
        await session.commit()


async def oldest(db: Database) -> datetime | None:
    """When the oldest update still waiting arrived; None when the inbox is empty."""
    async with db.session() as session:
        return (await session.execute(select(func.min(_INBOX.c.received_at)))).scalar_one_or_none()


async def try_write(db: Database, now: datetime) -> None:
    """Write a row and roll it back: raises when the database takes no writes (a full disk, a
    read-only replica), which a read would not show."""
    async with db.session() as session:
        await session.execute(insert(_INBOX).values(
            platform="healthz", update_key="healthz", body={}, received_at=now, chat_key="healthz",
        ))
        await session.flush()
        await session.rollback()


async def waiting(db: Database, platform: str | None = None) -> list[Stored]:
    """Rows still to handle, oldest first (tests and the operator's view)."""
    query = select(_INBOX.c.id, _INBOX.c.platform, _INBOX.c.update_key, _INBOX.c.body, _INBOX.c.received_at,
                   _INBOX.c.attempts).order_by(_INBOX.c.id)
    if platform is not None:
        query = query.where(_INBOX.c.platform == platform)
    async with db.session() as session:
        rows = await session.execute(query)
        return [Stored(r.id, r.platform, r.update_key, r.body, r.received_at, r.attempts) for r in rows]
