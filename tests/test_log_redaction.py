"""At LOG_LEVEL=DEBUG no bot token and no webhook secret reaches the log, whoever logs them."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from bot import log_redaction
from bot.settings import Settings

TOKEN = "123456789:AAH-secret_Token-0123456789abcdefXYZ"
ZALO = "2983457:zalo-Secret-Token-abcdef0123"
SECRET = "webhook-Secret_0123456789"


@pytest.fixture
def app_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[log_redaction.Redactor, io.StringIO]]:
    """Logging configured as `chibo` does (its handler writes to stderr, here a buffer), on a root
    logger without pytest's handlers, then restored."""
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    for name, value in (("TELEGRAM_BOT_TOKEN", TOKEN), ("ZALO_BOT_TOKEN", ZALO), ("WEBHOOK_SECRET", SECRET),
                        ("LOG_LEVEL", "debug")):
        monkeypatch.setenv(name, value)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = []
    httpx = logging.getLogger("httpx")  # a run of the bot (another test) quiets it for good
    httpx_level = httpx.level
    httpx.setLevel(logging.NOTSET)
    try:
        yield log_redaction.configure(Settings(_env_file=None)), stderr
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers, root.level = handlers, level
        httpx.setLevel(httpx_level)


def test_tokens_and_secret_are_redacted_at_debug(app_logging: tuple[log_redaction.Redactor, io.StringIO]) -> None:
    telegram = logging.getLogger("telegram.ext")
    assert telegram.getEffectiveLevel() == logging.DEBUG
    telegram.debug("Calling Bot API endpoint `%s` with parameters `%s`", "getMe", {})
    telegram.debug("HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN)  # in the args
    telegram.debug(f"setWebhook url=https://chibo.example/telegram secret_token={SECRET}")  # in the message
    logging.getLogger("httpx").info("HTTP Request: GET %s", f"https://bot-api.zaloplatforms.com/bot{ZALO}/getMe")
    telegram.debug("encoded: %s", TOKEN.replace(":", "%3A"))
    telegram.debug("a dict %(secret)s", {"secret": SECRET})
    try:
        raise ConnectionError(f"https://api.telegram.org/bot{TOKEN}/getUpdates unreachable")
    except ConnectionError:
        telegram.exception("network error")
    telegram.warning("a malformed %d format", TOKEN)  # logging reports the bad format; still redacted
    err = app_logging[1].getvalue()
    assert "getMe" in err and "setWebhook" in err and "network error" in err and "unreachable" in err
    for secret in (TOKEN, ZALO, SECRET, TOKEN.replace(":", "%3A"), TOKEN.split(":")[1]):
        assert secret not in err
    assert f"https://api.telegram.org/bot{log_redaction.MARK}/getMe" in err
    assert err.count(log_redaction.MARK) == 7  # one in each of the 7 records that held a secret


def test_a_secret_known_only_later_is_redacted_too(app_logging: tuple[log_redaction.Redactor, io.StringIO]) -> None:
    app_logging[0].add("generated-at-start-0123456789")
    logging.getLogger("telegram.ext").debug("secret_token=%s", "generated-at-start-0123456789")
    err = app_logging[1].getvalue()
    assert "generated-at-start" not in err and f"secret_token={log_redaction.MARK}" in err


def test_empty_settings_redact_nothing() -> None:
    redactor = log_redaction.Redactor(["", " "])
    record = logging.LogRecord("telegram.ext", logging.DEBUG, __file__, 1, "plain %s", ("text",), None)
    assert redactor.filter(record) and record.getMessage() == "plain text"
