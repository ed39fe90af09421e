"""Party development's deadline reminders, through the outbox (issue 15).

Each open deadline (domain.development) has its reminders at 08:00: the ceremony 7 days before its
due day and, missed, the morning after; the probationary member's review on the day the 12 months
are complete, 7 days before its due day and, missed, the morning after; the class certificate 90
days before it lapses and the morning after it lapsed. They go to the cell's secretary; a missed
ceremony or review also to the committee's members.

Nothing is planned ahead: each planning pass enqueues the reminders whose time has come (late by
at most `GRACE`, when the bot was not running), and `moments` tells the scheduler when the next one
falls. At send time a reminder is dropped if its deadline was met or changed since (the ceremony
held, the cell's review recorded, the member recognised or removed, a decision date corrected).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import development as dev
from domain import meeting_rules as rules
from domain.development import Deadline, DeadlineKind
from domain.membership import probation_end
from domain.messages import Reply
from domain.vocabulary import Position, Status
from storage import candidates, outbox
from storage.candidates import Candidate, progress_of
from storage.meetings import secretaries
from storage.tables import Member, OrgUnit, Role
from storage.types import table_of

GRACE = timedelta(days=1)  # a reminder whose time passed while the bot was down still goes this long after
NEAR, END, MISSED = "near", "end", "missed"
TO_COMMITTEE = (DeadlineKind.CEREMONY, DeadlineKind.REVIEW)  # a missed one is reported to the committee too
COMMITTEE_ROLES = (Position.SECRETARY, Position.DEPUTY, Position.COMMITTEE_MEMBER)
_CANDIDATE = table_of(Candidate)
_MEMBER = table_of(Member)
_ROLE = table_of(Role)


@dataclass(frozen=True, slots=True)
class Due:
    """One reminder of one deadline: `subject` "c<candidate id>" or "m<member id>"."""

    subject: str
    cell_id: int
    deadline: Deadline
    step: str  # near / end / missed
    at: datetime

    def payload(self) -> dict[str, Any]:
        return {"subject": self.subject, "deadline": str(self.deadline.kind), "due": self.deadline.due.isoformat(),
                "step": self.step}

    def key(self, recipient: int) -> str:
        return f"dev:{self.subject}:{self.deadline.kind}:{self.deadline.due.isoformat()}:{self.step}:{recipient}"


def _steps(deadline: Deadline, started: date, end: date | None = None) -> list[tuple[str, date]]:
    """The days a deadline's reminders go (none before the day it arose); `end`: the day the 12
    months of probation are complete (a review's first reminder)."""
    days = [(NEAR, deadline.warn_from), (MISSED, deadline.due + timedelta(days=1))]
    if end is not None:
        days.insert(0, (END, end))
    return [(step, day) for step, day in days if day > started]


async def all_dues(session: AsyncSession, tz: ZoneInfo) -> list[Due]:
    """Every reminder of every open deadline, past and future (cheap: a few columns of open rows)."""
    found: list[Due] = []
    rows = await session.execute(select(
        _CANDIDATE.c.id, _CANDIDATE.c.cell_id, _CANDIDATE.c.listed_on, _CANDIDATE.c.class_on,
        _CANDIDATE.c.decided_on).where(and_(_CANDIDATE.c.admitted_on.is_(None), _CANDIDATE.c.class_on.is_not(None))))
    for row in rows:
        progress = dev.Progress(row.listed_on, class_on=row.class_on, decided=row.decided_on)
        for deadline in dev.candidate_deadlines(progress):
            started = row.decided_on if deadline.kind is DeadlineKind.CEREMONY else row.class_on
            found += [Due(f"c{row.id}", row.cell_id, deadline, step, rules.local_start(day, rules.REMINDER_TIME, tz))
                      for step, day in _steps(deadline, started)]
    members = await session.execute(select(_MEMBER.c.id, _MEMBER.c.cell_id, _MEMBER.c.admitted_on).where(and_(
        _MEMBER.c.status == Status.PROBATIONARY, _MEMBER.c.active.is_(True), _MEMBER.c.admitted_on.is_not(None),
        _MEMBER.c.cell_id.is_not(None), ~candidates.was_reviewed(_MEMBER.c.id))))  # reviewed: no more reminders
    for row in members:
        deadline = dev.probation_deadline(row.admitted_on)
        for step, day in _steps(deadline, row.admitted_on, probation_end(row.admitted_on)):
            at = rules.local_start(day, rules.REMINDER_TIME, tz)
            found.append(Due(f"m{row.id}", row.cell_id, deadline, step, at))
    return found


async def plan(session: AsyncSession, now: datetime, tz: ZoneInfo) -> list[outbox.New]:
    """The reminders whose time has come (not more than `GRACE` ago), one row per recipient."""
    new: list[outbox.New] = []
    for due in await all_dues(session, tz):
        if not now - GRACE <= due.at <= now:
            continue
        recipients = set(await secretaries(session, due.cell_id))
        if due.step == MISSED and due.deadline.kind in TO_COMMITTEE:
            recipients |= set(await committee_members(session, due.cell_id))
        new += [outbox.New(due.key(person), person, outbox.DEVELOPMENT, due.at, None, due.payload())
                for person in sorted(recipients)]
    return new


async def moments(session: AsyncSession, after: datetime, tz: ZoneInfo) -> list[datetime]:
    """When the next reminders fall (for the scheduler's next wake-up)."""
    return [due.at for due in await all_dues(session, tz) if due.at > after]


async def committee_members(session: AsyncSession, cell_id: int) -> list[int]:
    cell = await session.get(OrgUnit, cell_id)
    if cell is None or cell.parent_id is None:
        return []
    rows = await session.execute(select(_ROLE.c.member_id).where(and_(
        _ROLE.c.unit_id == cell.parent_id, _ROLE.c.role.in_([str(role) for role in COMMITTEE_ROLES]))))
    return sorted({int(row.member_id) for row in rows})


# -- at send time ---------------------------------------------------------------------------------------

async def compose(session: AsyncSession, row: Any, now: datetime, tz: ZoneInfo) -> Reply | str:
    """The reminder as it reads now, or why it is no longer sent (a str)."""
    payload = row.payload
    subject, kind, step = str(payload["subject"]), DeadlineKind(payload["deadline"]), str(payload["step"])
    due = date.fromisoformat(str(payload["due"]))
    today = now.astimezone(tz).date()
    if subject.startswith("c"):
        candidate = await session.get(Candidate, int(subject[1:]))
        if candidate is None or candidate.admitted_on is not None:
            return "the candidate was admitted"
        current = {d.kind: d.due for d in dev.candidate_deadlines(progress_of(candidate))}
        if current.get(kind) != due:
            return "the deadline changed since"
        cell = await session.get(OrgUnit, candidate.cell_id)
        who = f"quần chúng {candidate.full_name} (số {candidate.number}, {cell.name if cell else 'chi bộ'})"
        return Reply(_candidate_text(kind, step, who, candidate, due, today))
    member = await session.get(Member, int(subject[1:]))
    if member is None or not member.active or member.status != Status.PROBATIONARY or member.admitted_on is None:
        return "no longer a probationary member"
    if dev.review_due(member.admitted_on) != due:
        return "the deadline changed since"
    if await candidates.reviewed(session, [int(member.id or 0)]):
        return "the cell reviewed the member since"
    cell = await session.get(OrgUnit, member.cell_id) if member.cell_id else None
    who = f"đảng viên dự bị {member.full_name} ({cell.name if cell else 'chi bộ'})"
    return Reply(_review_text(step, who, member.admitted_on, due, today))


def _left(due: date, today: date) -> str:
    days = (due - today).days
    return "hôm nay là hạn chót" if days == 0 else f"còn {days} ngày"


def _candidate_text(kind: DeadlineKind, step: str, who: str, candidate: Candidate, due: date, today: date) -> str:
    if kind is DeadlineKind.CERTIFICATE:
        if step == MISSED:
            return (f"Phát triển đảng viên: giấy chứng nhận lớp nhận thức về Đảng của {who} đã hết hiệu lực từ "
                    f"{due + timedelta(days=1):%d/%m/%Y} (5 năm). Cần học lại lớp trước khi chi bộ xét kết nạp.")
        return (f"Phát triển đảng viên: giấy chứng nhận lớp nhận thức về Đảng của {who} còn hiệu lực đến "
                f"{due:%d/%m/%Y} ({_left(due, today)}). Hoàn thành hồ sơ kết nạp trước ngày đó, hoặc cho quần "
                "chúng học lại lớp.")
    decided = f"quyết định kết nạp ngày {candidate.decided_on:%d/%m/%Y}" if candidate.decided_on else "quyết định"
    if step == MISSED:
        return (f"QUÁ HẠN phát triển đảng viên: chưa tổ chức lễ kết nạp {who}; hạn là {due:%d/%m/%Y} "
                f"({dev.CEREMONY_WORKING_DAYS} ngày làm việc từ {decided}). Khi đã tổ chức, ghi: "
                f"/nguon {candidate.number} ketnap dd/mm/yyyy")
    return (f"Nhắc hạn phát triển đảng viên: lễ kết nạp {who} phải tổ chức chậm nhất ngày {due:%d/%m/%Y} "
            f"({dev.CEREMONY_WORKING_DAYS} ngày làm việc từ {decided}), {_left(due, today)}. Khi đã tổ chức, ghi: "
            f"/nguon {candidate.number} ketnap dd/mm/yyyy")


def _review_text(step: str, who: str, admitted_on: date, due: date, today: date) -> str:
    end = probation_end(admitted_on)
    if step == MISSED:
        return (f"QUÁ HẠN phát triển đảng viên: {who} đủ 12 tháng dự bị ngày {end:%d/%m/%Y}, chưa được công nhận "
                f"chính thức; hạn chi bộ xét là {due:%d/%m/%Y} ({dev.REVIEW_WORKING_DAYS} ngày làm việc). Cấp ủy "
                "ghi khi có quyết định: /dubi <số|tên> congnhan dd/mm/yyyy")
    if step == END:
        return (f"Phát triển đảng viên: {who} đủ 12 tháng dự bị hôm nay ({end:%d/%m/%Y}). Chi bộ xét, đề nghị công "
                f"nhận đảng viên chính thức chậm nhất ngày {due:%d/%m/%Y} ({dev.REVIEW_WORKING_DAYS} ngày làm việc).")
    return (f"Nhắc hạn phát triển đảng viên: chi bộ xét, đề nghị công nhận chính thức {who} chậm nhất ngày "
            f"{due:%d/%m/%Y}, {_left(due, today)} (đủ 12 tháng dự bị ngày {end:%d/%m/%Y}).")
