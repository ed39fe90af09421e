"""Hostile webhook bodies (issue 11, item 7): whatever a sender posts, the answer is 200 or 400,
never 500 (which a platform retries for ever), and nothing PostgreSQL would refuse reaches the
inbox. Each case runs on SQLite and, with --db=postgres, on PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from bot.app import Chibo
from bot.channels.telegram import UNREADABLE
from bot.web import TELEGRAM_SECRET_HEADER, ZALO_SECRET_HEADER, WebServer
from handlers.texts import INTERNAL_ERROR
from storage.db import Database
from tests import test_webhooks as webhooks
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.test_webhooks import SECRET, ZALO_USER, inbox_keys, processed_keys, telegram_update

# The web server on both channels, the fake platforms and an HTTP client, as test_webhooks.py builds them.
http, server = webhooks.http, webhooks.server  # `fakes` is in conftest.py

NESTED = ["[" * depth + "]" * depth for depth in (990, 1_000, 5_000, 100_000)]


def _url(server: WebServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


async def _post(http: aiohttp.ClientSession, server: WebServer, path: str, body: bytes) -> int:
    header = TELEGRAM_SECRET_HEADER if path == "/telegram" else ZALO_SECRET_HEADER
    async with http.post(_url(server, path), data=body, headers={header: SECRET,
                                                                 "Content-Type": "application/json"}) as answer:
        return answer.status


async def _nothing_kept(db: Database) -> bool:
    return not await inbox_keys(db, "telegram") and not await inbox_keys(db, "zalo") \
        and await processed_keys(db) == set()


def _deep(depth: int) -> list[Any]:
    inner: list[Any] = []
    for _ in range(depth):
        inner = [inner]
    return inner


async def test_deeply_nested_json_is_400_on_both_webhooks(
    app: Chibo, server: WebServer, fakes: tuple[FakeTelegram, FakeZalo], http: aiohttp.ClientSession
) -> None:
    fake_telegram, fake_zalo = fakes
    telegram = telegram_update(100, "/start")
    telegram["message"]["entities"] = _deep(900)  # a real update with a deep field: parses, but is refused
    zalo = fake_zalo.update(ZALO_USER, "/start")
    zalo["message"]["extra"] = _deep(900)
    for path, real in (("/telegram", telegram), ("/zalo", {"ok": True, "result": zalo})):
        for body in NESTED:
            assert await _post(http, server, path, body.encode()) == 400, (path, len(body))
        assert await _post(http, server, path, json.dumps(real).encode()) == 400, path
    assert await _nothing_kept(app.db)
    assert fake_telegram.sent == [] and fake_zalo.sent == []


def _zalo_body(fake_zalo: FakeZalo, **message: Any) -> bytes:
    update = fake_zalo.update(ZALO_USER, "/start")
    update["message"].update(message)
    return json.dumps({"ok": True, "result": update}).encode()  # NaN and Infinity as Python writes them


@pytest.mark.parametrize("hostile", [
    pytest.param({"message_id": "a1b2\u0000c3"}, id="message_id-with-NUL"),
    pytest.param({"date": float("nan")}, id="date-NaN"),
    pytest.param({"date": float("inf")}, id="date-Infinity"),
    pytest.param({"date": float("-inf")}, id="date-minus-Infinity"),
    pytest.param({"date": "2026-11-20"}, id="date-string"),
    pytest.param({"message_id": "f" * 65}, id="message_id-65-characters"),
    pytest.param({"from": {"id": "9" * 65, "display_name": "X", "is_bot": False}}, id="sender-id-65-characters"),
    pytest.param({"chat": {"id": ["1"], "chat_type": "PRIVATE"}}, id="chat-id-a-list"),
    pytest.param({"text": "xin chào \ud800"}, id="text-lone-surrogate"),
    pytest.param({"text": "a\u0000b"}, id="text-with-NUL"),
])
async def test_hostile_zalo_bodies_are_refused_and_not_stored(
    app: Chibo, server: WebServer, fakes: tuple[FakeTelegram, FakeZalo], http: aiohttp.ClientSession,
    hostile: dict[str, Any],
) -> None:
    fake_zalo = fakes[1]
    assert await _post(http, server, "/zalo", _zalo_body(fake_zalo, **hostile)) == 400
    assert await _nothing_kept(app.db)
    assert fake_zalo.sent == []
    # The webhook still works for the next, ordinary message.
    assert await fake_zalo.deliver(fake_zalo.update(ZALO_USER, "/start")) == 200
    (reply,) = await fake_zalo.wait_sent(1)
    assert reply.text != INTERNAL_ERROR


@pytest.mark.parametrize("text", [42, 4.5, [1, 2], {"a": 1}, True, "\ud800", "xin chào \udfff", "a\u0000b"],
                         ids=["int", "float", "list", "object", "bool", "lone-surrogate", "low-surrogate", "NUL"])
async def test_telegram_text_that_is_not_text_is_answered_as_bad_input(
    app: Chibo, server: WebServer, fakes: tuple[FakeTelegram, FakeZalo], http: aiohttp.ClientSession,
    text: Any,
) -> None:
    fake_telegram = fakes[0]
    update = telegram_update(100, "")
    update["message"]["text"] = text
    assert await _post(http, server, "/telegram", json.dumps(update).encode()) == 200  # acknowledged
    (reply,) = await fake_telegram.wait_sent(1)
    assert reply.chat_id == "100" and reply.text == UNREADABLE  # told, in Vietnamese: not "system error"
    assert await _nothing_kept(app.db)


async def test_unreadable_telegram_text_in_a_group_is_acknowledged_silently(
    app: Chibo, server: WebServer, fakes: tuple[FakeTelegram, FakeZalo], http: aiohttp.ClientSession,
) -> None:
    fake_telegram = fakes[0]
    update = telegram_update(100, "")
    update["message"].update(text=["x"], chat={"id": -1001, "type": "supergroup", "title": "Chi bộ"})
    assert await _post(http, server, "/telegram", json.dumps(update).encode()) == 200
    async with http.post(_url(server, "/telegram"), json=telegram_update(100, "/start"),
                         headers={TELEGRAM_SECRET_HEADER: SECRET}) as answer:
        assert answer.status == 200
    (reply,) = await fake_telegram.wait_sent(1)  # only the private /start is answered
    assert reply.chat_id == "100" and reply.text != UNREADABLE


async def test_telegram_bodies_the_inbox_cannot_keep_are_400(
    app: Chibo, server: WebServer, fakes: tuple[FakeTelegram, FakeZalo], http: aiohttp.ClientSession,
) -> None:
    fake_telegram = fakes[0]
    surrogate = telegram_update(100, "/start")
    surrogate["message"]["from"]["first_name"] = "B\ud800nh"
    nul = telegram_update(100, "/start")
    nul["message"]["from"]["last_name"] = "B\u0000nh"
    nan = json.dumps(telegram_update(100, "/start")).replace('"date": ', '"date": NaN, "x": ', 1)
    for body in (json.dumps(surrogate), json.dumps(nul), nan):
        assert await _post(http, server, "/telegram", body.encode()) == 400, body
    assert await _nothing_kept(app.db)
    assert fake_telegram.sent == []

    # What is not kept cannot hurt: the inbox stores the message as the core reads it, and a NUL
    # in the chat's own title (which it does not read) is simply not stored.
    ignored = telegram_update(100, "/start")
    ignored["message"]["chat"]["first_name"] = "B\u0000nh"
    assert await _post(http, server, "/telegram", json.dumps(ignored).encode()) == 200
    (reply,) = await fake_telegram.wait_sent(1)
    assert reply.chat_id == "100"
