"""The intake: updates from every messenger, stored, then handled by a pool of workers.

The edges (bot/web.py's webhooks, the polling loops) call `accept`: the update is stored in the
inbox (storage/inbox.py) and only then acknowledged. Workers claim stored updates in batches and
handle them concurrently; the inbox hands out only the oldest waiting update of each chat, so one
person's messages keep their order while different people's run side by side. What is in memory
is bounded (`in_hand`): the rest waits in the inbox, where it survives a crash.

A handled update leaves the inbox in the router's own transaction (`inbox.handling`): one
commit per update for handling it, none more for forgetting it. Updates arriving together are
stored with one commit (`inbox.keep`); while there is room in hand, each is claimed as it is
stored and goes straight to a worker (on SQLite, and unless its chat has one waiting before it).
The claimer claims what waits, only when something may (a row stored unclaimed, a start, a look
every `poll` seconds for other processes' rows and expired claims), and only when a worker is free.

Failures:
- A transient database fault (storage/faults.py) while handling leaves the update where it is:
  the worker retries it with backoff, and tells the sender nothing, unless it is still not
  handled a minute after it arrived (then, once, that it is delayed: not that it failed).
- A bug in a handler is answered by the router ("hệ thống vừa gặp lỗi") and logged with the
  update; the update is then done, as retrying a bug would fail again.
- A process that dies leaves its claims; they expire after `lease`, and any live worker (of this
  process or another) takes the updates over.

Stopping (`drain`): no more claims; the updates in hand get `grace` seconds to finish; any still
running then are cancelled and given back to the inbox, for the next worker to take at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.app import Chibo
from domain.messages import Address, Incoming, Outgoing, Reply
from storage import inbox
from storage.faults import is_transient
from storage.types import utcnow

log = logging.getLogger(__name__)
LegacyReader = Callable[[dict[str, Any]], Incoming | None]

DELAYED = ("Tin nhắn của đồng chí đã được nhận nhưng hệ thống đang chậm, chưa xử lý xong. "
           "Đồng chí không cần gửi lại: tin sẽ được xử lý ngay khi hệ thống trở lại bình thường.")


@dataclass(frozen=True, slots=True)
class IntakeConfig:
    workers: int = 16  # updates handled at once (each mostly waits on the database or a platform)
    in_hand: int = 64  # updates claimed and held in memory at most; the rest waits in the inbox
    lease: float = 60.0  # seconds a claim holds; a dead worker's updates are taken over after this
    poll: float = 2.0  # seconds between looks at the inbox when nothing woke the intake
    backoff: float = 0.5  # first pause after a transient fault; doubles up to backoff_max
    backoff_max: float = 15.0
    delayed_after: float = 60.0  # seconds after arrival when a still unhandled sender is told it is delayed
    grace: float = 20.0  # seconds the updates in hand get to finish on stop (systemd kills at 60)


def worker_name() -> str:
    """Who holds a claim: host, process and a random tail (a restarted process is a new worker)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(3)}"


