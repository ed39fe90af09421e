"""The first step of every message (storage/accounts.py, `mark_and_load`): the update's mark and
its sender, one statement on PostgreSQL and two on SQLite, with the same answers on both: a
stranger gets an account, a redelivery gets None, a mark older than any redelivery is renewed,
and nothing is kept when the transaction rolls back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage import accounts
from storage.db import Database
from storage.pruning import UPDATE_MARK_RETENTION
from storage.tables import ChatAccount

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


async def _first_step(db: Database, key: str, user: str, now: datetime = NOW, *,
                      commit: bool = True) -> accounts.Loaded | None:
    async with db.session() as session:
        loaded = await accounts.mark_and_load(session, key, "telegram", user, user, f"Người {user}", now)
        if commit:
            await session.commit()
    return loaded


async def _accounts(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(ChatAccount))).scalar_one())


async def test_a_stranger_gets_an_account_and_a_redelivery_gets_none(db: Database) -> None:
    first = await _first_step(db, "u1", "100")
    assert first is not None and first.account.member_id is None and first.conversation is None
    assert await _accounts(db) == 1
    again = await _first_step(db, "u1", "100")  # the same update delivered twice
    assert again is None
    later = await _first_step(db, "u2", "100")  # the same sender's next update: the same account
    assert later is not None and later.account.id == first.account.id
    assert await _accounts(db) == 1


async def test_a_mark_is_renewed_only_once_older_than_any_redelivery(db: Database) -> None:
    assert await _first_step(db, "u7", "200") is not None
    at_edge = NOW + UPDATE_MARK_RETENTION  # still within reach of a redelivery
    assert await _first_step(db, "u7", "200", at_edge) is None
    reused = at_edge + timedelta(seconds=1)  # the platform reused the id: a new update
    assert await _first_step(db, "u7", "200", reused) is not None
    assert await _first_step(db, "u7", "200", reused) is None  # and the renewed mark holds


async def test_a_rolled_back_first_step_keeps_nothing(db: Database) -> None:
    assert await _first_step(db, "u9", "300", commit=False) is not None
    assert await _accounts(db) == 0
    assert await _first_step(db, "u9", "300") is not None  # the update was not marked either
