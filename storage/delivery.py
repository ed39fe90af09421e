"""Where a member can be reached, and outcomes of sends that concern the database: who could not be.

A member may have accounts on several messengers, and a process runs only some of them. A message
goes to the member's accounts on the running messengers, one after another until one takes it, so
an account on a messenger this process does not run never makes the member "unreachable".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.tables import ChatAccount, Member
from storage.types import table_of

_ACCOUNT = table_of(ChatAccount)
_MEMBER = table_of(Member)


@dataclass(frozen=True, slots=True)
class Account:
    """One chat account to deliver to."""

    id: int
    platform: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class Reach:
    """A member's accounts on the running messengers, in the order to try them (`running`), and the
    messengers they have that are not running here (`elsewhere`): with no running account but some
    elsewhere, a message waits instead of being given up."""

    running: tuple[Account, ...]
    elsewhere: tuple[str, ...]


async def reach(session: AsyncSession, member_id: int, running: Collection[str]) -> Reach:
    """The member's accounts, split by whether their messenger runs in this process.

    The order is the one for reminders (the messenger chosen with /kenh, else the one used last),
    except that accounts that already refused a message come after those that did not: a member
    who blocked the bot on Telegram but uses Zalo gets every message on Zalo at once, without a
    refused request first. A refused account is still tried when nothing better is left (the
    member may have unblocked the bot without writing to it).
    """
    refused = case((_ACCOUNT.c.unreachable_since.is_(None), 0), else_=1)
    chosen = case((_ACCOUNT.c.platform == _MEMBER.c.preferred_platform, 0), else_=1)
    rows = await session.execute(
        select(_ACCOUNT.c.id, _ACCOUNT.c.platform, _ACCOUNT.c.chat_id)
        .join(_MEMBER, _MEMBER.c.id == _ACCOUNT.c.member_id)
        .where(_ACCOUNT.c.member_id == member_id)
        .order_by(refused, chosen, _ACCOUNT.c.last_seen_at.desc(), _ACCOUNT.c.id.desc())
    )
    usable: list[Account] = []
    elsewhere: list[str] = []
    for row in rows:
        if row.platform in running:
            usable.append(Account(row.id, row.platform, row.chat_id))
        elif row.platform not in elsewhere:
            elsewhere.append(row.platform)
    return Reach(tuple(usable), tuple(elsewhere))


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
