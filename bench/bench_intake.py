"""Telegram webhooks behind a slow Bot API: the intake's workers against one-at-a-time handling.

python-telegram-bot handles updates one at a time by default; with a Bot API answering in 100 ms
that is about 10 updates a second, whatever the machine (issue 11, item 5). The intake handles
different chats side by side. Both configurations run here, interleaved, on the same database and
fake server: the baseline is the same intake with one worker (one update at a time).

    python -m bench.bench_intake [--updates 600] [--latency 0.1] [--rounds 2] [--postgres URL]

With --postgres the run uses a database of its own, made on that server and dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from bench import chaos_harness as chaos
from bot.app import Chibo
from bot.channels.telegram import TelegramChannel
from bot.intake import Intake, IntakeConfig
from bot.web import WebServer
from handlers.context import HandlerSettings
from storage.db import Database
from tests.fakes.telegram_api import FakeTelegram

GOAL = 8.0  # the intake handles at least 8 times as many updates per second as one at a time


async def _once(url: str, users: list[int], workers: int, first: int, updates: int, latency: float) -> float:
    """Updates handled per second, from the first post until the last receipt left."""
    fake = FakeTelegram(latency=latency)
    await fake.start()
    db = Database(url)
    app = Chibo(db, HandlerSettings())
    channel = TelegramChannel(fake.token, base_url=fake.base_url, catalog=app.catalog, polling=False)
    app.add_channel(channel)
    server = WebServer(app, secret=chaos.SECRET, intake=Intake(app, IntakeConfig(workers=workers, poll=0.05)),
                       telegram=channel)
    await server.start("127.0.0.1", 0)
    stream = chaos.Stream([server.port], users)
    began = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=40)) as http:  # Telegram's 40
        await asyncio.gather(*(stream.post(http, n) for n in range(first, first + updates)))
    await fake.wait_sent(updates, within=600)
    elapsed = time.perf_counter() - began
    await server.stop()
    await db.dispose()
    await fake.stop()
    return updates / elapsed


async def run(url: str, updates: int, latency: float, rounds: int) -> None:
    users = await chaos.populate(url, 300)
    ours: list[float] = []
    baseline: list[float] = []
    first = 0
    for _ in range(rounds):
        for workers, into in ((1, baseline), (IntakeConfig().workers, ours)):
            into.append(await _once(url, users, workers, first, updates, latency))
            first += updates
    best, base = max(ours), max(baseline)
    ratio = best / base
    print(f"database: {Database(url).dialect}; {updates} Telegram webhook updates from 300 members per run, "
          f"Bot API answering in {latency * 1000:.0f} ms; best of {rounds}")
    print(f"chibo (intake, {IntakeConfig().workers} workers): {best:,.1f} updates/s")
    print(f"baseline (one at a time, as PTB's default): {base:,.1f} updates/s")
    print(f"ratio: {ratio:.1f}x; goal ≥ {GOAL:.0f}x: {'MET' if ratio >= GOAL else 'NOT MET'}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--updates", type=int, default=600)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", help="a PostgreSQL server's URL; default: a temporary SQLite file")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])

    async def on_postgres(folder: Path) -> None:
        async with chaos.fresh_database("postgres", folder, args.postgres) as url:
            await run(url, args.updates, args.latency, args.rounds)

    with tempfile.TemporaryDirectory() as folder:
        if args.postgres:
            asyncio.run(on_postgres(Path(folder)))
        else:
            asyncio.run(run(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", args.updates, args.latency,
                            args.rounds))


if __name__ == "__main__":
    main()
