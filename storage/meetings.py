"""Cell meetings (sinh hoạt chi bộ), the monthly rule that creates them, and attendance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UtcDateTime, utcnow

REGULAR = "regular"
THEMATIC = "thematic"
COMBINED = "combined"  # regular and thematic in one sitting (120 minutes)

SCHEDULED = "scheduled"
CANCELLED = "cancelled"
ENDED = "ended"

PRESENT = "present"
EXCUSED = "excused"
ABSENT = "absent"


class MeetingSeries(SQLModel, table=True):
    """A cell's regular monthly meeting: day of month and local time (a setting of the cell)."""

    __tablename__ = "meeting_series"

    id: int | None = Field(default=None, primary_key=True)
    cell_id: int = Field(foreign_key="org_unit.id", index=True)
    day: int  # 1–31; a day past the month's end falls on its last day
    local_time: str = Field(max_length=5)  # "19:30" in the deployment's time zone
    place: str | None = Field(default=None, max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Meeting(SQLModel, table=True):
    __table_args__ = (Index("ix_meeting_cell_start", "cell_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    cell_id: int = Field(foreign_key="org_unit.id")
    series_id: int | None = Field(default=None, foreign_key="meeting_series.id")
    kind: str = Field(default=REGULAR, max_length=16)
    starts_at: datetime = Field(sa_type=UtcDateTime)
    duration_minutes: int = 90
    place: str | None = Field(default=None, max_length=200)
    topic: str | None = Field(default=None, max_length=300)  # the theme of a thematic meeting
    content: str | None = Field(default=None, max_length=1000)
    status: str = Field(default=SCHEDULED, max_length=16)
    checkin_code: str | None = Field(default=None, max_length=8)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Attendance(SQLModel, table=True):
    """A member's answer to an invitation and, once the meeting ends, their attendance."""

    __table_args__ = (
        UniqueConstraint("meeting_id", "member_id"),
        Index("ix_attendance_meeting_status", "meeting_id", "status"),
        Index("ix_attendance_member", "member_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id")
    member_id: int = Field(foreign_key="member.id")
    rsvp: str | None = Field(default=None, max_length=16)  # "yes" / "excused"
    reason: str | None = Field(default=None, max_length=500)
    status: str | None = Field(default=None, max_length=16)  # present / excused / absent
    checked_in_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
