"""Zalo through the Zalo Bot Platform: a small HTTP client of our own, long polling for
development, webhook updates (received by bot/web.py) for production, and the error mapping
the dispatcher relies on.

The platform looks like Telegram's Bot API with differences that matter here: ids are
strings, dates are milliseconds, `getUpdates` hands out one update per call (no offset; a
408 means "nothing yet"), there are no buttons (choices become numbered lines the person
answers by number or word), texts stop at 2,000 characters, and photos go by URL.
The young PyPI wrappers run handlers one at a time or call `asyncio.run()` inside
methods; the API is ten JSON calls, so we speak it directly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import ssl
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from bot.channels.base import Dispatch, split_text
from domain.messages import Address, Incoming, PlatformCaps, Reply, RetryLater, SendError, Unreachable

log = logging.getLogger(__name__)
PLATFORM = "zalo"
MAX_TEXT = 2000
DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
POLL_TIMEOUT = 30  # seconds a getUpdates call waits for an update
CALL_TIMEOUT = 20  # seconds for any other call
NO_UPDATE = 408
MAX_ID = 64  # longer ids than the platform's (24 hex digits) are refused at the webhook
UNREACHABLE_HINTS = ("not found", "not exist", "blocked", "không tồn tại", "chặn")
NO_FILE_LINK = "(Tệp đính kèm chưa gửi được qua Zalo vì máy chủ chưa có địa chỉ công khai; vui lòng xem trên Telegram.)"


class ZaloApiError(Exception):
    """The platform answered `ok: false` (or not JSON at all)."""

    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after


class FilePublisher(Protocol):
    """Turns a local file into a URL the platform can fetch (bot/files.py)."""

    async def publish(self, path: Path, filename: str | None = None) -> str: ...


# A file kept on another messenger ("telegram:<file id>") fetched to this machine; None when it cannot be.
FileResolver = Callable[[str], Awaitable[Path | None]]


class ZaloClient:
    """The Bot API methods we use, as JSON POSTs to `<base>/bot<token>/<method>`."""

    def __init__(self, token: str, base_url: str = DEFAULT_BASE_URL) -> None:
        self.token = token
        self.base_url = base_url.rstrip("/")
        self._http = JsonPoster(self.base_url)
        self._prefix = f"{self._http.path}/bot{token}/"

    async def open(self) -> None:
        """Nothing to open: connections are made when first needed, and kept for the next calls."""

    async def close(self) -> None:
        self._http.close()

    async def call(self, method: str, payload: dict[str, Any] | None = None, *, wait: float = CALL_TIMEOUT) -> Any:
        """One API call; its `result`, or `ZaloApiError`. Network failures raise OSError (ConnectionError,
        an unknown host, TLS) or TimeoutError."""
        status, body = await self._http.post(self._prefix + method, _encode(payload or {}), wait)
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ZaloApiError(status if status >= 400 else 502, "answer is not JSON")
        if data.get("ok") is True:
            return data.get("result")
        code = _int(data.get("error_code")) or (status if status >= 400 else 500)
        parameters = data.get("parameters")
        retry_after = _float(parameters.get("retry_after")) if isinstance(parameters, dict) else None
        raise ZaloApiError(code, str(data.get("description") or ""), retry_after)

    async def get_me(self) -> dict[str, Any]:
        return dict(await self.call("getMe") or {})

    async def get_updates(self, wait: int = POLL_TIMEOUT) -> dict[str, Any] | None:
        """The next update, or None when none came within `wait` seconds (408)."""
        try:
            result = await self.call("getUpdates", {"timeout": str(wait)}, wait=wait + 10)
        except ZaloApiError as error:
            if error.code == NO_UPDATE:
                return None
            raise
        return result if isinstance(result, dict) and result else None

    async def set_webhook(self, url: str, secret_token: str) -> Any:
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> Any:
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any]:
        return dict(await self.call("getWebhookInfo") or {})

    async def send_message(self, chat_id: str, text: str) -> Any:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> Any:
        payload = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            payload["caption"] = caption
        return await self.call("sendPhoto", payload)

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> Any:
        return await self.call("sendChatAction", {"chat_id": chat_id, "action": action})


# -- HTTP: a keep-alive connection per reply in flight ------------------------------------------

class HttpError(ConnectionError):
    """The platform's server answered something that is not HTTP/1.1 as we read it."""


