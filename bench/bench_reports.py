"""One-line /baocao through the router, the handler and the database, against the same writes
in hand-written SQL on the bare driver, interleaved in one process.

chibo: every message goes the whole way a real one does (de-duplication mark, sender lookup,
the /baocao handler, the commit, and only then the receipt to the memory channel); its latency
is measured from the push to the receipt delivered. Baseline: the same three statements (the
mark, the sender's account with member and conversation, the numbered report) and the commit,
written by hand on aiosqlite (SQLite) or asyncpg (PostgreSQL), one message after another.
Rounds alternate between the two on twin databases, so a busy machine slows both alike.

Goals (issue 12): on SQLite ≥ 0.6 of raw aiosqlite and p99 < 10 ms; on PostgreSQL ≥ 0.6 of raw
asyncpg.

    python -m bench.bench_reports [--full] [--messages N] [--rounds R] [--members M]
                                  [--postgres URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import func, insert, select, text

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from domain.messages import Incoming
from domain.vocabulary import UnitKind
from handlers.context import HandlerSettings
from storage.db import Database, answers
from storage.reports import Report
from storage.schema import metadata
from storage.tables import ChatAccount, Member, OrgUnit
from storage.types import inserted_id, table_of

RATIO_GOAL = 0.6  # of the bare driver, in the same run
P99_GOAL_MS = 10.0  # SQLite
WARMUP = 200
MEMBERS_PER_CELL = 50
DEFAULT_POSTGRES = os.environ.get("CHIBO_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
Send = Callable[[int], Awaitable[None]]


@dataclass
class Tally:
    seconds: float = 0.0
    messages: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    def p99_ms(self) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))]


def _text(i: int) -> tuple[str, str]:
    """The i-th message's kind and activity (each different: no report is a duplicate)."""
    return f"{i % 5 + 1}", f"Vận động {i % 9 + 1} hộ đóng góp làm đường, lần {i}"


async def _populate(db: Database, members: int) -> list[str]:
    """A committee, its cells and members, each with a memory account; returns the user ids."""
    cells = max(1, members // MEMBERS_PER_CELL)
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        committee = inserted_id(await connection.execute(insert(table_of(OrgUnit)).values(
            kind=UnitKind.COMMITTEE, name="Đảng bộ thử", name_key="dang bo thu", settings={})))
        cell_ids = []
        for number in range(cells):
            result = await connection.execute(insert(table_of(OrgUnit)).values(
                kind=UnitKind.CELL, name=f"Chi bộ {number + 1}", name_key=f"chi bo {number + 1}", parent_id=committee,
                settings={}))
            cell_ids.append(inserted_id(result))
        await connection.execute(insert(table_of(Member)), [
            {"cell_id": cell_ids[i % cells], "full_name": f"Đảng viên {i}", "name_key": f"dang vien {i}",
             "status": "official", "active": True} for i in range(members)
        ])
        ids = (await connection.execute(select(table_of(Member).c.id).order_by(table_of(Member).c.id))).scalars()
        await connection.execute(insert(table_of(ChatAccount)), [
            {"platform": "memory", "platform_user_id": f"u{member_id}", "chat_id": f"u{member_id}",
             "display_name": "", "member_id": member_id, "last_seen_at": datetime.now(UTC)} for member_id in ids
        ])
    return [f"u{i + 1}" for i in range(members)]


async def _stored(db: Database) -> int:
    async with db.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(Report))).scalar_one())


# -- chibo --------------------------------------------------------------------------------------
def chibo_sender(app: Chibo, users: list[str], latencies: list[float]) -> Send:
    async def send(i: int) -> None:
        user = users[i % len(users)]
        kind, activity = _text(i)
        began = time.perf_counter()
        out = await app.handle(Incoming("memory", user, f"/baocao {kind} {activity}", chat_id=user,
                                        update_key=f"b{i}"))
        latencies.append(time.perf_counter() - began)
        assert out and out[0].reply.text.startswith("Đã ghi báo cáo số"), out  # the receipt, after the commit
    return send


