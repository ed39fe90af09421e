"""The intake (bot/intake.py) and the inbox's claims (storage/inbox.py): concurrency with each chat
in order, a bounded hand, stopping within a bound, transient faults retried in silence, bugs
answered once, dead workers' updates taken over. Both databases."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.intake import DELAYED, Intake, IntakeConfig
from domain.messages import Incoming, Outgoing
from handlers import texts
from storage import inbox
from storage.db import Database
from storage.faults import is_transient
from storage.types import table_of
from tests.fakes.telegram_api import FakeTelegram

QUICK = IntakeConfig(poll=0.05, backoff=0.01, backoff_max=0.05, workers=8)
T0 = datetime.fromisoformat("2026-11-29T10:00:00+00:00")


def message(chat: str, text: str, key: str) -> Incoming:
    return Incoming("memory", chat, text, chat_id=chat, update_key=key)


async def until(check: Callable[[], bool], within: float = 10.0) -> None:
    """Poll a condition the workers make true (they run on this loop: a short sleep lets them)."""
    for _ in range(int(within / 0.005)):
        if check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached in time")


def blip() -> Exception:
    return sa_exc.OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))


async def claimed(db: Database) -> list[str | None]:
    async with db.session() as session:
        table = table_of(inbox.InboxUpdate)
        return list((await session.execute(select(table.c.claimed_by).order_by(table.c.id))).scalars())


# -- the rule of what is transient ------------------------------------------------------------

@pytest.mark.parametrize(("error", "transient"), [
    (blip(), True),
    (sa_exc.OperationalError("x", {}, sqlite3.OperationalError("database or disk is full")), True),
    (sa_exc.OperationalError("x", {}, sqlite3.OperationalError("no such table: member")), False),
    (ConnectionResetError(104, "reset"), True),
    (type("SerializationError", (Exception,), {"sqlstate": "40001"})(), True),
    (type("UniqueViolationError", (Exception,), {"sqlstate": "23505"})(), False),
    (ValueError("a bug"), False),
    (KeyError("a bug"), False),
])
def test_what_passes_by_itself(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient


# -- claims ----------------------------------------------------------------------------------

async def test_only_the_oldest_waiting_message_of_a_chat_is_claimed(db: Database) -> None:
    for key, chat in (("1", "an"), ("2", "an"), ("3", "binh")):
        await inbox.store(db, message(chat, f"/toi {key}", key), T0)
    first = await inbox.claim(db, "w1", T0, timedelta(seconds=60), 10)
    assert [row.update_key for row in first] == ["1", "3"]  # an's second waits behind its first
    assert await inbox.claim(db, "w2", T0, timedelta(seconds=60), 10) == []
    await inbox.done(db, first[0].id)
    assert [row.update_key for row in await inbox.claim(db, "w2", T0, timedelta(seconds=60), 10)] == ["2"]


async def test_a_dead_workers_claim_is_taken_over_when_it_expires(db: Database) -> None:
    await inbox.store(db, message("an", "/toi", "1"), T0)
    (row,) = await inbox.claim(db, "dead", T0, timedelta(seconds=60), 10)
    assert row.attempts == 1
    assert await inbox.claim(db, "live", T0 + timedelta(seconds=59), timedelta(seconds=60), 10) == []
    (again,) = await inbox.claim(db, "live", T0 + timedelta(seconds=61), timedelta(seconds=60), 10)
    assert (again.id, again.attempts) == (row.id, 2)
    await inbox.renew(db, "dead", [row.id], T0 + timedelta(hours=1))  # too late: no longer its claim
    assert await claimed(db) == ["live"]


async def test_the_same_delivery_is_stored_once(db: Database) -> None:
    assert await inbox.store(db, message("an", "/toi", "7"), T0) is not None
    assert await inbox.store(db, message("an", "/toi", "7"), T0) is None
    assert len(await inbox.waiting(db)) == 1


async def test_a_row_is_claimed_as_it_is_stored_only_when_nothing_of_its_chat_waits(db: Database, db_kind: str) -> None:
    """The order of a chat: a row stored while another of its chat is there waits for a claim,
    even when both arrive in one group. PostgreSQL claims nothing as it stores (processes race)."""
    claim = inbox.Claim("w1", T0 + timedelta(seconds=60))
    rows = await asyncio.gather(*(inbox.keep(db, message(chat, "/toi", key), T0, claim)
                                  for chat, key in (("an", "1"), ("an", "2"), ("binh", "3"))))
    later = await inbox.keep(db, message("an", "/toi", "4"), T0, claim)
    assert all(row is not None for row in [*rows, later])
    attempts = [row.attempts for row in [*rows, later] if row is not None]
    assert attempts == ([1, 0, 1, 0] if db_kind == "sqlite" else [0, 0, 0, 0])
    assert await claimed(db) == (["w1", None, "w1", None] if db_kind == "sqlite" else [None] * 4)
    assert await inbox.keep(db, message("an", "/toi", "1"), T0, claim) is None  # a second delivery


# -- the workers -----------------------------------------------------------------------------

async def test_chats_run_side_by_side_and_each_keeps_its_order(app: Chibo, memory: MemoryChannel) -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    running: dict[str, int] = defaultdict(int)
    most = {"all": 0, "one chat": 0}

    async def handle(incoming: Incoming) -> list[Outgoing]:
        running[incoming.chat_id] += 1
        most["all"] = max(most["all"], sum(running.values()))
        most["one chat"] = max(most["one chat"], running[incoming.chat_id])
        await asyncio.sleep(0.01)
        seen[incoming.chat_id].append(incoming.text)
        running[incoming.chat_id] -= 1
        return []

    app.handle = handle  # type: ignore[method-assign]
    intake = Intake(app, QUICK)
    chats = ["an", "binh", "cuong", "dung", "em"]
    for number in range(6):
        for chat in chats:
            assert await intake.accept(message(chat, f"{chat} {number}", f"{chat}-{number}"))
    await intake.start()
    await until(lambda: sum(len(v) for v in seen.values()) == 30)
    await intake.drain()
    assert all(seen[chat] == [f"{chat} {n}" for n in range(6)] for chat in chats)
    assert most["one chat"] == 1 and most["all"] > 1
    assert await inbox.waiting(app.db) == []


async def test_while_running_a_free_worker_takes_a_new_message_without_a_claim_and_chats_keep_their_order(
    app: Chibo, memory: MemoryChannel, db_kind: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, list[str]] = defaultdict(list)

    async def handle(incoming: Incoming) -> list[Outgoing]:
        await asyncio.sleep(0)  # others run meanwhile
        seen[incoming.chat_id].append(incoming.text)
        return []

    claims: list[int] = []
    claim = inbox.claim

    async def counted(*args: object) -> list[inbox.Stored]:
        rows = await claim(*args)  # type: ignore[arg-type]
        claims.append(len(rows))
        return rows

    app.handle = handle  # type: ignore[method-assign]
    monkeypatch.setattr(inbox, "claim", counted)
    intake = Intake(app, IntakeConfig(poll=3600, workers=4))  # no look at the inbox but when woken
    await intake.start()
    chats = ["an", "binh", "cuong"]
    await asyncio.gather(*(intake.accept(message(chat, f"{chat} {n}", f"{chat}-{n}"))
                           for n in range(4) for chat in chats))  # arriving together, in this order
    await until(lambda: sum(len(v) for v in seen.values()) == 12)
    assert all(seen[chat] == [f"{chat} {n}" for n in range(4)] for chat in chats)
    await until(lambda: not intake._behind)  # nothing left that only a claim would bring
    before = len(claims)
    for number in range(3):
        await intake.accept(message(f"chat{number}", "/toi", f"new-{number}"))
    await until(lambda: intake.handled == 15)
    await intake.drain()
    if db_kind == "sqlite":
        # Each went to a free worker as it was stored: no claim brought any of them. (A claim may
        # still run once, empty: a worker that finished before `_behind` fell had woken the claimer.)
        assert sum(claims[before:]) == 0 and len(claims) <= before + 1
    assert await inbox.waiting(app.db) == []


async def test_rows_left_waiting_while_a_claim_reads_the_inbox_are_not_forgotten(
    app: Chibo, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A claim reads the inbox before two messages of one chat commit (a group commit finishing
    meanwhile): it finds nothing, with nothing in hand. The claimer must still come back for
    them, and for the second after the first is handled, with no `poll` to rescue it."""
    seen: list[str] = []

    async def handle(incoming: Incoming) -> list[Outgoing]:
        seen.append(incoming.text)
        return []

    app.handle = handle  # type: ignore[method-assign]
    intake = Intake(app, IntakeConfig(poll=3600, workers=2))
    real = inbox.claim
    reads = 0

    async def late(*args: object) -> list[inbox.Stored]:
        nonlocal reads
        reads += 1
        if reads == 2:  # the first claim after start: its view of the inbox predates the two rows
            for n in range(2):
                await intake.accept(message("an", f"an {n}", f"late-{n}"))
            return []
        return await real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(inbox, "claim", late)
    await intake.start()
    await until(lambda: reads >= 1)
    intake._wake.set()  # a look at the inbox, as a stored row would ask for
    await until(lambda: seen == ["an 0", "an 1"])  # both, in order: the second not left behind the first
    await intake.drain()
    assert await inbox.waiting(app.db) == []


