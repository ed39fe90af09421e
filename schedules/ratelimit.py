"""Pacing sends to a platform's limits: evenly spaced overall, and one message per chat at a time.

Telegram allows about 30 messages/s overall and about 1/s per chat (platforms.md). Sends are
given time slots `1/rate` apart; a message whose chat was written to less than `chat_interval`
ago takes a later slot while messages to other chats use the slots before it (no head-of-line
blocking). After a 429 the platform is paused for its `retry_after`, and slots reserved
meanwhile are taken again.

Slots alone are not enough: a send may wake late from its slot (the event loop was busy, a
garbage collection ran), and two sends delayed by different amounts leave close together; a
second with 31 departures draws a 429. So each send also passes a gate just before it leaves:
at most `rate` departures in any rolling second, and never two closer than half a slot.

Time is injectable (`monotonic`, `sleep`) so that tests need no real waiting.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable


class RateLimiter:
    def __init__(
        self,
        rate: float,
        chat_interval: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.chat_interval = chat_interval
        self._interval = 1.0 / rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._base: float | None = None
        self._taken: set[int] = set()
        self._chat_free: dict[str, float] = {}
        self._paused_until = 0.0
        self._departures: deque[float] = deque()
        self._cap = max(1, math.floor(rate))

    def reserve(self, chat: str) -> float:
        """Take the earliest free slot for `chat`; returns its (monotonic) time."""
        now = self._monotonic()
        if self._base is None:
            self._base = now
        earliest = max(now, self._chat_free.get(chat, 0.0), self._paused_until)
        slot = max(0, math.ceil((earliest - self._base) / self._interval - 1e-9))
        while slot in self._taken:
            slot += 1
        self._taken.add(slot)
        at = self._base + slot * self._interval
        self._chat_free[chat] = at + self.chat_interval
        self._forget(now)
        return at

    def _forget(self, now: float) -> None:
        """Drop slots and chats in the past, so memory stays bounded over a long run."""
        assert self._base is not None
        if len(self._taken) > 256:
            current = int((now - self._base) / self._interval) - 1
            self._taken = {slot for slot in self._taken if slot >= current}
        if len(self._chat_free) > 4096:
            self._chat_free = {chat: free for chat, free in self._chat_free.items() if free > now}

    async def wait(self, chat: str) -> None:
        """Return when a message may be sent to `chat` (the caller sends at once)."""
        while True:
            at = self.reserve(chat)
            delay = at - self._monotonic()
            if delay > 0:
                await self._sleep(delay)
            now = self._monotonic()
            if now >= self._paused_until:
                # Measured from the real moment of sending, in case a slot was taken late.
                self._chat_free[chat] = max(self._chat_free.get(chat, 0.0), now + self.chat_interval)
                return
            self._chat_free[chat] = at  # the slot went unused: the chat is no busier than that

    async def chat_ready(self, chat: str) -> None:
        """Wait, without taking a slot, until `chat` may be written to again."""
        while (delay := self._chat_free.get(chat, 0.0) - self._monotonic()) > 0:
            await self._sleep(delay)

    def _gate_delay(self, now: float) -> float:
        departures = self._departures
        while departures and now - departures[0] >= 1.0:
            departures.popleft()
        delay = 0.0
        if len(departures) >= self._cap:
            delay = departures[0] + 1.0 - now
        if departures:
            delay = max(delay, departures[-1] + self._interval / 2 - now)
        return delay

    async def depart(self) -> None:
        """Call just before the request leaves: holds it back if departures crowd together."""
        while (delay := self._gate_delay(self._monotonic())) > 0:
            await self._sleep(delay)
        self._departures.append(self._monotonic())

    def pause(self, seconds: float) -> None:
        """The platform said 429: nobody sends until `seconds` from now."""
        self._paused_until = max(self._paused_until, self._monotonic() + max(0.0, seconds))

    @property
    def paused_until(self) -> float:
        return self._paused_until
