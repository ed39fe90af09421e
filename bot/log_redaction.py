"""Secrets never reach a log: the bot tokens and the webhook secret are blanked from every record.

At DEBUG python-telegram-bot logs its request URLs, and the Bot API puts the token in the path
(`https://api.telegram.org/bot<TOKEN>/getMe`); httpx logs the same URL at INFO, and a webhook's
registration carries the secret. Logs are read by more people than the `.env` (a support ticket,
`journalctl` on a shared host), so the runtime redacts them at the root handlers, where every
logger's records end up, whatever the level and whoever logged it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import quote

from bot.settings import Settings

MARK = "[đã ẩn]"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Redactor(logging.Filter):
    """A handler filter that replaces each secret (as typed and URL-encoded) by `MARK` in a record.

    On a handler rather than a logger: a logger's filters do not see records propagated from its
    children ("telegram.ext", "httpx"), a handler's do.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: list[str] = []
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Protect more secrets than those of the settings it was made with."""
        for secret in secrets:
            for form in (secret, quote(secret, safe="")):
                if form.strip() and form not in self._secrets:
                    self._secrets.append(form)
        self._secrets.sort(key=len, reverse=True)  # the longer form first: no half-redacted tail

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MARK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place (message merged with its args, traceback, stack); never drop it."""
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed format string: keep everything it carried, redacted
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def secrets_of(settings: Settings) -> list[str]:
    """What the settings hold that must never be logged."""
    return [settings.telegram_bot_token, settings.zalo_bot_token, settings.webhook_secret]


def install(secrets: Iterable[str], logger: logging.Logger | None = None) -> Redactor:
    """Add one `Redactor` to every handler of `logger` (the root logger unless told)."""
    redactor = Redactor(secrets)
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(redactor)
    return redactor


def configure(settings: Settings) -> Redactor:
    """The runtime's logging: level from LOG_LEVEL, one line per record, secrets redacted."""
    logging.basicConfig(level=settings.log_level.upper(), format=FORMAT)
    return install(secrets_of(settings))
