"""Zalo webhooks end to end against the same /baocao through the handler alone, interleaved.

A fake Zalo platform, in a process of its own (as the real one is elsewhere: its HTTP work is
not chibo's), posts one-line /baocao updates from `--senders` concurrent posters to chibo's web
server, which stores each in the inbox, answers 200, then handles it and sends the receipt back.
Two figures come from that: acknowledged/s (the platform waits for the 200; the update is
durably stored by then) and handled/s (until the platform has every receipt). Between webhook
rounds, in this process, the same kind of messages go straight to the router (mark, sender,
handler, commit; no HTTP, no inbox): "the handler alone".

Goals (issue 12): handled ≥ 0.8 of acknowledged, and ≥ 0.5 of /baocao through the handler alone.

    python -m bench.bench_webhooks [--full] [--messages N] [--rounds R] [--members M] [--senders S]
                                   [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bot.app import Chibo
from bot.channels.zalo import ZaloChannel
from bot.intake import Intake
from bot.runner import settle_heap
from bot.web import WebServer
from domain.messages import Incoming
from domain.vocabulary import UnitKind
from handlers.context import HandlerSettings
from storage.db import Database
from storage.schema import metadata
from storage.tables import ChatAccount, Member, OrgUnit
from storage.types import inserted_id, table_of
from tests.fakes.zalo_api import FakeZalo

SECRET = "bench-webhook-secret"
MEMBERS_PER_CELL = 50
HANDLED_OF_ACKNOWLEDGED = 0.8
HANDLED_OF_HANDLER = 0.5


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


def _activity(i: int, where: str = "qua webhook") -> str:
    """The i-th one-line report (different texts for the two paths: none is a duplicate of another)."""
    return f"/baocao 2 Việc thứ {i} {where}"


# -- the platform, in its own process ---------------------------------------------------------------
async def platform() -> None:
    """Run the fake Zalo: say where it listens, then run each round asked on stdin, answer on stdout."""
    fake = FakeZalo()
    await fake.start()
    print(json.dumps({"base_url": fake.base_url, "token": fake.token}), flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        order = json.loads(line)
        users, first, count, senders = order["users"], order["first"], order["count"], order["senders"]
        updates = [fake.update(users[i % len(users)], _activity(i)) for i in range(first, first + count)]
        before = len(fake.sent)
        acks: list[float] = []

        async def poster(share: list[dict[str, Any]], acks: list[float] = acks) -> None:
            for update in share:
                began = time.perf_counter()
                status = await fake.deliver(update)
                acks.append(time.perf_counter() - began)
                if status != 200:
                    raise RuntimeError(f"delivery answered {status}")

        began = time.perf_counter()
        await asyncio.gather(*(poster(updates[k::senders]) for k in range(senders)))
        acknowledged = time.perf_counter() - began
        await fake.wait_sent(before + count, within=600)
        handled = time.perf_counter() - began
        receipts = sum(1 for m in fake.sent[before:] if m.text.startswith("Đã ghi báo cáo số"))
        print(json.dumps({"acknowledged": acknowledged, "handled": handled, "receipts": receipts,
                          "ack_p50": _ms(acks, 0.5), "ack_p99": _ms(acks, 0.99)}), flush=True)
    await fake.stop()


class Platform:
    """The parent's handle on the platform process."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls) -> tuple[Platform, dict[str, Any]]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.bench_webhooks", "--platform", cwd=Path(__file__).resolve().parents[1],
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        started = cls(process)
        return started, await started._read()

    async def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError("the platform process ended")
        found: dict[str, Any] = json.loads(line)
        return found

    async def round(self, users: list[str], first: int, count: int, senders: int) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps({"users": users, "first": first, "count": count,
                                              "senders": senders}) + "\n").encode())
        await self.process.stdin.drain()
        return await self._read()

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        await self.process.wait()


