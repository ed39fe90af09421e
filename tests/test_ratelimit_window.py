"""The rate limiter paces against the server's window (issue 12, reminder fan-out), on virtual time.

The server counts a message when it arrives, 30 in any second, and a request's trip varies. The
limiter must keep every second at the server within 30 while still sending ≥ 29/s, and a 429
must pause the platform for its retry_after without losing or duplicating a message.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections import Counter
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from sqlmodel import select

from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.messages import Address, Reply, RetryLater
from schedules.driver import Scheduler, SchedulerConfig
from schedules.ratelimit import RateLimiter
from storage import outbox
from storage.db import Database
from storage.meetings import Meeting
from storage.outbox import OutboxMessage
from tests.cell_setup import local, make_cell

T = TypeVar("T")


class VirtualTime:
    """Monotonic time that moves only when every task is waiting: the earliest sleeper wakes."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    async def run(self, work: Awaitable[T]) -> T:
        task = asyncio.ensure_future(work)
        idle = 0
        while not task.done():
            for _ in range(50):  # everything runnable runs
                await asyncio.sleep(0)
            if task.done():
                break
            if not self._timers:  # waiting for real I/O (the database)
                idle += 1
                assert idle < 10_000, "every task waits and no timer is set"
                await asyncio.sleep(0.001)
                continue
            idle = 0
            at, _, future = heapq.heappop(self._timers)
            self.now = max(self.now, at)
            future.set_result(None)
        return task.result()


class Server:
    """The fake Bot API's rule (tests/fakes/telegram_api.py): beyond 30 accepted arrivals in the
    last second, 429. Trips vary: most a few milliseconds over 100 ms, one in ten held up to 60 ms
    more on its way out (the sender's event loop busy), answers back in 1–3 ms."""

    def __init__(self, time: VirtualTime, seed: int = 12) -> None:
        self.time = time
        self.random = random.Random(seed)
        self.accepted: list[float] = []
        self.refused = 0

    def trip(self) -> tuple[float, float]:
        held = self.random.uniform(0.0, 0.06) if self.random.random() < 0.1 else 0.0
        return 0.1 + self.random.uniform(0.0, 0.005) + held, self.random.uniform(0.001, 0.003)

    async def send(self) -> bool:
        up, down = self.trip()
        await self.time.sleep(up)
        now = self.time.now
        ok = sum(1 for at in self.accepted[-40:] if now - at < 1.0) < 30
        if ok:
            self.accepted.append(now)
        else:
            self.refused += 1
        await self.time.sleep(down)
        return ok


def most_in_a_second(times: list[float]) -> int:
    times = sorted(times)
    first = most = 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


async def fan_out(time: VirtualTime, server: Server, limiter: RateLimiter, messages: int,
                  workers: int = 8) -> list[float]:
    """Sends as the dispatcher does (wait, depart, claim, left, send, answered; a 429 pauses and
    the message goes again later); returns the moments requests left, as the limiter dated them."""
    todo = list(range(messages))
    starts: list[float] = []

    async def worker() -> None:
        while todo:
            number = todo.pop(0)
            await limiter.wait(str(number))
            departure = await limiter.depart()
            await time.sleep(0.002)  # the claim's commit
            limiter.left(departure)
            starts.append(departure.at)
            ok = await server.send()
            limiter.answered(departure)
            if not ok:
                limiter.pause(1.0)
                todo.append(number)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return starts


async def test_jittery_trips_keep_every_second_at_the_server_within_30_at_29_per_second() -> None:
    time = VirtualTime()
    server = Server(time)
    limiter = RateLimiter(30, 1.0, margin=0.01, monotonic=time.monotonic, sleep=time.sleep)
    starts = await time.run(fan_out(time, server, limiter, 1500))
    assert server.refused == 0
    assert len(server.accepted) == 1500
    assert most_in_a_second(server.accepted) == 30  # full, never over
    rate = (len(server.accepted) - 1) / (server.accepted[-1] - server.accepted[0])
    assert rate >= 29.0
    # Never more than 30 departures in any window of 1 s + margin.
    starts.sort()
    assert min(b - a for a, b in zip(starts, starts[30:], strict=False)) >= 1.01 - 1e-9


