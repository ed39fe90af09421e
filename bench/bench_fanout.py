"""Reminder fan-out: invitations through the Telegram channel to a fake Bot API server.

The server (tests/fakes/telegram_api.py, in this process) answers each call after 100 ms and
enforces 30 messages in any second overall with 429 answers, counting each message when it
arrives (after the 100 ms). The bot runs in a child process, as in production:
python-telegram-bot, the outbox dispatcher, APScheduler, SQLite (or --database). The figures
come from the server's own log of what it received: the sustained rate at arrival, the 429s it
gave (per 1,000 messages), the busiest second, duplicates (a member who got the invitation twice)
and losses (one who never got it).

Baselines, in the same process, interleaved with chibo's runs (baseline, chibo, baseline, …):
the ideal, 30/s (the server's limit), and a bare loop: raw HTTP sends from this process started
exactly 1/30 s apart (a token bucket at the limit, no database, no bot), each refused one sent
again after its retry_after, against a fresh server of the same kind. The last run kills the bot
with SIGKILL halfway through and starts it again (0 duplicates, 0 losses).

Goal (issue 12): at least 29 messages/s counted at the server's arrival, at most 1 answer 429 per
1,000 messages.

    python -m bench.bench_fanout [--full] [--reminders N] [--rounds R] [--database URL [--schema S]]
                                 [--no-kill] [--rate 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
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
SERVER_LIMIT = 30  # the fake's (and Telegram's) messages in any second
LATENCY = 0.1
GOAL_RATE = 29.0  # messages/s at the server's arrival
GOAL_429_PER_1000 = 1.0
DEFAULT_REMINDERS, FULL_REMINDERS = 1_000, 10_000
DEFAULT_ROUNDS, FULL_ROUNDS = 1, 2


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
    """Cells of 100 members, each on Telegram, each cell meeting in 3 hours with a day-before
    invitation: its 08:00 the day before has passed whatever the local hour (the meeting's local
    day is today, or tomorrow when it is after 21:00), so every invitation is due now."""
    await make_schema(url, schema)
    db = open_db(url, schema)
    starts = datetime.now(UTC) + timedelta(hours=3)
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
            {"cell_id": cell_id, "number": 1, "kind": "regular", "starts_at": starts, "duration_minutes": 90,
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
    # As bot/runner.py does after start-up: what it built is out of the collector's reach, so a
    # full collection (130 ms here without it) does not hold requests on their way out.
    gc.collect()
    gc.freeze()
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


# -- one run of chibo ----------------------------------------------------------------------------------

async def run(url: str, schema: str | None, reminders: int, rate: float, *, kill: bool) -> dict[str, Any]:
    await populate(url, schema, reminders)
    server = FakeTelegram(token=TOKEN, latency=LATENCY, rate_limit=SERVER_LIMIT)
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
    figures = report(server, reminders, time.monotonic() - started, killed_at)
    figures["outbox"] = await outcomes(url, schema)
    return figures


# -- the bare loop (baseline) ------------------------------------------------------------------------

async def bare_loop(count: int) -> dict[str, Any]:
    """Raw sends from this process, the i-th started at exactly i/30 s: what perfect pacing at the
    server's limit gives through the same kind of server, without a database or a bot."""
    server = FakeTelegram(token=TOKEN, latency=LATENCY, rate_limit=SERVER_LIMIT)
    address = f"{await server.start()}{TOKEN}/sendMessage"
    started = time.monotonic()
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            async def one(number: int, at: float) -> None:
                data = {"chat_id": str(FIRST_CHAT + number), "text": f"Lời mời họp {number}"}
                while True:
                    await asyncio.sleep(max(0.0, at - time.monotonic()))
                    async with http.post(address, data=data) as answer:
                        if answer.status != 429:
                            return
                        body = await answer.json()
                    at = time.monotonic() + float(body["parameters"]["retry_after"])

            await asyncio.gather(*(one(i, started + i / SERVER_LIMIT) for i in range(count)))
    finally:
        await server.stop()
    return report(server, count, time.monotonic() - started, None)


# -- figures ----------------------------------------------------------------------------------------