_encode_json = json.JSONEncoder(separators=(",", ":")).encode  # ASCII: a lone surrogate is escaped, not an error


def _encode(payload: dict[str, Any]) -> bytes:
    return _encode_json(payload).encode()


class JsonPoster:
    """JSON POSTs over HTTP/1.1 connections kept open between calls: all the API needs.

    Why not aiohttp's client (used before): a reply is one small POST, and aiohttp spent about
    0.3 ms of CPU on each (request and response objects, headers as multidicts, URL building,
    timers), three times what the exchange itself costs here; on the webhook path that was a
    seventh of an update's time. What a call needs is kept: TLS for https, a deadline for the
    whole call (connecting included), Content-Length or chunked answers, or answers ended by
    closing; a connection is reused only when the answer said it may be, and one idle longer
    than `KEEP_IDLE` (the server may have closed it) is dropped. A connection whose call
    failed, timed out or was cancelled is closed: its answer would come to the wrong call.
    """

    KEEP_IDLE = 15.0  # seconds an unused connection is kept (aiohttp's default too)
    MAX_IDLE = 32  # connections kept unused at most
    MAX_ANSWER = 16 * 1024 * 1024  # bytes of an answer, headers and body

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        self.path = parts.path.rstrip("/")
        default = 443 if self.tls else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._head = (f"Host: {host}{'' if self.port == default else f':{self.port}'}\r\n"
                      "Content-Type: application/json\r\nAccept: application/json\r\n").encode()
        self._context: ssl.SSLContext | None = None
        self._idle: list[_Connection] = []
        self._open: set[_Connection] = set()

    async def post(self, path: str, body: bytes, within: float) -> tuple[int, bytes]:
        """POST `body` to `path`; the answer's status and body. OSError or TimeoutError when the
        exchange fails or takes longer than `within` seconds (connecting included)."""
        request = b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s" % (path.encode(), self._head, len(body), body)
        async with asyncio.timeout(within):
            connection = self._reuse() or await self._connect()
            try:
                status, answer = await connection.exchange(request)
            except BaseException:
                connection.close()
                raise
        if connection.reusable and len(self._idle) < self.MAX_IDLE:
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()
        return status, answer

    def close(self) -> None:
        """Close every connection (a call in flight fails); later calls open new ones."""
        self._idle.clear()
        for connection in list(self._open):
            connection.close()

    def _reuse(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()  # the most recently used: the least likely closed by the server
            if connection.reusable and now - connection.idle_since < self.KEEP_IDLE:
                return connection
            connection.close()
        return None

    async def _connect(self) -> _Connection:
        if self.tls and self._context is None:
            self._context = ssl.create_default_context()
        loop = asyncio.get_running_loop()
        _transport, connection = await loop.create_connection(
            lambda: _Connection(self._open, self.MAX_ANSWER), self.host, self.port,
            ssl=self._context if self.tls else None, server_hostname=self.host if self.tls else None)
        return connection


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: one exchange at a time, its answer read as it arrives."""

    def __init__(self, registry: set[_Connection], limit: int) -> None:
        self.registry = registry
        self.limit = limit
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.answer: asyncio.Future[tuple[int, bytes]] | None = None
        self.reusable = False  # until an answer says the connection may carry another
        self.ended = False  # the server closed its side
        self.idle_since = 0.0

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        assert self.transport is not None and self.answer is None
        if self.transport.is_closing():
            raise ConnectionResetError("connection closed")
        self.reusable = False
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        try:
            return await self.answer
        finally:
            self.answer = None

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.close()

    # -- asyncio.Protocol ---------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.registry.add(self)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.answer is None or self.answer.done():  # nothing asked: a server talking out of turn
            self._fail(HttpError("data without a request"))
            return
        try:
            parsed = _parse_answer(self.buffer, ended=False)
        except HttpError as error:
            self._fail(error)
            return
        if parsed is not None:
            self._deliver(*parsed)
        elif len(self.buffer) > self.limit:
            self._fail(HttpError("answer too large"))

    def eof_received(self) -> bool:
        self.ended = True
        self.reusable = False
        if self.answer is not None and not self.answer.done():
            try:
                parsed = _parse_answer(self.buffer, ended=True)
            except HttpError as error:
                self._fail(error)
                return False
            if parsed is not None:
                self._deliver(*parsed)
            else:
                self._fail(HttpError("connection closed before the whole answer"))
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.registry.discard(self)
        self.reusable = False
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(exc if isinstance(exc, OSError) else ConnectionResetError("connection closed"))

    def _deliver(self, status: int, body: bytes, used: int, keep: bool) -> None:
        del self.buffer[:used]
        self.reusable = keep and not self.ended and not self.buffer
        assert self.answer is not None
        self.answer.set_result((status, body))

    def _fail(self, error: Exception) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(error)
        self.close()


def _parse_answer(buffer: bytearray, *, ended: bool) -> tuple[int, bytes, int, bool] | None:
    """The first whole answer in `buffer`: (status, body, bytes used, whether the connection may be
    reused); None while it is incomplete. `ended`: nothing more will come (the body may run to
    the end). Interim 1xx answers are skipped."""
    start = 0
    while True:
        end = buffer.find(b"\r\n\r\n", start)
        if end < 0:
            return None
        lines = bytes(buffer[start:end]).split(b"\r\n")
        version, _, rest = lines[0].partition(b" ")
        code = rest[:3]
        if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise HttpError(f"not an HTTP answer: {lines[0][:80]!r}")
        status = int(code)
        length: int | None = None
        chunked = False
        keep = version == b"HTTP/1.1"
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                if not value.strip().isdigit():
                    raise HttpError("bad Content-Length")
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = value.strip().lower().endswith(b"chunked")
            elif name == b"connection":
                tokens = value.strip().lower()
                keep = b"close" not in tokens and (keep or b"keep-alive" in tokens)
        body_at = end + 4
        if 100 <= status < 200:  # "continue" and the like: the real answer follows
            start = body_at
            continue
        if status in (204, 304):
            return status, b"", body_at, keep
        if chunked:
            found = _dechunk(buffer, body_at)
            if found is None:
                return None
            body, used = found
            return status, body, used, keep
        if length is not None:
            if len(buffer) < body_at + length:
                return None
            return status, bytes(buffer[body_at:body_at + length]), body_at + length, keep
        if not ended:  # the body runs until the server closes
            return None
        return status, bytes(buffer[body_at:]), len(buffer), False


def _dechunk(buffer: bytearray, at: int) -> tuple[bytes, int] | None:
    """A chunked body from `at`: (body, offset after it), or None while incomplete."""
    body = bytearray()
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size_text = bytes(buffer[at:line_end]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise HttpError("bad chunk size") from None
        at = line_end + 2
        if size == 0:
            trailers_end = buffer.find(b"\r\n", at)
            while trailers_end > at:  # trailer lines, until an empty one
                at = trailers_end + 2
                trailers_end = buffer.find(b"\r\n", at)
            if trailers_end < 0:
                return None
            return bytes(body), trailers_end + 2
        if len(buffer) < at + size + 2:
            return None
        body += buffer[at:at + size]
        at += size + 2


# -- receiving ----------------------------------------------------------------------------

def unwrap(body: Any) -> dict[str, Any]:
    """The update in a webhook body or a getUpdates result, with or without `{ok, result}`.

    Raises ValueError when the body is not an update (no message with sender, chat and id).
    """
    if not isinstance(body, dict):
        raise ValueError("not a JSON object")
    result = body.get("result")
    update = result if isinstance(result, dict) else body
    message = update.get("message")
    if not isinstance(message, dict):
        raise ValueError("no message")
    sender, chat = message.get("from"), message.get("chat")
    if not isinstance(sender, dict) or not isinstance(chat, dict):
        raise ValueError("message without sender or chat")
    if not sender.get("id") or not chat.get("id") or not message.get("message_id"):
        raise ValueError("message without ids")
    for what, value in (("sender id", sender["id"]), ("chat id", chat["id"]), ("message id", message["message_id"])):
        _check_id(what, value)
    date = message.get("date")
    if date is not None and (isinstance(date, bool) or not isinstance(date, int | float) or not math.isfinite(date)):
        raise ValueError("date is not a number of milliseconds")
    return update


def _check_id(what: str, value: Any) -> None:
    """Ids become keys and columns (the inbox key, accounts, de-duplication marks): anything but a
    short printable string or integer is hostile, and PostgreSQL would refuse a NUL at the commit,
    after the platform was owed an answer."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{what} is not a string")
    text = str(value)
    if len(text) > MAX_ID or not text.isprintable():
        raise ValueError(f"{what} is too long or not printable")