# -- the bare drivers ---------------------------------------------------------------------------
_ACCOUNT = (
    "SELECT a.id, a.chat_id, a.member_id, a.last_seen_at, m.cell_id, m.full_name, m.status, c.account_id, "
    "c.flow, c.step, c.data, c.choices, c.chat_id, (SELECT max(s.last_seen_at) FROM chat_account s "
    "WHERE s.member_id = a.member_id AND s.id != a.id) FROM chat_account a LEFT JOIN member m ON m.id = a.member_id "
    "LEFT JOIN conversation c ON c.account_id = a.id WHERE a.platform = {0} AND a.platform_user_id = {1}"
)
_MARK = "INSERT INTO processed_update (platform, update_key, at) VALUES ({0}, {1}, {2}) ON CONFLICT DO NOTHING"
_REPORT = (
    "INSERT INTO report (member_id, number, cell_id, kind, text, done_on, photo, created_at) "
    "SELECT {0}, 1 + max(n), {1}, {2}, {3}, {4}, NULL, {5} FROM ("
    "SELECT coalesce(max(number), 0) AS n FROM report WHERE member_id = {0} UNION ALL "
    "SELECT coalesce(max(number), 0) FROM report_number_retired WHERE member_id = {0}) AS numbers "
    "WHERE NOT EXISTS (SELECT 1 FROM report WHERE member_id = {0} AND kind = {2} AND text = {3} AND done_on = {4} "
    "AND created_at > {6}) RETURNING number"
)
_KINDS = ("study", "assigned", "residence", "mass_help", "other")


def _kind(i: int) -> str:
    return _KINDS[i % 5]


def aiosqlite_sender(connection: aiosqlite.Connection, users: list[str], day: str) -> Send:
    mark, account = _MARK.format("?", "?", "?"), _ACCOUNT.format("?", "?")
    report = _REPORT.format("?1", "?2", "?3", "?4", "?5", "?6", "?7")

    async def send(i: int) -> None:
        now = datetime.now(UTC)
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        await connection.execute(mark, ("memory", f"b{i}", stamp))
        async with connection.execute(account, ("memory", users[i % len(users)])) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        text = _text(i)[1]
        earlier = (now - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
        async with connection.execute(report, (row[2], row[4], _kind(i), text, day, stamp, earlier)) as cursor:
            assert await cursor.fetchone() is not None
        await connection.commit()
    return send


def asyncpg_sender(connection: Any, users: list[str]) -> Send:
    mark, account = _MARK.format("$1", "$2", "$3"), _ACCOUNT.format("$1", "$2")
    report = _REPORT.format("$1::integer", "$2::integer", "$3::varchar", "$4::varchar", "$5::date",
                            "$6::timestamptz", "$7")

    async def send(i: int) -> None:
        now = datetime.now(UTC)
        async with connection.transaction():
            await connection.execute(mark, "memory", f"b{i}", now)
            row = await connection.fetchrow(account, "memory", users[i % len(users)])
            assert row is not None
            assert await connection.fetchrow(report, row[2], row[4], _kind(i), _text(i)[1], now.date(), now,
                                             now - timedelta(minutes=1)) is not None
    return send


# -- rounds -------------------------------------------------------------------------------------
async def _round(send: Send, first: int, count: int, tally: Tally) -> None:
    began = time.perf_counter()
    for i in range(first, first + count):
        await send(i)
    tally.seconds += time.perf_counter() - began
    tally.messages += count


async def duel(ours: Send, theirs: Send, rounds: int, per_round: int) -> tuple[Tally, Tally]:
    """Warm both up, then alternate rounds (who goes first alternates too)."""
    await _round(ours, 0, WARMUP, Tally())
    await _round(theirs, 0, WARMUP, Tally())
    mine, base = Tally(), Tally()
    first = WARMUP
    for number in range(rounds):
        pair = [(ours, mine), (theirs, base)]
        for send, tally in pair if number % 2 == 0 else pair[::-1]:
            await _round(send, first, per_round, tally)
        first += per_round
    return mine, base


@contextlib.asynccontextmanager
async def _twins_sqlite(members: int) -> AsyncIterator[tuple[Database, Database, str]]:
    with tempfile.TemporaryDirectory(prefix="chibo-bench-") as folder:
        ours = Database(f"sqlite+aiosqlite:///{Path(folder) / 'chibo.db'}")
        theirs = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bare.db'}")
        try:
            yield ours, theirs, str(Path(folder) / "bare.db")
        finally:
            await ours.dispose()
            await theirs.dispose()


async def on_sqlite(members: int, rounds: int, per_round: int) -> tuple[Tally, Tally]:
    async with _twins_sqlite(members) as (ours, theirs, bare_path):
        users = await _populate(ours, members)
        await _populate(theirs, members)
        await theirs.dispose()
        app = Chibo(ours, HandlerSettings())
        app.add_channel(MemoryChannel())
        latencies: list[float] = []
        connection = await aiosqlite.connect(bare_path)
        try:
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
                await connection.execute(f"PRAGMA {pragma}")
            day = datetime.now(UTC).date().isoformat()
            mine, base = await duel(chibo_sender(app, users, latencies), aiosqlite_sender(connection, users, day),
                                    rounds, per_round)
        finally:
            await connection.close()
        mine.latencies = latencies[WARMUP:]
        assert await _stored(ours) == WARMUP + rounds * per_round
        return mine, base


async def on_postgres(url: str, members: int, rounds: int, per_round: int) -> tuple[Tally, Tally]:
    import asyncpg

    schemas = [f"bench_{uuid.uuid4().hex[:10]}", f"bench_{uuid.uuid4().hex[:10]}"]
    admin = Database(url)
    async with admin.engine.begin() as connection:
        for schema in schemas:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    dbs = [Database(url, connect_args={"server_settings": {"search_path": s}}) for s in schemas]
    try:
        users = await _populate(dbs[0], members)
        await _populate(dbs[1], members)
        await dbs[1].dispose()
        app = Chibo(dbs[0], HandlerSettings())
        app.add_channel(MemoryChannel())
        latencies: list[float] = []
        bare = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"),
                                     server_settings={"search_path": schemas[1]})
        try:
            mine, base = await duel(chibo_sender(app, users, latencies), asyncpg_sender(bare, users),
                                    rounds, per_round)
        finally:
            await bare.close()
        mine.latencies = latencies[WARMUP:]
        return mine, base
    finally:
        for db in dbs:
            await db.dispose()
        async with admin.engine.begin() as connection:
            for schema in schemas:
                await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


