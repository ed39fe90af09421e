"""Delivery that never duplicates: restarts mid fan-out, two processes, the lease, the rate limiter,
and APScheduler driving it all in real time."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.messages import Address, Reply
from schedules.driver import Scheduler, SchedulerConfig
from schedules.lease import LOCK_NAME, DispatchLock
from schedules.ratelimit import RateLimiter
from storage import outbox
from storage.db import Database
from storage.meetings import Meeting
from storage.outbox import DispatcherLease, OutboxMessage
from storage.types import stored_id
from tests.cell_setup import local, make_cell

THIRTY = {f"m{i:02d}": f"Đảng viên Số {i:02d}" for i in range(1, 31)}


class Killable(MemoryChannel):
    """A platform that records every message it receives; at the `kill_at`-th, the process dies
    before the answer comes back (the test cancels the pass there, as SIGKILL would stop it)."""

    def __init__(self) -> None:
        super().__init__()
        self.kill_at: int | None = None
        self.reached = asyncio.Event()

    async def send(self, to: Address, reply: Reply) -> None:
        await super().send(to, reply)
        if len(self.sent) == self.kill_at:
            self.reached.set()
            await asyncio.Event().wait()  # the answer never arrives


def kind_of(text: str) -> str:
    if "kính mời" in text:
        return "invitation"
    if "chưa trả lời lời mời" in text:
        return "followup"
    return "last_call" if "bắt đầu lúc" in text else text[:20]


async def _crash_and_restart(db: Database, clock: ManualClock, channel: Killable, when: str, *,
                             kill_after: int, in_flight: int, run: int) -> None:
    clock.set(local(when))
    channel.kill_at = len(channel.sent) + kill_after
    channel.reached.clear()
    first = Scheduler(db, {"memory": channel}, clock.now, owner=f"elsewhere:{run}:first")
    task = asyncio.create_task(first.run_pass(in_flight=in_flight))
    await asyncio.wait_for(channel.reached.wait(), 30)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    clock.set(clock.now() + timedelta(seconds=31))  # the dead process's lease runs out
    second = Scheduler(db, {"memory": channel}, clock.now, owner=f"elsewhere:{run}:second")
    assert await second.run_pass(in_flight=in_flight)


async def _meeting(db: Database, cell_id: int, start: str) -> None:
    async with db.session() as session:
        session.add(Meeting(cell_id=cell_id, starts_at=local(start)))
        await session.commit()


async def test_stopped_in_the_middle_of_each_fan_out_every_member_gets_each_reminder_once(
        db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now(), THIRTY, exempt=(), secretary="m01")
    await _meeting(db, cell.id, "2026-12-05 19:30")
    channel = Killable()
    for run, when in enumerate(("2026-12-02 08:00", "2026-12-04 08:00", "2026-12-05 17:30")):
        await _crash_and_restart(db, clock, channel, when, kill_after=12, in_flight=1, run=run)
    received = Counter((s.to.chat_id, kind_of(s.reply.text)) for s in channel.sent)
    assert set(received.values()) == {1}
    assert len(received) == 30 * 3
    async with db.session() as session:
        statuses = Counter(row.status for row in (await session.exec(select(OutboxMessage))).all())
    # The message in flight at each crash reached the member but was never marked: `unknown`, not resent.
    assert statuses == {outbox.SENT: 87, outbox.UNKNOWN: 3}


async def test_a_crash_with_several_sends_in_flight_never_duplicates(db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now(), THIRTY, exempt=(), secretary="m01")
    await _meeting(db, cell.id, "2026-12-05 19:30")
    channel = Killable()
    await _crash_and_restart(db, clock, channel, "2026-12-02 08:00", kill_after=9, in_flight=4, run=0)
    received = Counter(s.to.chat_id for s in channel.sent)
    assert max(received.values()) == 1
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.kind == outbox.INVITATION))).all()
    statuses = Counter(row.status for row in rows)
    assert statuses[outbox.SENT] + statuses[outbox.UNKNOWN] == 30
    assert 1 <= statuses[outbox.UNKNOWN] <= 4  # at most the sends that were in flight
    # Every `sent` row did reach its member.
    chats = {row.member_id for row in rows if row.status == outbox.SENT}
    assert len(chats) == statuses[outbox.SENT] <= len(received)


async def test_two_processes_one_dispatches(db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now(), THIRTY, exempt=(), secretary="m01")
    await _meeting(db, cell.id, "2026-11-21 19:30")
    channel = MemoryChannel()
    first = Scheduler(db, {"memory": channel}, clock.now, owner="host-a:1:a")
    second = Scheduler(db, {"memory": channel}, clock.now, owner="host-b:2:b")
    results = await asyncio.gather(first.run_pass(), second.run_pass())
    assert sorted(results) == [False, True]
    assert sorted(Counter(s.to.chat_id for s in channel.sent).values()) == [1] * 30
    winner, loser = (first, second) if results[0] else (second, first)
    assert not await loser.run_pass()  # still held
    await winner.stop()  # a clean stop releases the lease: the other may take over at once
    assert await loser.run_pass()
    assert len(channel.sent) == 30


async def test_claims_require_the_lease(db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now(), {"an": "Nguyễn Văn An"}, exempt=())
    async with db.session() as session:
        await outbox.enqueue(session, [outbox.New("x", cell.members["an"], outbox.RESULT, clock.now())], clock.now())
        await session.commit()
        row_id = stored_id((await session.exec(select(OutboxMessage.id))).one())
    lock = DispatchLock(db, clock.now, timedelta(seconds=30), owner="here:1:x")
    async with db.session() as session:
        assert not await outbox.claim(session, row_id, LOCK_NAME, lock.owner, clock.now(), "memory", 1)
    assert await lock.acquire()
    async with db.session() as session:
        assert not await outbox.claim(session, row_id, LOCK_NAME, "someone-else", clock.now(), "memory", 1)
        assert await outbox.claim(session, row_id, LOCK_NAME, lock.owner, clock.now(), "memory", 1)
        assert not await outbox.claim(session, row_id, LOCK_NAME, lock.owner, clock.now(), "memory", 1)  # once
        await session.commit()
    clock.set(clock.now() + timedelta(seconds=31))  # our lease ran out meanwhile
    async with db.session() as session:
        assert not await outbox.claim(session, row_id, LOCK_NAME, lock.owner, clock.now(), "memory", 1)


async def _set_lease(db: Database, owner: str, until: datetime) -> None:
    async with db.session() as session:
        lease = await session.get(DispatcherLease, LOCK_NAME)
        if lease is None:
            lease = DispatcherLease(name=LOCK_NAME, owner=owner, expires_at=until)
        lease.owner, lease.expires_at = owner, until
        session.add(lease)
        await session.commit()


async def test_a_dead_process_on_this_machine_loses_its_lease_at_once(db: Database, clock: ManualClock) -> None:
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()
    host = socket.gethostname()[:64]
    await _set_lease(db, f"{host}:{gone.pid}:old", clock.now() + timedelta(hours=1))
    assert await DispatchLock(db, clock.now, timedelta(seconds=30)).acquire()
    await _set_lease(db, f"{host}:{os.getpid()}:alive", clock.now() + timedelta(hours=1))
    assert not await DispatchLock(db, clock.now, timedelta(seconds=30)).acquire()  # alive: respected
    await _set_lease(db, f"other-host:{gone.pid}:old", clock.now() + timedelta(hours=1))
    assert not await DispatchLock(db, clock.now, timedelta(seconds=30)).acquire()  # cannot tell: wait


# -- pacing --------------------------------------------------------------------------------------------

class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_sends_are_spaced_evenly_and_one_chat_waits_without_blocking_others() -> None:
    fake = FakeTime()
    limiter = RateLimiter(10, 1.0, monotonic=fake.monotonic)
    slots = [limiter.reserve(chat) - 100 for chat in ("a", "b", "a", "c", "d")]
    # "a" again must wait a second; "c" and "d" take the slots before it.
    assert [round(slot, 3) for slot in slots] == [0.0, 0.1, 1.0, 0.2, 0.3]
    fake.now = 105.0  # idle for a while: no burst is saved up
    assert [round(limiter.reserve(chat) - 105, 3) for chat in ("e", "f")] == [0.0, 0.1]


async def test_wait_sleeps_until_the_slot_and_a_429_pauses_everyone() -> None:
    fake = FakeTime()
    limiter = RateLimiter(20, 1.0, monotonic=fake.monotonic, sleep=fake.sleep)
    for chat in ("a", "b", "c"):
        await limiter.wait(chat)
    assert round(fake.now - 100, 3) == 0.1
    limiter.pause(3.0)
    await limiter.wait("d")
    assert round(fake.now - 100, 3) == 3.1


async def test_the_dispatcher_keeps_several_sends_in_flight_and_paces_each_chat(
        db: Database, clock: ManualClock) -> None:
    twelve = dict(list(THIRTY.items())[:12])
    cell = await make_cell(db, clock.now(), twelve, exempt=(), secretary="m01")

    class Slow(MemoryChannel):
        def __init__(self) -> None:
            super().__init__()
            self.active = self.peak = 0
            self.at: dict[str, list[float]] = {}

        async def send(self, to: Address, reply: Reply) -> None:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.at.setdefault(to.chat_id, []).append(time.monotonic())
            await asyncio.sleep(0.1)  # the round trip
            self.active -= 1
            await super().send(to, reply)

    channel = Slow()
    async with db.session() as session:  # two results for each member (a result needs its meeting, roll-called)
        meeting = Meeting(cell_id=cell.id, starts_at=clock.now() - timedelta(days=1), status="ended",
                          roll_call_at=clock.now() - timedelta(days=1))
        session.add(meeting)
        await session.flush()
        await outbox.enqueue(session, [
            outbox.New(f"n{i}:{member}", member, outbox.RESULT, clock.now(), meeting.id)
            for member in cell.members.values() for i in range(2)
        ], clock.now())
        await session.commit()
    limiter = RateLimiter(1000, 0.25)
    scheduler = Scheduler(db, {"memory": channel}, clock.now, SchedulerConfig(in_flight=4),
                          limiter_for=lambda platform: limiter)
    assert await scheduler.run_pass()
    assert len(channel.sent) == 24
    assert channel.peak == 4  # several in flight, never more than allowed
    gaps = [later - earlier for times in channel.at.values() for earlier, later in itertools.pairwise(times)]
    assert len(gaps) == 12 and min(gaps) >= 0.25 - 0.005  # never two to one chat within the interval


# -- real time --------------------------------------------------------------------------------------------

class Signalling(MemoryChannel):
    """Tells the test each time something is sent (the scheduler runs on its own, in real time)."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    async def send(self, to: Address, reply: Reply) -> None:
        await super().send(to, reply)
        self.changed.set()

    async def until(self, count: int, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while len(self.sent) < count:
                self.changed.clear()
                await self.changed.wait()


async def test_apscheduler_sends_what_is_due_and_wakes_at_the_exact_due_time(db: Database) -> None:
    def now() -> datetime:
        return datetime.now(UTC)

    cell = await make_cell(db, now(), {"an": "Nguyễn Văn An", "binh": "Trần Thị Bình"}, exempt=())
    async with db.session() as session:
        session.add(Meeting(cell_id=cell.id, starts_at=now() + timedelta(days=1)))  # invitations due at once
        await session.commit()
    channel = Signalling()
    scheduler = Scheduler(db, {"memory": channel}, now, SchedulerConfig(poll_seconds=3600))
    scheduler.start()
    try:
        await channel.until(2)
        async with db.session() as session:
            meeting = (await session.exec(select(Meeting))).one()
            await outbox.enqueue(session, [outbox.New("later", cell.members["an"], outbox.CANCELLED,
                                                      now() + timedelta(seconds=1), meeting.id, {"reason": ""})],
                                 now())
            await session.commit()
        await scheduler.wake()  # as a handler's notice would be found by the next poll
        await channel.until(3)  # sent by the one-off job at its due time
        assert "Hủy lịch" in channel.sent[-1].reply.text
    finally:
        await scheduler.stop()
    async with db.session() as session:
        lease = await session.get(DispatcherLease, LOCK_NAME)
    assert lease is not None and lease.expires_at <= now()  # released on stop


def test_each_platform_gets_its_own_rate() -> None:
    from bot.scheduling import Limiters
    from bot.settings import Settings

    limiters = Limiters(Settings.model_construct(zalo_rate_limit=5.0, default_rate_limit=3.0))
    assert [limiters.rate(p) for p in ("telegram", "zalo", "viber", "console", "memory")] == [30.0, 5.0, 3.0, None,
                                                                                             None]
    telegram = limiters("telegram")
    assert telegram is not None and telegram is limiters("telegram")  # one limiter per platform, shared
    assert limiters("console") is None