def update_key(update: dict[str, Any]) -> str:
    """Deliveries repeat: the message id is what identifies one."""
    return str(update["message"]["message_id"])


def to_incoming(update: dict[str, Any]) -> Incoming | None:
    """The core's view of an update; None for what is not a person writing (another bot)."""
    message = update["message"]
    sender, chat = message["from"], message["chat"]
    if sender.get("is_bot"):
        return None
    photo = message.get("photo")
    if isinstance(photo, dict):
        photo = photo.get("url")
    return Incoming(
        PLATFORM, str(sender["id"]), str(message.get("text") or message.get("caption") or ""),
        chat_id=str(chat["id"]), is_private=str(chat.get("chat_type") or "PRIVATE").upper() == "PRIVATE",
        display_name=str(sender.get("display_name") or sender.get("name") or ""),
        update_key=update_key(update), photo=photo if isinstance(photo, str) and photo else None,
    )


# -- the channel ----------------------------------------------------------------------------

class ZaloChannel:
    """Zalo as a channel: `run` polls (development); in production bot/web.py feeds webhooks."""

    def __init__(
        self, token: str, *, base_url: str = DEFAULT_BASE_URL, files: FilePublisher | None = None,
        poll_timeout: int = POLL_TIMEOUT, resolve: FileResolver | None = None,
    ) -> None:
        self.client = ZaloClient(token, base_url)
        self.files = files
        self.resolve = resolve  # files kept on Telegram (bot/file_refs.py), when Telegram runs too
        self.poll_timeout = poll_timeout
        self.caps = PlatformCaps(PLATFORM, max_text=MAX_TEXT, buttons=False)
        self.me: dict[str, Any] = {}

    async def start(self) -> None:
        """Check the token (getMe) before anything else relies on it."""
        await self.client.open()
        self.me = await self.client.get_me()
        log.info("Zalo bot %s ready", self.me.get("account_name") or self.me.get("id"))

    async def stop(self) -> None:
        await self.client.close()

    async def run(self, dispatch: Dispatch) -> None:
        """Long polling until cancelled; an update being handled when cancelled is finished first."""
        try:
            await self.start()
            await self.client.delete_webhook()  # polling and a webhook exclude each other
            pause = 1.0
            while True:
                try:
                    update = await self.client.get_updates(self.poll_timeout)
                    pause = 1.0
                except ZaloApiError as error:
                    if error.code == 401:
                        log.error("Zalo refused the token (401): check ZALO_BOT_TOKEN")
                        raise
                    log.warning("Zalo getUpdates failed: %s", error)
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, 30.0)
                    continue
                except (OSError, TimeoutError) as error:
                    log.warning("Zalo getUpdates: network error %r", error)
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, 30.0)
                    continue
                if update is not None:
                    await self._handle(update, dispatch)
        finally:
            await self.stop()

    async def _handle(self, update: dict[str, Any], dispatch: Dispatch) -> None:
        try:
            incoming = to_incoming(unwrap(update))
        except (ValueError, KeyError) as error:
            log.warning("Zalo update ignored (%s): %.200r", error, update)
            return
        if incoming is None:
            return
        handling = asyncio.ensure_future(dispatch(incoming))
        try:
            await asyncio.shield(handling)
        except asyncio.CancelledError:
            await handling  # the update in hand is finished before stopping
            raise
        except Exception:
            log.exception("handling a Zalo update failed")

    # -- sending --------------------------------------------------------------------------
    async def send(self, to: Address, reply: Reply) -> None:
        """Send a reply: numbered choices, text split within 2,000 characters, photos by URL.

        Errors map onto the core's: 429 and 5xx → RetryLater, unknown or blocked chat →
        Unreachable. Only a failure of the first part is raised as retryable; later parts are
        retried here, so that a retry never sends the first part twice.
        """
        text = reply.text
        photo_url = await self._publish(reply.photo) if reply.photo is not None else None
        document_url = await self._publish(reply.document) if reply.document is not None else None
        if reply.document is not None and document_url is not None:
            text += f"\nTải tệp {reply.document.name} (liên kết dùng được trong 24 giờ): {document_url}"
        if (reply.photo is not None and photo_url is None) or (reply.document is not None and document_url is None):
            text += f"\n{NO_FILE_LINK}"
        if reply.file_ref is not None and reply.document is None:
            text += "\n" + await self._elsewhere(reply.file_ref)
        text = with_numbers(text, reply)
        first = True
        if photo_url is not None:
            caption = text if len(text) <= MAX_TEXT else None
            await _call(lambda: self.client.send_photo(to.chat_id, photo_url, caption), first=True)
            if caption is not None:
                return
            first = False
        for part in split_text(text, MAX_TEXT):
            await _call(partial(self.client.send_message, to.chat_id, part), first=first)
            first = False

    async def _elsewhere(self, file_ref: str) -> str:
        """The line for a file kept on another messenger: its download link, fetched and published
        here, or where to find it. Fetching may raise RetryLater (nothing was sent yet)."""
        platform = file_ref.partition(":")[0].capitalize()
        path = await self.resolve(file_ref) if self.resolve is not None else None
        url = await self._publish(path) if path is not None else None
        if url is None:
            return f"(Tệp này được gửi kèm trên {platform}, chưa tải được qua Zalo; vui lòng xem trên {platform}.)"
        return f"Tải tệp (liên kết dùng được trong 24 giờ): {url}"

    async def _publish(self, path: Path) -> str | None:
        if self.files is None:
            log.warning("no PUBLIC_URL: %s cannot be sent to Zalo", path.name)
            return None
        return await self.files.publish(path)


