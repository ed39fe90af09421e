"""Running the messengers until SIGTERM: long polling (development) or webhooks (production).

Both modes store each update in the inbox before acknowledging it, and the intake's workers
(bot/intake.py) handle it from there, concurrently, one chat's messages in order. Several
processes may serve one database: they share the inbox, and a dead one's updates are taken over.

Stopping is orderly in both modes: no more updates are taken (with webhooks, new requests get
503, which the platforms retry), the updates in hand are finished within a bound with the
replies they send, and what was acknowledged but not yet handled stays in the inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import signal
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from telegram.error import InvalidToken

from bot.app import Chibo
from bot.channels import telegram as telegram_api
from bot.channels import zalo as zalo_api
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloApiError, ZaloChannel
from bot.file_refs import PlatformFiles, documents_directory
from bot.files import FileShelf
from bot.intake import Intake, IntakeConfig, LegacyReader
from bot.settings import Settings
from bot.web import WebLimits, WebServer
from domain.messages import Incoming

log = logging.getLogger(__name__)
StopHook = Callable[[], Awaitable[None]]
SECRET = re.compile(r"[A-Za-z0-9_-]{8,256}")  # what both Telegram and Zalo accept


class ConfigError(ValueError):
    """A setting that stops the bot from starting; the message is Vietnamese, for the operator."""


def webhook_secret(settings: Settings) -> str:
    """The configured secret. It is required: every process behind one address registers the
    webhook with it, so a secret of its own would lock the others out (they would answer 403)."""
    if not settings.webhook_secret:
        raise ConfigError(
            "Chế độ webhook cần WEBHOOK_SECRET, dùng chung cho mọi tiến trình của bot. Tạo một lần, ví dụ:\n"
            f"  WEBHOOK_SECRET={secrets.token_urlsafe(32)}\n"
            "rồi đặt vào .env hoặc biến môi trường của dịch vụ."
        )
    if not SECRET.fullmatch(settings.webhook_secret):
        raise ConfigError("WEBHOOK_SECRET phải gồm 8–256 ký tự A–Z, a–z, 0–9, «_» hoặc «-».")
    return settings.webhook_secret


def file_shelf(app: Chibo, settings: Settings) -> FileShelf | None:
    """File links need an address the platforms can reach: none without PUBLIC_URL."""
    if not settings.public_url:
        return None
    return FileShelf(app.db, Path(settings.files_dir) / "links", settings.public_url, app.clock)


def messengers(
    app: Chibo, settings: Settings, files: FileShelf | None, *, polling: bool
) -> tuple[TelegramChannel | None, ZaloChannel | None]:
    """The messengers with a token, added to the app (so replies and reminders can use them)."""
    telegram = zalo = None
    if settings.telegram_bot_token:
        telegram = TelegramChannel(settings.telegram_bot_token, base_url=settings.telegram_base_url or None,
                                   catalog=app.catalog, polling=polling)
        app.add_channel(telegram)
    if settings.zalo_bot_token:
        # A file sent on Telegram reaches Zalo members as a link, fetched through the Telegram bot.
        resolve = PlatformFiles({telegram_api.PLATFORM: telegram}, documents_directory(settings.files_dir)) \
            if telegram is not None else None
        zalo = ZaloChannel(settings.zalo_bot_token, base_url=settings.zalo_base_url, files=files, resolve=resolve)
        app.add_channel(zalo)
    return telegram, zalo


async def serve(
    app: Chibo, settings: Settings, *, webhook: bool, stop: asyncio.Event | None = None,
    on_stop: Sequence[StopHook] = (),
) -> None:
    """Run until SIGTERM or SIGINT (or until `stop` is set), then stop in order.

    `on_stop` are awaited once no more updates are taken and before the channels close: the
    scheduler's stop, which lets the messages being sent finish.
    """
    # httpx logs each request's URL at INFO, and Telegram's URLs carry the bot token.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").getEffectiveLevel()))
    stop = stop or asyncio.Event()
    files = file_shelf(app, settings)
    with _stop_on_signals(stop):
        try:
            if webhook:
                await _serve_webhooks(app, settings, files, stop, on_stop)
            else:
                await _serve_polling(app, settings, files, stop, on_stop)
        except InvalidToken as error:
            raise ConfigError("Telegram không nhận TELEGRAM_BOT_TOKEN: kiểm tra lại mã BotFather đã cấp.") from error
        except ZaloApiError as error:
            if error.code != 401:
                raise
            raise ConfigError("Zalo không nhận ZALO_BOT_TOKEN (lỗi 401): kiểm tra lại mã trong Zalo Bot Manager.") \
                from error


async def _run_hooks(hooks: Sequence[StopHook]) -> None:
    for hook in hooks:
        try:
            await hook()
        except Exception:
            log.exception("stopping: %r failed", hook)


async def _serve_webhooks(
    app: Chibo, settings: Settings, files: FileShelf | None, stop: asyncio.Event, on_stop: Sequence[StopHook]
) -> None:
    if not settings.public_url:
        raise ConfigError("Chế độ webhook cần PUBLIC_URL: địa chỉ https mà các nền tảng gửi cập nhật tới.")
    secret = webhook_secret(settings)
    telegram, zalo = messengers(app, settings, files, polling=False)
    server = WebServer(app, secret=secret, intake=intake_of(app, settings), telegram=telegram, zalo=zalo,
                       files=files, limits=web_limits(settings))
    try:
        await server.start(settings.web_host, settings.web_port)
        await server.register_webhooks(settings.public_url)
        log.info("webhooks registered at %s; listening on %s:%d", settings.public_url, settings.web_host,
                    server.port)
        await stop.wait()
        log.info("stopping: no new updates; finishing those in hand")
    finally:
        try:
            await server.drain()
            await _run_hooks(on_stop)
        finally:
            await server.close()


async def _serve_polling(
    app: Chibo, settings: Settings, files: FileShelf | None, stop: asyncio.Event, on_stop: Sequence[StopHook]
) -> None:
    server = None
    if files is not None:  # serves /files and /healthz only
        server = WebServer(app, secret=settings.webhook_secret or secrets.token_urlsafe(32), files=files,
                           limits=web_limits(settings))
        await server.start(settings.web_host, settings.web_port)
    intake = intake_of(app, settings)
    running = [channel for channel in messengers(app, settings, files, polling=True) if channel is not None]
    await intake.start()
    tasks = [asyncio.create_task(channel.run(intake.accept_patiently)) for channel in running]
    stopping = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait([*tasks, stopping], return_when=asyncio.FIRST_COMPLETED)
        for task in done - {stopping}:
            error = task.exception()
            if error is not None:
                raise error  # a channel gave up (a refused token): stop everything, say why
    finally:
        await intake.drain()  # the channels are still open: the updates in hand are answered
        await _run_hooks(on_stop)  # and the messages being sent finish
        for task in [*tasks, stopping]:
            task.cancel()
        await asyncio.gather(*tasks, stopping, return_exceptions=True)
        if server is not None:
            await server.stop()


def intake_of(app: Chibo, settings: Settings) -> Intake:
    """The workers that handle stored updates."""
    return Intake(app, IntakeConfig(workers=settings.workers, lease=settings.inbox_lease_seconds), legacy=LEGACY)


def _zalo_legacy(body: dict[str, Any]) -> Incoming | None:
    return zalo_api.to_incoming(zalo_api.unwrap(body))


# Inbox rows written before 0008 hold the platform's own update: each channel reads its own.
LEGACY: dict[str, LegacyReader] = {
    telegram_api.PLATFORM: telegram_api.incoming_of_body,
    zalo_api.PLATFORM: _zalo_legacy,
}


def web_limits(settings: Settings) -> WebLimits:
    return WebLimits(per_client=settings.web_client_connections)


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread, or not Unix
            pass
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
