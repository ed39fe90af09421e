"""Nothing acknowledged is lost, nothing is stored twice: a database that goes away for a few
seconds during a stream of updates (both databases), and two webhook processes on PostgreSQL of
which one is killed (issue 11).

Updates are one-line reports, each with its own text; afterwards each acknowledged report must
be stored exactly once, and no sender may have been told of an error ("lỗi").
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url

from bench import chaos_harness as chaos
from bot import service
from bot.intake import IntakeConfig
from tests.fakes.telegram_api import FakeTelegram
from tests.pg_available import PG_URL

QUICK = IntakeConfig(poll=0.05, backoff=0.05, backoff_max=0.5, lease=5.0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _told_error(fake: FakeTelegram) -> int:
    return sum(1 for message in fake.sent if "lỗi" in message.text)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    telegram = FakeTelegram()
    await telegram.start()
    yield telegram
    await telegram.stop()


async def test_a_database_outage_mid_stream_loses_and_duplicates_nothing(
    db_kind: str, fake: FakeTelegram, tmp_path: Path,
) -> None:
    """A `chibo run --webhook` process whose database goes away for a while: on PostgreSQL a TCP
    proxy between them is cut (every connection closed, new ones refused); SQLite has no server,
    so its files may not grow (a full disk). Deliveries meanwhile get 503 and come again."""
    async with chaos.fresh_database(db_kind, tmp_path, PG_URL) as url:
        users = await chaos.populate(url, 20)
        proxy = None
        if db_kind == "postgres":
            parsed = make_url(url)
            proxy = chaos.DbProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
            await proxy.start()
        fleet = chaos.Fleet(proxy.url(url) if proxy else url, fake.base_url, fake.token, tmp_path)
        fleet.spawn(_free_port())
        stream = chaos.Stream(fleet.ports, users)
        try:
            await fleet.ready()
            await stream.send(range(0, 60), senders=6)
            files = [Path(make_url(url).database or ""), Path(f"{make_url(url).database}-wal")]
            with contextlib.ExitStack() as fault:
                if proxy is not None:
                    proxy.cut()
                    fault.callback(proxy.restore)
                else:
                    fault.enter_context(fleet.disk_full(files))
                during = asyncio.create_task(stream.send(range(60, 120), senders=6))
                await asyncio.sleep(1.5)  # the outage: deliveries answered 503, handling retried
            await during
            await stream.send(range(120, 160), senders=6)
            outcome = await chaos.settle(url, stream, 160, _told_error(fake), within=60)
        finally:
            await asyncio.to_thread(fleet.stop)
            if proxy is not None:
                await proxy.stop()
    assert stream.retries > 0  # the outage was felt: some deliveries were answered 503 and came again
    assert outcome == chaos.Outcome(sent=160, acknowledged=160, stored=160, duplicated=0, lost=0, told_error=0)
    receipts = [(m.chat_id, m.text) for m in fake.sent if m.text.startswith("Đã ghi báo cáo số")]
    # At most one receipt per report. A commit whose answer the cut connection lost is stored (the
    # retry finds its mark) but its receipt is not sent again: the only cost of such a blip.
    assert len(set(receipts)) == len(receipts) and 150 <= len(receipts) <= 160


async def test_two_webhook_processes_on_postgresql_one_killed_mid_stream(
    db_kind: str, fake: FakeTelegram, tmp_path: Path,
) -> None:
    """Both start at once on a fresh database (their migrations must not collide), share the
    stream; one is SIGKILLed: the survivor takes over what the dead one acknowledged."""
    if db_kind != "postgres":
        pytest.skip("several processes behind one address are a PostgreSQL deployment")
    async with chaos.fresh_database("postgres", tmp_path, PG_URL) as url:
        fleet = chaos.Fleet(url, fake.base_url, fake.token, tmp_path, lease_seconds=3.0)
        fleet.spawn(_free_port())
        fleet.spawn(_free_port())
        try:
            await fleet.ready()
            users = await chaos.populate(url, 30, migrate=False)
            stream = chaos.Stream(fleet.ports, users)
            await stream.send(range(0, 150), senders=10)
            fleet.kill(0)
            stream.alive[0] = False
            await stream.send(range(150, 300), senders=10)
            outcome = await chaos.settle(url, stream, 300, _told_error(fake), within=60)
        finally:
            codes = await asyncio.to_thread(fleet.stop)
    assert outcome == chaos.Outcome(sent=300, acknowledged=300, stored=300, duplicated=0, lost=0, told_error=0)
    assert codes[1] == 0, fleet.log_of(fleet.ports[1])[-3000:]  # the survivor stops cleanly on SIGTERM


def test_two_starts_at_once_on_a_fresh_sqlite_file_both_migrate(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    code = f"from storage.migrate import upgrade; upgrade({url!r})"
    both = [subprocess.Popen([sys.executable, "-c", code], cwd=chaos.ROOT, stderr=subprocess.PIPE)
            for _ in range(2)]
    for process in both:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()[-2000:]


@pytest.fixture
def no_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("WEBHOOK_SECRET", "")
    yield


async def test_webhook_mode_needs_one_secret_for_every_process(no_secret: None, tmp_path: Path) -> None:
    from bot.settings import Settings

    settings = Settings(_env_file=None, telegram_bot_token="1:x", public_url="https://bot.example.vn",
                        database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(service.ConfigError, match="WEBHOOK_SECRET"):
        service.webhook_secret(settings)
