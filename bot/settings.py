"""Settings from the environment and `.env`: never from the repository."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.dates import DEFAULT_TIMEZONE
from handlers.context import HandlerSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./data/chibo.db"
    # The console demo's own database, used when database_url holds another organisation (bot/demo.py).
    demo_database_url: str = "sqlite+aiosqlite:///./data/demo.db"
    timezone: str = DEFAULT_TIMEZONE
    telegram_bot_token: str = ""
    telegram_base_url: str = ""  # another Bot API server, e.g. http://127.0.0.1:8081/bot
    log_level: str = "WARNING"
    files_dir: str = "./data/files"
    # Reminders and the outbox dispatcher (schedules/).
    telegram_rate_limit: float = 30.0  # Telegram's limit, messages in any second (the limiter keeps a margin)
    default_rate_limit: float = 10.0  # platforms without their own `<platform>_rate_limit` setting
    chat_interval_seconds: float = 1.0  # at most one message per chat this often
    reminder_grace_minutes: float = 0.0  # a late reminder is still sent this long after its meeting began
    dispatcher_lease_seconds: float = 30.0  # the single-dispatcher lock; renewed while sending
    dispatcher_in_flight: int = 8  # sends in flight at once (the round trip, not the rate, limits one by one)
    scheduler_poll_seconds: float = 10.0  # how often the outbox is looked at besides exact due times
    # Zalo Bot Platform, and the one web server of webhook mode (see README, "production").
    zalo_bot_token: str = ""
    zalo_base_url: str = "https://bot-api.zaloplatforms.com"
    zalo_rate_limit: float = 10.0  # messages/s to Zalo (no published limit: a safe guess)
    public_url: str = ""  # https address the reverse proxy forwards to web_host:web_port
    webhook_secret: str = ""  # 8–256 of [A-Za-z0-9_-]; required with webhooks, the same in every process
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_client_connections: int = 64  # connections at once from one address; raise it behind a proxy
    # The intake (bot/intake.py): how many updates are handled at once, and how long a claim holds.
    workers: int = 16
    inbox_lease_seconds: float = 60.0  # a dead process's updates are taken over after this

    def handler_settings(self) -> HandlerSettings:
        return HandlerSettings(timezone=self.timezone, files_dir=self.files_dir)
