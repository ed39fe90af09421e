"""The one web server of production: both messengers' webhooks, a health check, file links.

    POST /telegram       Telegram updates, fed to python-telegram-bot's update queue
    POST /zalo           Zalo updates, handled by our own workers
    GET  /healthz        200 while the server takes updates and the database answers
    GET  /files/<token>  a published file (bot/files.py) until its link expires

A webhook answered 200 is never delivered again, so 200 must mean "kept": each update is
written to the inbox table (storage/inbox.py) before the answer, and handled after it;
its row is removed once handled. A request without the right secret header gets 403 and
a malformed body 400: neither reaches a handler. On stop the server refuses new requests
(503, which the platforms retry), finishes the updates in hand with the replies they send,
and leaves the rest in the inbox: the next start handles them first. A crash at any
point loses nothing acknowledged; at worst an update is handled again, and the router's
de-duplication (processed_update) ignores it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
import zlib
from typing import Any
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import text
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.app import Chibo
from bot.channels import telegram as telegram_api
from bot.channels import zalo as zalo_api
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.files import FileShelf
from domain.messages import Address, Incoming, Outgoing, Reply
from storage import inbox

log = logging.getLogger(__name__)
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_SECRET_HEADER = zalo_api.SECRET_HEADER
ZALO_LANES = 4  # Zalo updates handled at once; one person's messages always share a lane, in order
HANDLED_GROUP = 1000  # a PTB handler group after every other: runs once an update is handled
SHUTDOWN_TIMEOUT = 30.0  # seconds requests in flight get to finish when stopping
MAX_BODY = 1024 * 1024
MAX_DEPTH = 32  # JSON nesting kept; real updates nest under 10 deep (a reply quotes one message)

_Lane = asyncio.Queue[tuple[str, Incoming] | None]


class WebServer:
    def __init__(
        self, app: Chibo, *, secret: str, telegram: TelegramChannel | None = None, zalo: ZaloChannel | None = None,
        files: FileShelf | None = None, lanes: int = ZALO_LANES,
    ) -> None:
        self.app = app
        self.secret = secret
        self.telegram = telegram
        self.zalo = zalo
        self.files = files
        self.port = 0
        self._lanes: list[_Lane] = [asyncio.Queue() for _ in range(lanes)]
        self._workers: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self._accepting = False
        self._told: set[asyncio.Task[bool]] = set()

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self, host: str, port: int) -> None:
        """Start the channels, queue what the last run left in the inbox, then listen."""
        if self.telegram is not None:
            self.telegram.application.add_handler(TypeHandler(Update, self._telegram_handled), group=HANDLED_GROUP)
            await self.telegram.start(self.app.handle)
        if self.zalo is not None:
            await self.zalo.start()
            self._workers = [asyncio.create_task(self._zalo_worker(lane)) for lane in self._lanes]
        await self._resume()
        self._runner = web.AppRunner(self.web_app(), access_log=None, handle_signals=False,
                                     shutdown_timeout=SHUTDOWN_TIMEOUT)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._accepting = True

    async def register_webhooks(self, public_url: str) -> None:
        """Tell each platform where to post, with the secret it must echo."""
        base = public_url.rstrip("/")
        if self.telegram is not None:
            await self.telegram.application.bot.set_webhook(
                f"{base}/telegram", secret_token=self.secret, allowed_updates=["message", "callback_query"]
            )
        if self.zalo is not None:
            await self.zalo.client.set_webhook(f"{base}/zalo", self.secret)

    async def stop(self) -> None:
        """Stop taking updates, finish those in hand, leave the rest in the inbox; close the channels."""
        await self.drain()
        await self.close()

    async def drain(self) -> None:
        """Stop taking updates, finish those in hand, leave the rest in the inbox (channels stay open)."""
        self._accepting = False
        if self._runner is not None:
            await self._runner.cleanup()  # closes the port; requests in flight finish (and are stored)
            self._runner = None
        for lane in self._lanes:
            while not lane.empty():
                lane.get_nowait()  # still in the inbox: the next start handles it
            lane.put_nowait(None)
        await asyncio.gather(*self._workers)
        self._workers = []
        await asyncio.gather(*self._told, return_exceptions=True)  # answers to unreadable updates
        if self.telegram is not None and self.telegram.application.running:
            await self.telegram.application.stop()  # handles what it was already fed; can still send

    async def close(self) -> None:
        """Stop the channels: after this nothing more can be sent."""
        if self.telegram is not None:
            await self.telegram.stop()
        if self.zalo is not None:
            await self.zalo.stop()

    async def _resume(self) -> None:
        """Updates acknowledged before a crash or a stop, oldest first, before any new one."""
        if self.telegram is not None:
            for row in await inbox.waiting(self.app.db, "telegram"):
                await self.telegram.feed(row.body)
        if self.zalo is not None:
            for row in await inbox.waiting(self.app.db, "zalo"):
                try:
                    incoming = zalo_api.to_incoming(zalo_api.unwrap(row.body))
                except (ValueError, KeyError):
                    log.exception("Zalo update %s in the inbox cannot be read: dropped", row.update_key)
                    incoming = None
                if incoming is None:
                    await inbox.done(self.app.db, "zalo", row.update_key)
                else:
                    self._queue(row.update_key, incoming)

    # -- routes -----------------------------------------------------------------------------
    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        if self.telegram is not None:
            app.router.add_post("/telegram", self._telegram_update)
        if self.zalo is not None:
            app.router.add_post("/zalo", self._zalo_update)
        app.router.add_get("/healthz", self._health)
        app.router.add_get("/files/{token}", self._file)
        return app

    async def _telegram_update(self, request: web.Request) -> web.Response:
        refused = self._refuse(request, TELEGRAM_SECRET_HEADER)
        if refused is not None:
            return refused
        try:
            body = await _json(request)
        except ValueError:
            return _malformed(request, "telegram", "not JSON")
        update_id = body.get("update_id") if isinstance(body, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return _malformed(request, "telegram", "no update_id")
        assert self.telegram is not None
        try:
            Update.de_json(body, self.telegram.application.bot)
        except Exception as error:
            return _malformed(request, "telegram", repr(error))
        if telegram_api.unreadable(body):  # a person's text that is not text: bad input, not our fault
            log.warning("telegram update %s from %s: text cannot be read", update_id, request.remote)
            chat = telegram_api.private_sender(body)
            if chat is not None:
                self._tell(Outgoing(Address(telegram_api.PLATFORM, chat), Reply(telegram_api.UNREADABLE)))
            return _ok()
        if not _storable(body):
            return _malformed(request, "telegram", "not storable")
        if await inbox.store(self.app.db, "telegram", str(update_id), body, self.app.clock.now()) is not None:
            await self.telegram.feed(body)
        return _ok()

    async def _zalo_update(self, request: web.Request) -> web.Response:
        refused = self._refuse(request, ZALO_SECRET_HEADER)
        if refused is not None:
            return refused
        try:
            update = zalo_api.unwrap(await _json(request))
            incoming = zalo_api.to_incoming(update)
        except (ValueError, KeyError) as error:
            return _malformed(request, "zalo", str(error))
        if incoming is None:  # not a person writing: nothing to keep
            return _ok()
        if not _storable(update):
            return _malformed(request, "zalo", "not storable")
        key = zalo_api.update_key(update)
        if await inbox.store(self.app.db, "zalo", key, update, self.app.clock.now()) is not None:
            self._queue(key, incoming)
        return _ok()

    async def _health(self, request: web.Request) -> web.Response:
        try:
            async with self.app.db.session() as session:
                await session.execute(text("SELECT 1"))
        except Exception:
            log.exception("health check: database unavailable")
            return web.json_response({"status": "database unavailable"}, status=503)
        if not self._accepting:
            return web.json_response({"status": "stopping"}, status=503)
        return web.json_response({"status": "ok", "channels": sorted(self.app.channels)})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        found = await self.files.find(request.match_info["token"]) if self.files is not None else None
        if found is None:
            return web.Response(status=404, text="Liên kết không tồn tại hoặc đã hết hạn.")
        path, link = found
        disposition = "inline" if link.content_type.startswith("image/") else "attachment"
        return web.FileResponse(path, headers={
            "Content-Type": link.content_type,
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(link.filename)}",
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
        })

    def _refuse(self, request: web.Request, header: str) -> web.Response | None:
        if not self._accepting:
            return web.json_response({"ok": False, "description": "stopping"}, status=503)
        given = request.headers.get(header, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook %s from %s refused: missing or wrong secret", request.path, request.remote)
            return web.json_response({"ok": False, "description": "forbidden"}, status=403)
        return None

    # -- handling ---------------------------------------------------------------------------
    def _queue(self, key: str, incoming: Incoming) -> None:
        lane = zlib.crc32(incoming.user_id.encode()) % len(self._lanes)
        self._lanes[lane].put_nowait((key, incoming))

    async def _zalo_worker(self, lane: _Lane) -> None:
        while (item := await lane.get()) is not None:
            key, incoming = item
            try:
                await self.app.handle(incoming)
            except Exception:
                log.exception("handling Zalo update %s failed", key)
            try:
                await inbox.done(self.app.db, "zalo", key)
            except Exception:
                log.exception("could not clear Zalo update %s from the inbox (it will be seen again)", key)

    def _tell(self, out: Outgoing) -> None:
        """Send an answer that needs no handler, after the webhook's answer (drain waits for it)."""
        task = asyncio.create_task(self.app.deliver(out))
        self._told.add(task)
        task.add_done_callback(self._told.discard)

    async def _telegram_handled(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await inbox.done(self.app.db, "telegram", str(update.update_id))


async def _json(request: web.Request) -> Any:
    """The parsed body; ValueError when it does not parse, nests too deep or holds NaN or Infinity.

    `json.loads` raises RecursionError, not ValueError, past about 1,000 levels, and a body just
    under that would overflow the stack later (in PTB or when stored): both are refused here.
    NaN and Infinity are not JSON, and PostgreSQL refuses them in the inbox after we answered.
    """
    try:
        body = json.loads(await request.read(), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ValueError("not JSON") from error
    if _too_deep(body):
        raise ValueError("nested too deep")
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _too_deep(body: Any) -> bool:
    """Whether containers nest deeper than MAX_DEPTH (walked without recursion)."""
    level: list[Any] = [body]
    for _ in range(MAX_DEPTH + 1):
        level = [item for node in level if isinstance(node, dict | list)
                 for item in (node.values() if isinstance(node, dict) else node)]
        if not level:
            return False
    return True


def _storable(body: Any) -> bool:
    """Whether the inbox can keep a body on every database: PostgreSQL's json refuses a NUL
    character, and no driver encodes a lone surrogate ("\\ud800") as UTF-8. Refusing it before
    the answer is what keeps a platform from retrying a 500 for ever."""
    pending: list[Any] = [body]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            pending.extend(node.keys())
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, str):
            if "\x00" in node:
                return False
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(node, float) and not math.isfinite(node):
            return False
    return True


def _malformed(request: web.Request, platform: str, reason: str) -> web.Response:
    log.warning("malformed %s webhook body from %s: %s", platform, request.remote, reason[:200])
    return web.json_response({"ok": False, "description": "malformed update"}, status=400)


def _ok() -> web.Response:
    return web.json_response({"ok": True})
