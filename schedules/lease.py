"""The single-dispatcher lock: a lease row in the database decides which process may send.

Several schedulers on one database would send every reminder twice or double the platform's
rate (platforms.md: APScheduler's FAQ). A process dispatches only while it holds the lease; it
renews it as it works, and every claim of a message checks it in the same statement.

A process that dies keeps the lease until it expires. A new process on the same machine need
not wait: when the holder's process id no longer exists, it takes over at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from storage import outbox
from storage.db import Database

log = logging.getLogger(__name__)
LOCK_NAME = "outbox"


def new_owner() -> str:
    """`host:pid:random`: unique per process run, and tells a same-host successor whom to check."""
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _dead_on_this_host(holder: str) -> bool:
    """True when the holder ran on this machine and its process no longer exists."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname()[:64] or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, run by another user
        return False
    return False


class DispatchLock:
    def __init__(self, db: Database, clock: Callable[[], datetime], lease: timedelta, owner: str | None = None,
                 name: str = LOCK_NAME) -> None:
        self.db = db
        self.clock = clock
        self.lease = lease
        self.owner = owner or new_owner()
        self.name = name
        self.held = False
        self._renewed_at: datetime | None = None
        self._renewing = asyncio.Lock()

    async def acquire(self) -> bool:
        """Take or renew the lease. On taking it afresh, rows a dead dispatcher left `sending` are
        marked `unknown`: they may have reached the member, so they are never sent again."""
        now = self.clock()
        async with self.db.session() as session:
            holder = await outbox.take_lease(session, self.name, self.owner, now, now + self.lease)
            if holder and _dead_on_this_host(holder) and await outbox.take_over(
                    session, self.name, self.owner, holder, now + self.lease):
                log.warning("took the dispatcher lease over from %s (its process is gone)", holder)
                holder = None
            fresh = holder is None and not self.held
            if fresh:
                orphans = await outbox.orphans_to_unknown(session)
                if orphans:
                    log.warning("%d messages were being sent when the last dispatcher stopped: outcome unknown, "
                                "not sent again (ids %s)", len(orphans), orphans[:20])
            await session.commit()
        if holder is not None:
            if self.held:
                log.warning("dispatcher lease lost to %s", holder)
            self.held = False
            return False
        self.held = True
        self._renewed_at = now
        return True

    async def keep(self) -> bool:
        """Renew the lease when a third of it has passed (called before each send of a long pass)."""
        if self.held and self._renewed_at is not None and self.clock() - self._renewed_at < self.lease / 3:
            return True
        async with self._renewing:  # concurrent sends renew once
            if self.held and self._renewed_at is not None and self.clock() - self._renewed_at < self.lease / 3:
                return True
            return await self.acquire()

    async def release(self) -> None:
        if not self.held:
            return
        async with self.db.session() as session:
            await outbox.release_lease(session, self.name, self.owner, self.clock())
            await session.commit()
        self.held = False
