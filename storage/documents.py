"""A meeting's documents and the message that carries them to each expected member.

The message is an outbox notice per member (key `m<meeting>:docs:<member>`: once), worded again
each time a document or the agenda is added while it waits, so that it carries everything
attached by the time it goes. A member who joins the list later, or a document added after it
went, is fetched with `/tailieu`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.documents import Document
from storage import outbox
from storage.outbox import OutboxMessage
from storage.types import UtcDateTime, utcnow


class MeetingDocument(SQLModel, table=True):
    __tablename__ = "meeting_document"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    name: str = Field(max_length=200)
    ref: str = Field(max_length=1000)  # a link, or (the console) a path on this machine
    size: int | None = None
    added_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


async def of_meeting(session: AsyncSession, meeting_id: int) -> list[Document]:
    rows = (await session.exec(select(MeetingDocument).where(MeetingDocument.meeting_id == meeting_id)
                               .order_by(col(MeetingDocument.id)))).all()
    return [Document(row.name, row.ref, row.size) for row in rows]


async def add(session: AsyncSession, meeting_id: int, document: Document, by: int | None, now: datetime) -> None:
    session.add(MeetingDocument(meeting_id=meeting_id, name=document.name, ref=document.ref, size=document.size,
                                added_by=by, created_at=now))
    await session.flush()


def key(meeting_id: int, member_id: int) -> str:
    return f"m{meeting_id}:docs:{member_id}"


async def send_to(session: AsyncSession, meeting_id: int, member_ids: list[int], due: datetime, text: str,
                  now: datetime) -> int:
    """Plan the message to each member (once), and reword those still waiting; returns how many
    it already reached (they are not sent again)."""
    await outbox.enqueue(session, [outbox.New(key(meeting_id, member), member, outbox.NOTICE, due, meeting_id,
                                              {"text": text}) for member in member_ids], now)
    await session.exec(update(OutboxMessage).where(
        col(OutboxMessage.key).startswith(f"m{meeting_id}:docs:"), col(OutboxMessage.status) == outbox.PENDING,
    ).values(payload={"text": text}))
    gone = (await session.exec(select(OutboxMessage.id).where(
        col(OutboxMessage.key).startswith(f"m{meeting_id}:docs:"), OutboxMessage.status == outbox.SENT))).all()
    return len(gone)
