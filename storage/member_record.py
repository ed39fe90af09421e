"""One member's own record as /cuatoi shows it: attendance counts beside reports and ratings.

Meetings and attendance belong to another feature; this module only reads them, and shows
nothing about attendance when no meeting has recorded any.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.meetings import Attendance, Meeting
from storage.types import table_of

_ATTENDANCE = table_of(Attendance)
_MEETING = table_of(Meeting)


async def attendance_counts(session: AsyncSession, member_id: int, start: datetime, end: datetime) -> Counter[str]:
    """present / excused / absent counts of the member's meetings that started in [start, end)."""
    rows = await session.execute(
        select(_ATTENDANCE.c.status, func.count())
        .join(_MEETING, _MEETING.c.id == _ATTENDANCE.c.meeting_id)
        .where(and_(
            _ATTENDANCE.c.member_id == member_id, _ATTENDANCE.c.status.is_not(None),
            _MEETING.c.starts_at >= start, _MEETING.c.starts_at < end,
        ))
        .group_by(_ATTENDANCE.c.status)
    )
    return Counter({status: int(count) for status, count in rows})
