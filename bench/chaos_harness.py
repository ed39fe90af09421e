"""Faults on a real deployment: chibo processes in webhook mode, a fake Telegram, a database that
goes away. Shared by `python -m bench chaos` and tests/test_chaos.py.

- `DbProxy`: a TCP proxy between chibo and PostgreSQL that can be cut (every connection closed,
  new ones refused) for a while: the database outage as the processes see it.
- `Fleet`: `chibo run --webhook` processes on one database, stopped with SIGTERM or SIGKILL.
- `Stream`: one-line reports posted to the webhooks as Telegram does: an update answered with
  anything but 200 is delivered again (to the next process, as a load balancer would), and
  only a 200 counts as acknowledged.
- `tally`: from the database, how many times each acknowledged report was stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

from bot.web import TELEGRAM_SECRET_HEADER
from domain.vocabulary import UnitKind
from storage.db import Database
from storage.migrate import upgrade
from storage.reports import Report
from storage.tables import ChatAccount, Member, OrgUnit
from storage.types import inserted_id, table_of

SECRET = "chaos-webhook-secret-2026"
ROOT = Path(__file__).resolve().parent.parent
FIRST_USER = 700_000


def report_text(number: int) -> str:
    return f"Việc kiểm thử số {number}"


# -- databases ------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def fresh_database(kind: str, folder: Path, pg_url: str) -> AsyncIterator[str]:
    """The URL of a new, empty database: a SQLite file, or a PostgreSQL database made for the run."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / f'chaos-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"chaos_{uuid.uuid4().hex[:10]}"
    admin = Database(pg_url)
    async with admin.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def populate(url: str, members: int, *, migrate: bool = True) -> list[int]:
    """A committee, one cell, `members` official members with Telegram accounts; their user ids."""
    if migrate:
        await asyncio.to_thread(upgrade, url)
    db = Database(url)
    users = [FIRST_USER + i for i in range(members)]
    try:
        async with db.engine.begin() as connection:
            units = table_of(OrgUnit)
            committee = inserted_id(await connection.execute(insert(units).values(
                kind=UnitKind.COMMITTEE, name="Đảng bộ thử", name_key="dang bo thu", settings={})))
            cell = inserted_id(await connection.execute(insert(units).values(
                kind=UnitKind.CELL, name="Chi bộ thử", name_key="chi bo thu", parent_id=committee, settings={})))
            table = table_of(Member)
            await connection.execute(insert(table), [
                {"cell_id": cell, "full_name": f"Đảng viên {i}", "name_key": f"dang vien {i}", "status": "official",
                 "active": True} for i in range(members)])
            ids = list((await connection.execute(select(table.c.id).order_by(table.c.id))).scalars())
            await connection.execute(insert(table_of(ChatAccount)), [
                {"platform": "telegram", "platform_user_id": str(user), "chat_id": str(user), "display_name": "",
                 "member_id": member_id} for user, member_id in zip(users, ids, strict=True)])
    finally:
        await db.dispose()
    return users


async def tally(url: str) -> Counter[str]:
    """How many times each report text is stored."""
    db = Database(url)
    try:
        async with db.session() as session:
            rows = (await session.execute(select(table_of(Report).c.text))).scalars().all()
    finally:
        await db.dispose()
    return Counter(rows)


# -- the database outage ----------------------------------------------------------------------