def busiest_second(times: list[float]) -> int:
    """The most arrivals in any one-second window (the server's own count: 30 allowed)."""
    most = first = 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def report(server: FakeTelegram, reminders: int, elapsed: float, killed_at: int | None) -> dict[str, Any]:
    sends = [m for m in server.sent if m.method == "sendMessage"]
    per_chat = Counter(m.chat_id for m in sends)
    expected = {str(FIRST_CHAT + i) for i in range(reminders)}
    times = sorted(m.at for m in sends)
    span = (times[-1] - times[0]) if len(times) > 1 else 0.0
    gap = max((b - a for a, b in itertools.pairwise(times)), default=0.0)
    running = span - gap if killed_at is not None and span > gap > 0 else span
    return {
        "received": len(sends),
        "rate": (len(sends) - 1) / span if span else 0.0,
        "rate_running": (len(sends) - 2) / running if running and killed_at is not None else None,
        "too_many_requests": server.too_many,
        "per_1000": 1000 * server.too_many / max(1, len(sends)),
        "duplicates": sum(count - 1 for count in per_chat.values() if count > 1),
        "losses": len(expected - set(per_chat)),
        "busiest_second": busiest_second(times),
        "killed_after": killed_at,
        "restart_gap_s": gap if killed_at is not None else None,
        "outbox": {},
        "elapsed_s": elapsed,
    }


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def show(title: str, figures: dict[str, Any]) -> None:
    line = (f"{title}: {figures['received']} received, {figures['rate']:.2f} messages/s at the server's arrival,"
            f" {figures['too_many_requests']} answers 429 ({figures['per_1000']:.2f} per 1,000),"
            f" {figures['duplicates']} duplicates, {figures['losses']} losses,"
            f" busiest second {figures['busiest_second']}/{SERVER_LIMIT}")
    if figures["killed_after"] is not None:
        line += (f"; SIGKILL after {figures['killed_after']}, restart gap {figures['restart_gap_s']:.1f}s,"
                 f" {figures['rate_running']:.2f}/s while running")
    print(line, flush=True)
    outbox = f"outbox: {json.dumps(figures['outbox'], sort_keys=True)}; " if figures["outbox"] else ""
    print(f"  {outbox}{figures['elapsed_s']:.0f}s in all", flush=True)


async def bench(url: str | None, schema: str | None, reminders: int, rounds: int, rate: float, kill: bool) -> int:
    with tempfile.TemporaryDirectory() as folder:
        url = url or f"sqlite+aiosqlite:///{folder}/fanout.db"
        chibo: list[dict[str, Any]] = []
        bare: list[dict[str, Any]] = []
        for number in range(1, rounds + 1):  # interleaved: the baseline, then chibo, each round
            bare.append(await bare_loop(reminders))
            show(f"round {number}, bare loop at 30/s, {reminders}", bare[-1])
            chibo.append(await run(url, schema, reminders, rate, kill=False))
            show(f"round {number}, chibo, {reminders}", chibo[-1])
        killed = None
        if kill:
            killed = await run(url, schema, reminders, rate, kill=True)
            show(f"chibo, {reminders}, SIGKILL halfway", killed)
        await make_schema(url, schema, drop=True)
    ok = summarize(chibo, bare, killed)
    return 0 if ok else 1


def summarize(chibo: list[dict[str, Any]], bare: list[dict[str, Any]], killed: dict[str, Any] | None) -> bool:
    """The medians against the ideal and the bare loop, and the verdicts against issue 12's goal."""
    rate = statistics.median(f["rate"] for f in chibo)
    bare_rate = statistics.median(f["rate"] for f in bare)
    runs = [*chibo, *([killed] if killed else [])]
    too_many = sum(f["too_many_requests"] for f in runs)
    received = sum(f["received"] for f in runs)
    per_1000 = 1000 * too_many / max(1, received)
    bare_per_1000 = 1000 * sum(f["too_many_requests"] for f in bare) / max(1, sum(f["received"] for f in bare))
    print(f"chibo {rate:.2f}/s at arrival; ideal {SERVER_LIMIT}/s: ratio {rate / SERVER_LIMIT:.3f};"
          f" bare loop {bare_rate:.2f}/s ({bare_per_1000:.2f} answers 429 per 1,000): ratio {rate / bare_rate:.3f}",
          flush=True)
    rate_met = rate >= GOAL_RATE
    refusals_met = per_1000 <= GOAL_429_PER_1000
    print(f"verdict: rate {rate:.2f}/s vs goal ≥ {GOAL_RATE:.0f}/s: {verdict(rate_met)};"
          f" 429s {per_1000:.2f} per 1,000 ({too_many} of {received}) vs goal ≤ {GOAL_429_PER_1000:.0f}:"
          f" {verdict(refusals_met)}", flush=True)
    ok = rate_met and refusals_met
    if killed is not None:
        clean = killed["duplicates"] == 0 and killed["losses"] == 0
        print(f"verdict: SIGKILL halfway, {killed['duplicates']} duplicates, {killed['losses']} losses:"
              f" {verdict(clean)}", flush=True)
        ok = ok and clean
    return ok


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true",
                        help=f"{FULL_REMINDERS} reminders, {FULL_ROUNDS} rounds (default {DEFAULT_REMINDERS}, "
                        f"{DEFAULT_ROUNDS})")
    parser.add_argument("--reminders", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
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
    reminders = args.reminders or (FULL_REMINDERS if args.full else DEFAULT_REMINDERS)
    rounds = args.rounds or (FULL_ROUNDS if args.full else DEFAULT_ROUNDS)
    code = asyncio.run(bench(args.database, args.schema, reminders, rounds, args.rate, not args.no_kill))
    if __name__ == "__main__" and code:
        raise SystemExit(code)


if __name__ == "__main__":
    main()
