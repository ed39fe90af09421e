"""The tables that only grow are pruned: de-duplication marks after their retention (and a
Telegram update_id reused after a week is handled again), wrong-code attempts after the
rate limit's window, expired file links with their files; the scheduler does it hourly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.files import FileShelf, links_directory
from domain.messages import Incoming
from schedules.driver import Scheduler
from storage import org, pruning
from storage.db import Database
from storage.file_links import FileLink
from storage.inbox import InboxUpdate
from storage.tables import ChatAccount, CodeAttempt, ProcessedUpdate
from storage.types import inserted_id, table_of

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
MARKS = table_of(ProcessedUpdate)
ATTEMPTS = table_of(CodeAttempt)
LINKS = table_of(FileLink)
INBOX = table_of(InboxUpdate)


async def _mark(db: Database, key: str, at: datetime, platform: str = "telegram") -> None:
    async with db.session() as session:
        await session.exec(insert(MARKS).values(platform=platform, update_key=key, at=at))
        await session.commit()


async def _mark_keys(db: Database) -> set[str]:
    async with db.session() as session:
        return set((await session.execute(select(MARKS.c.update_key))).scalars())


async def _waiting(db: Database, platform: str, key: str, received_at: datetime) -> None:
    """An update still in the inbox (written directly: only the columns pruning reads matter)."""
    async with db.session() as session:
        await session.exec(insert(INBOX).values(
            platform=platform, update_key=key, body={}, received_at=received_at, chat_key=f"{platform}:42",
        ))
        await session.commit()


async def _account(db: Database) -> int:
    async with db.session() as session:
        result = await session.exec(insert(table_of(ChatAccount)).values(
            platform="telegram", platform_user_id="42", chat_id="42", display_name="An",
            last_seen_at=NOW, created_at=NOW,
        ))
        await session.commit()
    return inserted_id(result)


async def _link_tokens(db: Database) -> set[str]:
    async with db.session() as session:
        return set((await session.execute(select(LINKS.c.token))).scalars())


# -- storage ------------------------------------------------------------------------------------------------

async def test_marks_older_than_the_retention_go_and_the_rest_stay(db: Database) -> None:
    keep = pruning.UPDATE_MARK_RETENTION
    assert timedelta(hours=24) < keep and keep + timedelta(hours=1) < timedelta(days=7)
    await _mark(db, "older", NOW - keep - timedelta(seconds=1))
    await _mark(db, "much-older", NOW - timedelta(days=30), platform="zalo")
    await _mark(db, "exactly", NOW - keep)
    await _mark(db, "newer", NOW - keep + timedelta(seconds=1))
    await _mark(db, "today", NOW)
    pruned = await pruning.prune(db, NOW)
    assert pruned.update_marks == 2
    assert await _mark_keys(db) == {"exactly", "newer", "today"}


async def test_a_backlog_goes_in_batches_and_all_of_it(db: Database) -> None:
    for number in range(7):
        await _mark(db, f"old-{number}", NOW - timedelta(days=10, minutes=number))
    await _mark(db, "new", NOW)
    pruned = await pruning.prune(db, NOW, batch=3)
    assert pruned.update_marks == 7 and await _mark_keys(db) == {"new"}


async def test_a_mark_stays_while_its_update_waits_in_the_inbox(db: Database) -> None:
    """Handled, then a crash before the inbox row was cleared, then a long stop: the replay at the
    next start must still find the mark. A reused id that arrived after the mark does not keep it."""
    old = NOW - timedelta(days=5)
    await _mark(db, "100", old)
    await _waiting(db, "telegram", "100", old - timedelta(seconds=1))
    await _mark(db, "200", old)
    await _waiting(db, "telegram", "200", NOW - timedelta(minutes=1))
    await _mark(db, "300", old)
    await _waiting(db, "zalo", "300", old - timedelta(seconds=1))
    pruned = await pruning.prune(db, NOW)
    assert pruned.update_marks == 2 and await _mark_keys(db) == {"100"}


async def test_code_attempts_go_once_the_rate_limit_no_longer_reads_them(db: Database) -> None:
    keep = pruning.CODE_ATTEMPT_RETENTION
    assert keep > org.WRONG_CODE_WINDOW
    account = await _account(db)
    times = {
        "older": NOW - keep - timedelta(seconds=1), "exactly": NOW - keep,
        "newer": NOW - keep + timedelta(seconds=1), "in the window": NOW - timedelta(minutes=5),
    }
    async with db.session() as session:
        for at in times.values():
            await session.exec(insert(ATTEMPTS).values(account_id=account, at=at))
        await session.commit()
    pruned = await pruning.prune(db, NOW)
    async with db.session() as session:
        left = set((await session.execute(select(ATTEMPTS.c.at))).scalars())
    assert pruned.code_attempts == 1
    assert left == {times["exactly"], times["newer"], times["in the window"]}


async def test_expired_links_go_with_their_files_and_live_ones_stay(db: Database, tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    folder = tmp_path / "links"
    shelf = FileShelf(db, folder, "https://chibo.example", clock, lifetime=timedelta(days=1))
    source = tmp_path / "bieu-do.png"
    source.write_bytes(b"chart")
    await shelf.publish(source)
    (expiring,) = await _link_tokens(db)
    clock.set(NOW + timedelta(hours=23))
    await shelf.publish(source)
    (live,) = await _link_tokens(db) - {expiring}
    assert len(list(folder.iterdir())) == 2

    pruned = await shelf.prune(NOW + timedelta(days=1))  # the first link's expires_at: expired
    assert pruned.file_links == (expiring + ".png",)
    assert await _link_tokens(db) == {live}
    assert [p.name for p in folder.iterdir()] == [live + ".png"]

    (folder / f"{live}.png").unlink()  # a copy already gone is no error
    pruned = await shelf.prune(NOW + timedelta(days=2))
    assert pruned.file_links == (live + ".png",) and await _link_tokens(db) == set()


# -- through the app --------------------------------------------------------------------------------------

async def test_a_telegram_update_id_reused_after_a_week_is_handled(app: Chibo, clock: ManualClock) -> None:
    """Telegram may restart update_ids after a week without updates: the old mark must be gone."""
    app.add_channel(MemoryChannel(platform="telegram"))
    start = clock.now()
    assert await app.handle(Incoming("telegram", "42", "/trogiup", update_key="5000"))

    clock.set(start + timedelta(days=8))
    await app.tick()  # the scheduler's pass prunes
    assert await app.handle(Incoming("telegram", "42", "/trogiup", update_key="5000"))

    # A genuine second delivery within the retention is still ignored, pruning or not.
    assert await app.handle(Incoming("telegram", "42", "/toi", update_key="5001"))
    clock.set(start + timedelta(days=8) + pruning.UPDATE_MARK_RETENTION)
    await app.tick()
    assert await app.handle(Incoming("telegram", "42", "/toi", update_key="5001")) == []


async def test_a_reused_id_is_handled_even_before_the_pruning_ran(app: Chibo, clock: ManualClock) -> None:
    """Between two prunings (or just after a long stop) the stale mark is still there: the router
    itself treats a mark older than the retention as another update's, and renews it."""
    app.add_channel(MemoryChannel(platform="telegram"))
    start = clock.now()
    assert await app.handle(Incoming("telegram", "42", "/trogiup", update_key="6000"))
    clock.set(start + pruning.UPDATE_MARK_RETENTION)  # exactly at the retention: still a redelivery
    assert await app.handle(Incoming("telegram", "42", "/trogiup", update_key="6000")) == []
    clock.set(start + timedelta(days=8))  # no tick: nothing pruned
    assert await app.handle(Incoming("telegram", "42", "/trogiup", update_key="6000"))
    assert await app.handle(Incoming("telegram", "42", "/trogiup", update_key="6000")) == []  # renewed mark


