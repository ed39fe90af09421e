"""The running bot: the router, the channels and the clock, wired together.

`Chibo` is the one object channels talk to. It handles each incoming message through the
router and delivers the replies once the router has committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.channels.base import Channel
from bot.clock import Clock, SystemClock
from domain.messages import Incoming, Outgoing, PlatformCaps, RetryLater, SendError, Unreachable
from handlers.catalog import default_catalog
from handlers.context import HandlerSettings
from handlers.registry import Catalog
from handlers.router import Router
from storage import delivery
from storage.db import Database

log = logging.getLogger(__name__)
Tick = Callable[[datetime], Awaitable[None]]
DIRECT_RETRIES = 3


class Chibo:
    def __init__(
        self,
        db: Database,
        settings: HandlerSettings | None = None,
        *,
        clock: Clock | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self.db = db
        self.settings = settings or HandlerSettings()
        self.clock = clock or SystemClock()
        self.catalog = catalog or default_catalog()
        self.router = Router(db, self.catalog, self.settings)
        self.channels: dict[str, Channel] = {}
        self.tick_hooks: list[Tick] = []

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.caps.name] = channel

    def caps(self, platform: str) -> PlatformCaps:
        channel = self.channels.get(platform)
        return channel.caps if channel else PlatformCaps(platform)

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Handle one message and deliver its replies; returns them (tests read them)."""
        outgoing = await self.router.handle(incoming, self.caps(incoming.platform), self.clock.now())
        for out in outgoing:
            await self.deliver(out)
        return outgoing

    async def deliver(self, out: Outgoing) -> bool:
        """Send a reply now, retrying what the platform asks us to retry; True when delivered."""
        channel = self.channels.get(out.to.platform)
        if channel is None:
            log.warning("no %s channel running: message to %s not sent", out.to.platform, out.to.chat_id)
            return False
        for attempt in range(DIRECT_RETRIES):
            try:
                await channel.send(out.to, out.reply)
                return True
            except RetryLater as error:
                log.info("retry after %.1fs (attempt %d)", error.seconds, attempt + 1)
                await asyncio.sleep(min(error.seconds, 30))
            except Unreachable as error:
                log.info("%s:%s unreachable: %s", out.to.platform, out.to.chat_id, error.reason)
                await delivery.mark_unreachable(self.db, out.to.platform, out.to.chat_id, self.clock.now())
                return False
            except SendError:
                log.exception("send to %s:%s failed", out.to.platform, out.to.chat_id)
                return False
        return False

    async def tick(self) -> None:
        """Run what is due at the clock's time (the scheduler registers itself here)."""
        now = self.clock.now()
        for hook in self.tick_hooks:
            await hook(now)
