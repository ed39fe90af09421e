"""Chaos: a stream of updates to two `chibo run --webhook` processes while something breaks.

For each database (a SQLite file; PostgreSQL when it answers) and each fault, on a fresh
database: N one-line reports are posted as Telegram posts them (anything but 200 is delivered
again, to the other live process), and a third of the way through the fault strikes:

- SIGKILL: one of the two processes is killed; the stream goes on to the survivor, which takes
  over what the dead one had claimed once its lease (5 s here) runs out.
- database outage: on PostgreSQL both processes reach the server through a TCP proxy that is cut
  (every connection closed, new ones refused) for `--outage` seconds; SQLite has no server, so
  another connection holds an exclusive lock for that long instead.
- disk full: on SQLite, no write of the processes to any file succeeds for `--outage` seconds
  (RLIMIT_FSIZE 0); on PostgreSQL not measured (see the row).

Each row counts the updates sent, acknowledged (answered 200), stored (each acknowledged report
found in the database), duplicated (stored more than once), lost (acknowledged, never stored)
and the replies that told a sender of an error ("lỗi"); then the redeliveries (retries) and the
seconds from the end of the fault until every acknowledged report was stored. A row is OK when
nothing is lost, nothing duplicated and nobody told of an error.

    python -m bench.bench_chaos [--updates 1000] [--members 200] [--senders 20] [--outage 5]
                                [--postgres URL] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from bench import chaos_harness as chaos
from storage.db import answers
from tests.fakes.telegram_api import FakeTelegram

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
KILL_LEASE = 5.0  # seconds: how long the dead process's claims hold before the survivor takes them
IN_FLIGHT = 0.2  # seconds into the rest of the stream when the fault strikes: deliveries in flight
OTHER_LEASE = 3.0  # the harness's default: no process dies in the other rows
FAULTS = ("SIGKILL", "database outage", "disk full")
PG_DISK_FULL = ("n/a: the server's disk is shared by the whole machine and cannot be filled safely; "
                "the outage row covers the same code path (a transient fault)")


@dataclass(frozen=True)
class Plan:
    updates: int
    members: int
    senders: int
    outage: float


@dataclass(frozen=True)
class Row:
    outcome: chaos.Outcome
    retries: int
    caught_up: float | None  # seconds from the fault's end until every acknowledged report was stored
    note: str = ""
    logs: str = ""  # the processes' last words, when something was lost or duplicated

    @property
    def ok(self) -> bool:
        o = self.outcome
        return o.lost == 0 and o.duplicated == 0 and o.told_error == 0

    def line(self) -> str:
        caught_up = f"{self.caught_up:.1f} s" if self.caught_up is not None else "never (settle gave up)"
        return f"{self.outcome.line()}; retries {self.retries}; all stored {caught_up} after the fault's end"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _told_error(fake: FakeTelegram) -> int:
    return sum(1 for message in fake.sent if "lỗi" in message.text.lower())


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


def _hold_exclusive(path: Path, seconds: float) -> None:
    """SQLite's outage: another connection holds the write lock (in WAL mode EXCLUSIVE is IMMEDIATE:
    readers go on, writers wait)."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        connection.execute("ROLLBACK")
    finally:
        connection.close()


Fault = Callable[[chaos.Fleet, chaos.Stream], Awaitable[None]]


def _fault(kind: str, name: str, plan: Plan, url: str, proxy: chaos.DbProxy | None) -> Fault:
    """What happens a third of the way through; it returns when the fault is over."""
    async def kill(fleet: chaos.Fleet, stream: chaos.Stream) -> None:
        fleet.kill(0)
        stream.alive[0] = False

    async def cut(fleet: chaos.Fleet, stream: chaos.Stream) -> None:
        assert proxy is not None
        proxy.cut()
        try:
            await asyncio.sleep(plan.outage)
        finally:
            proxy.restore()

    async def lock(fleet: chaos.Fleet, stream: chaos.Stream) -> None:
        await asyncio.to_thread(_hold_exclusive, _sqlite_path(url), plan.outage)

    async def fill(fleet: chaos.Fleet, stream: chaos.Stream) -> None:
        path = _sqlite_path(url)
        with fleet.disk_full([path, path.with_name(path.name + "-wal")]):
            await asyncio.sleep(plan.outage)

    if name == "SIGKILL":
        return kill
    if name == "database outage":
        return lock if kind == "sqlite" else cut
    return fill


