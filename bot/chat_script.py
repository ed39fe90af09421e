"""`chibo chat --script`: run a transcript on the console channel, and check it with --check.

Apart from the bot's runner (bot/runner.py) so that a script loads only what it uses (issue 12):
not the messengers' libraries, and not the scheduler until the script's first `# time:` line
needs it (its planner and composer import most of storage, and APScheduler).
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app import Chibo
from bot.clock import ManualClock
from bot.settings import Settings
from bot.transcript import Runner, parse
from bot.wiring import build_app

if TYPE_CHECKING:
    from schedules.driver import Scheduler


class SchedulerOnFirstTick:
    """The tick hook of a transcript: attaches the scheduler the first time the clock moves, as
    `attach_scheduler` would have at the start (a scheduler does nothing before its first tick)."""

    def __init__(self, app: Chibo, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.scheduler: Scheduler | None = None

    async def __call__(self, now: datetime) -> None:
        if self.scheduler is None:
            from bot.scheduling import attach_scheduler

            self.scheduler = attach_scheduler(self.app, self.settings)
            self.app.tick_hooks.remove(self.scheduler.advance)  # this hook stands for it
        await self.scheduler.advance(now)


async def script(settings: Settings, path: Path, *, check: bool, preload: Path | None, migrate: bool = True) -> int:
    """Run a transcript; `migrate=False` when the database is known to be at the newest schema already
    (a copy of bot/schema_template.py's template: no Alembic to load)."""
    clock = ManualClock()
    app = await build_app(settings, clock=clock, migrate=migrate)
    app.tick_hooks.append(SchedulerOnFirstTick(app, settings))
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
