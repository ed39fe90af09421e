"""Reminder fan-out: 10,000 invitations through the Telegram channel to a fake Bot API server.

The server (tests/fakes/telegram_api.py, in this process) answers each call after 100 ms and
enforces 30 messages/s overall with 429 answers. The bot runs in a child process, as in
production: python-telegram-bot, the outbox dispatcher, APScheduler, SQLite (or --database).
The figures come from the server's own log of what it received: the sustained rate, the 429s
it gave, duplicates (a member who got the invitation twice) and losses (one who never got it).

The second run kills the bot with SIGKILL halfway through and starts it again.

    python -m bench.bench_fanout [--reminders 10000] [--database URL [--schema S]] [--no-kill] [--rate 28]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import col, select

from domain.vocabulary import UnitKind
from storage.db import Database
from storage.meetings import Meeting
from storage.outbox import OutboxMessage
from storage.schema import metadata
from storage.tables import ChatAccount, Member, OrgUnit
from storage.types import inserted_id, table_of
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123456:BENCH-TOKEN"
MEMBERS_PER_CELL = 100
FIRST_CHAT = 700_000_000
TARGET_RATE = 27.0  # 90% of Telegram's 30 messages/s


# -- the database ------------------------------------------------------------------------------------

def open_db(url: str, schema: str | None) -> Database:
    """The bench's database; on PostgreSQL, inside its own schema (never the public one)."""
    if schema and url.startswith("postgresql"):
        return Database(url, connect_args={"server_settings": {"search_path": schema}})
    return Database(url)


async def make_schema(url: str, schema: str | None, *, drop: bool = False) -> None:
    if not (schema and url.startswith("postgresql")):
        return
    admin = Database(url)
    async with admin.engine.begin() as connection:
        await connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        if not drop:
            await connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    await admin.dispose()


