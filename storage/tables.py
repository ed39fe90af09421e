"""The foundation's tables: organisation, members, roles, chat accounts, joining, conversations.

Feature modules (reports, meetings, ...) define their own tables in their own modules;
`storage.schema` imports them all so that `SQLModel.metadata` is complete for migrations.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.vocabulary import Status
from storage.types import UtcDateTime, utcnow

# Member status (domain.md: chính thức / dự bị / miễn sinh hoạt).

# Roles.

# Unit kinds.


class OrgUnit(SQLModel, table=True):
    """A grassroots committee (đảng bộ cơ sở) or a cell (chi bộ) under it."""

    __tablename__ = "org_unit"
    __table_args__ = (Index("ix_org_unit_parent", "parent_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, index=True)
    parent_id: int | None = Field(default=None, foreign_key="org_unit.id")
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    dissolved_on: date | None = None  # a cell dissolved (giải thể): its history stays, it takes no new members
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Member(SQLModel, table=True):
    """A Party member (đảng viên). `cell_id` is NULL for committee-only staff."""

    __table_args__ = (Index("ix_member_cell", "cell_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    cell_id: int | None = Field(default=None, foreign_key="org_unit.id")
    full_name: str = Field(max_length=120)
    name_key: str = Field(max_length=120)
    gender: str | None = Field(default=None, max_length=8)  # "nam" / "nu"
    birth_year: int | None = None
    status: str = Field(default=Status.OFFICIAL, max_length=16)
    admitted_on: date | None = None
    official_on: date | None = None
    active: bool = True
    preferred_platform: str | None = Field(default=None, max_length=16)  # set by /kenh; None: used last
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Role(SQLModel, table=True):
    """A position held in a unit: secretary of a cell, committee member of a committee..."""

    __table_args__ = (UniqueConstraint("member_id", "unit_id", "role"), Index("ix_role_unit", "unit_id"))

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    unit_id: int = Field(foreign_key="org_unit.id")
    role: str = Field(max_length=24)


class ChatAccount(SQLModel, table=True):
    """One messenger identity (platform + its user id); linked to a member once joined."""

    __tablename__ = "chat_account"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"), Index("ix_account_member", "member_id"))

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    platform_user_id: str = Field(max_length=64)
    chat_id: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=200)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    unreachable_since: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class JoinCode(SQLModel, table=True):
    """A code that admits its bearer to a unit: as its secretary, or as a member to be approved."""

    __tablename__ = "join_code"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    unit_id: int = Field(foreign_key="org_unit.id", index=True)
    purpose: str = Field(max_length=16)  # "secretary" (one-time) or "member" (reusable until replaced)
    used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class JoinRequest(SQLModel, table=True):
    """Someone with a member code asks to join a cell; the secretary decides.

    `number` is the cell's own (its first request is 1), never reused: a notice's button
    "/duyet 3 đồng ý" tapped days later still means that request, and deciding one while the
    list is shown renumbers nothing. `id` stays internal.
    """

    __tablename__ = "join_request"
    __table_args__ = (Index("ix_join_request_unit", "unit_id", "status"),
                      Index("ix_join_request_unit_number", "unit_id", "number", unique=True))

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="org_unit.id")
    number: int  # the cell's own: 1, 2, 3... (storage.org.add_request)
    account_id: int = Field(foreign_key="chat_account.id")
    full_name: str = Field(max_length=120)
    status: str = Field(default="pending", max_length=16)  # pending / approved / refused
    member_id: int | None = Field(default=None, foreign_key="member.id")
    decided_by: int | None = Field(default=None, foreign_key="member.id")
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class CodeAttempt(SQLModel, table=True):
    """A wrong join code typed by an account: counted to slow down guessing."""

    __tablename__ = "code_attempt"
    __table_args__ = (Index("ix_code_attempt_account", "account_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="chat_account.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Conversation(SQLModel, table=True):
    """A half-finished conversation of one account, kept in the database to survive restarts."""

    account_id: int = Field(primary_key=True, foreign_key="chat_account.id")
    flow: str | None = Field(default=None, max_length=32)
    step: str | None = Field(default=None, max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    choices: list[list[str]] = Field(default_factory=list, sa_type=JSON)  # [[label, value], ...]
    chat_id: str | None = Field(default=None, max_length=64)  # where it started: it continues only there
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


UPDATE_KEY_MAX = 96  # characters of a platform update's key kept: by its mark, and by its inbox row before


class ProcessedUpdate(SQLModel, table=True):
    """A platform update already handled: a second delivery of it is ignored."""

    __tablename__ = "processed_update"
    __table_args__ = (UniqueConstraint("platform", "update_key"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    update_key: str = Field(max_length=UPDATE_KEY_MAX)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
