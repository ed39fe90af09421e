"""Outcomes of sends that concern the database: who could not be reached."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from storage.db import Database
from storage.tables import ChatAccount
from storage.types import table_of

_ACCOUNT = table_of(ChatAccount)


async def mark_unreachable(db: Database, platform: str, chat_id: str, now: datetime) -> None:
    """Remember that a chat refused our message, so secretaries can be told who is out of reach."""
    async with db.session() as session:
        await session.exec(
            update(_ACCOUNT)
            .where(_ACCOUNT.c.platform == platform, _ACCOUNT.c.chat_id == chat_id,
                   _ACCOUNT.c.unreachable_since.is_(None))
            .values(unreachable_since=now)
        )
        await session.commit()
