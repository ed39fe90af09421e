"""How the bot runs: with messengers, on the console, or through a transcript."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from bot.app import Chibo
from bot.channels.console import ConsoleChannel
from bot.clock import ManualClock
from bot.settings import Settings
from bot.transcript import Runner, parse
from bot.wiring import build_app

log = logging.getLogger(__name__)

NO_TOKEN = (
    "Chưa cấu hình TELEGRAM_BOT_TOKEN: đang mở bảng điều khiển với dữ liệu mẫu "
    "(một đảng bộ, hai chi bộ). Đồng chí đang trò chuyện với tư cách «{user}».\n"
    "Gõ /trogiup để xem các lệnh; Ctrl+D để thoát. Cách kết nối bot Telegram thật: xem README.md."
)


async def run(settings: Settings, *, user: str) -> int:
    if not settings.telegram_bot_token:
        return await console(settings, user=user, demo=True)
    app = await build_app(settings)
    from bot.channels.telegram import TelegramChannel

    channel = TelegramChannel(settings.telegram_bot_token, base_url=settings.telegram_base_url or None,
                              catalog=app.catalog)
    app.add_channel(channel)
    try:
        await channel.run(app.handle)
    finally:
        await app.db.dispose()
    return 0


async def console(settings: Settings, *, user: str, demo: bool) -> int:
    app = await build_app(settings)
    try:
        if demo:
            await load_demo(app)
            print(NO_TOKEN.format(user=user), flush=True)
        channel = ConsoleChannel(user)
        app.add_channel(channel)
        await channel.run(app.handle)
    finally:
        await app.db.dispose()
    return 0


async def load_demo(app: Chibo) -> None:
    from bot.cli import DEMO_FILE
    from storage.importer import import_file

    await import_file(app.db, DEMO_FILE)


async def script(settings: Settings, path: Path, *, check: bool, preload: Path | None) -> int:
    clock = ManualClock()
    app = await build_app(settings, clock=clock)
    try:
        if preload is not None:
            from storage.importer import import_file

            await import_file(app.db, preload)
        runner = Runner(app, clock, settings.handler_settings().tz)
        steps = parse(path.read_text(encoding="utf-8").splitlines())
        if check:
            problems = await runner.check(steps)
            print("\n".join(runner.output))
            if problems:
                print("\n".join(problems))
                return 1
            return 0
        for step in steps:
            for line in await runner.step(step):
                print(line, flush=True)
    finally:
        with contextlib.suppress(Exception):
            await app.db.dispose()
    return 0


