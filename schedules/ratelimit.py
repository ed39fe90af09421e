"""Pacing sends to a platform's limits: against the server's window, and one message per chat at a time.

Telegram allows about 30 messages in any second overall and about 1/s per chat (platforms.md).
The server counts a message when it arrives, and a request arrives one network trip after it
leaves, a trip that varies by some milliseconds. So the limiter keeps its own log of the moments
requests really left and lets at most `rate × window` leave in any `window + margin` seconds:
two requests 30 apart in the log left at least `window + margin` apart, and they arrive at least a
`window` apart unless the earlier one's trip was longer than it shows (see the answer, below).
A token bucket at a lower rate (28/s) wastes 7% by design and still draws 429s when two late sends
bunch up; the window of departures wastes only `margin / window` (0.5%) and holds a late send's
successor instead of letting it push a second over.

- Slots: sends are given time slots `(window + margin) / cap` apart; a message whose chat was
  written to less than `chat_interval` ago takes a later slot while messages to other chats use the
  slots before it (no head-of-line blocking).
- The gate (`depart`), just before the request leaves: the window of departures, and never two
  closer than half a slot. A send may wake late from its slot (the event loop was busy, a garbage
  collection ran), and the gate still holds it to the window.
- The real moment of leaving (`left`): what stands between the gate and the wire (the dispatcher's
  claim, a commit) varies; the departure is re-dated to when the request really left, so a slow
  commit cannot bring two requests 30 apart closer than the window.
- The answer (`answered`): no trip is shorter than the fastest seen lately, so a request answered
  at R was still on its way at R − fastest; one held up after its stamp (the event loop busy, a
  collection, a slow machine) is dated that late, and the one 30 after it waits as long. So the
  trips' jitter does not need a wide margin: measured on the bench's 100 ms server, p99 of the
  trips 10–40 ms over the fastest, no 429 with a 5 ms margin (a token bucket at 30/s exactly:
  600 answers 429 per 1,000 in the same run).
- A 429 (`pause`): nobody sends for the platform's `retry_after` (its rule), and the margin widens
  (the trips here vary more than it allowed), up to `max_margin`; after `calm` clean departures it
  narrows a step again, never below the configured margin.

Time is injectable (`monotonic`, `sleep`) so that tests need no real waiting.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

TRIPS = 64  # round trips remembered: the fastest of them bounds every trip
STALE = 30.0  # seconds after which a request never answered (cancelled) no longer counts


@dataclass(slots=True, eq=False)
class Departure:
    """One request: when it left (as the gate let it go, then as it really left) and when its
    answer came (None while in flight)."""

    at: float
    answered: float | None = None


class RateLimiter:
    def __init__(
        self,
        rate: float,
        chat_interval: float = 1.0,
        *,
        window: float = 1.0,
        margin: float = 0.0,
        max_margin: float = 0.1,
        calm: int = 3000,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or window <= 0 or margin < 0:
            raise ValueError("rate and window must be positive, margin not negative")
        self.rate = rate
        self.chat_interval = chat_interval
        self.window = window
        self.cap = max(1, math.floor(rate * window + 1e-9))  # departures allowed in one window
        self.floor_margin = margin
        self.max_margin = max(margin, max_margin)
        self.calm = calm
        self.margin = margin
        self._monotonic = monotonic
        self._sleep = sleep
        self._base: float | None = None
        self._taken: set[int] = set()
        self._chat_free: dict[str, float] = {}
        self._paused_until = 0.0
        self._log: list[Departure] = []
        self._trips: deque[float] = deque(maxlen=TRIPS)  # the latest round trips, for the fastest
        self._clean = 0  # departures since the last 429

    @property
    def span(self) -> float:
        """The stretch of departures that may hold at most `cap` of them."""
        return self.window + self.margin

    @property
    def interval(self) -> float:
        return self.span / self.cap

    # -- slots ---------------------------------------------------------------------------------------
    def reserve(self, chat: str) -> float:
        """Take the earliest free slot for `chat`; returns its (monotonic) time."""
        now = self._monotonic()
        if self._base is None:
            self._base = now
        interval = self.interval
        earliest = max(now, self._chat_free.get(chat, 0.0), self._paused_until)
        slot = max(0, math.ceil((earliest - self._base) / interval - 1e-9))
        while slot in self._taken:
            slot += 1
        self._taken.add(slot)
        at = self._base + slot * interval
        self._chat_free[chat] = at + self.chat_interval
        self._forget(now)
        return at

    def _forget(self, now: float) -> None:
        """Drop slots and chats in the past, so memory stays bounded over a long run."""
        assert self._base is not None
        if len(self._taken) > 256:
            current = int((now - self._base) / self.interval) - 1
            self._taken = {slot for slot in self._taken if slot >= current}
        if len(self._chat_free) > 4096:
            self._chat_free = {chat: free for chat, free in self._chat_free.items() if free > now}

    def _regrid(self) -> None:
        """The slots' spacing changed with the margin: new slots are counted afresh, from the end
        of a pause (or from now)."""
        self._base = max(self._monotonic(), self._paused_until)
        self._taken.clear()

    async def wait(self, chat: str) -> None:
        """Return when a message may be sent to `chat` (the caller then passes `depart`)."""
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

    # -- the gate ------------------------------------------------------------------------------------
    def _fastest(self) -> float | None:
        return min(self._trips) if self._trips else None

    @staticmethod
    def _dated(departure: Departure, now: float, fastest: float | None) -> float:
        """When the request left, as late as its answer shows. No trip is shorter than the fastest
        seen, so a request answered at R was on its way at R - fastest at the earliest: what held
        it after its stamp (the event loop busy, a slow write) dates it later; one still in flight
        is dated `now - fastest` at least."""
        if fastest is None:
            return departure.at
        end = departure.answered if departure.answered is not None else now
        return max(departure.at, end - fastest)

    def _gate_delay(self, now: float) -> float:
        span = self.span
        fastest = self._fastest()
        self._log = [d for d in self._log
                     if (now - d.at < STALE if d.answered is None else self._dated(d, now, fastest) > now - span)]
        delay = self._paused_until - now
        if not self._log:
            return delay
        dated = sorted(self._dated(d, now, fastest) for d in self._log)
        if len(dated) >= self.cap:
            delay = max(delay, dated[-self.cap] + span - now)
        return max(delay, max(d.at for d in self._log) + self.interval / 2 - now)

    async def depart(self) -> Departure:
        """Call just before the request leaves: holds it back while the window is full, or while
        the platform is paused. Pass what it returns to `left` when the request really leaves, and
        to `answered` when its answer came (whatever it was)."""
        while (delay := self._gate_delay(self._monotonic())) > 0:
            await self._sleep(min(delay, self.interval))  # an answer may free the window sooner
        departure = Departure(self._monotonic())
        self._log.append(departure)
        self._clean += 1
        if self._clean >= self.calm and self.margin > self.floor_margin:
            self._clean = 0
            self._set_margin(max(self.floor_margin, self.margin / 2))
        return departure

    def left(self, departure: Departure) -> None:
        """The request leaves now (after the gate, something may have taken a while): re-date it."""
        departure.at = max(departure.at, self._monotonic())
        if departure not in self._log:
            self._log.append(departure)

    def answered(self, departure: Departure) -> None:
        """The request's answer came (or it failed): its trip tells the fastest one."""
        if departure.answered is None:
            departure.answered = self._monotonic()
            self._trips.append(departure.answered - departure.at)

    def departures(self) -> list[float]:
        """The departures still in the window as the gate dates them, oldest first (for tests)."""
        now = self._monotonic()
        fastest = self._fastest()
        return sorted(self._dated(d, now, fastest) for d in self._log if now - self._dated(d, now, fastest) < self.span)

    # -- refusals ------------------------------------------------------------------------------------
    def pause(self, seconds: float) -> None:
        """The platform said 429: nobody sends until `seconds` from now, and the margin widens."""
        self._paused_until = max(self._paused_until, self._monotonic() + max(0.0, seconds))
        self._clean = 0
        widened = min(self.max_margin, max(2 * self.margin, self.margin + 0.01))
        if widened != self.margin:
            self._set_margin(widened)

    def _set_margin(self, margin: float) -> None:
        self.margin = margin
        self._regrid()

    @property
    def paused_until(self) -> float:
        return self._paused_until
