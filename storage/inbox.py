"""The webhook inbox: an update is stored before the platform is told "200 OK".

A webhook answered 200 is never delivered again, so the answer must mean "kept": the web
server writes the raw update here first, answers, and handles it afterwards; the row goes
once the update is handled. Rows left by a crash or a shutdown are handled at the next
start. The router's own de-duplication (processed_update) makes handling a row twice
harmless, and the unique key here stops a repeated delivery from queueing a second copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from storage.db import Database
from storage.types import UtcDateTime, inserted_id, table_of, utcnow


class InboxUpdate(SQLModel, table=True):
    """One platform update received by webhook and not yet handled."""

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
    attempts: int = 0  # transient faults met so far


_INBOX = table_of(InboxUpdate)


@dataclass(frozen=True, slots=True)
class Stored:
    id: int
    platform: str
    update_key: str
    body: dict[str, Any]


async def store(db: Database, platform: str, update_key: str, body: dict[str, Any], now: datetime) -> int | None:
    """Keep an update; its row id, or None when the same update is already waiting."""
    async with db.session() as session:
        try:
            result = await session.exec(insert(_INBOX).values(
                platform=platform, update_key=update_key[:96], body=body, received_at=now,
            ))
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return None
        return inserted_id(result)


async def waiting(db: Database, platform: str) -> list[Stored]:
    """Updates of a platform still to handle, oldest first."""
    async with db.session() as session:
        rows = await session.execute(
            select(_INBOX.c.id, _INBOX.c.platform, _INBOX.c.update_key, _INBOX.c.body)
            .where(_INBOX.c.platform == platform).order_by(_INBOX.c.id)
        )
        return [Stored(r.id, r.platform, r.update_key, r.body) for r in rows]


async def done(db: Database, platform: str, update_key: str) -> None:
    """The update was handled: forget it."""
    async with db.session() as session:
        await session.exec(
            delete(_INBOX).where(_INBOX.c.platform == platform, _INBOX.c.update_key == update_key[:96])
        )
        await session.commit()