async def test_the_scheduler_prunes_at_most_once_an_hour(db: Database) -> None:
    clock = ManualClock(NOW)
    scheduler = Scheduler(db, {}, clock.now)
    old = pruning.UPDATE_MARK_RETENTION + timedelta(minutes=1)
    await _mark(db, "a", NOW - old)
    async with db.session() as session:
        await session.exec(insert(LINKS).values(
            token="t" * 43, stored_name="t" * 43 + ".png", filename="bieu-do.png", content_type="image/png",
            expires_at=NOW - timedelta(days=1), created_at=NOW - timedelta(days=2),
        ))
        await session.commit()
    assert await scheduler.run_pass(NOW)  # the first pass after a start prunes
    assert await _mark_keys(db) == set()
    assert await _link_tokens(db) == {"t" * 43}  # its file is not the scheduler's to delete

    later = NOW + timedelta(minutes=59)
    await _mark(db, "b", later - old)
    assert await scheduler.run_pass(later)
    assert await _mark_keys(db) == {"b"}  # pruned less than an hour ago
    assert await scheduler.run_pass(NOW + timedelta(hours=1))
    assert await _mark_keys(db) == set()


async def test_a_failing_pruning_does_not_stop_the_pass(db: Database) -> None:
    async def broken(_now: datetime) -> None:
        raise RuntimeError("disk full")

    scheduler = Scheduler(db, {}, ManualClock(NOW).now, prune=broken)
    assert await scheduler.run_pass(NOW)


async def test_the_bots_scheduler_deletes_the_files_of_expired_links(app: Chibo, clock: ManualClock,
                                                                     tmp_path: Path) -> None:
    folder = links_directory(app.settings.files_dir)
    shelf = FileShelf(app.db, folder, "https://chibo.example", app.clock)
    source = tmp_path / "tong-hop.xlsx"
    source.write_bytes(b"PK workbook")
    await shelf.publish(source)
    assert len(list(folder.iterdir())) == 1
    clock.set(clock.now() + timedelta(hours=25))
    await app.tick()
    assert list(folder.iterdir()) == [] and await _link_tokens(app.db) == set()
