"""The minutes of a meeting (biên bản) as the secretary fills them in, step by step.

One row per meeting. The answers are kept as they are given (each step commits with the message
that answered it), so the minutes survive a restart or an abandoned conversation and `/bienban
<số>` resumes at `step`. What the bot already knows (time, place, who came, who was excused and
why) is not copied here: it is read from the meeting and its roll call whenever the papers are
drawn, so a roll call corrected afterwards shows in the papers.

The papers themselves are not stored: they are drawn again from this row when asked for. Files on
one machine's disk would not be seen by the other processes of a deployment (bot/runner.py: any
worker takes any message), and the row is what the cell keeps for the long term.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.minutes import AgendaItem, Vote
from storage.meetings import Meeting
from storage.tables import OrgUnit
from storage.types import UtcDateTime, utcnow


class Minutes(SQLModel, table=True):
    __tablename__ = "minutes"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True)
    cell_id: int = Field(foreign_key="org_unit.id", index=True)
    chair_id: int | None = Field(default=None, foreign_key="member.id")  # chủ trì
    recorder_id: int | None = Field(default=None, foreign_key="member.id")  # thư ký (minute-taker)
    guests: str | None = Field(default=None, max_length=500)
    agenda: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # AgendaItem.to_json()
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstain: int | None = None
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    step: str | None = Field(default=None, max_length=32)  # the step to ask next; None: every step was asked
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # the papers were first produced
    created_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)

    @property
    def items(self) -> list[AgendaItem]:
        return [AgendaItem.from_json(raw) for raw in self.agenda or []]

    def set_items(self, items: list[AgendaItem]) -> None:
        self.agenda = [item.to_json() for item in items]  # a new list: JSON columns track assignment

    @property
    def vote(self) -> Vote | None:
        if self.votes_for is None:
            return None
        return Vote(self.votes_for, self.votes_against or 0, self.votes_abstain or 0)

    def set_vote(self, vote: Vote | None) -> None:
        self.votes_for, self.votes_against, self.votes_abstain = (
            (vote.agree, vote.disagree, vote.abstain) if vote else (None, None, None))


async def of_meeting(session: AsyncSession, meeting_id: int) -> Minutes | None:
    return (await session.exec(select(Minutes).where(Minutes.meeting_id == meeting_id))).first()


async def open_for(session: AsyncSession, meeting: Meeting, by: int | None, now: datetime) -> Minutes:
    """The meeting's minutes, begun now when there are none."""
    found = await of_meeting(session, int(meeting.id or 0))
    if found is not None:
        return found
    minutes = Minutes(meeting_id=int(meeting.id or 0), cell_id=meeting.cell_id, created_by=by, created_at=now,
                      updated_at=now)
    session.add(minutes)
    await session.flush()
    return minutes


async def of_cells(session: AsyncSession, cell_ids: list[int]) -> list[tuple[Minutes, Meeting]]:
    """The minutes of these cells with their meetings, latest meeting first."""
    if not cell_ids:
        return []
    rows = (await session.exec(
        select(Minutes, Meeting).join(Meeting, col(Meeting.id) == col(Minutes.meeting_id))
        .where(col(Minutes.cell_id).in_(cell_ids)).order_by(col(Meeting.starts_at).desc())
    )).all()
    return [(minutes, meeting) for minutes, meeting in rows]


async def finished_months(session: AsyncSession, cell_ids: list[int], tz: ZoneInfo) -> dict[int, set[tuple[int, int]]]:
    """For each cell, the (year, month) of its meetings whose minutes were produced (local time)."""
    found: dict[int, set[tuple[int, int]]] = {}
    if not cell_ids:
        return found
    rows = (await session.exec(
        select(Minutes.cell_id, Meeting.starts_at).join(Meeting, col(Meeting.id) == col(Minutes.meeting_id))
        .where(col(Minutes.cell_id).in_(cell_ids), col(Minutes.finished_at).is_not(None))
    )).all()
    for cell_id, starts_at in rows:
        moment = starts_at.astimezone(tz)  # the column's type hands back aware UTC times
        found.setdefault(int(cell_id), set()).add((moment.year, moment.month))
    return found


async def finished_of(session: AsyncSession, meeting_ids: list[int]) -> set[int]:
    """Which of these meetings have their minutes produced."""
    if not meeting_ids:
        return set()
    rows = (await session.exec(select(Minutes.meeting_id).where(
        col(Minutes.meeting_id).in_(meeting_ids), col(Minutes.finished_at).is_not(None)))).all()
    return {int(row) for row in rows}


async def template_override(session: AsyncSession, cell_id: int, key: str) -> str | None:
    """A committee's own template for a paper (`org_unit.settings[key]`: a .docx path), set on the
    cell or inherited from its committee; None: the template shipped in templates/."""
    unit = await session.get(OrgUnit, cell_id)
    while unit is not None:
        value = (unit.settings or {}).get(key)
        if value:
            return str(value)
        unit = await session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
    return None
