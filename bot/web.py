"""The one web server of production: both messengers' webhooks, a health check, file links.

    POST /telegram       Telegram updates
    POST /zalo           Zalo updates
    GET  /healthz        a write to the database (rolled back) and the age of the oldest waiting update
    GET  /files/<token>  a published file (bot/files.py) until its link expires

A webhook answered 200 is never delivered again, so 200 must mean "kept": each update is read
into the core's `Incoming`, stored in the inbox (bot/intake.py, storage/inbox.py), and only then
answered; the intake's workers handle it after. When the database cannot store it the answer is
503, which the platforms deliver again. A request without the right secret header gets 403 and a
malformed body 400: neither reaches a handler. A client that is slow to send its headers or its
body, or opens too many connections, is cut (bot/web_guard.py). On stop the server refuses new
requests (503), and the intake finishes the updates in hand within a bound and leaves the rest in
the inbox, for another process or the next start.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import web
from telegram import Update

from bot.app import Chibo
from bot.channels import telegram as telegram_api
from bot.channels import zalo as zalo_api
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.files import FileShelf
from bot.intake import Intake
from bot.web_guard import GuardedSite
from domain.messages import Address, Incoming, Outgoing, Reply
from domain.text import keepable
from storage import inbox

log = logging.getLogger(__name__)
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_SECRET_HEADER = zalo_api.SECRET_HEADER
SHUTDOWN_TIMEOUT = 10.0  # seconds requests in flight get to finish when stopping (each is one insert)
MAX_BODY = 1024 * 1024
MAX_DEPTH = 32  # JSON nesting kept; real updates nest under 10 deep (a reply quotes one message)
INBOX_BEHIND = 300.0  # seconds: an update waiting longer makes /healthz fail (workers stuck or too few)


@dataclass(frozen=True, slots=True)
class WebLimits:
    """What one client may hold of the server (bot/web_guard.py)."""

    per_client: int = 64  # connections at once from one address (Telegram uses up to 40)
    header_timeout: float = 5.0  # seconds to send a request's headers
    body_timeout: float = 10.0  # seconds to send its body
    keepalive: float = 15.0  # seconds an idle connection stays open


class WebServer:
    def __init__(
        self, app: Chibo, *, secret: str, intake: Intake | None = None, telegram: TelegramChannel | None = None,
        zalo: ZaloChannel | None = None, files: FileShelf | None = None, limits: WebLimits | None = None,
    ) -> None:
        self.app = app
        self.secret = secret
        self.intake = intake
        self.telegram = telegram
        self.zalo = zalo
        self.files = files
        self.limits = limits or WebLimits()
        self.port = 0
        self.site: GuardedSite | None = None
        self._runner: web.AppRunner | None = None
        self._accepting = False
        self._told: set[asyncio.Task[Any]] = set()

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self, host: str, port: int) -> None:
        """Start the channels and the intake (what an earlier run left comes first), then listen."""
        if self.telegram is not None:
            await self.telegram.start(self.app.handle)
        if self.zalo is not None:
            await self.zalo.start()
        if self.intake is not None:
            await self.intake.start()
        self._runner = web.AppRunner(self.web_app(), access_log=None, handle_signals=False,
                                     shutdown_timeout=SHUTDOWN_TIMEOUT, keepalive_timeout=self.limits.keepalive)
        await self._runner.setup()
        self.site = GuardedSite(self._runner, host, port, per_client=self.limits.per_client,
                                header_timeout=self.limits.header_timeout)
        await self.site.start()
        self.port = int(self._runner.addresses[0][1])
        self._accepting = True

    async def register_webhooks(self, public_url: str) -> None:
        """Tell each platform where to post, with the secret it must echo."""
        base = public_url.rstrip("/")
        if self.telegram is not None:
            await self.telegram.application.bot.set_webhook(
                f"{base}/telegram", secret_token=self.secret, allowed_updates=["message", "callback_query"],
                max_connections=min(40, self.limits.per_client),
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
        if self.intake is not None:
            await self.intake.drain()
        await asyncio.gather(*self._told, return_exceptions=True)  # answers that need no handler

    async def close(self) -> None:
        """Stop the channels: after this nothing more can be sent."""
        if self.telegram is not None:
            await self.telegram.stop()
        if self.zalo is not None:
            await self.zalo.stop()

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
            body = await _json(request, self.limits.body_timeout)
        except TimeoutError:
            return _too_slow(request, "telegram")
        except ValueError:
            return _malformed(request, "telegram", "not JSON")
        update_id = body.get("update_id") if isinstance(body, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return _malformed(request, "telegram", "no update_id")
        assert self.telegram is not None
        try:
            update = Update.de_json(body, self.telegram.application.bot)
        except Exception as error:
            return _malformed(request, "telegram", repr(error))
        if telegram_api.unreadable(body):  # a person's text that is not text: bad input, not our fault
            log.warning("telegram update %s from %s: text cannot be read", update_id, request.remote)
            chat = telegram_api.private_sender(body)
            if chat is not None:
                self._tell(self.app.deliver(Outgoing(Address(telegram_api.PLATFORM, chat),
                                                     Reply(telegram_api.UNREADABLE))))
            return _ok()
        try:
            incoming = telegram_api.incoming_of(update)
        except Exception as error:
            return _malformed(request, "telegram", repr(error))
        if incoming is None:  # not a person writing: nothing to keep
            return _ok()
        answer = await self._keep(request, incoming)
        if answer.status == 200 and update.callback_query is not None:
            self._tell(self.telegram.answer_callback(update))
        return answer

    async def _zalo_update(self, request: web.Request) -> web.Response:
        refused = self._refuse(request, ZALO_SECRET_HEADER)
        if refused is not None:
            return refused
        try:
            update = zalo_api.unwrap(await _json(request, self.limits.body_timeout))
            incoming = zalo_api.to_incoming(update)
        except TimeoutError:
            return _too_slow(request, "zalo")
        except (ValueError, KeyError) as error:
            return _malformed(request, "zalo", str(error))
        if incoming is None:  # not a person writing: nothing to keep
            return _ok()
        return await self._keep(request, incoming)

    async def _keep(self, request: web.Request, incoming: Incoming) -> web.Response:
        """Store the update before answering 200; 503 (deliver again) when it cannot be stored."""
        if not _storable(incoming):
            return _malformed(request, incoming.platform, "not storable")
        if self.intake is None:
            return web.json_response({"ok": False, "description": "not taking updates"}, status=503)
        try:
            await self.intake.accept(incoming)
        except Exception as error:
            log.warning("%s update %s not stored (%r): answered 503, the platform will deliver it again",
                        incoming.platform, incoming.update_key, error)
            return web.json_response({"ok": False, "description": "try again later"}, status=503)
        return _ok()

    async def _health(self, request: web.Request) -> web.Response:
        """A write (rolled back) and the age of the oldest waiting update, both reported."""
        report: dict[str, Any] = {"channels": sorted(self.app.channels)}
        healthy = self._accepting
        try:
            await inbox.try_write(self.app.db, self.app.clock.now())
            report["write"] = "ok"
        except Exception as error:
            log.warning("health check: the database refuses a write: %r", error)
            report["write"] = "failed"
            healthy = False
        try:
            oldest = await inbox.oldest(self.app.db)
            waited = (self.app.clock.now() - oldest).total_seconds() if oldest is not None else 0.0
            report["inbox_oldest_seconds"] = round(max(waited, 0.0), 1)
            if waited > INBOX_BEHIND:
                healthy = False
        except Exception as error:
            log.warning("health check: the inbox cannot be read: %r", error)
            report["inbox_oldest_seconds"] = None
            healthy = False
        status = "ok" if healthy else ("stopping" if not self._accepting else "unhealthy")
        return web.json_response({"status": status, **report}, status=200 if healthy else 503)

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

    def _tell(self, sending: Any) -> None:
        """Send what needs no handler, after the webhook's answer (drain waits for it)."""
        task = asyncio.ensure_future(sending)
        self._told.add(task)
        task.add_done_callback(self._told.discard)


