"""How the bot runs: with messengers or on the console (a transcript: bot/chat_script.py)."""

from __future__ import annotations

import gc
import logging
import sys

from bot.app import Chibo
from bot.channels.console import ConsoleChannel
from bot.scheduling import attach_scheduler
from bot.settings import Settings
from bot.wiring import build_app

log = logging.getLogger(__name__)

NO_TOKEN = (
    "Chưa cấu hình TELEGRAM_BOT_TOKEN hay ZALO_BOT_TOKEN: đang mở bảng điều khiển với dữ liệu mẫu "
    "(một đảng bộ, hai chi bộ). Đồng chí đang trò chuyện với tư cách «{user}».\n"
    "Gõ /trogiup để xem các lệnh; Ctrl+D để thoát. Cách kết nối bot Telegram, Zalo thật: xem README.md."
)
CONSOLE_ON = (
    "Bảng điều khiển trên cơ sở dữ liệu {database}, với tư cách console:{user}: không nạp dữ liệu mẫu, "
    "không gửi nhắc việc. Ctrl+D để thoát."
)


async def run(settings: Settings, *, user: str, webhook: bool = False) -> int:
    """Telegram and/or Zalo (polling, or webhooks on one web server); the console demo without tokens."""
    if not settings.telegram_bot_token and not settings.zalo_bot_token:
        if webhook:
            print("Chế độ webhook cần TELEGRAM_BOT_TOKEN hoặc ZALO_BOT_TOKEN.", file=sys.stderr)
            return 2
        return await demo_console(settings, user=user)
    from bot import service

    app = await build_app(settings)
    scheduler = attach_scheduler(app, settings, live=True)
    settle_heap()
    try:
        await service.serve(app, settings, webhook=webhook, on_stop=[scheduler.stop])
    except service.ConfigError as error:
        print(str(error), file=sys.stderr)
        return 2
    finally:
        await app.db.dispose()
    return 0


async def demo_console(settings: Settings, *, user: str) -> int:
    """The console on the demo organisation, in a database that holds nothing else (bot/demo.py)."""
    from bot import demo

    try:
        place = await demo.choose_database(settings)
    except demo.DemoRefused as refusal:
        print(str(refusal), file=sys.stderr)
        return 1
    if place.note:
        print(place.note, file=sys.stderr, flush=True)
    settings = settings.model_copy(update={"database_url": place.url})
    app = await build_app(settings)
    try:
        try:
            await demo.load(app)
        except demo.DemoRefused as refusal:
            print(str(refusal), file=sys.stderr)
            return 1
        scheduler = attach_scheduler(app, settings, live=True)  # reminders of the demo, on the console
        print(NO_TOKEN.format(user=user), flush=True)
        try:
            await _talk(app, user)
        finally:
            await scheduler.stop()
    finally:
        await app.db.dispose()
    return 0


async def console(settings: Settings, *, user: str) -> int:
    """The console on the configured database as it is: `chibo chat --as <tên>`.

    No demo is loaded and no scheduler runs: on a real committee's database the running bot sends
    the reminders, and a second dispatcher with only the console would mark them undeliverable.
    The only row this adds is the console account (`console:<tên>`) the router creates.
    """
    from storage.demo_guard import describe

    app = await build_app(settings)
    try:
        print(CONSOLE_ON.format(database=describe(settings.database_url), user=user), file=sys.stderr, flush=True)
        await _talk(app, user)
    finally:
        await app.db.dispose()
    return 0


async def _talk(app: Chibo, user: str) -> None:
    channel = ConsoleChannel(user)
    app.add_channel(channel)
    await channel.run(app.handle)


def settle_heap() -> None:
    """What start-up built (modules, settings, the catalog) lives as long as the process: moved out
    of the collector's reach, full collections no longer walk it (issue 12: p95 of /tonghop
    12–30% lower). Objects made while serving are collected as before. bench/ calls it too, at
    the same point: after start-up, before the first message."""
    gc.collect()
    gc.freeze()