async def test_what_is_held_in_memory_is_bounded(app: Chibo, memory: MemoryChannel) -> None:
    gate = asyncio.Event()
    entered: list[str] = []

    async def handle(incoming: Incoming) -> list[Outgoing]:
        entered.append(incoming.chat_id)
        await gate.wait()
        return []

    app.handle = handle  # type: ignore[method-assign]
    intake = Intake(app, IntakeConfig(poll=0.05, workers=8, in_hand=4))
    for number in range(20):
        await intake.accept(message(f"chat{number}", "/toi", str(number)))
    await intake.start()
    await until(lambda: len(entered) == 4)
    await asyncio.sleep(0.1)  # had it room, it would take more now
    marks = await claimed(app.db)
    assert len(entered) == 4 and sum(1 for who in marks if who == intake.name) == 4 and marks.count(None) == 16
    gate.set()
    await until(lambda: len(entered) == 20)
    await intake.drain()


async def test_stopping_finishes_in_hand_within_the_grace_and_gives_back_the_rest(
    app: Chibo, memory: MemoryChannel,
) -> None:
    finished: list[str] = []

    async def handle(incoming: Incoming) -> list[Outgoing]:
        if incoming.chat_id == "stuck":
            await asyncio.Event().wait()  # never ends by itself
        await asyncio.sleep(0.05)
        finished.append(incoming.chat_id)
        return []

    app.handle = handle  # type: ignore[method-assign]
    intake = Intake(app, IntakeConfig(poll=0.05, workers=4, grace=0.3))
    await intake.accept(message("stuck", "/toi", "1"))
    await intake.accept(message("quick", "/toi", "2"))
    await intake.accept(message("stuck", "/toi", "3"))  # waits behind the first of its chat
    await intake.start()
    await until(lambda: len(intake._held) == 2)
    await asyncio.wait_for(intake.drain(), 5)
    assert finished == ["quick"]
    left = await inbox.waiting(app.db)
    assert [row.update_key for row in left] == ["1", "3"]
    assert await claimed(app.db) == [None, None]  # given back: the next worker need not wait for the lease


