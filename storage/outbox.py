"""The outbox: every scheduled message, keyed so that it is sent at most once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from storage.types import UtcDateTime, utcnow

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
DROPPED = "dropped"  # too late to be useful (e.g. the meeting has begun)
UNREACHABLE = "unreachable"


class OutboxMessage(SQLModel, table=True):
    """A message due at `due_at` to a member. `key` (what, for whom, which reminder) is unique:
    planning the same reminder twice, after a restart or a move, cannot send it twice."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "due_at"),)

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
    last_error: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
