"""/healthz tells the truth (a write, the inbox's age), and slow or greedy clients cannot hold the
server (issue 11, items 4 and 8)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event

from bot.app import Chibo
from bot.channels.zalo import ZaloChannel
from bot.intake import Intake, IntakeConfig
from bot.web import INBOX_BEHIND, ZALO_SECRET_HEADER, WebLimits, WebServer
from domain.messages import Incoming
from storage import inbox
from tests.fakes.zalo_api import FakeZalo

SECRET = "chibo-health-secret"


@pytest.fixture
async def fake_zalo() -> AsyncIterator[FakeZalo]:
    zalo = FakeZalo()
    await zalo.start()
    yield zalo
    await zalo.stop()


async def _server(app: Chibo, fake: FakeZalo, limits: WebLimits | None = None) -> WebServer:
    channel = ZaloChannel(fake.token, base_url=fake.base_url)
    app.add_channel(channel)
    server = WebServer(app, secret=SECRET, intake=Intake(app, IntakeConfig(poll=0.05)), zalo=channel,
                       limits=limits)
    await server.start("127.0.0.1", 0)
    return server


async def _health(server: WebServer) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{server.port}/healthz") as answer:
        return answer.status, await answer.json()


async def test_health_fails_when_writes_fail_though_reads_work(app: Chibo, fake_zalo: FakeZalo) -> None:
    """A full disk: every read answers, every write fails. "SELECT 1" said ok; a write does not."""
    server = await _server(app, fake_zalo)
    try:
        assert await _health(server) == (200, {"status": "ok", "channels": ["zalo"], "write": "ok",
                                               "inbox_oldest_seconds": 0.0})

        def full(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT"):
                raise sqlite3.OperationalError("database or disk is full")

        event.listen(app.db.engine.sync_engine, "before_cursor_execute", full)
        try:
            status, report = await _health(server)
        finally:
            event.remove(app.db.engine.sync_engine, "before_cursor_execute", full)
        assert (status, report["status"], report["write"]) == (503, "unhealthy", "failed")
        assert await inbox.waiting(app.db) == []  # the probe's row was rolled back, not kept
        assert (await _health(server))[0] == 200
    finally:
        await server.stop()


async def test_health_reports_the_oldest_waiting_update_and_fails_when_it_is_stuck(
    app: Chibo, fake_zalo: FakeZalo,
) -> None:
    server = await _server(app, fake_zalo)
    assert server.intake is not None
    await server.intake.drain()  # no worker: what is stored stays
    try:
        now = app.clock.now()
        await inbox.store(app.db, Incoming("zalo", "u1", "/toi", chat_id="u1", update_key="1"),
                          now - timedelta(seconds=90))
        status, report = await _health(server)
        assert (status, report["inbox_oldest_seconds"]) == (200, 90.0)
        await inbox.store(app.db, Incoming("zalo", "u2", "/toi", chat_id="u2", update_key="2"),
                          now - timedelta(seconds=INBOX_BEHIND + 1))
        status, report = await _health(server)
        assert (status, report["status"], report["inbox_oldest_seconds"]) == (503, "unhealthy", INBOX_BEHIND + 1)
    finally:
        await server.stop()


async def test_one_address_holds_at_most_its_share_of_connections(app: Chibo, fake_zalo: FakeZalo) -> None:
    server = await _server(app, fake_zalo, WebLimits(per_client=3, header_timeout=30.0))
    assert server.site is not None
    try:
        held = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(5)]
        for reader, _writer in held[3:]:  # refused at once: closed without a byte
            assert await asyncio.wait_for(reader.read(), 5) == b""
        assert server.site.guard.refused == 2 and server.site.guard.open["127.0.0.1"] == 3
        for _reader, writer in held:
            writer.close()
        await asyncio.sleep(0.05)
        assert (await _health(server))[0] == 200  # once they go, the address is served again
    finally:
        await server.stop()


async def test_headers_or_a_body_sent_too_slowly_are_cut(app: Chibo, fake_zalo: FakeZalo) -> None:
    server = await _server(app, fake_zalo, WebLimits(header_timeout=0.2, body_timeout=0.2))
    assert server.site is not None
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST /zalo HTTP/1.1\r\nHost: x\r\n")  # and never the end of the headers
        assert await asyncio.wait_for(reader.read(), 5) == b""  # cut
        assert server.site.guard.timed_out == 1

        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(f"POST /zalo HTTP/1.1\r\nHost: x\r\n{ZALO_SECRET_HEADER}: {SECRET}\r\n"
                     "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":".encode())
        answer = await asyncio.wait_for(reader.readline(), 5)
        assert answer.startswith(b"HTTP/1.1 408")  # the body never came whole
        writer.close()
        assert await inbox.waiting(app.db) == []
    finally:
        await server.stop()
