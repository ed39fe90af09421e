"""Which messengers a member has linked, and the one they chose to be reached on (/kenh)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import ChatAccount, Member
from storage.types import table_of

_ACCOUNT = table_of(ChatAccount)
_MEMBER = table_of(Member)


async def linked_platforms(session: AsyncSession, member_id: int) -> list[str]:
    """The member's messengers, the one used last first."""
    rows = await session.execute(
        select(_ACCOUNT.c.platform).where(_ACCOUNT.c.member_id == member_id)
        .order_by(_ACCOUNT.c.last_seen_at.desc(), _ACCOUNT.c.id.desc())
    )
    platforms: list[str] = []
    for (platform,) in rows:
        if platform not in platforms:
            platforms.append(platform)
    return platforms


async def preferred_platform(session: AsyncSession, member_id: int) -> str | None:
    return (await session.execute(
        select(_MEMBER.c.preferred_platform).where(_MEMBER.c.id == member_id)
    )).scalar_one_or_none()


async def set_preferred_platform(session: AsyncSession, member_id: int, platform: str | None) -> None:
    """Reach the member on `platform` from now on; None: on the messenger they used last."""
    await session.exec(update(_MEMBER).where(_MEMBER.c.id == member_id).values(preferred_platform=platform))
