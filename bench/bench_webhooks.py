"""Zalo webhooks end to end: a fake Zalo server posts one-line /baocao updates to the web server,
which stores each in the inbox, answers 200, then handles it and sends the receipt back.

Two figures matter: how fast a delivery is acknowledged (the platform waits for it; the
update is durably stored by then), and how many updates per second are handled to the end
(receipt received by the fake platform). Deliveries come from `--senders` concurrent posters.

    python -m bench.bench_webhooks [--messages 2000] [--members 500] [--senders 20] [--database URL]
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

from sqlalchemy import insert, select

from bot.app import Chibo
from bot.channels.zalo import ZaloChannel
from bot.intake import Intake
from bot.web import WebServer
from domain.vocabulary import UnitKind
from handlers.context import HandlerSettings
from storage.db import Database
from storage.schema import metadata
from storage.tables import ChatAccount, Member, OrgUnit
from storage.types import inserted_id, table_of
from tests.fakes.zalo_api import FakeZalo

SECRET = "bench-webhook-secret"
MEMBERS_PER_CELL = 50


async def _populate(db: Database, members: int) -> list[str]:
    """Cells of members with Zalo accounts; returns their Zalo user ids."""
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
        await connection.run_sync(metadata.create_all)
        units = table_of(OrgUnit)
        committee = inserted_id(await connection.execute(insert(units).values(
            kind=UnitKind.COMMITTEE, name="Đảng bộ thử", name_key="dang bo thu", settings={})))
        cells = []
        for number in range(max(1, members // MEMBERS_PER_CELL)):
            cells.append(inserted_id(await connection.execute(insert(units).values(
                kind=UnitKind.CELL, name=f"Chi bộ {number + 1}", name_key=f"chi bo {number + 1}", parent_id=committee,
                settings={}))))
        table = table_of(Member)
        await connection.execute(insert(table), [
            {"cell_id": cells[i % len(cells)], "full_name": f"Đảng viên {i}", "name_key": f"dang vien {i}",
             "status": "official", "active": True} for i in range(members)])
        ids = list((await connection.execute(select(table.c.id).order_by(table.c.id))).scalars())
        await connection.execute(insert(table_of(ChatAccount)), [
            {"platform": "zalo", "platform_user_id": FakeZalo.user_id(i), "chat_id": FakeZalo.user_id(i),
             "display_name": "", "member_id": member_id} for i, member_id in enumerate(ids)])
    return [FakeZalo.user_id(i) for i in range(members)]


def _ms(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def run(messages: int, members: int, senders: int, url: str) -> None:
    db = Database(url)
    users = await _populate(db, members)
    fake = FakeZalo()
    await fake.start()
    app = Chibo(db, HandlerSettings())
    channel = ZaloChannel(fake.token, base_url=fake.base_url)
    app.add_channel(channel)
    server = WebServer(app, secret=SECRET, zalo=channel, intake=Intake(app))
    await server.start("127.0.0.1", 0)
    await server.register_webhooks(f"http://127.0.0.1:{server.port}")
    updates = [fake.update(users[i % members], f"/baocao 2 Việc thứ {i} trong tháng") for i in range(messages)]
    acks: list[float] = []

    async def poster(share: list[dict[str, object]]) -> None:
        for update in share:
            began = time.perf_counter()
            status = await fake.deliver(update)
            acks.append(time.perf_counter() - began)
            if status != 200:
                raise RuntimeError(f"delivery answered {status}")

    began = time.perf_counter()
    await asyncio.gather(*(poster(updates[k::senders]) for k in range(senders)))
    acknowledged = time.perf_counter() - began
    await fake.wait_sent(messages, within=600)
    handled = time.perf_counter() - began
    await server.stop()
    await fake.stop()
    await db.dispose()
    receipts = sum(1 for m in fake.sent if m.text.startswith("Đã ghi báo cáo số"))
    print(f"database: {db.dialect}; {messages} deliveries from {senders} concurrent senders, {members} members")
    print(f"acknowledged (stored, 200): {messages / acknowledged:,.0f}/s; "
          f"ack latency p50 {_ms(acks, 0.5):.1f} ms, p99 {_ms(acks, 0.99):.1f} ms, "
          f"mean {1000 * statistics.fmean(acks):.1f} ms")
    print(f"handled end to end (receipt at the platform): {messages / handled:,.0f}/s; "
          f"{receipts}/{messages} receipts")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--database", help="default: a temporary SQLite file")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    if args.database:
        asyncio.run(run(args.messages, args.members, args.senders, args.database))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(run(args.messages, args.members, args.senders, url))


if __name__ == "__main__":
    main()