async def _json(request: web.Request, within: float) -> Any:
    """The parsed body; ValueError when it does not parse, nests too deep or holds NaN or Infinity,
    TimeoutError when it does not arrive within `within` seconds.

    `json.loads` raises RecursionError, not ValueError, past about 1,000 levels, and a body just
    under that would overflow the stack later (in PTB or when stored): both are refused here.
    NaN and Infinity are not JSON, and PostgreSQL refuses them in the inbox after we answered.
    """
    if request.content.is_eof():  # the whole body came with the headers (an update does): no wait, no timer
        raw = await request.read()
    else:
        async with asyncio.timeout(within):
            raw = await request.read()
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ValueError("not JSON") from error
    # Nesting needs an opening bracket per level: a body with few brackets (any real update) is
    # not walked (counting bytes is C, walking is Python; brackets in strings only count more).
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH and _too_deep(body):
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


def _storable(incoming: Incoming) -> bool:
    """Whether the inbox can keep a message on every database (domain.text.keepable): the texts of
    the row it would store (storage.inbox.body_of). Refusing it before the answer is what keeps a
    platform from retrying a 500 for ever. The texts are checked as one (a NUL or a lone surrogate
    in any is in the whole: Python never pairs surrogates)."""
    return keepable("".join(value for value in inbox.body_of(incoming)["incoming"].values() if isinstance(value, str)))


def _too_slow(request: web.Request, platform: str) -> web.Response:
    log.warning("%s webhook body from %s too slow: cut", platform, request.remote)
    return web.json_response({"ok": False, "description": "request timeout"}, status=408)


def _malformed(request: web.Request, platform: str, reason: str) -> web.Response:
    log.warning("malformed %s webhook body from %s: %s", platform, request.remote, reason[:200])
    return web.json_response({"ok": False, "description": "malformed update"}, status=400)


_OK = json.dumps({"ok": True})  # every accepted update's answer: encoded once


def _ok() -> web.Response:
    return web.Response(text=_OK, content_type="application/json")
