"""The one place that builds everything: database, migrations, bot, channels."""

from __future__ import annotations

import asyncio

from bot.app import Chibo
from bot.clock import Clock
from bot.settings import Settings
from storage.db import Database


async def open_database(url: str, *, migrate: bool = True) -> Database:
    """The database at `url`, brought to the newest schema first."""
    if migrate:
        from storage.migrate import upgrade  # Alembic loads only when it runs (issue 12: start-up)

        await asyncio.to_thread(upgrade, url)
    return Database(url)


async def build_app(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> Chibo:
    db = await open_database(settings.database_url, migrate=migrate)
    return Chibo(db, settings.handler_settings(), clock=clock)