async def test_a_transient_fault_is_retried_and_the_sender_hears_only_the_answer(
    app: Chibo, memory: MemoryChannel,
) -> None:
    real = app.router._handle
    failures = [blip(), blip()]

    async def flaky(incoming: Incoming, caps: object, now: datetime) -> list[Outgoing]:
        if failures:
            raise failures.pop()
        return await real(incoming, caps, now)  # type: ignore[arg-type]

    app.router._handle = flaky  # type: ignore[method-assign]
    intake = Intake(app, QUICK)
    await intake.accept(message("an", "/toi", "1"))
    await intake.start()
    await until(lambda: intake.handled == 1)
    await intake.drain()
    assert failures == []
    (answer,) = memory.texts_to("an")
    assert "lỗi" not in answer and answer.startswith("Đồng chí chưa tham gia")
    assert await inbox.waiting(app.db) == []


async def test_a_sender_kept_waiting_is_told_once_that_it_is_delayed(app: Chibo, memory: MemoryChannel) -> None:
    real = app.router._handle
    failures = [blip() for _ in range(5)]

    async def flaky(incoming: Incoming, caps: object, now: datetime) -> list[Outgoing]:
        if failures:
            raise failures.pop()
        return await real(incoming, caps, now)  # type: ignore[arg-type]

    app.router._handle = flaky  # type: ignore[method-assign]
    intake = Intake(app, IntakeConfig(poll=0.05, backoff=0.01, backoff_max=0.02, delayed_after=0.0))
    await intake.accept(message("an", "/toi", "1"))
    await intake.start()
    await until(lambda: intake.handled == 1)
    await intake.drain()
    delayed, answer = memory.texts_to("an")
    assert delayed == DELAYED and "lỗi" not in delayed and answer.startswith("Đồng chí chưa tham gia")


