"""Settings from the environment and `.env`: never from the repository."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.context import HandlerSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./data/chibo.db"
    timezone: str = "Asia/Ho_Chi_Minh"
    telegram_bot_token: str = ""
    telegram_base_url: str = ""  # another Bot API server, e.g. http://127.0.0.1:8081/bot
    log_level: str = "WARNING"
    files_dir: str = "./data/files"

    def handler_settings(self) -> HandlerSettings:
        return HandlerSettings(timezone=self.timezone)