# -- this process: chibo ----------------------------------------------------------------------------
async def _handler_alone(app: Chibo, users: list[str], first: int, count: int) -> float:
    """Seconds for `count` one-line /baocao straight through the router (no HTTP, no inbox)."""
    caps = app.caps("zalo")
    began = time.perf_counter()
    for i in range(first, first + count):
        user = users[i % len(users)]
        incoming = Incoming("zalo", user, _activity(i, "trực tiếp"), chat_id=user, update_key=f"h{i}")
        out = await app.router.handle(incoming, caps, app.clock.now())
        assert out and out[0].reply.text.startswith("Đã ghi báo cáo số"), out
    return time.perf_counter() - began


async def run(url: str, messages: int, rounds: int, members: int, senders: int) -> dict[str, float]:
    db = Database(url)
    users = await _populate(db, members)
    platform_process, where = await Platform.start()
    app = Chibo(db, HandlerSettings())
    channel = ZaloChannel(where["token"], base_url=where["base_url"])
    app.add_channel(channel)
    server = WebServer(app, secret=SECRET, zalo=channel, intake=Intake(app))
    settle_heap()  # as `chibo run` does once started (bot/runner.py), before the first message
    await server.start("127.0.0.1", 0)
    await server.register_webhooks(f"http://127.0.0.1:{server.port}")
    totals = {"acknowledged": 0.0, "handled": 0.0, "alone": 0.0, "receipts": 0.0}
    p99s: list[float] = []
    try:
        per_round = max(1, messages // rounds)
        await _handler_alone(app, users, 10**6, 200)  # warm-up
        await platform_process.round(users, 10**6, 200, senders)
        for number in range(rounds):
            first = number * per_round
            if number % 2:
                totals["alone"] += await _handler_alone(app, users, first, per_round)
            result = await platform_process.round(users, first, per_round, senders)
            if not number % 2:
                totals["alone"] += await _handler_alone(app, users, first, per_round)
            for key in ("acknowledged", "handled", "receipts"):
                totals[key] += result[key]
            p99s.append(result["ack_p99"])
    finally:
        await server.stop()
        await platform_process.stop()
        await db.dispose()
    done = per_round * rounds
    return {"messages": done, "acknowledged": done / totals["acknowledged"], "handled": done / totals["handled"],
            "alone": done / totals["alone"], "receipts": totals["receipts"], "ack_p99": max(p99s)}


def _verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--full", action="store_true", help="12,000 deliveries instead of 3,000")
    parser.add_argument("--messages", type=int)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--database", help="default: a temporary SQLite file")
    parser.add_argument("--platform", action="store_true", help=argparse.SUPPRESS)  # the fake Zalo's process
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    if args.platform:
        asyncio.run(platform())
        return
    messages = args.messages or (12000 if args.full else 3000)
    print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.database:
        result = asyncio.run(run(args.database, messages, args.rounds, args.members, args.senders))
    else:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            result = asyncio.run(run(url, messages, args.rounds, args.members, args.senders))
    of_ack, of_alone = result["handled"] / result["acknowledged"], result["handled"] / result["alone"]
    dialect = "sqlite" if not args.database else Database(args.database).dialect
    print(f"{dialect}: {result['messages']:,.0f} Zalo webhook deliveries "
          f"from {args.senders} concurrent senders (the platform in its own process), {args.members} members; "
          f"{result['receipts']:,.0f} receipts")
    print(f"  acknowledged (stored, 200): {result['acknowledged']:,.0f}/s; ack p99 {result['ack_p99']:.1f} ms")
    print(f"  handled (receipt at the platform): {result['handled']:,.0f}/s")
    print(f"  /baocao through the handler alone (same process, interleaved): {result['alone']:,.0f}/s")
    print(f"  handled / acknowledged {of_ack:.2f}; goal ≥ {HANDLED_OF_ACKNOWLEDGED}: "
          f"{_verdict(of_ack >= HANDLED_OF_ACKNOWLEDGED)}")
    print(f"  handled / handler alone {of_alone:.2f}; goal ≥ {HANDLED_OF_HANDLER}: "
          f"{_verdict(of_alone >= HANDLED_OF_HANDLER)}")


if __name__ == "__main__":
    main()