async def test_a_bug_is_answered_once_logged_with_the_update_and_not_retried(
    app: Chibo, memory: MemoryChannel, caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []

    async def broken(incoming: Incoming, caps: object, now: datetime) -> list[Outgoing]:
        calls.append(incoming.text)
        raise KeyError("a bug of ours")

    app.router._handle = broken  # type: ignore[method-assign]
    intake = Intake(app, QUICK)
    await intake.accept(message("an", "/baocao 2 dọn vệ sinh", "42"))
    await intake.start()
    await until(lambda: intake.handled == 1)
    await intake.drain()
    assert calls == ["/baocao 2 dọn vệ sinh"]
    assert memory.texts_to("an") == [texts.INTERNAL_ERROR]
    assert "update 42" in caplog.text and "dọn vệ sinh" in caplog.text
    assert await inbox.waiting(app.db) == []


async def test_an_unreadable_row_is_dropped_not_retried_for_ever(app: Chibo, memory: MemoryChannel) -> None:
    async with app.db.session() as session:
        await session.execute(table_of(inbox.InboxUpdate).insert().values(
            platform="nowhere", update_key="1", body={"what": "not a message"}, received_at=T0))
        await session.commit()
    intake = Intake(app, QUICK)
    await intake.start()
    await until(lambda: intake.handled == 1)
    await intake.drain()
    assert await inbox.waiting(app.db) == [] and memory.sent == []


async def test_polling_stores_each_update_before_the_workers_handle_it(
    app: Chibo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`chibo run` without --webhook: updates fetched by polling go through the inbox too, so
    they are handled side by side, and one that could not be handled yet survives a stop."""
    from bot import service
    from bot.settings import Settings

    fake = FakeTelegram()
    await fake.start()
    settings = Settings(_env_file=None, telegram_bot_token=fake.token, telegram_base_url=fake.base_url,
                        files_dir=str(tmp_path), webhook_secret="")
    stored: list[str | None] = []
    keep = inbox.keep

    async def spy(
        db: Database, incoming: Incoming, now: datetime, claim: inbox.Claim | None = None,
    ) -> inbox.Stored | None:
        stored.append(incoming.update_key)
        return await keep(db, incoming, now, claim)

    monkeypatch.setattr(inbox, "keep", spy)
    stop = asyncio.Event()
    running = asyncio.create_task(service.serve(app, settings, webhook=False, stop=stop))
    try:
        fake.push_message(501, "/start")
        fake.push_message(502, "/toi")
        sent = await fake.wait_sent(2)
        assert sorted(m.chat_id for m in sent) == ["501", "502"]
        assert len(stored) == 2
        for _ in range(1000):  # a row goes just after its reply
            if not await inbox.waiting(app.db):
                break
            await asyncio.sleep(0.01)
        assert await inbox.waiting(app.db) == []
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        await fake.stop()
