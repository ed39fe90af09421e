"""One-line /baocao from many members through the memory channel, the router, the handlers and SQLite.

Every message goes the whole way a real one does: de-duplication mark, sender lookup,
the /baocao handler, the commit, and only then the receipt to the channel. Messages are
pushed one after another (one writer, as SQLite wants); the latency of each is measured from
the push to its receipt being delivered. Prints messages per second, p50/p99 latency and the
SQL statements per message.

    python -m bench.bench_reports [--messages 5000] [--members 1000] [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event, func, insert, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from domain.messages import Incoming
from domain.vocabulary import UnitKind
from handlers.context import Audience, Ctx, HandlerSettings
from handlers.registry import Command, build_catalog
from storage.db import Database
from storage.reports import Report
from storage.schema import metadata
from storage.tables import ChatAccount, Member, OrgUnit
from storage.types import inserted_id, table_of

TARGET_RATE = 500.0  # messages per second on the 2-core development machine
TARGET_P99_MS = 50.0
WARMUP = 200
MEMBERS_PER_CELL = 50


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
             "display_name": "", "member_id": member_id} for member_id in ids
        ])
    return [f"u{i + 1}" for i in range(members)]


def _percentile(sorted_values: list[float], share: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(share * len(sorted_values)) - 1))
    return sorted_values[index]


async def _noop(ctx: Ctx, args: str) -> None:
    ctx.reply("Đã ghi báo cáo số 0")


# The same path with a command that touches no table: what the router alone costs.
BASELINE = build_catalog([SimpleNamespace(COMMANDS=[Command("baocao", "thử", _noop, Audience.MEMBER, private=True)])])


async def run(messages: int, members: int, url: str | None, *, baseline: bool = False) -> dict[str, Any]:
    folder = tempfile.mkdtemp(prefix="chibo-bench-")
    db = Database(url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
    users = await _populate(db, members)
    app = Chibo(db, HandlerSettings(), catalog=BASELINE if baseline else None)
    channel = MemoryChannel()
    app.add_channel(channel)
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    def message(i: int) -> Incoming:
        user = users[i % len(users)]
        return Incoming("memory", user, f"/baocao {i % 5 + 1} Vận động {i % 9 + 1} hộ đóng góp làm đường, lần {i}",
                        chat_id=user, update_key=f"b{i}")

    for i in range(WARMUP):  # first messages create conversation rows and warm the caches
        await app.handle(message(i))
    channel.take()

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    latencies: list[float] = []
    started = time.perf_counter()
    for i in range(WARMUP, WARMUP + messages):
        sent_before = time.perf_counter()
        out = await app.handle(message(i))
        latencies.append(time.perf_counter() - sent_before)
        assert out and out[0].reply.text.startswith("Đã ghi báo cáo số"), out  # the receipt, after the commit
    elapsed = time.perf_counter() - started
    event.remove(db.engine.sync_engine, "before_cursor_execute", count)

    async with db.engine.connect() as connection:
        stored = (await connection.execute(select(func.count()).select_from(Report))).scalar_one()
    await db.dispose()
    delivered = len(channel.sent)
    assert stored == (0 if baseline else WARMUP + messages) and delivered == messages, (stored, delivered)
    latencies.sort()
    return {
        "messages": messages, "members": members, "database": db.dialect,
        "rate": messages / elapsed, "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000, "max_ms": latencies[-1] * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000, "statements": statements / messages,
    }


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_reports", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--database", help="a database URL (default: a new SQLite file in a temporary folder)")
    args = parser.parse_args(list(argv))
    result = asyncio.run(run(args.messages, args.members, args.database))
    verdict = "đạt" if result["rate"] >= TARGET_RATE and result["p99_ms"] < TARGET_P99_MS else "CHƯA ĐẠT"
    print(f"/baocao một dòng, {result['messages']} tin từ {result['members']} đảng viên ({result['database']}):")
    print(_line(result))
    print(f"  mục tiêu ≥ {TARGET_RATE:.0f} tin/giây, p99 < {TARGET_P99_MS:.0f} ms: {verdict}")
    base = asyncio.run(run(args.messages, args.members, args.database, baseline=True))
    print("chỉ bộ định tuyến (cùng đường đi, lệnh không ghi bảng nào), để so sánh:")
    print(_line(base))


def _line(result: dict[str, Any]) -> str:
    return (f"  {result['rate']:.0f} tin/giây; độ trễ p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, "
            f"tối đa {result['max_ms']:.1f} ms; {result['statements']:.2f} câu lệnh SQL mỗi tin")


if __name__ == "__main__":
    main(sys.argv[1:])