class Intake:
    def __init__(
        self, app: Chibo, config: IntakeConfig | None = None, *, legacy: dict[str, LegacyReader] | None = None,
        name: str | None = None, wall_clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.app = app
        self.wall_clock = wall_clock  # leases are about processes alive now, not the app's (maybe simulated) time
        self.config = config or IntakeConfig()
        self.legacy = legacy or {}
        self.name = name or worker_name()
        self._queue: asyncio.Queue[inbox.Stored] = asyncio.Queue()
        self._held: dict[int, asyncio.Task[None] | None] = {}  # claimed row id → the task handling it
        self._wake = asyncio.Event()
        self._behind = True  # rows may wait in the inbox that only a claim would give us (at start: an earlier run's)
        self._claiming = 0  # deliveries being stored with a claim for us: room they will take in hand
        self._left_waiting = 0  # rows stored to wait for a claim, ever: a claim that began before one missed it
        self._running = False
        self._tasks: list[asyncio.Task[None]] = []
        self.handled = 0

    # -- the edge ---------------------------------------------------------------------------
    async def accept(self, incoming: Incoming) -> bool:
        """Store an update and see it handled; False when this delivery is already stored.

        While there is room in hand, the update is claimed as it is stored (storage/inbox.py,
        `keep`) and goes straight to a worker: no claim of its own, no reading it back. When it
        must wait (its chat has one before it, the hands are full, or PostgreSQL), the claimer
        is woken to claim it in turn. Raises when the database cannot store it: the edge must
        then not acknowledge it.
        """
        claim = None
        if self._running and len(self._held) + self._claiming < self.config.in_hand:
            claim = inbox.Claim(self.name, self.wall_clock() + timedelta(seconds=self.config.lease))
            self._claiming += 1
        try:
            row = await inbox.keep(self.app.db, incoming, self.app.clock.now(), claim)
        finally:
            if claim is not None:
                self._claiming -= 1
        if row is not None and row.attempts == 1 and claim is not None:
            self._held[row.id] = None
            self._queue.put_nowait(row)  # a row claimed after drain began is given back with the rest
        else:
            self._left_waiting += 1
            self._behind = True
            self._wake.set()
        return row is not None

    async def accept_patiently(self, incoming: Incoming) -> bool:
        """`accept`, retried through a database blip: for a polling loop, whose update is already
        acknowledged to the platform and would be lost if not stored."""
        pauses = self._pauses()
        while True:
            try:
                return await self.accept(incoming)
            except Exception as error:
                if not is_transient(error):
                    raise
                pause = next(pauses)
                log.warning("%s update %s not stored yet (%r); retry in %.1fs", incoming.platform,
                            incoming.update_key, error, pause)
            await asyncio.sleep(pause)

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        """Start claiming: updates left by an earlier run (or a dead process) come first."""
        self._running = True
        self._tasks = [asyncio.create_task(self._claimer(), name="intake-claimer"),
                       asyncio.create_task(self._renewer(), name="intake-renewer")]
        self._tasks += [asyncio.create_task(self._worker(), name=f"intake-worker-{i}")
                        for i in range(self.config.workers)]

    async def drain(self) -> None:
        """Stop claiming, finish the updates in hand within `grace`, give back the rest."""
        if not self._running:
            return
        self._running = False
        self._wake.set()
        while not self._queue.empty():  # claimed but not started: back to the inbox
            self._held.pop(self._queue.get_nowait().id, None)
        busy = [task for task in self._held.values() if task is not None]
        if busy:
            _done, late = await asyncio.wait(busy, timeout=self.config.grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        try:
            await inbox.release(self.app.db, self.name)  # what is left can be taken at once, not after the lease
        except Exception as error:
            log.warning("could not give back the claims of %s (they expire by themselves): %r", self.name, error)
        self._held.clear()

    # -- claiming ---------------------------------------------------------------------------
    async def _claimer(self) -> None:
        pauses = self._pauses()
        while self._running:
            room = self.config.in_hand - len(self._held)
            rows: list[inbox.Stored] = []
            self._wake.clear()
            # Rows claimed and not yet started mean every worker is busy: claiming more now would
            # start nothing sooner, and each claim is a transaction. A worker that finishes wakes us.
            left_waiting = self._left_waiting
            if room > 0 and self._queue.empty():
                try:
                    rows = await inbox.claim(self.app.db, self.name, self.wall_clock(),
                                             timedelta(seconds=self.config.lease), room)
                    pauses = self._pauses()
                except Exception as error:
                    pause = next(pauses)
                    if not is_transient(error):
                        log.exception("claiming from the inbox failed")
                    else:
                        log.warning("claiming from the inbox: database unavailable (%r); retry in %.1fs", error, pause)
                    await asyncio.sleep(pause)
                    continue
            for row in rows:
                self._held[row.id] = None
                self._queue.put_nowait(row)
            if rows and len(rows) == room:
                continue  # more may be waiting
            if (room > 0 and not rows and not self._held and not self._claiming
                    and self._left_waiting == left_waiting):
                # Nothing claimable and nothing of ours in hand that a waiting row could follow:
                # finished updates need not wake us until a row is stored unclaimed again. Not so
                # when a row was left waiting while we claimed: our claim may have read the inbox
                # before that row's commit, and the rows of its chat stored with it would then
                # wait behind it for a wake that never came (until the next `poll`).
                self._behind = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.config.poll)

    async def _renewer(self) -> None:
        """Keep the claims of updates that take long (an export) from expiring under their worker."""
        every = self.config.lease / 3
        while self._running:
            await asyncio.sleep(every)
            held = list(self._held)
            with contextlib.suppress(Exception):
                until = self.wall_clock() + timedelta(seconds=self.config.lease)
                await inbox.renew(self.app.db, self.name, held, until)

    # -- handling ---------------------------------------------------------------------------
    async def _worker(self) -> None:
        while True:
            row = await self._queue.get()
            if row.id not in self._held:  # given back by drain
                continue
            task = asyncio.create_task(self._handle(row))
            self._held[row.id] = task
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if not task.done():  # the worker is stopped while the update is in hand: drain decides
                    await asyncio.wait([task])
                raise
            finally:
                self._held.pop(row.id, None)
                if self._behind:  # room for one more, and perhaps the next message of this chat
                    self._wake.set()

    async def _handle(self, row: inbox.Stored) -> None:
        incoming = self._read(row)
        if incoming is not None:
            if row.attempts > 1:
                log.info("inbox row %s (%s %s) taken over, claim %d", row.id, row.platform, row.update_key,
                         row.attempts)
            with inbox.handling(row.id) as ticket:
                if not await self._handle_with_retries(row, incoming):
                    return  # stopped before it could be handled: it stays in the inbox
            if ticket.done:  # deleted in the router's transaction, with what the message stored
                self.handled += 1
                return
        await self._forget(row)
        self.handled += 1

    async def _handle_with_retries(self, row: inbox.Stored, incoming: Incoming) -> bool:
        pauses = self._pauses()
        told = False
        while True:
            try:
                await self.app.handle(incoming)
                return True
            except Exception as error:
                if not is_transient(error):
                    raise
                pause = next(pauses)
                log.warning("%s update %s: database unavailable (%r); retry in %.1fs",
                            row.platform, row.update_key, error, pause)
            if not told and self._waited(row) >= self.config.delayed_after:
                told = True
                await self.app.deliver(Outgoing(Address(incoming.platform, incoming.reply_chat), Reply(DELAYED)))
            if not self._running:
                return False
            await asyncio.sleep(pause)

    async def _forget(self, row: inbox.Stored) -> None:
        """Remove a handled row, retrying through a blip; if it cannot be removed, its claim
        expires and the router's de-duplication ignores the second handling."""
        pauses = self._pauses()
        while True:
            try:
                await inbox.done(self.app.db, row.id)
                return
            except Exception as error:
                if not is_transient(error) or not self._running:
                    log.warning("inbox row %s handled but not removed (%r): it will be seen again and ignored",
                                row.id, error)
                    return
            await asyncio.sleep(next(pauses))

    def _pauses(self) -> Iterator[float]:
        """The pauses between retries through a database fault: `backoff`, doubling to `backoff_max`."""
        pause = self.config.backoff
        while True:
            yield pause
            pause = min(pause * 2, self.config.backoff_max)

    def _read(self, row: inbox.Stored) -> Incoming | None:
        try:
            incoming = inbox.incoming_of(row.body)
            if incoming is None and row.platform in self.legacy:
                incoming = self.legacy[row.platform](row.body)
        except Exception:
            log.exception("inbox row %s (%s %s) cannot be read: dropped", row.id, row.platform, row.update_key)
            return None
        if incoming is None:
            log.warning("inbox row %s (%s %s) holds no message: dropped", row.id, row.platform, row.update_key)
        return incoming

    def _waited(self, row: inbox.Stored) -> float:
        now: datetime = self.app.clock.now()
        return (now - row.received_at).total_seconds()