def _verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def report(database: str, driver: str, mine: Tally, base: Tally, *, p99_goal: float | None) -> bool:
    ratio = mine.rate / base.rate
    print(f"{database}: {mine.messages} one-line /baocao each, interleaved rounds")
    print(f"  chibo: {mine.rate:,.0f} msg/s, p99 {mine.p99_ms():.2f} ms")
    print(f"  raw {driver} (same 3 statements and the commit): {base.rate:,.0f} msg/s")
    print(f"  ratio {ratio:.2f}; goal ≥ {RATIO_GOAL} of raw {driver}: {_verdict(ratio >= RATIO_GOAL)}")
    met = ratio >= RATIO_GOAL
    if p99_goal is not None:
        print(f"  p99 {mine.p99_ms():.2f} ms; goal < {p99_goal:.0f} ms: {_verdict(mine.p99_ms() < p99_goal)}")
        met = met and mine.p99_ms() < p99_goal
    return met


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_reports", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="20,000 messages each instead of 3,000")
    parser.add_argument("--messages", type=int, help="messages per contestant (after a warm-up of 200)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL URL (used when it answers)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(list(argv))
    messages = args.messages or (20000 if args.full else 3000)
    per_round = max(1, messages // args.rounds)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    report("SQLite", "aiosqlite", *asyncio.run(on_sqlite(args.members, args.rounds, per_round)), p99_goal=P99_GOAL_MS)
    if args.no_postgres:
        return
    if not asyncio.run(answers(args.postgres)):
        print(f"PostgreSQL at {args.postgres} does not answer: skipped")
        return
    report("PostgreSQL", "asyncpg", *asyncio.run(on_postgres(args.postgres, args.members, args.rounds, per_round)),
           p99_goal=None)


if __name__ == "__main__":
    main(sys.argv[1:])