def with_numbers(text: str, reply: Reply) -> str:
    """Choices as numbered lines: the person answers with the number or the word.

    A text that already ends with exactly these lines (a handler listing the options itself)
    is left as it is rather than showing the list twice.
    """
    lines = "\n".join(f"{i}. {c.label}" for i, c in enumerate(reply.choices, 1))
    if not lines or text.endswith("\n" + lines):
        return text
    return f"{text}\n{lines}"


async def _call(request: Callable[[], Awaitable[Any]], *, first: bool, retries: int = 3) -> Any:
    """Make one API call, mapping errors. The first part of a message raises what is retryable,
    for the dispatcher to decide; later parts retry here after the asked delay."""
    attempt = 0
    while True:
        try:
            return await request()
        except ZaloApiError as error:
            if error.code == 429 or error.code >= 500:
                seconds = error.retry_after or (1.0 if error.code == 429 else 2.0)
                if first or attempt >= retries:
                    raise RetryLater(seconds) from error
            elif error.code in (403, 404) or any(h in error.description.lower() for h in UNREACHABLE_HINTS):
                raise Unreachable(error.description or str(error.code)) from error
            else:
                raise SendError(str(error)) from error
        except (OSError, TimeoutError) as error:
            seconds = 2.0
            if first or attempt >= retries:
                raise RetryLater(seconds) from error
        attempt += 1
        await asyncio.sleep(seconds)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
