"""Activity reports (báo cáo hoạt động): the table. Queries live beside it as the feature grows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.types import UtcDateTime, utcnow

# Report kinds, in the order members choose them (1..5).
REPORT_KINDS = ("study", "assigned", "residence", "mass_help", "other")


class Report(SQLModel, table=True):
    """One activity a member reports. `cell_id` is copied from the member so that a cell's
    tallies read one covering index, not a join."""

    __table_args__ = (
        Index("ix_report_cell_done", "cell_id", "done_on", "kind", "member_id"),
        Index("ix_report_member_done", "member_id", "done_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    cell_id: int = Field(foreign_key="org_unit.id")
    kind: str = Field(max_length=16)
    text: str = Field(max_length=2000)
    done_on: date
    photo: str | None = Field(default=None, max_length=512)  # Telegram file id or a URL
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
