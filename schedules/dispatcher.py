"""The outbox dispatcher: sends what is due, within each platform's limits, and records outcomes.

At most once. A message is claimed (`sending`, committed) immediately before its platform call
and marked after. If the process dies between the two, nobody can tell whether the member got
it: the Bot API has no idempotency key and no way to ask what was sent. Sending it again would
duplicate every message in flight at the moment of death (a 100 ms round trip at 30 messages/s
is about three per crash, every crash); not sending it loses only a message whose claim was
committed but whose request had not yet left the process, a window of a few milliseconds. So
such rows become `unknown` and are not sent again, as the issue asks ("a reminder goes to a
member at most once"). Refusals that certainly did not deliver (429, 5xx) go back to `pending`
and are retried; the next reminder of a plan still follows.
Measured (bench/bench_fanout.py, SIGKILL halfway through 10,000): 3 rows `unknown`, all three
had reached the server; no duplicate, no loss.

Any running messenger the member has. A member may be on Telegram and Zalo while this process
runs only one of them: a message goes to their accounts on the running messengers, in the order
of `storage.delivery.reach`, and when one refuses (blocked, unknown chat: certainly not delivered)
to the next, claimed anew. It is `unreachable` only when every running account refused, so a
message is still sent at most once. A member whose accounts are all on messengers not running
here is not unreachable: the row waits, due (`pending`), looked at again every `messenger_wait`
and at once when the running messengers change or another process takes over; a member with no
account at all is unreachable.

Several sends are in flight at once (the round trip, not the rate, limits one-at-a-time
sending to ~10–18/s), bounded by a semaphore and paced by a `RateLimiter` per platform: its
gate comes before the claim (a row is never claimed to wait), and the moment the request really
leaves, after the claim's commit, and the moment its answer came are what its window of
departures counts.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from domain.messages import Address, Reply, RetryLater, SendError, Unreachable
from schedules.compose import Composer, Skip
from schedules.lease import DispatchLock
from schedules.ratelimit import Departure, RateLimiter
from storage import accounts, delivery, outbox
from storage.db import Database
from storage.delivery import Account

log = logging.getLogger(__name__)
PREPARE_CHUNK = 2  # rows composed per transaction: short ones, so that claims never wait long


class Channel(Protocol):
    async def send(self, to: Address, reply: Reply) -> None: ...


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    batch: int = 200
    in_flight: int = 8
    max_attempts: int = 8
    backoff: float = 2.0  # seconds before the first retry of a 5xx; doubles each attempt
    backoff_max: float = 300.0
    messenger_wait: float = 900.0  # seconds before a message waiting for a messenger is looked at again


@dataclass(slots=True)
class Job:
    row_id: int
    kind: str
    attempts: int
    targets: tuple[Account, ...]  # the member's accounts on running messengers, in the order to try
    reply: Reply
    as_of: datetime | None = None  # the pass's time when it delivers what was due earlier (a catch-up)

    @property
    def to(self) -> Address:
        """Where it goes first (the chain it waits in)."""
        return _address(self.targets[0])


@dataclass(slots=True)
class Stats:
    sent: int = 0
    dropped: int = 0
    retried: int = 0
    unreachable: int = 0
    waiting: int = 0  # for a messenger not running here
    failed: int = 0
    lost_lease: bool = False
    reasons: dict[str, int] = field(default_factory=dict)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        channels: Mapping[str, Channel],
        composer: Composer,
        lock: DispatchLock,
        clock: Callable[[], datetime],
        limiter_for: Callable[[str], RateLimiter | None] = lambda platform: None,
        config: DispatchConfig | None = None,
    ) -> None:
        self.db = db
        self.channels = channels
        self.composer = composer
        self.lock = lock
        self.clock = clock
        self.limiter_for = limiter_for
        self.config = config or DispatchConfig()
        self.stopping = False
        self._running: frozenset[str] = frozenset()  # the messengers running when `_waiting` was noted
        self._waiting: dict[int, datetime] = {}  # rows waiting for a messenger: when to look again

    async def run(self, as_of: datetime | None = None, *, in_flight: int | None = None) -> Stats:
        """Send everything due by `as_of` (None: by the clock's time, read again for each batch).

        With `in_flight=1` sends go strictly one after another, in due order (transcripts).
        Otherwise each chat's messages form a chain (in order, paced per chat) and the chains run
        side by side with at most `in_flight` sends at once: a chat waiting for its turn holds no
        slot, so it never stalls the others.
        """
        stats = Stats()
        width = in_flight or self.config.in_flight
        slots = asyncio.Semaphore(width)
        tasks: set[asyncio.Task[None]] = set()
        outstanding = [0]
        room = asyncio.Event()
        after: tuple[datetime, int] | None = None
        self._forget_waiting(as_of or self.clock())
        try:
            while not self.stopping:
                while outstanding[0] > self.config.batch // 2 and not self.stopping:  # look ahead a little
                    room.clear()
                    await room.wait()
                now = as_of or self.clock()
                async with self.db.session() as session:
                    rows = await outbox.due(session, now, self.config.batch, after)
                if not rows:
                    break
                after = (rows[-1].due_at, rows[-1].id)
                jobs = await self._prepare(rows, now, stats, catch_up=as_of is not None)
                if width == 1:
                    for job in jobs:
                        if not await self._may_claim(stats):
                            break
                        await self._deliver(job, stats)
                    continue
                chains: dict[tuple[str, str], list[Job]] = defaultdict(list)
                for job in jobs:
                    chains[(job.to.platform, job.to.chat_id)].append(job)
                for chain in chains.values():
                    outstanding[0] += len(chain)
                    task = asyncio.create_task(self._chain(chain, slots, stats, outstanding, room))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
        except asyncio.CancelledError:
            # The process is going down hard: sends in flight stop where they are, as on a crash
            # (a graceful stop sets `stopping` instead and lets them finish).
            for task in tasks:
                task.cancel()
            raise
        finally:
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
        return stats

    def _forget_waiting(self, now: datetime) -> None:
        """Rows waiting for a messenger are composed again once their wait is over, or at once when
        the running messengers changed (a channel was added): not at every pass."""
        running = frozenset(self.channels)
        if running != self._running:
            self._waiting.clear()
            self._running = running
        self._waiting = {row_id: until for row_id, until in self._waiting.items() if until > now}

    async def _may_claim(self, stats: Stats) -> bool:
        """False once stopping, or when the lease is lost (another process dispatches now)."""
        if self.stopping:
            return False
        if not await self.lock.keep():
            stats.lost_lease = True
            self.stopping = True
            return False
        return True

    async def _chain(self, chain: list[Job], slots: asyncio.Semaphore, stats: Stats, outstanding: list[int],
                     room: asyncio.Event) -> None:
        """One chat's messages, in order: wait for the chat's turn without a slot, then send in one."""
        left = len(chain)
        try:
            for job in chain:
                limiter = self.limiter_for(job.to.platform)
                if limiter is not None:
                    await limiter.chat_ready(job.to.chat_id)
                async with slots:
                    if not await self._may_claim(stats):
                        return
                    await self._deliver(job, stats)
                left -= 1
                outstanding[0] -= 1
                room.set()
        finally:
            outstanding[0] -= left
            room.set()

    async def _prepare(self, rows: list[Any], now: datetime, stats: Stats, *, catch_up: bool = False) -> list[Job]:
        """Compose each row; record those not to send; resolve where each message goes.

        In small transactions: on SQLite a long one would hold the single writer's lock and stall
        the claims of the sends in flight (a stall followed by a burst is what draws 429s).
        """
        jobs: list[Job] = []
        superseded = set(_superseded(rows))
        if superseded:
            await self._skip(sorted(superseded), "superseded: a later reminder went instead", now, stats)
        todo = [row for row in rows if row.id not in superseded and row.id not in self._waiting]
        for start in range(0, len(todo), PREPARE_CHUNK):
            skipped: dict[str, list[int]] = defaultdict(list)
            nowhere: list[int] = []
            waiting = 0
            async with self.db.session() as session:
                for row in todo[start:start + PREPARE_CHUNK]:
                    composed = await self.composer.compose(session, row, now)
                    if isinstance(composed, Skip):
                        skipped[composed.reason].append(row.id)
                        continue
                    reach = await delivery.reach(session, row.member_id, self.channels.keys())
                    if reach.running:
                        jobs.append(Job(row.id, row.kind, row.attempts, reach.running, composed,
                                        now if catch_up else None))
                    elif reach.elsewhere:
                        await outbox.wait_for_messenger(session, [row.id], reach.elsewhere)
                        self._waiting[row.id] = now + timedelta(seconds=self.config.messenger_wait)
                        waiting += 1
                    else:
                        nowhere.append(row.id)
                await outbox.mark_unreachable(session, nowhere, "no chat account")
                await session.commit()
            stats.unreachable += len(nowhere)
            stats.waiting += waiting
            for reason, ids in skipped.items():
                await self._skip(ids, reason, now, stats)
        return jobs

    async def _skip(self, ids: list[int], reason: str, now: datetime, stats: Stats) -> None:
        async with self.db.session() as session:
            await outbox.drop(session, ids, reason, now)
            await session.commit()
        stats.dropped += len(ids)
        stats.reasons[reason] = stats.reasons.get(reason, 0) + len(ids)
        log.info("%d messages not sent: %s", len(ids), reason)

    async def _deliver(self, job: Job, stats: Stats) -> None:
        """Send to the member's first running account; to the next only when one refused."""
        refusals: list[str] = []
        try:
            for index, target in enumerate(job.targets):
                if index and not await self._may_claim(stats):
                    return  # released: the next dispatcher sends it, to an account that has not refused
                limiter = self.limiter_for(target.platform)
                departure = None
                if limiter is not None:
                    await limiter.wait(target.chat_id)
                    departure = await limiter.depart()
                async with self.db.session() as session:
                    claimed = await outbox.claim(session, job.row_id, self.lock.name, self.lock.owner,
                                                 self.clock(), target.platform, target.id)
                    await session.commit()
                if not claimed:
                    return
                # Nothing may stand between the claim's commit and the send: see the module docstring.
                # (Re-dating the departure to now is no wait: the window counts when it really left.)
                if limiter is not None and departure is not None:
                    limiter.left(departure)
                refusal = await self._send(job, target, limiter, departure, stats)
                if refusal is None:
                    return
                refusals.append(f"{target.platform}: {refusal}")
                await delivery.mark_unreachable(self.db, target.platform, target.chat_id, self.clock())
                if index + 1 < len(job.targets):
                    async with self.db.session() as session:
                        await outbox.release(session, job.row_id, "unreachable on " + "; ".join(refusals))
                        await session.commit()
            await self._finish(job, outbox.UNREACHABLE, "unreachable: " + "; ".join(refusals))
            stats.unreachable += 1
        except Exception:
            log.exception("dispatching outbox %d failed", job.row_id)

    async def _send(self, job: Job, target: Account, limiter: RateLimiter | None, departure: Departure | None,
                    stats: Stats) -> str | None:
        """Send to one account and record the outcome; returns the reason when the account refused
        (certainly not delivered: the caller tries the member's next account)."""
        channel = self.channels[target.platform]
        try:
            try:
                await channel.send(_address(target), job.reply)
            finally:
                if limiter is not None and departure is not None:
                    limiter.answered(departure)  # its round trip dates it (schedules/ratelimit.py)
        except RetryLater as error:
            if limiter is not None:
                limiter.pause(error.seconds)
            await self._retry(job, error.seconds, f"retry later ({error.seconds:.1f}s)", stats)
            return None
        except Unreachable as error:
            return error.reason or "refused"
        except SendError as error:
            # The outcome is unknown (a network error after the request may have arrived): not resent.
            log.warning("send of outbox %d failed: %r", job.row_id, error)
            await self._finish(job, outbox.FAILED, repr(error))
            stats.failed += 1
            return None
        except Exception as error:
            log.exception("send of outbox %d failed", job.row_id)
            await self._finish(job, outbox.FAILED, repr(error))
            stats.failed += 1
            return None
        await self._finish(job, outbox.SENT, None, target)
        stats.sent += 1
        return None

    async def _finish(self, job: Job, status: str, error: str | None, target: Account | None = None) -> None:
        async with self.db.session() as session:
            now = job.as_of or self.clock()  # a pass catching up records the time it stands for
            await outbox.finish(session, job.row_id, status, now, error)
            if status == outbox.SENT and job.reply.choices and target is not None:
                # The member may answer "1" or "2" (Zalo, console): remember what was offered.
                await accounts.set_choices(session, target.id, [[c.label, c.value] for c in job.reply.choices], now)
            await session.commit()

    async def _retry(self, job: Job, seconds: float, error: str, stats: Stats) -> None:
        attempts = job.attempts + 1
        if attempts >= self.config.max_attempts:
            await self._finish(job, outbox.FAILED, f"gave up after {attempts} attempts: {error}")
            stats.failed += 1
            return
        # The platform's retry_after first; repeated refusals back off exponentially.
        delay = seconds if attempts <= 1 else max(
            seconds, min(self.config.backoff_max, self.config.backoff * 2 ** (attempts - 2)))
        async with self.db.session() as session:
            await outbox.retry_at(session, job.row_id, self.clock() + timedelta(seconds=delay), error)
            await session.commit()
        stats.retried += 1


def _address(account: Account) -> Address:
    return Address(account.platform, account.chat_id)


def _superseded(rows: list[Any]) -> list[int]:
    """Reminders due together for one member (the bot was down): only one goes.

    For a meeting, the invitation if it has not gone out (it says everything), else the latest;
    for a deadline, the nearest to it (it is worded from the real days left, so it says the same
    as the earlier one would have, truthfully).
    """
    groups: dict[tuple[str, int, int], list[Any]] = defaultdict(list)
    for row in rows:
        if row.kind in outbox.REMINDER_KINDS and row.meeting_id is not None:
            groups[("meeting", row.meeting_id, row.member_id)].append(row)
        elif row.kind == outbox.DEADLINE:
            groups[("deadline", int((row.payload or {}).get("year", 0)), row.member_id)].append(row)
    dropped: list[int] = []
    for group in groups.values():
        if len(group) < 2:
            continue
        invitations = [row for row in group if row.kind == outbox.INVITATION]
        keep = invitations[0] if invitations else max(group, key=lambda row: (row.due_at, row.id))
        dropped += [row.id for row in group if row is not keep]
    return dropped