class DbProxy:
    """TCP between chibo and the database, with a switch: `cut()` closes every connection and
    refuses new ones until `restore()`."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.listen_port = 0
        self.open = True
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.listen_port = int(self._server.sockets[0].getsockname()[1])
        return self.listen_port

    def url(self, url: str) -> str:
        return make_url(url).set(host="127.0.0.1", port=self.listen_port).render_as_string(hide_password=False)

    def cut(self) -> None:
        self.open = False
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()

    def restore(self) -> None:
        self.open = True

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            writer.transport.abort()
            return
        self._pipes |= {writer, up_writer}
        await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer), return_exceptions=True)
        for end in (writer, up_writer):
            self._pipes.discard(end)
            end.transport.abort()


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    while data := await source.read(65536):
        sink.write(data)
        await sink.drain()
    sink.transport.abort()


# -- the processes ----------------------------------------------------------------------------

@dataclass
class Fleet:
    """chibo processes in webhook mode on one database, each on its own port."""

    database_url: str
    telegram_base_url: str
    token: str
    folder: Path
    lease_seconds: float = 3.0
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    def spawn(self, port: int) -> subprocess.Popen[bytes]:
        env = {
            **os.environ, "DATABASE_URL": self.database_url, "TELEGRAM_BOT_TOKEN": self.token,
            "TELEGRAM_BASE_URL": self.telegram_base_url, "ZALO_BOT_TOKEN": "", "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "WEBHOOK_SECRET": SECRET, "WEB_HOST": "127.0.0.1", "WEB_PORT": str(port),
            "FILES_DIR": str(self.folder / f"files-{port}"), "INBOX_LEASE_SECONDS": str(self.lease_seconds),
            "LOG_LEVEL": "WARNING", "SCHEDULER_POLL_SECONDS": "3600",
        }
        log = (self.folder / f"chibo-{port}.log").open("ab")
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--webhook"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        self.ports.append(port)
        return process

    def log_of(self, port: int) -> str:
        path = self.folder / f"chibo-{port}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def ready(self, within: float = 60.0) -> None:
        """Wait until every live process answers /healthz with 200."""
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as http:
            for process, port in zip(self.processes, self.ports, strict=True):
                while True:
                    if process.poll() is not None:
                        raise RuntimeError(f"chibo on {port} exited {process.returncode}:\n{self.log_of(port)[-3000:]}")
                    with contextlib.suppress(aiohttp.ClientError):
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                            if answer.status == 200:
                                break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"chibo on {port} not ready:\n{self.log_of(port)[-3000:]}")
                    await asyncio.sleep(0.2)

    def kill(self, index: int) -> None:
        self.processes[index].send_signal(signal.SIGKILL)
        self.processes[index].wait()

    def stop(self, within: float = 60.0) -> list[int | None]:
        """SIGTERM to the live processes; their exit codes (None: killed after `within`). It blocks:
        a loop that carries a `DbProxy` or the fake Telegram must call it in a thread, or the
        processes cannot shut down through them (and are killed)."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for process in self.processes:
            try:
                codes.append(process.wait(within))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(None)
        return codes

    @contextlib.contextmanager
    def disk_full(self, files: list[Path]) -> Iterator[None]:
        """No write of the processes to any file succeeds (RLIMIT_FSIZE of 0: EFBIG, as a full disk
        answers ENOSPC; Python ignores SIGXFSZ). A limit at the files' present size would not bite:
        SQLite rewrites its WAL in place from the start after a checkpoint, below any such size.
        `files` are the database's files, named for the reader; the limit is per process."""
        del files
        limit = 0
        live = [p for p in self.processes if p.poll() is None]
        for process in live:
            resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
        try:
            yield
        finally:
            for process in live:
                if process.poll() is None:
                    resource.prlimit(process.pid, resource.RLIMIT_FSIZE,
                                     (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


# -- the stream of updates ----------------------------------------------------------------------

@dataclass
class Stream:
    """Reports posted as Telegram posts them; `acknowledged` holds the numbers answered 200."""

    ports: list[int]
    users: list[int]
    acknowledged: set[int] = field(default_factory=set)
    retries: int = 0
    alive: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.alive = [True] * len(self.ports)

    def update(self, number: int) -> dict[str, Any]:
        user = self.users[number % len(self.users)]
        body = f"/baocao 2 {report_text(number)}"
        return {"update_id": 10_000_000 + number, "message": {
            "message_id": 20_000_000 + number, "date": int(datetime.now(UTC).timestamp()), "text": body,
            "entities": [{"type": "bot_command", "offset": 0, "length": len("/baocao")}],
            "from": {"id": user, "is_bot": False, "first_name": "Đảng viên"},
            "chat": {"id": user, "type": "private", "first_name": "Đảng viên"},
        }}

    async def post(self, http: aiohttp.ClientSession, number: int, *, give_up: float = 120.0) -> None:
        """Deliver one update until a process answers 200, trying the live ports in turn."""
        deadline = time.monotonic() + give_up
        attempt = number
        while time.monotonic() < deadline:
            live = [port for port, up in zip(self.ports, self.alive, strict=True) if up] or self.ports
            port = live[attempt % len(live)]
            attempt += 1
            try:
                async with http.post(f"http://127.0.0.1:{port}/telegram", json=self.update(number),
                                     headers={TELEGRAM_SECRET_HEADER: SECRET}) as answer:
                    if answer.status == 200:
                        self.acknowledged.add(number)
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            self.retries += 1
            await asyncio.sleep(0.2)

    async def send(self, numbers: range, senders: int) -> None:
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async def sender(share: range) -> None:
                for number in share:
                    await self.post(http, number)
            await asyncio.gather(*(sender(numbers[k::senders]) for k in range(senders)))


@dataclass(frozen=True)
class Outcome:
    sent: int
    acknowledged: int
    stored: int
    duplicated: int
    lost: int
    told_error: int

    def line(self) -> str:
        return (f"sent {self.sent}, acknowledged {self.acknowledged}, stored {self.stored}, "
                f"duplicated {self.duplicated}, lost {self.lost}, told «lỗi» {self.told_error}")


async def settle(url: str, stream: Stream, sent: int, told_error: int, *, within: float = 90.0) -> Outcome:
    """Wait until every acknowledged report is stored (or `within` passes); count."""
    deadline = time.monotonic() + within
    while True:
        counts = await tally(url)
        stored = {n for n in stream.acknowledged if counts.get(report_text(n), 0) >= 1}
        if stored == stream.acknowledged or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    duplicated = sum(1 for n in range(sent) if counts.get(report_text(n), 0) > 1)
    return Outcome(sent, len(stream.acknowledged), len(stored), duplicated,
                   len(stream.acknowledged - stored), told_error)