async def test_departures_without_answers_hold_to_the_window_and_the_slots() -> None:
    time = VirtualTime()
    limiter = RateLimiter(30, 1.0, margin=0.02, monotonic=time.monotonic, sleep=time.sleep)

    async def send(count: int) -> list[float]:
        moments = []
        for number in range(count):
            await limiter.wait(str(number))
            moments.append((await limiter.depart()).at)
        return moments

    moments = await time.run(send(91))
    assert round(moments[30] - moments[0], 6) == 1.02
    assert round(moments[90] - moments[0], 6) == 3.06  # 30 per 1.02 s, evenly
    assert min(b - a for a, b in itertools.pairwise(moments)) >= 1.02 / 30 / 2  # never two close together


async def test_a_request_answered_late_holds_the_one_thirty_after_it() -> None:
    """Its answer shows it was on its way later than its stamp: the window counts it from then."""
    time = VirtualTime()
    limiter = RateLimiter(30, 1.0, margin=0.0, monotonic=time.monotonic, sleep=time.sleep)

    async def send() -> list[float]:
        moments = []
        for number in range(31):
            await limiter.wait(str(number))
            departure = await limiter.depart()
            moments.append(departure.at)
            await time.sleep(0.01 if number else 0.05)  # the first one is held 40 ms longer
            limiter.answered(departure)
        return moments

    moments = await time.run(send())
    # The fastest trip is 10 ms, so the first left at 40 ms at the earliest: the 31st waits for it.
    assert round(moments[30] - moments[0], 6) == 1.04


async def test_a_429_pauses_for_retry_after_widens_the_margin_and_calm_narrows_it() -> None:
    time = VirtualTime()
    limiter = RateLimiter(30, 1.0, margin=0.01, max_margin=0.05, calm=60, monotonic=time.monotonic,
                          sleep=time.sleep)

    async def send(count: int) -> list[float]:
        moments = []
        for number in range(count):
            await limiter.wait(str(number))
            moments.append((await limiter.depart()).at)
        return moments

    await time.run(send(3))
    paused_at = time.now
    limiter.pause(2.0)
    assert limiter.margin == 0.02
    (after,) = await time.run(send(1))
    assert after >= paused_at + 2.0
    limiter.pause(1.0)
    limiter.pause(1.0)
    assert limiter.margin == 0.05  # never above max_margin
    await time.run(send(60))
    assert limiter.margin == 0.025  # 60 clean departures: a step back
    await time.run(send(120))
    assert limiter.margin == 0.01  # never below the configured one


async def test_a_429_through_the_dispatcher_pauses_the_platform_and_loses_or_duplicates_nothing(
        db: Database, clock: ManualClock) -> None:
    time = VirtualTime()

    class RefusesTheSecond(MemoryChannel):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0
            self.at: list[tuple[str, float]] = []

        async def send(self, to: Address, reply: Reply) -> None:
            self.calls += 1
            self.at.append((to.chat_id, time.now))
            if self.calls == 2:
                raise RetryLater(3.0)
            await super().send(to, reply)

    cell = await make_cell(db, clock.now())
    channel = RefusesTheSecond()
    limiter = RateLimiter(30, 0.0, margin=0.01, monotonic=time.monotonic, sleep=time.sleep)
    scheduler = Scheduler(db, {"memory": channel}, clock.now, SchedulerConfig(in_flight=1),
                          limiter_for=lambda platform: limiter)
    async with db.session() as session:
        session.add(Meeting(cell_id=cell.id, starts_at=local("2026-11-21 19:30")))
        await session.commit()

    async def passes() -> None:
        assert await scheduler.run_pass()
        clock.set(clock.now() + timedelta(seconds=3))
        await time.sleep(3.0)
        assert await scheduler.run_pass()

    began = time.now
    await time.run(passes())
    refused_chat, refused_at = channel.at[1]
    assert refused_at - began < 0.1
    assert all(at >= refused_at + 3.0 for _, at in channel.at[2:])  # everyone waited out the retry_after
    assert Counter(sent.to.chat_id for sent in channel.sent) == Counter(
        {chat: 1 for chat in ("an", "binh", "cuong", "dung", "em")})  # each once: none lost, none twice
    async with db.session() as session:
        invitations = [row for row in (await session.exec(select(OutboxMessage))).all()
                       if row.kind == outbox.INVITATION]
    assert {row.status for row in invitations} == {outbox.SENT}
    assert sorted(row.attempts for row in invitations) == [1, 1, 1, 1, 2]
    assert refused_chat in {sent.to.chat_id for sent in channel.sent}
