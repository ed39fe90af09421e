"""A meeting's documents and the message that carries them to each expected member.

The message is an outbox notice per member (key `m<meeting>:docs:<member>`: once), worded again
each time a document or the agenda is added while it waits, so that it carries everything
attached by the time it goes. A member who joins the list later, or a document added after it
went, is fetched with `/tailieu`. A file sent on a messenger (Telegram) goes as a notice of its
own next to it (key `m<meeting>:docfile:<document>:<member>`) to the members whose message has not
gone yet: re-sent by the platform's file id there, a download link on Zalo (bot/file_refs.py).

While they wait, they follow the meeting (`follow_meetings`, each planner pass): re-timed and
reworded when it moves, dropped when it is cancelled or over.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import documents as rules
from domain import meeting_rules
from domain.documents import Document
from domain.vocabulary import MeetingStatus
from storage import accounts, outbox, unit_settings
from storage.meetings import Meeting, title
from storage.outbox import OutboxMessage
from storage.types import UtcDateTime, id_of, utcnow


class MeetingDocument(SQLModel, table=True):
    __tablename__ = "meeting_document"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    name: str = Field(max_length=200)
    ref: str = Field(max_length=1000)  # a link, (the console) a path on this machine, or "telegram:<file id>"
    size: int | None = None
    added_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


async def _rows(session: AsyncSession, meeting_id: int) -> list[MeetingDocument]:
    return list((await session.exec(select(MeetingDocument).where(MeetingDocument.meeting_id == meeting_id)
                                    .order_by(col(MeetingDocument.id)))).all())


async def of_meeting(session: AsyncSession, meeting_id: int) -> list[Document]:
    return [Document(row.name, row.ref, row.size) for row in await _rows(session, meeting_id)]


async def files_of(session: AsyncSession, meeting_id: int) -> list[tuple[int, Document]]:
    """The documents kept on a messenger (sent as files), with their ids."""
    found = [(row.id, Document(row.name, row.ref, row.size)) for row in await _rows(session, meeting_id)]
    return [(doc_id, doc) for doc_id, doc in found if doc_id is not None and doc.platform is not None]


async def add(session: AsyncSession, meeting_id: int, document: Document, by: int | None, now: datetime) -> None:
    session.add(MeetingDocument(meeting_id=meeting_id, name=document.name, ref=document.ref, size=document.size,
                                added_by=by, created_at=now))
    await session.flush()


def key(meeting_id: int, member_id: int) -> str:
    return f"m{meeting_id}:docs:{member_id}"


def what(meeting: Meeting, tz: ZoneInfo) -> str:
    """The meeting as the message names it: its number, what it is, when."""
    return f"buổi số {meeting.number} ({title(meeting, tz)}), {meeting_rules.format_when(meeting.starts_at, tz)}"


async def send_at(session: AsyncSession, meeting: Meeting, now: datetime, tz: ZoneInfo) -> datetime:
    """When the documents go: with the cell's reminder at least a day before (see domain.documents)."""
    plan = meeting_rules.plan_from_setting(await unit_settings.get(session, meeting.cell_id, "reminder_plan"))
    return rules.send_at(meeting.starts_at, plan, now, tz)


async def send_to(session: AsyncSession, meeting: Meeting, member_ids: list[int], due: datetime, tz: ZoneInfo,
                  now: datetime) -> int:
    """Plan the message (and each file) to each member, once, and reword those still waiting;
    returns how many it already reached (they are not sent again)."""
    meeting_id = id_of(meeting)
    await outbox.enqueue(session, [outbox.New(key(meeting_id, member), member, outbox.NOTICE, due, meeting_id,
                                              {"text": ""}) for member in member_ids], now)
    await _reword(session, meeting, tz)
    await _send_files_to(session, meeting, member_ids, due, tz, now)
    gone = (await session.exec(select(OutboxMessage.id).where(
        col(OutboxMessage.key).startswith(f"m{meeting_id}:docs:"), OutboxMessage.status == outbox.SENT))).all()
    return len(gone)