async def populate(url: str, schema: str | None, reminders: int) -> None:
    """Cells of 100 members, each on Telegram, each cell meeting tomorrow: every invitation is due now."""
    await make_schema(url, schema)
    db = open_db(url, schema)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    cells = max(1, reminders // MEMBERS_PER_CELL)
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
        await connection.run_sync(metadata.create_all)
        unit = table_of(OrgUnit)
        committee = inserted_id(await connection.execute(insert(unit).values(
            kind=UnitKind.COMMITTEE, name="Đảng bộ thử", name_key="dang bo thu", settings={},
            created_at=datetime.now(UTC))))
        cell_ids = []
        for number in range(cells):
            result = await connection.execute(insert(unit).values(
                kind=UnitKind.CELL, name=f"Chi bộ {number + 1}", name_key=f"chi bo {number + 1}", parent_id=committee,
                settings={"reminder_plan": ["1n"]}, created_at=datetime.now(UTC)))
            cell_ids.append(inserted_id(result))
        now = datetime.now(UTC)
        await connection.execute(insert(table_of(Member)), [
            {"id": i + 1, "cell_id": cell_ids[i // MEMBERS_PER_CELL % cells], "full_name": f"Đảng viên {i + 1}",
             "name_key": f"dang vien {i + 1}", "status": "official", "active": True, "created_at": now}
            for i in range(reminders)
        ])
        await connection.execute(insert(table_of(ChatAccount)), [
            {"platform": "telegram", "platform_user_id": str(FIRST_CHAT + i), "chat_id": str(FIRST_CHAT + i),
             "display_name": "", "member_id": i + 1, "last_seen_at": now, "created_at": now}
            for i in range(reminders)
        ])
        await connection.execute(insert(table_of(Meeting)), [
            {"cell_id": cell_id, "number": 1, "kind": "regular", "starts_at": tomorrow, "duration_minutes": 90,
             "status": "scheduled", "created_at": now, "updated_at": now}
            for cell_id in cell_ids
        ])
    await db.dispose()


async def outcomes(url: str, schema: str | None) -> dict[str, int]:
    db = open_db(url, schema)
    async with db.session() as session:
        rows = (await session.exec(
            select(col(OutboxMessage.status), func.count()).group_by(col(OutboxMessage.status))
        )).all()
    await db.dispose()
    return {str(status): int(count) for status, count in rows}


# -- the bot (child process) ---------------------------------------------------------------------------

async def child(url: str, schema: str | None, base_url: str, rate: float) -> None:
    from bot.channels.telegram import TelegramChannel
    from bot.scheduling import Limiters
    from bot.settings import Settings
    from schedules.driver import Scheduler, SchedulerConfig

    settings = Settings.model_construct(telegram_rate_limit=rate)
    db = open_db(url, schema)
    channel = TelegramChannel(TOKEN, base_url=base_url, polling=False)
    await channel.application.initialize()
    scheduler = Scheduler(db, {"telegram": channel}, lambda: datetime.now(UTC),
                          SchedulerConfig(poll_seconds=2.0, in_flight=settings.dispatcher_in_flight),
                          Limiters(settings))
    scheduler.start()
    try:
        while True:
            await asyncio.sleep(1.0)
            async with db.session() as session:
                left = (await session.exec(select(func.count()).select_from(OutboxMessage).where(
                    col(OutboxMessage.kind) == "invitation",
                    col(OutboxMessage.status).in_(("pending", "sending")),
                ))).one()
                planned = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
            if planned and not left:
                break
    finally:
        await scheduler.stop()
        await channel.application.shutdown()
        await db.dispose()


async def spawn(url: str, schema: str | None, base_url: str, rate: float) -> asyncio.subprocess.Process:
    extra = ["--schema", schema] if schema else []
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.bench_fanout", "--child", "--database", url, "--base-url", base_url,
        "--rate", str(rate), *extra, cwd=Path(__file__).resolve().parent.parent,
    )


# -- one run -------------------------------------------------------------------------------------------

async def run(url: str, schema: str | None, reminders: int, rate: float, *, kill: bool) -> dict[str, Any]:
    await populate(url, schema, reminders)
    server = FakeTelegram(token=TOKEN, latency=0.1, rate_limit=30)
    base_url = await server.start()
    started = time.monotonic()
    try:
        process = await spawn(url, schema, base_url, rate)
        killed_at = None
        if kill:
            while len(server.sent) < reminders // 2:
                if process.returncode is not None:
                    raise RuntimeError("the bot exited before halfway")
                await asyncio.sleep(0.005)
            process.send_signal(signal.SIGKILL)
            await process.wait()
            killed_at = len(server.sent)
            await asyncio.sleep(0.5)  # answers still in flight land at the server
            process = await spawn(url, schema, base_url, rate)
        code = await process.wait()
        if code != 0:
            raise RuntimeError(f"the bot exited with {code}")
    finally:
        await server.stop()
    return report(server, reminders, await outcomes(url, schema), time.monotonic() - started, killed_at)


def report(server: FakeTelegram, reminders: int, statuses: dict[str, int], elapsed: float,
           killed_at: int | None) -> dict[str, Any]:
    sends = [m for m in server.sent if m.method == "sendMessage"]
    per_chat = Counter(m.chat_id for m in sends)
    expected = {str(FIRST_CHAT + i) for i in range(reminders)}
    times = sorted(m.at for m in sends)
    span = (times[-1] - times[0]) if len(times) > 1 else 0.0
    worst = max((sum(1 for t in times[i:i + 40] if t - times[i] < 1.0) for i in range(len(times))), default=0)
    gap = max((b - a for a, b in itertools.pairwise(times)), default=0.0)
    return {
        "received": len(sends),
        "rate": (len(sends) - 1) / span if span else 0.0,
        "rate_without_restart_gap": (len(sends) - 1) / (span - gap) if kill_gap(killed_at, span, gap) else None,
        "too_many_requests": server.too_many,
        "duplicates": sum(count - 1 for count in per_chat.values() if count > 1),
        "losses": len(expected - set(per_chat)),
        "busiest_second": worst,
        "killed_after": killed_at,
        "restart_gap_s": gap if killed_at else None,
        "outbox": statuses,
        "elapsed_s": elapsed,
    }


def kill_gap(killed_at: int | None, span: float, gap: float) -> bool:
    return killed_at is not None and span > gap > 0


def show(title: str, figures: dict[str, Any]) -> None:
    line = (f"{title}: {figures['received']} received, {figures['rate']:.1f} messages/s sustained"
            f" (target ≥ {TARGET_RATE:.0f}), {figures['too_many_requests']} answers 429,"
            f" {figures['duplicates']} duplicates, {figures['losses']} losses,"
            f" busiest second {figures['busiest_second']}/30")
    if figures["killed_after"] is not None:
        line += (f"; SIGKILL after {figures['killed_after']}, restart gap {figures['restart_gap_s']:.1f}s,"
                 f" {figures['rate_without_restart_gap']:.1f}/s while running")
    print(line, flush=True)
    print(f"  outbox: {json.dumps(figures['outbox'], sort_keys=True)}; {figures['elapsed_s']:.0f}s in all", flush=True)


async def bench(url: str | None, schema: str | None, reminders: int, rate: float, kill: bool) -> int:
    with tempfile.TemporaryDirectory() as folder:
        url = url or f"sqlite+aiosqlite:///{folder}/fanout.db"
        ok = True
        for title, with_kill in (("straight", False), ("SIGKILL halfway", True)):
            if with_kill and not kill:
                continue
            figures = await run(url, schema, reminders, rate, kill=with_kill)
            show(f"fan-out {reminders} ({title})", figures)
            ok = ok and figures["duplicates"] == 0 and figures["losses"] == 0
            ok = ok and (figures["rate_without_restart_gap"] or figures["rate"]) >= TARGET_RATE
        await make_schema(url, schema, drop=True)
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--database", help="a database URL (default: a fresh SQLite file); on PostgreSQL the "
                        "bench works in its own schema, made and dropped: --schema")
    parser.add_argument("--schema", default="bench_fanout", help="PostgreSQL schema for the bench (dropped after)")
    parser.add_argument("--rate", type=float, default=None, help="the dispatcher's Telegram rate (settings default)")
    parser.add_argument("--no-kill", action="store_true", help="skip the SIGKILL run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args(sys.argv[1:] if argv is None and __name__ == "__main__" else argv or [])
    if args.rate is None:
        from bot.settings import Settings

        args.rate = Settings.model_construct().telegram_rate_limit
    if args.child:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(child(args.database, args.schema, args.base_url, args.rate))
        return
    code = asyncio.run(bench(args.database, args.schema, args.reminders, args.rate, not args.no_kill))
    if __name__ == "__main__" and code:
        raise SystemExit(code)


if __name__ == "__main__":
    main()
