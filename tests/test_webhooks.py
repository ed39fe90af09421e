"""Webhook mode: Telegram and Zalo on one aiohttp server, secrets, malformed bodies, the inbox
that makes "200" mean "kept", and SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from itertools import count
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot import service
from bot.app import Chibo
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.clock import ManualClock
from bot.intake import Intake, IntakeConfig
from bot.settings import Settings
from bot.web import TELEGRAM_SECRET_HEADER, ZALO_SECRET_HEADER, WebServer
from domain.messages import Incoming, Outgoing
from handlers.context import HandlerSettings
from storage import inbox
from storage.db import Database
from storage.tables import ProcessedUpdate
from storage.types import table_of
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo

SECRET = "chibo-webhook-secret_2026"
ZALO_USER = FakeZalo.user_id(5)
GREETING = "Chào đồng chí! Tôi là chibo"
_update_ids = count(9000)


def telegram_update(user_id: int, text: str) -> dict[str, Any]:
    person = {"id": user_id, "is_bot": False, "first_name": "Bình"}
    return {"update_id": next(_update_ids), "message": {
        "message_id": next(_update_ids), "date": int(time.time()), "text": text, "from": person,
        "chat": {"id": user_id, "type": "private", "first_name": "Bình"},
    }}


async def until(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def inbox_keys(db: Database, platform: str) -> list[str]:
    return [row.update_key for row in await inbox.waiting(db, platform)]


async def processed_keys(db: Database) -> set[str]:
    async with db.session() as session:
        rows = (await session.execute(table_of(ProcessedUpdate).select())).all()
    return {row.update_key for row in rows}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


QUICK = IntakeConfig(poll=0.05, backoff=0.05)


def _web(app: Chibo, config: IntakeConfig = QUICK, **channels: Any) -> WebServer:
    """A web server with its intake, as bot/service.py builds it."""
    return WebServer(app, secret=SECRET, intake=Intake(app, config, legacy=service.LEGACY), **channels)


def _channels(app: Chibo, fakes: tuple[FakeTelegram, FakeZalo]) -> tuple[TelegramChannel, ZaloChannel]:
    telegram = TelegramChannel(fakes[0].token, base_url=fakes[0].base_url, catalog=app.catalog, polling=False)
    zalo = ZaloChannel(fakes[1].token, base_url=fakes[1].base_url)
    app.add_channel(telegram)
    app.add_channel(zalo)
    return telegram, zalo


@pytest.fixture
async def server(app: Chibo, fakes: tuple[FakeTelegram, FakeZalo]) -> AsyncIterator[WebServer]:
    """Both channels in webhook mode behind one web server, webhooks registered."""
    telegram, zalo = _channels(app, fakes)
    web = _web(app, telegram=telegram, zalo=zalo)
    await web.start("127.0.0.1", 0)
    await web.register_webhooks(f"http://127.0.0.1:{web.port}")
    yield web
    await web.stop()


def _url(server: WebServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


async def test_both_webhooks_are_registered_with_the_secret(
    server: WebServer, fakes: tuple[FakeTelegram, FakeZalo], http: aiohttp.ClientSession
) -> None:
    fake_telegram, fake_zalo = fakes
    (registered,) = fake_telegram.called("setWebhook")
    assert registered["url"] == _url(server, "/telegram") and registered["secret_token"] == SECRET
    assert fake_zalo.webhook_url == _url(server, "/zalo") and fake_zalo.webhook_secret == SECRET
    async with http.get(_url(server, "/healthz")) as answer:
        assert answer.status == 200
        assert await answer.json() == {"status": "ok", "channels": ["telegram", "zalo"], "write": "ok",
                                       "inbox_oldest_seconds": 0.0}


async def test_valid_secrets_are_accepted_and_handled(
    app: Chibo, server: WebServer, fakes: tuple[FakeTelegram, FakeZalo], http: aiohttp.ClientSession
) -> None:
    fake_telegram, fake_zalo = fakes
    update = telegram_update(100, "/start")
    async with http.post(_url(server, "/telegram"), json=update, headers={TELEGRAM_SECRET_HEADER: SECRET}) as answer:
        assert answer.status == 200
    (reply,) = await fake_telegram.wait_sent(1)
    assert reply.chat_id == "100" and reply.text.startswith(GREETING)

    # Zalo posts the update wrapped in {ok, result}; some senders post it bare: both work.
    assert await fake_zalo.deliver(fake_zalo.update(ZALO_USER, "/start"), wrapped=True) == 200
    assert await fake_zalo.deliver(fake_zalo.update(ZALO_USER, "/toi"), wrapped=False) == 200
    first, second = await fake_zalo.wait_sent(2)
    assert first.chat_id == ZALO_USER and first.text.startswith(GREETING)
    assert second.chat_id == ZALO_USER and "chưa tham gia" in second.text
    await until(lambda: _empty_inbox(app.db))


async def _empty_inbox(db: Database) -> bool:
    return not await inbox_keys(db, "telegram") and not await inbox_keys(db, "zalo")


async def test_missing_or_wrong_secrets_are_refused(
    app: Chibo, server: WebServer, fakes: tuple[FakeTelegram, FakeZalo], http: aiohttp.ClientSession
) -> None:
    fake_telegram, fake_zalo = fakes
    for headers in ({}, {TELEGRAM_SECRET_HEADER: "wrong-secret"}, {ZALO_SECRET_HEADER: SECRET}):
        async with http.post(_url(server, "/telegram"), json=telegram_update(100, "/start"), headers=headers) as a:
            assert a.status == 403
    for secret in ("", "wrong-secret", SECRET[:-1]):
        assert await fake_zalo.deliver(fake_zalo.update(ZALO_USER, "/start"), secret=secret) == 403
    async with http.post(_url(server, "/zalo"), json=fake_zalo.update(ZALO_USER, "/start"),
                         headers={TELEGRAM_SECRET_HEADER: SECRET}) as answer:  # the other platform's header
        assert answer.status == 403
    # Nothing was kept, handled or answered.
    assert await _empty_inbox(app.db) and await processed_keys(app.db) == set()
    assert fake_telegram.sent == [] and fake_zalo.sent == []


async def test_malformed_bodies_get_400_and_a_log_line(
    app: Chibo, server: WebServer, fakes: tuple[FakeTelegram, FakeZalo], http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_telegram, fake_zalo = fakes
    bodies: list[tuple[str, bytes, str]] = [
        ("/telegram", b"{not json", TELEGRAM_SECRET_HEADER),
        ("/telegram", b'{"message": {"text": "/start"}}', TELEGRAM_SECRET_HEADER),  # no update_id
        ("/telegram", b'[1, 2, 3]', TELEGRAM_SECRET_HEADER),
        ("/zalo", b"\xff\xfe garbage", ZALO_SECRET_HEADER),
        ("/zalo", b'{"ok": true, "result": {"event_name": "message.text.received"}}', ZALO_SECRET_HEADER),
        ("/zalo", b'{"message": {"text": "x", "from": {"id": "1"}}}', ZALO_SECRET_HEADER),  # no chat, no id
    ]
    caplog.set_level(logging.WARNING, logger="bot.web")
    for path, body, header in bodies:
        async with http.post(_url(server, path), data=body, headers={header: SECRET}) as answer:
            assert answer.status == 400, (path, body)
    malformed = [r for r in caplog.records if r.name == "bot.web" and "malformed" in r.getMessage()]
    assert len(malformed) == len(bodies)
    assert await _empty_inbox(app.db) and await processed_keys(app.db) == set()
    assert fake_telegram.sent == [] and fake_zalo.sent == []


async def test_a_repeated_delivery_is_handled_once(
    app: Chibo, server: WebServer, fakes: tuple[FakeTelegram, FakeZalo], http: aiohttp.ClientSession
) -> None:
    fake_telegram, fake_zalo = fakes
    update = fake_zalo.update(ZALO_USER, "/start", message_id="a1b2c3d4e5f6")
    assert await fake_zalo.deliver(update) == 200
    assert await fake_zalo.deliver(update, wrapped=False) == 200
    assert await fake_zalo.deliver(fake_zalo.update(ZALO_USER, "/toi")) == 200
    await fake_zalo.wait_sent(2)
    await until(lambda: _empty_inbox(app.db))
    assert await fake_zalo.deliver(update) == 200  # again, long after: the router remembers it
    telegram = telegram_update(100, "/start")
    for _ in range(2):
        async with http.post(_url(server, "/telegram"), json=telegram, headers={TELEGRAM_SECRET_HEADER: SECRET}) as a:
            assert a.status == 200
    await fake_telegram.wait_sent(1)
    await until(lambda: _empty_inbox(app.db))
    greeting, profile = fake_zalo.sent  # /start once (of three deliveries), then /toi
    assert greeting.text.startswith(GREETING) and profile.text.startswith("Đồng chí chưa tham gia")
    assert len(fake_telegram.sent) == 1


async def test_an_acknowledged_update_survives_a_crash(
    app: Chibo, db: Database, clock: ManualClock, fakes: tuple[FakeTelegram, FakeZalo], monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 is answered once the update is stored; if the process dies before handling it, the
    next start handles it, and the dead process could not handle it a second time."""
    fake_zalo = fakes[1]
    entered, gate = asyncio.Event(), asyncio.Event()
    handle = app.handle

    async def stuck(incoming: Incoming) -> list[Outgoing]:
        entered.set()
        await gate.wait()
        return await handle(incoming)

    monkeypatch.setattr(app, "handle", stuck)
    first = _web(app, IntakeConfig(poll=0.05, lease=0.3), zalo=_channels(app, fakes)[1])
    await first.start("127.0.0.1", 0)
    await first.register_webhooks(f"http://127.0.0.1:{first.port}")
    update = fake_zalo.update(ZALO_USER, "/start")
    assert await fake_zalo.deliver(update) == 200
    await entered.wait()
    assert await inbox_keys(db, "zalo") == [update["message"]["message_id"]]  # kept, not yet handled
    assert fake_zalo.sent == []

    # The first process dies (its intake stops renewing its claim); a new one starts on the same
    # database and takes the update over once the claim expires.
    assert first.intake is not None
    for task in first.intake._tasks:
        task.cancel()
    second_app = Chibo(db, HandlerSettings(), clock=clock)
    second = _web(second_app, zalo=_channels(second_app, fakes)[1])
    await second.start("127.0.0.1", 0)
    (reply,) = await fake_zalo.wait_sent(1)
    assert reply.chat_id == ZALO_USER and reply.text.startswith(GREETING)
    await until(lambda: _empty_inbox(db))

    gate.set()  # were the first process to wake up, the update is already handled: no second reply
    await first.stop()
    await second.stop()
    assert len(fake_zalo.sent) == 1


