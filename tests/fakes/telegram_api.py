"""A fake Telegram Bot API server on 127.0.0.1, for tests and benchmarks.

It speaks the real wire format (form-encoded or multipart requests to
`/bot<token>/<method>`, `{"ok": …, "result": …}` answers) so python-telegram-bot talks to it
exactly as to Telegram. Tests push updates in and read what the bot sent. Options make it
behave like the real thing under load: a round-trip delay, an overall messages-per-second
limit answered with 429 and `retry_after`, chats that blocked the bot (403).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes.recording import Recording

JSON_FIELDS = {"reply_markup", "commands", "allowed_updates", "scope", "entities", "link_preview_options"}
SEND_METHODS = {"sendMessage", "sendPhoto", "sendDocument"}


@dataclass
class SentMessage:
    method: str
    chat_id: str
    text: str
    reply_markup: dict[str, Any] | None
    at: float
    has_file: bool = False
    file_id: str | None = None  # a file re-sent by its id (not uploaded)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


@dataclass
class FakeTelegram(Recording):
    token: str = "123456:TEST-TOKEN"
    username: str = "chibo_test_bot"
    latency: float = 0.0  # seconds before each answer
    rate_limit: float | None = None  # messages per second overall; beyond it: 429
    retry_after: int = 1
    blocked: set[str] = field(default_factory=set)
    sent: list[SentMessage] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    too_many: int = 0  # 429 answers given
    # Files people sent, by file id: getFile names them, /file/bot<token>/<path> serves their bytes.
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # file id → (file name, bytes)
    downloads: list[str] = field(default_factory=list)  # file paths served

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._window: list[float] = []
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._route)
        app.router.add_get("/bot{token}/{method}", self._route)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what tests push ---------------------------------------------------------
    def user(self, user_id: int, name: str = "Người dùng") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": name}

    def push_message(self, user_id: int, text: str, *, chat_id: int | None = None, chat_type: str = "private",
                     name: str = "Người dùng", photo: str | None = None,
                     document: dict[str, Any] | None = None) -> int:
        """A message; with `photo` (a file id) or `document` (file_id, file_name, file_size…), `text`
        is its caption."""
        chat = {"id": chat_id if chat_id is not None else user_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = name
        else:
            chat["title"] = "Nhóm chi bộ"
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
            "from": self.user(user_id, name),
        }
        if photo or document:
            if photo:
                message["photo"] = [{"file_id": photo, "file_unique_id": photo + "u", "width": 90, "height": 90}]
            if document:
                message["document"] = {"file_unique_id": str(document["file_id"]) + "u", **document}
            if text:
                message["caption"] = text
                if text.startswith("/"):
                    message["caption_entities"] = [{"type": "bot_command", "offset": 0,
                                                    "length": len(text.split(" ")[0])}]
        else:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ")[0])}]
        return self._push({"message": message})

    def push_callback(self, user_id: int, data: str, *, message: SentMessage | None = None,
                      name: str = "Người dùng") -> int:
        chat_id = int(message.chat_id) if message else user_id
        query: dict[str, Any] = {
            "id": str(next(self._message_ids)), "from": self.user(user_id, name), "chat_instance": "ci", "data": data,
            "message": {"message_id": next(self._message_ids), "date": int(time.time()),
                        "chat": {"id": chat_id, "type": "private", "first_name": name},
                        "text": message.text if message else "…"},
        }
        return self._push({"callback_query": query})

    def push_raw(self, update: dict[str, Any]) -> int:
        return self._push(update)

    def _push(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        self._new.set()
        return update_id

    # -- what tests read: sent_to, wait_sent, called (Recording) ----------------------------

    # -- the API ---------------------------------------------------------------------
    async def _route(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append((method, params))
        if self.latency:
            await asyncio.sleep(self.latency)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return web.json_response({"ok": True, "result": True})
        return await handler(params)

    async def _m_getFile(self, params: dict[str, Any]) -> web.Response:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        name, data = self.files[file_id]
        path = f"documents/file_{list(self.files).index(file_id)}{Path(name).suffix}"
        return _ok({"file_id": file_id, "file_unique_id": file_id + "u", "file_size": len(data), "file_path": path})

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for index, (name, data) in enumerate(self.files.values()):
            if path == f"documents/file_{index}{Path(name).suffix}":
                self.downloads.append(path)
                return web.Response(body=data, content_type="application/octet-stream")
        return web.Response(status=404)

    async def _m_getMe(self, params: dict[str, Any]) -> web.Response:
        return _ok({"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Chibo",
                    "username": self.username, "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False})

    async def _m_getUpdates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        deadline = time.monotonic() + min(timeout, 0.25)  # short: stopping the bot waits for the poll in flight
        while True:
            ready = [u for u in self._updates if u["update_id"] >= offset]
            if ready or time.monotonic() >= deadline:
                return _ok(ready[:100])
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), max(0.0, deadline - time.monotonic()))

    async def _send(self, method: str, params: dict[str, Any]) -> web.Response:
        chat_id = str(params.get("chat_id"))
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if self.rate_limit is not None:
            now = time.monotonic()
            self._window = [t for t in self._window if now - t < 1.0]
            if len(self._window) >= self.rate_limit:
                self.too_many += 1
                description = f"Too Many Requests: retry after {self.retry_after}"
                return web.json_response({"ok": False, "error_code": 429, "description": description,
                                          "parameters": {"retry_after": self.retry_after}}, status=429)
            self._window.append(now)
        text = str(params.get("text") or params.get("caption") or "")
        if len(text) > (4096 if method == "sendMessage" else 1024):
            return _error(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        file = params.get("document") or params.get("photo")
        file_id = file if isinstance(file, str) and file != "<file>" else None
        self.sent.append(SentMessage(method, chat_id, text, markup, time.monotonic(), method != "sendMessage",
                                     file_id))
        result: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()),
                                  "chat": {"id": int(chat_id), "type": "private"}}
        if method == "sendMessage":
            result["text"] = text
        elif method == "sendPhoto":
            result["photo"] = [{"file_id": "p1", "file_unique_id": "p1u", "width": 1, "height": 1}]
        else:
            result["document"] = {"file_id": "d1", "file_unique_id": "d1u"}
        if text and method != "sendMessage":
            result["caption"] = text
        return _ok(result)

    async def _m_sendMessage(self, params: dict[str, Any]) -> web.Response:
        return await self._send("sendMessage", params)

    async def _m_sendPhoto(self, params: dict[str, Any]) -> web.Response:
        return await self._send("sendPhoto", params)

    async def _m_sendDocument(self, params: dict[str, Any]) -> web.Response:
        return await self._send("sendDocument", params)


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if not isinstance(value, str):
            params[key] = "<file>"
        elif key in JSON_FIELDS:
            params[key] = json.loads(value)
        else:
            params[key] = value
    return params


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)
