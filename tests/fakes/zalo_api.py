"""A fake Zalo Bot Platform server on 127.0.0.1, for tests and benchmarks.

It behaves as the platform's documentation says (shared/platforms.md): JSON POSTs to
`/bot<token>/<method>` answered `{"ok", "result"}` or `{"ok": false, "error_code",
"description"}`; string ids and millisecond dates; `getUpdates` hands out one update per
call and answers 408 when none came in time; texts and captions over 2,000 characters are
refused; a flood beyond `rate_limit` messages/s gets 429 "Quota exceeded". Photos go by
URL and the fake fetches them, as Zalo would. In webhook mode it posts updates to the
registered URL with the secret in `X-Bot-Api-Secret-Token`, wrapped or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.recording import Recording

MAX_TEXT = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"


@dataclass
class SentMessage:
    method: str
    chat_id: str
    text: str
    photo: str | None = None
    photo_status: int | None = None  # what fetching the photo URL answered
    photo_bytes: bytes = b""


@dataclass
class FakeZalo(Recording):
    token: str = "2468013579:ZALO-TEST-TOKEN"
    rate_limit: float | None = None  # messages per second overall; beyond it: 429
    max_wait: float = 1.0  # the longest a getUpdates call is held, whatever timeout is asked
    blocked: set[str] = field(default_factory=set)
    sent: list[SentMessage] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # (method, error_code, description)
    webhook_url: str | None = None
    webhook_secret: str | None = None

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._message_ids = itertools.count(1)
        self._new = asyncio.Event()
        self._window: list[float] = []
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._closing = False
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._route)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._http = aiohttp.ClientSession()
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        self._closing = True  # long polls in progress answer at once
        self._new.set()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what tests push ---------------------------------------------------------
    @staticmethod
    def user_id(n: int) -> str:
        """A Zalo-looking user id: a string of hex digits."""
        return f"{n * 7919:x}".rjust(18, "6")

    def update(self, user_id: str, text: str = "", *, name: str = "Người dùng", message_id: str | None = None,
               event: str = "message.text.received", photo: str | None = None) -> dict[str, Any]:
        """An update as the platform sends it (the inner object, without `ok/result`)."""
        message: dict[str, Any] = {
            "from": {"id": user_id, "display_name": name, "is_bot": False},
            "chat": {"id": user_id, "chat_type": "PRIVATE"},
            "message_id": message_id or f"{next(self._message_ids):x}".rjust(24, "0"),
            "date": int(time.time() * 1000),
        }
        if photo is not None:
            event = "message.image.received"
            message["photo"] = photo
            if text:
                message["caption"] = text
        elif text:
            message["text"] = text
        return {"event_name": event, "message": message}

    def push(self, update: dict[str, Any]) -> str:
        """Queue an update for getUpdates; returns its message id."""
        self._updates.append(update)
        self._new.set()
        return str(update["message"]["message_id"])

    def push_message(self, user_id: str, text: str, **kwargs: Any) -> str:
        return self.push(self.update(user_id, text, **kwargs))

    async def deliver(self, update: dict[str, Any], *, wrapped: bool = True, secret: str | None = None) -> int:
        """Post an update to the registered webhook, as the platform does; returns the HTTP status."""
        assert self.webhook_url is not None and self._http is not None, "no webhook registered"
        body = {"ok": True, "result": update} if wrapped else update
        headers = {SECRET_HEADER: secret if secret is not None else (self.webhook_secret or "")}
        async with self._http.post(self.webhook_url, json=body, headers=headers) as answer:
            return answer.status

    async def fetch(self, url: str) -> tuple[int, bytes]:
        """GET a URL as the platform would (a photo link); its status and body."""
        assert self._http is not None
        async with self._http.get(url) as answer:
            return answer.status, await answer.read()

    # -- what tests read: sent_to, wait_sent, called (Recording) ----------------------------

    @property
    def waiting(self) -> int:
        """Updates pushed and not yet fetched by getUpdates."""
        return len(self._updates)

    # -- the API ---------------------------------------------------------------------
    async def _route(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return _error(400, "Bad Request: body is not JSON")
            if isinstance(body, dict):
                params.update(body)
        self.calls.append((method, params))
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, f"Method {method} not found")
        return await handler(params)

    async def _m_getMe(self, params: dict[str, Any]) -> web.Response:
        return _ok({"id": self.token.split(":")[0], "account_name": "bot.chibo_test", "account_type": "BASIC",
                    "can_join_groups": False})

    async def _m_getUpdates(self, params: dict[str, Any]) -> web.Response:
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + min(timeout, self.max_wait)
        while not self._updates:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return _error(408, "Request timeout")
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), remaining)
        return _ok(self._updates.pop(0))  # one update per call

    async def _m_setWebhook(self, params: dict[str, Any]) -> web.Response:
        url, secret = str(params.get("url") or ""), str(params.get("secret_token") or "")
        if not url.startswith(("https://", "http://")):
            return _error(400, "Bad Request: url is invalid")
        if not 8 <= len(secret) <= 256:
            return _error(400, "Bad Request: secret_token must have 8-256 characters")
        self.webhook_url, self.webhook_secret = url, secret
        return _ok({"url": url, "updated_at": int(time.time() * 1000)})

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook_url = self.webhook_secret = None
        return _ok({"url": "", "updated_at": int(time.time() * 1000)})

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> web.Response:
        return _ok({"url": self.webhook_url or "", "updated_at": int(time.time() * 1000)})

    async def _m_sendChatAction(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _m_sendMessage(self, params: dict[str, Any]) -> web.Response:
        return await self._send("sendMessage", params, str(params.get("text") or ""))

    async def _m_sendPhoto(self, params: dict[str, Any]) -> web.Response:
        return await self._send("sendPhoto", params, str(params.get("caption") or ""))

    async def _send(self, method: str, params: dict[str, Any], text: str) -> web.Response:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            return self._refuse(method, 400, "Bad Request: chat_id is required")
        if chat_id in self.blocked:
            return self._refuse(method, 403, "Forbidden: the user cannot receive messages from this bot")
        if self.rate_limit is not None:
            now = time.monotonic()
            self._window = [t for t in self._window if now - t < 1.0]
            if len(self._window) >= self.rate_limit:
                return self._refuse(method, 429, "Quota exceeded")
            self._window.append(now)
        if len(text) > MAX_TEXT:
            return self._refuse(method, 400, f"Bad Request: text must not exceed {MAX_TEXT} characters")
        if method == "sendMessage" and not text:
            return self._refuse(method, 400, "Bad Request: text is required")
        message = SentMessage(method, chat_id, text)
        if method == "sendPhoto":
            message.photo = str(params.get("photo") or "")
            assert self._http is not None
            try:
                async with self._http.get(message.photo) as answer:
                    message.photo_status = answer.status
                    message.photo_bytes = await answer.read()
            except aiohttp.ClientError:
                message.photo_status = 0
            if message.photo_status != 200:
                return self._refuse(method, 400, "Bad Request: photo url is not reachable")
        self.sent.append(message)
        return _ok({"message_id": f"{next(self._message_ids):x}".rjust(24, "0"), "date": int(time.time() * 1000)})

    def _refuse(self, method: str, code: int, description: str) -> web.Response:
        self.refused.append((method, code, description))
        return _error(code, description)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)