async def test_telegram_updates_left_in_the_inbox_are_handled_at_start(
    app: Chibo, db: Database, clock: ManualClock, fakes: tuple[FakeTelegram, FakeZalo]
) -> None:
    """A row stored by a version before 0008 holds Telegram's raw update: it is still handled."""
    update = telegram_update(100, "/start")
    async with db.session() as session:
        await session.execute(table_of(inbox.InboxUpdate).insert().values(
            platform="telegram", update_key=str(update["update_id"]), body=update, received_at=clock.now()))
        await session.commit()
    telegram, _ = _channels(app, fakes)
    web = _web(app, telegram=telegram)
    await web.start("127.0.0.1", 0)
    try:
        (reply,) = await fakes[0].wait_sent(1)
        assert reply.chat_id == "100" and reply.text.startswith(GREETING)
        await until(lambda: _empty_inbox(db))
    finally:
        await web.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_sigterm_finishes_updates_in_hand_and_keeps_the_rest(
    app: Chibo, db: Database, clock: ManualClock, fakes: tuple[FakeTelegram, FakeZalo],
    http: aiohttp.ClientSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_telegram, fake_zalo = fakes
    port = _free_port()
    settings = Settings(
        _env_file=None, telegram_bot_token=fake_telegram.token, telegram_base_url=fake_telegram.base_url,
        zalo_bot_token=fake_zalo.token, zalo_base_url=fake_zalo.base_url, public_url=f"http://127.0.0.1:{port}",
        webhook_secret=SECRET, web_host="127.0.0.1", web_port=port, files_dir=str(tmp_path),
    )
    entered, gate = asyncio.Event(), asyncio.Event()
    handle = app.handle

    async def slow(incoming: Incoming) -> list[Outgoing]:
        if incoming.text == "/toi":  # this one is being handled when SIGTERM arrives
            entered.set()
            await gate.wait()
        return await handle(incoming)

    monkeypatch.setattr(app, "handle", slow)
    running = asyncio.create_task(service.serve(app, settings, webhook=True))

    async def registered() -> bool:
        return fake_zalo.webhook_url is not None and bool(fake_telegram.called("setWebhook"))

    await until(registered)
    async with http.post(f"{settings.public_url}/telegram", json=telegram_update(100, "/start"),
                         headers={TELEGRAM_SECRET_HEADER: SECRET}) as answer:
        assert answer.status == 200
    await fake_telegram.wait_sent(1)
    in_hand = fake_zalo.update(ZALO_USER, "/toi")
    queued = fake_zalo.update(ZALO_USER, "/start")  # same person: waits behind the first, in order
    assert await fake_zalo.deliver(in_hand) == 200
    await entered.wait()
    assert await fake_zalo.deliver(queued) == 200

    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # serve() owns SIGTERM now
    os.kill(os.getpid(), signal.SIGTERM)

    async def refusing() -> bool:
        try:
            async with http.get(f"{settings.public_url}/healthz") as answer:
                return answer.status == 503
        except aiohttp.ClientConnectionError:
            return True

    await until(refusing)
    assert not running.done()  # still finishing the update in hand
    gate.set()
    await asyncio.wait_for(running, 10)

    # The update in hand was finished and answered; the queued one was kept, not handled.
    (answered,) = fake_zalo.sent
    assert answered.chat_id == ZALO_USER and "chưa tham gia" in answered.text
    assert await inbox_keys(db, "zalo") == [queued["message"]["message_id"]]
    assert queued["message"]["message_id"] not in await processed_keys(db)

    # The next start handles it first.
    restart = asyncio.Event()
    second_app = Chibo(db, HandlerSettings(), clock=clock)
    again = asyncio.create_task(service.serve(second_app, settings, webhook=True, stop=restart))
    await fake_zalo.wait_sent(2)
    restart.set()
    await asyncio.wait_for(again, 10)
    assert fake_zalo.sent[1].text.startswith(GREETING)
    assert await _empty_inbox(db)
