"""The month's resolution (nghị quyết) adopted at a meeting, the figures it is drafted from, and the
reminders of its tasks.

One row per meeting. The tasks' reminders are outbox notices (worded when the resolution is
drawn, due a week before each task's date): keyed by resolution, task and date, so drawing the
paper again never sends one twice; a task corrected or removed drops its pending reminder.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, func, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.resolution import Task
from storage import outbox
from storage.meetings import Meeting
from storage.outbox import OutboxMessage
from storage.reports import Report
from storage.types import UtcDateTime, utcnow


class Resolution(SQLModel, table=True):
    __tablename__ = "resolution"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True)
    cell_id: int = Field(foreign_key="org_unit.id", index=True)
    results: str | None = Field(default=None, max_length=4000)  # the past month's results
    tasks: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # {what, member_id, member_name, due}
    step: str | None = Field(default=None, max_length=32)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)

    @property
    def task_list(self) -> list[Task]:
        return [Task(str(t["what"]), int(t["member_id"]), str(t["member_name"]), date.fromisoformat(str(t["due"])))
                for t in self.tasks or []]

    def set_tasks(self, tasks: list[Task]) -> None:
        self.tasks = [{"what": t.what, "member_id": t.member_id, "member_name": t.member_name,
                       "due": t.due.isoformat()} for t in tasks]


async def of_meeting(session: AsyncSession, meeting_id: int) -> Resolution | None:
    return (await session.exec(select(Resolution).where(Resolution.meeting_id == meeting_id))).first()


async def open_for(session: AsyncSession, meeting: Meeting, now: datetime) -> tuple[Resolution, bool]:
    """The meeting's resolution, and whether it was begun just now."""
    found = await of_meeting(session, int(meeting.id or 0))
    if found is not None:
        return found, False
    resolution = Resolution(meeting_id=int(meeting.id or 0), cell_id=meeting.cell_id, created_at=now, updated_at=now)
    session.add(resolution)
    await session.flush()
    return resolution, True


async def previous(session: AsyncSession, meeting: Meeting) -> Resolution | None:
    """The resolution of the cell's last meeting before this one (its tasks were last month's)."""
    return (await session.exec(
        select(Resolution).join(Meeting, col(Meeting.id) == col(Resolution.meeting_id))
        .where(Resolution.cell_id == meeting.cell_id, Meeting.starts_at < meeting.starts_at)
        .order_by(col(Meeting.starts_at).desc())
    )).first()


async def report_counts(session: AsyncSession, cell_id: int, first: date, after: date) -> tuple[dict[str, int], int]:
    """The cell's reports done in [first, after): counted by kind, and how many members reported."""
    where = (Report.cell_id == cell_id, Report.done_on >= first, Report.done_on < after)
    rows = (await session.exec(select(Report.kind, func.count()).where(*where).group_by(col(Report.kind)))).all()
    reporters = (await session.exec(select(func.count(func.distinct(Report.member_id))).where(*where))).one()
    return {str(kind): int(count) for kind, count in rows}, int(reporters)


def reminder_key(resolution_id: int, task: Task) -> str:
    """Stable across processes (a digest of the words, never Python's salted `hash`)."""
    digest = hashlib.sha256(task.what.encode()).hexdigest()[:10]
    return f"res{resolution_id}:{task.member_id}:{task.due.isoformat()}:{digest}"


async def plan_reminders(session: AsyncSession, resolution_id: int, wanted: list[tuple[Task, datetime, str]],
                         now: datetime) -> int:
    """Keep one pending reminder per task (task, when, words); drop those of tasks no longer in the
    resolution. Returns how many reminders are planned or already out."""
    keys = {reminder_key(resolution_id, task): (task, due, text) for task, due, text in wanted}
    stale = (await session.exec(select(OutboxMessage.id, OutboxMessage.key).where(
        col(OutboxMessage.key).startswith(f"res{resolution_id}:"), OutboxMessage.status == outbox.PENDING))).all()
    drop = [int(row_id) for row_id, key in stale if key not in keys and row_id is not None]
    if drop:
        await session.exec(update(OutboxMessage).where(col(OutboxMessage.id).in_(drop))
                           .values(status=outbox.DROPPED, last_error="the task was corrected or removed"))
    await outbox.enqueue(session, [outbox.New(key, task.member_id, outbox.NOTICE, due, None, {"text": text})
                                   for key, (task, due, text) in keys.items()], now)
    return len(keys)
