"""Scale past one process: 1, 2 and 3 `chibo run --webhook` processes on one PostgreSQL database.

A round-robin sender posts one-line reports, one per member, as Telegram does (re-sent until
answered 200) to the processes in turn. For each fleet size it prints the updates handled per
second (from the first post to the last receipt at the fake Bot API), the p50 and p99 from the
acknowledgement (200) to the receipt leaving, and where the machine's CPU went: the chibo
processes against PostgreSQL's (from /proc, so Linux only). The fleets run in rounds, interleaved
(1, 2, 3, 1, 2, 3, ...); the best round of each is printed, with its ratio to one process.

The machine has 2 cores: past two processes the workers compete with the database for them, so
the figure shows where one machine stops, not how far a deployment goes (see the README,
"A province").

    python -m bench.bench_scale [--updates 1500] [--rounds 1] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench import chaos_harness as chaos
from storage.db import answers
from tests.fakes.telegram_api import FakeTelegram

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
FLEETS = (1, 2, 3)
RECEIPT = "Đã ghi báo cáo số"


@dataclass(frozen=True)
class Round:
    processes: int
    handled_per_s: float
    p50_ms: float
    p99_ms: float
    chibo_cpu: float
    database_cpu: float

    def line(self, base: float) -> str:
        share = self.database_cpu / max(self.chibo_cpu + self.database_cpu, 1e-9)
        return (f"{self.processes} process{'es' if self.processes > 1 else ''}: {self.handled_per_s:,.0f} handled/s "
                f"(×{self.handled_per_s / base:.2f} of one); ack → receipt p50 {self.p50_ms:.0f} ms, "
                f"p99 {self.p99_ms:.0f} ms; CPU s chibo {self.chibo_cpu:.1f}, PostgreSQL {self.database_cpu:.1f} "
                f"(database {share:.0%} of the time spent)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


async def _round(url: str, folder: Path, processes: int, first: int, updates: int, users: list[int]) -> Round:
    fake = FakeTelegram()
    await fake.start()
    fleet = chaos.Fleet(url, fake.base_url, fake.token, folder)
    for _ in range(processes):
        fleet.spawn(_free_port())
    try:
        await fleet.ready()
        stream = chaos.Stream(fleet.ports, users)
        acked_at: dict[str, float] = {}
        chibo_pids = [p.pid for p in fleet.processes]
        cpu_before = _cpu_seconds(chibo_pids), _cpu_seconds(_postgres_pids())
        began = time.monotonic()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=40)) as http:

            async def post(number: int) -> None:
                await stream.post(http, number)
                acked_at[str(users[number % len(users)])] = time.monotonic()

            await asyncio.gather(*(post(n) for n in range(first, first + updates)))
        sent = await fake.wait_sent(updates, within=600)
        receipts = [m for m in sent if m.text.startswith(RECEIPT)]
        elapsed = max(m.at for m in receipts) - began
        cpu_after = _cpu_seconds(chibo_pids), _cpu_seconds(_postgres_pids())
        waits = sorted(m.at - acked_at[m.chat_id] for m in receipts if m.chat_id in acked_at)
        return Round(processes, len(receipts) / elapsed, 1000 * statistics.median(waits),
                     1000 * waits[min(len(waits) - 1, int(0.99 * len(waits)))],
                     cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1])
    finally:
        await asyncio.to_thread(fleet.stop)
        await fake.stop()


async def run(postgres: str, updates: int, rounds: int) -> None:
    if not await answers(postgres):
        print(f"PostgreSQL not reachable at {postgres}: skipped (this benchmark is about PostgreSQL)")
        return
    with tempfile.TemporaryDirectory() as folder:
        async with chaos.fresh_database("postgres", Path(folder), postgres) as url:
            users = await chaos.populate(url, updates)  # one report per member per round: receipts pair up
            best: dict[int, Round] = {}
            first = 0
            for _ in range(rounds):
                for size in FLEETS:
                    result = await _round(url, Path(folder), size, first, updates, users)
                    first += updates
                    if size not in best or result.handled_per_s > best[size].handled_per_s:
                        best[size] = result
    print(f"PostgreSQL; {updates} one-line reports per round from {updates} members, round-robin over the "
          f"processes, 40 connections as Telegram; best of {rounds}; {os.cpu_count()} cores; "
          f"load {os.getloadavg()[0]:.2f}")
    for size in FLEETS:
        print(best[size].line(best[1].handled_per_s))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--updates", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    asyncio.run(run(args.postgres, args.updates, args.rounds))


if __name__ == "__main__":
    main()