def _what(kind: str, name: str, plan: Plan, lease: float) -> str:
    """The fault as the row's title tells it."""
    if name == "SIGKILL":
        return f"one of two killed; lease {lease:g} s"
    if kind == "sqlite" and name == "database outage":
        return (f"an exclusive lock held {plan.outage:g} s; SQLite's busy timeout (30 s) makes writers wait "
                "rather than fail")
    if name == "database outage":
        return f"the connection proxy cut for {plan.outage:g} s"
    return f"no write to the database file or its WAL succeeds for {plan.outage:g} s"


async def run_row(kind: str, name: str, plan: Plan, folder: Path, pg_url: str) -> Row:
    """One fault on one fresh database: populate, two processes, the stream, the fault, settle."""
    lease = KILL_LEASE if name == "SIGKILL" else OTHER_LEASE
    fake = FakeTelegram()
    await fake.start()
    try:
        async with chaos.fresh_database(kind, folder, pg_url) as url:
            users = await chaos.populate(url, plan.members)
            proxy: chaos.DbProxy | None = None
            processes_url = url
            if kind == "postgres" and name == "database outage":
                parsed = make_url(url)
                proxy = chaos.DbProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
                await proxy.start()
                processes_url = proxy.url(url)
            fleet = chaos.Fleet(processes_url, fake.base_url, fake.token, folder, lease_seconds=lease)
            try:
                for _ in range(2):
                    fleet.spawn(_free_port())
                await fleet.ready()
                stream = chaos.Stream(fleet.ports, users)
                third = plan.updates // 3
                await stream.send(range(0, third), plan.senders)
                rest = asyncio.create_task(stream.send(range(third, plan.updates), plan.senders))
                await asyncio.wait([rest], timeout=IN_FLIGHT)
                await _fault(kind, name, plan, url, proxy)(fleet, stream)
                ended = time.monotonic()
                await rest
                outcome = await chaos.settle(url, stream, plan.updates, _told_error(fake), within=lease + 60)
                caught_up = time.monotonic() - ended if outcome.lost == 0 else None
            finally:  # in a thread: this loop carries the proxy and the fake Telegram they shut down through
                codes = await asyncio.to_thread(fleet.stop)
                if proxy is not None:
                    await proxy.stop()
    finally:
        await fake.stop()
    notes = [_what(kind, name, plan, lease)]
    stopped = codes[1:] if name == "SIGKILL" else codes  # the killed one has no say
    if any(code != 0 for code in stopped):
        notes.append(f"exit codes on SIGTERM (None: killed after 60 s): {stopped}")
    logs = "" if outcome.lost == 0 and outcome.duplicated == 0 else \
        "\n".join(f"-- chibo on {port}:\n{fleet.log_of(port)[-1500:]}" for port in fleet.ports)
    return Row(outcome, stream.retries, caught_up, "; ".join(notes), logs)


async def run(plan: Plan, pg_url: str | None) -> bool:
    """Every row; True when each is OK."""
    databases = [("sqlite", "SQLite")]
    if pg_url is not None:
        if await answers(pg_url):
            databases.append(("postgres", "PostgreSQL"))
        else:
            print(f"PostgreSQL: not reachable at {pg_url}: skipped")
    print(f"{plan.updates} updates from {plan.senders} senders to 2 processes, {plan.members} members; "
          f"fault after a third acknowledged; outage {plan.outage:g} s", flush=True)
    every_ok = True
    with tempfile.TemporaryDirectory(prefix="chibo-chaos-") as temporary:
        for kind, label in databases:
            for name in FAULTS:
                title = f"{label} · {name}"
                if kind == "postgres" and name == "disk full":
                    print(f"{title}: {PG_DISK_FULL}", flush=True)
                    continue
                folder = Path(temporary) / f"{kind}-{name.replace(' ', '-').lower()}"
                folder.mkdir()
                try:
                    row = await run_row(kind, name, plan, folder, pg_url or DEFAULT_POSTGRES)
                except Exception as error:  # a row that could not run is a failure, the others still run
                    print(f"{title}: could not run: {error!r}\n  FAIL", flush=True)
                    every_ok = False
                    continue
                print(f"{title} ({row.note}): {row.line()}\n  {'OK' if row.ok else 'FAIL'}", flush=True)
                if row.logs:
                    print(row.logs, flush=True)
                every_ok = every_ok and row.ok
    return every_ok


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--outage", type=float, default=5.0, help="seconds the outage and the full disk last")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    plan = Plan(args.updates, args.members, args.senders, args.outage)
    # A process killed while sending a receipt leaves the fake Telegram a request cut halfway:
    # expected here, and its traceback would bury the rows.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    asyncio.run(run(plan, None if args.no_postgres else args.postgres))


if __name__ == "__main__":
    main()
