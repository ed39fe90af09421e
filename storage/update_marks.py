"""The router's mark that a platform update was handled (processed_update), on the fast lane.

Taken first in every message's transaction, so it commits with what the message stored: a
second delivery of the same update finds it and is ignored. Pruning (storage/pruning.py) keeps
marks for UPDATE_MARK_RETENTION; one older than that is another update reusing the id.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.lane import Lane, Sql, lane
from storage.pruning import UPDATE_MARK_RETENTION
from storage.tables import UPDATE_KEY_MAX

MARK_TEXT = ("INSERT INTO processed_update (platform, update_key, at) VALUES (?, ?, ?) "
             "ON CONFLICT (platform, update_key) DO NOTHING")  # also within storage/accounts.py's mark_and_load
_MARK = Sql(MARK_TEXT)
_RENEW = Sql("UPDATE processed_update SET at = ? WHERE platform = ? AND update_key = ? AND at < ?")


async def mark(session: AsyncSession, platform: str, update_key: str, now: datetime) -> bool:
    """Mark the update handled in the session's transaction; False when it already was.

    A mark older than any redelivery can be is renewed instead (True): the platform reused the
    id (Telegram does after a week without updates), and this is a new update to handle.
    Pruning removes such marks hourly; this covers the hour, and the first minutes after a long
    stop.
    """
    key = update_key[:UPDATE_KEY_MAX]
    road = await lane(session)
    if await road.run(_MARK, platform, key, now):
        return True
    return await renew(road, platform, key, now)


async def renew(road: Lane, platform: str, key: str, now: datetime) -> bool:
    """After a mark was refused: True when the mark found is a stale one, now renewed (`mark`)."""
    return bool(await road.run(_RENEW, now, platform, key, now - UPDATE_MARK_RETENTION))
