"""The minutes' paper: what the bot knows of the meeting joined with what the secretary answered,
drawn as DOCX and PDF and sent (Telegram: documents; Zalo: links; the console: paths).

What the bot knows is read now, not copied when the minutes began: a roll call corrected
afterwards shows in the papers drawn after it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from domain import meeting_rules as rules
from domain.minutes import MinutesPaper, locality, written_date, written_time
from handlers import files
from handlers.context import Ctx
from handlers.meetings import capital
from storage import attendance
from storage import minutes as stored
from storage.meetings import Meeting, Person, cell_members, title
from storage.tables import Member, OrgUnit

TEMPLATE_SETTING = "minutes_template"


@dataclass(frozen=True, slots=True)
class Facts:
    """What the roll call says: whom the minutes may name as chair, minute-taker or speaker."""

    present: list[Person]
    members: list[Person]


async def facts(ctx: Ctx, meeting: Meeting) -> Facts:
    tally = await attendance.tally(ctx.session, meeting)
    return Facts(tally.present, await cell_members(ctx.session, meeting.cell_id))


async def _name(ctx: Ctx, member_id: int | None) -> str:
    if member_id is None:
        return ""
    member = await ctx.session.get(Member, member_id)
    return member.full_name if member is not None else ""


def _written_moment(moment: datetime, ctx: Ctx) -> str:
    local = moment.astimezone(ctx.settings.tz)
    return f"{written_time(local.time())}, {written_date(local.day, local.month, local.year)}"


async def heading(ctx: Ctx, meeting: Meeting) -> tuple[str, str, str]:
    """The paper's heading: the committee, the cell, and "Tân Định, ngày 05 tháng 01 năm 2027"
    (dated the day of the meeting, where the committee is)."""
    cell = await ctx.session.get(OrgUnit, meeting.cell_id)
    committee = await ctx.session.get(OrgUnit, cell.parent_id) if cell and cell.parent_id else None
    committee_name = committee.name if committee else (cell.name if cell else "")
    start = meeting.starts_at.astimezone(ctx.settings.tz)
    return (committee_name, cell.name if cell else "",
            f"{locality(committee_name)}, {written_date(start.day, start.month, start.year)}")


async def paper(ctx: Ctx, minutes: stored.Minutes, meeting: Meeting) -> MinutesPaper:
    tz = ctx.settings.tz
    committee_name, cell_name, place_date = await heading(ctx, meeting)
    tally = await attendance.tally(ctx.session, meeting)
    everyone = await cell_members(ctx.session, meeting.cell_id)
    exempt = sum(1 for person in everyone if person.exempt)
    excused = [(person.full_name, reason) for person, reason in tally.excused]
    absent = [person.full_name for person in tally.absent]
    verdict = rules.attendance_lines(len(tally.present), len(tally.expected), excused, absent, exempt)[-1]
    start = meeting.starts_at.astimezone(tz)
    closed = (minutes.closed_at or meeting.ends_at).astimezone(tz)
    closed_text = written_time(closed.time()) + (" cùng ngày" if closed.date() == start.date()
                                                 else f", {written_date(closed.day, closed.month, closed.year)}")
    return MinutesPaper(
        committee=committee_name, cell=cell_name, place_date=place_date,
        title=capital(title(meeting, tz)).replace("Sinh hoạt", "Sinh hoạt chi bộ", 1),
        opened=_written_moment(meeting.starts_at, ctx), place=meeting.place or "",
        chair=await _name(ctx, minutes.chair_id), recorder=await _name(ctx, minutes.recorder_id),
        guests=minutes.guests or "", total=len(everyone), expected=len(tally.expected), exempt=exempt,
        present=len(tally.present), present_names=[person.full_name for person in tally.present],
        excused=excused, absent=absent, agenda=minutes.items, vote=minutes.vote, closed=closed_text,
        attendance_verdict=verdict,
    )


async def draw(ctx: Ctx, minutes: stored.Minutes, meeting: Meeting) -> tuple[Path, Path]:
    """Both files of the minutes, under the files dir; the committee's own template if it has one."""
    from handlers import papers  # docxtpl and WeasyPrint: imported when a paper is drawn, not at start-up

    fields = (await paper(ctx, minutes, meeting)).context()
    own = await stored.template_override(ctx.session, meeting.cell_id, TEMPLATE_SETTING)
    stem = f"bien-ban-buoi-{meeting.number}-{fields['cell']}"
    docx = files.new_path(ctx.settings.files_dir, stem, "docx")
    pdf = docx.with_suffix(".pdf")
    await asyncio.to_thread(papers.draw, fields, "bien_ban", docx, pdf, Path(own) if own else None)
    return docx, pdf
