"""Links to files for platforms that take a URL instead of an upload (Zalo's photos, exports).

A link is an unguessable token that maps to a copy of the file and expires; it lives in
the database so that a link sent before a restart still works after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlmodel import Field, SQLModel

from storage.db import Database
from storage.types import UtcDateTime, table_of, utcnow


class FileLink(SQLModel, table=True):
    """A file published at /files/<token> until `expires_at`."""

    __tablename__ = "file_link"

    token: str = Field(primary_key=True, max_length=64)
    stored_name: str = Field(max_length=100)  # the copy's name inside the links folder
    filename: str = Field(max_length=200)  # the name the person sees when downloading
    content_type: str = Field(max_length=100)
    expires_at: datetime = Field(sa_type=UtcDateTime, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


_LINK = table_of(FileLink)


@dataclass(frozen=True, slots=True)
class Link:
    token: str
    stored_name: str
    filename: str
    content_type: str
    expires_at: datetime


async def add(db: Database, link: Link, now: datetime) -> None:
    async with db.session() as session:
        await session.exec(insert(_LINK).values(
            token=link.token, stored_name=link.stored_name, filename=link.filename[:200],
            content_type=link.content_type, expires_at=link.expires_at, created_at=now,
        ))
        await session.commit()


async def find(db: Database, token: str, now: datetime) -> Link | None:
    """The live link with this token; None when unknown or expired."""
    async with db.session() as session:
        row = (await session.execute(select(_LINK).where(_LINK.c.token == token))).first()
    if row is None or row.expires_at <= now:
        return None
    return Link(row.token, row.stored_name, row.filename, row.content_type, row.expires_at)


async def take_expired(db: Database, now: datetime, limit: int = 500) -> list[str]:
    """Forget expired links; returns the stored names whose copies may now be deleted."""
    async with db.session() as session:
        rows = (await session.execute(
            select(_LINK.c.token, _LINK.c.stored_name).where(_LINK.c.expires_at <= now).limit(limit)
        )).all()
        if rows:
            await session.exec(delete(_LINK).where(_LINK.c.token.in_([r.token for r in rows])))
            await session.commit()
    return [r.stored_name for r in rows]