async def _reword(session: AsyncSession, meeting: Meeting, tz: ZoneInfo) -> None:
    meeting_id = id_of(meeting)
    text = rules.message(what(meeting, tz), meeting.content, await of_meeting(session, meeting_id))
    await session.exec(update(OutboxMessage).where(
        col(OutboxMessage.key).startswith(f"m{meeting_id}:docs:"), col(OutboxMessage.status) == outbox.PENDING,
    ).values(payload={"text": text}))
    for doc_id, doc in await files_of(session, meeting_id):
        await session.exec(update(OutboxMessage).where(
            col(OutboxMessage.key).startswith(f"m{meeting_id}:docfile:{doc_id}:"),
            col(OutboxMessage.status) == outbox.PENDING,
        ).values(payload={"text": rules.file_caption(what(meeting, tz), doc), "file": doc.ref}))


async def _send_files_to(session: AsyncSession, meeting: Meeting, member_ids: list[int], due: datetime,
                         tz: ZoneInfo, now: datetime) -> None:
    """Each file to the members whose message still waits, on whichever messenger reaches them: the one
    keeping it re-sends it by its id, another sends it its own way (Zalo: a download link)."""
    meeting_id = id_of(meeting)
    files = await files_of(session, meeting_id)
    if not files:
        return
    waiting = set((await session.exec(select(OutboxMessage.member_id).where(
        col(OutboxMessage.key).startswith(f"m{meeting_id}:docs:"), OutboxMessage.status == outbox.PENDING))).all())
    targets = {member: await accounts.preferred_account(session, member) for member in member_ids
               if member in waiting}
    await outbox.enqueue(session, [
        outbox.New(f"m{meeting_id}:docfile:{doc_id}:{member}", member, outbox.NOTICE, due, meeting_id,
                   {"text": rules.file_caption(what(meeting, tz), doc), "file": doc.ref})
        for doc_id, doc in files for member, target in targets.items()
        if target is not None
    ], now)


async def follow_meetings(session: AsyncSession, now: datetime, tz: ZoneInfo) -> None:
    """Keep what still waits in step with its meeting: a moved meeting's documents go with its
    new reminder, worded with its new time; a cancelled (or begun) meeting's are not sent."""
    rows = (await session.exec(select(OutboxMessage).where(
        OutboxMessage.status == outbox.PENDING, OutboxMessage.kind == outbox.NOTICE,
        col(OutboxMessage.meeting_id).is_not(None), col(OutboxMessage.key).like("m%:doc%"),
    ))).all()
    by_meeting: dict[int, list[OutboxMessage]] = {}
    for row in rows:
        if row.meeting_id is not None:
            by_meeting.setdefault(row.meeting_id, []).append(row)
    for meeting_id, waiting in by_meeting.items():
        meeting = await session.get(Meeting, meeting_id)
        ids = [id_of(row) for row in waiting]
        if meeting is None or meeting.status == MeetingStatus.CANCELLED:
            await outbox.drop(session, ids, "the meeting was cancelled", now)
            continue
        if meeting.status != MeetingStatus.SCHEDULED or meeting.starts_at <= now:
            await outbox.drop(session, ids, "too late: the meeting has begun", now)
            continue
        due = await send_at(session, meeting, now, tz)
        moved = [row_id for row, row_id in zip(waiting, ids, strict=True)
                 if row.due_at != due and not (row.due_at <= now and due == now)]
        for row_id in moved:
            await outbox.reschedule(session, row_id, due)
        current = await _texts(session, meeting, tz)
        if any(str(row.payload.get("text") or "") not in current for row in waiting):
            await _reword(session, meeting, tz)


async def _texts(session: AsyncSession, meeting: Meeting, tz: ZoneInfo) -> set[str]:
    """What the waiting rows say when they are up to date (the message, each file's caption)."""
    meeting_id = id_of(meeting)
    named = what(meeting, tz)
    return {rules.message(named, meeting.content, await of_meeting(session, meeting_id)),
            *(rules.file_caption(named, doc) for _, doc in await files_of(session, meeting_id))}
