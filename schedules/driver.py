"""What drives the clock: one pass plans, settles ended meetings and dispatches what is due.

Two ways to drive it:
- `advance(until)` (the transcript runner's `# time:` lines, tests): simulated time. It walks
  from the last moment seen to `until`, stopping at every moment something falls due, in order,
  as if the bot had been running all along; sends go one at a time, awaited: deterministic.
- `start()` (a real run): APScheduler 3.x on the running asyncio loop calls a pass every few
  seconds and at the exact next due moment. Jobs only *wake* the pass (which runs as a task),
  so a long fan-out never trips APScheduler's `max_instances`. After downtime, one pass at the
  present time sends what is still useful and drops the rest (see `schedules.compose`).

The truth stays in the database (meetings, plans, the outbox); APScheduler holds no state worth
keeping, so it uses its in-memory job store and a restart loses nothing.

A pass also prunes the tables that only grow (storage/pruning.py), at most once an hour and
first in the first pass after a start; `prune` replaces the default (which leaves file links
alone: their files are the bot's, bot/scheduling.py passes `FileShelf.prune`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from domain.dates import DEFAULT_TIMEZONE
from schedules.compose import Composer
from schedules.dispatcher import Channel, DispatchConfig, Dispatcher, Stats
from schedules.lease import DispatchLock
from schedules.planner import Planner
from schedules.ratelimit import RateLimiter
from storage import outbox, pruning
from storage.db import Database

log = logging.getLogger(__name__)
POLL_JOB = "chibo-outbox-poll"
NEXT_JOB = "chibo-outbox-next"
PRUNE_EVERY = timedelta(hours=1)
Prune = Callable[[datetime], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    timezone: str = DEFAULT_TIMEZONE
    lease_seconds: float = 30.0
    poll_seconds: float = 10.0
    in_flight: int = 8
    late_grace_minutes: float = 0.0
    dispatch: DispatchConfig = field(default_factory=DispatchConfig)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Scheduler:
    def __init__(
        self,
        db: Database,
        channels: Mapping[str, Channel],
        clock: Callable[[], datetime],
        config: SchedulerConfig | None = None,
        limiter_for: Callable[[str], RateLimiter | None] = lambda platform: None,
        owner: str | None = None,
        prune: Prune | None = None,
    ) -> None:
        self.db = db
        self.prune: Prune = prune or (lambda now: pruning.prune(db, now, links=False))
        self._pruned_at: datetime | None = None  # in memory: a start prunes in its first pass
        self.clock = clock
        self.config = config or SchedulerConfig()
        tz = self.config.tz
        self.lock = DispatchLock(db, clock, timedelta(seconds=self.config.lease_seconds), owner)
        self.planner = Planner(db, tz)
        composer = Composer(tz, timedelta(minutes=self.config.late_grace_minutes))
        self.dispatcher = Dispatcher(db, channels, composer, self.lock, clock, limiter_for, self.config.dispatch)
        self._pass_lock = asyncio.Lock()
        self._cursor: datetime | None = None
        self._aps: AsyncIOScheduler | None = None
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self.last_stats: Stats | None = None

    # -- one pass ---------------------------------------------------------------------------------------

    async def run_pass(self, as_of: datetime | None = None, *, in_flight: int | None = None) -> bool:
        """Plan, settle and dispatch what is due by `as_of` (None: now). False when another
        process holds the dispatcher lease (it does the work)."""
        async with self._pass_lock:
            if not await self.lock.acquire():
                return False
            now = as_of or self.clock()
            await self._prune(now)
            await self.planner.plan(now)
            await self.planner.end_meetings(now)
            in_flight = in_flight or self.config.in_flight
            self.last_stats = await self.dispatcher.run(as_of, in_flight=in_flight)
            if await self.planner.report_unreachable(as_of or self.clock()):
                await self.dispatcher.run(as_of, in_flight=in_flight)
            return True

    async def _prune(self, now: datetime) -> None:
        """Prune when the last pruning is an hour old (or none yet); first in the pass, so that
        after a long stop the stale de-duplication marks are gone before updates pour in."""
        if self._pruned_at is not None and now < self._pruned_at + PRUNE_EVERY:
            return
        self._pruned_at = now  # a failure waits for the next hour rather than every poll
        try:
            await self.prune(now)
        except Exception:
            log.exception("pruning failed; the next hour tries again")

    async def next_moment(self, after: datetime) -> datetime | None:
        """The next moment after `after` at which a pass has something to do."""
        async with self.db.session() as session:
            due = await outbox.next_due(session, after)
        planned = await self.planner.next_event(after)
        found = [moment for moment in (due, planned) if moment is not None]
        return min(found) if found else None

    # -- simulated time -----------------------------------------------------------------------------------

    async def advance(self, until: datetime) -> None:
        """Deliver everything due up to `until`, in order (the tick hook).

        Handlers act at the clock's time, so move the clock with ticks (as `# time:` lines do):
        a handler that acts at a time the scheduler has not reached yet is seen by the passes
        between, as if it had acted earlier.
        """
        cursor = self._cursor if self._cursor is not None and self._cursor < until else until
        while True:
            if not await self.run_pass(cursor, in_flight=1):
                break
            following = await self.next_moment(cursor)
            if following is None or following > until:
                break
            cursor = following
        if cursor < until:
            await self.run_pass(until, in_flight=1)
        self._cursor = until

    # -- real time ------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start APScheduler on the running loop: a pass now, every `poll_seconds`, and at the next due time."""
        self._aps = AsyncIOScheduler(timezone=self.config.tz, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None,
        })
        self._aps.add_job(self.wake, "interval", seconds=self.config.poll_seconds, id=POLL_JOB,
                          next_run_time=self.clock())
        self._aps.start()

    async def wake(self) -> None:
        """Run passes in the background (an APScheduler job returns at once)."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._passes())

    async def _passes(self) -> None:
        self._again = True
        while self._again and not self.dispatcher.stopping:
            self._again = False
            try:
                await self.run_pass()
                await self._schedule_next()
            except Exception:
                log.exception("scheduler pass failed; the next poll tries again")

    async def _schedule_next(self) -> None:
        if self._aps is None or not self.lock.held:
            return
        now = self.clock()
        following = await self.next_moment(now)
        async with self.db.session() as session:
            overdue = await outbox.next_due(session)
        if overdue is not None and (following is None or overdue < following):
            following = overdue  # retries already due
        if following is None:
            return
        self._aps.add_job(self.wake, "date", run_date=max(following, now + timedelta(milliseconds=200)),
                          id=NEXT_JOB, replace_existing=True)

    async def stop(self) -> None:
        """Stop claiming new messages, let those in flight finish, release the lease."""
        self.dispatcher.stopping = True
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        async with self._pass_lock:
            await self.lock.release()
