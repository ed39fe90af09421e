"""Telegram through python-telegram-bot: long polling, inline buttons, the command menu,
deep links, and the error mapping the dispatcher relies on.

PTB owns only the HTTP side here. Updates are turned into `Incoming` and handed to the
core (`incoming_of`); replies come back through `send`. In webhook mode PTB only sends: bot/web.py
reads each update with `incoming_of` and stores it for the intake's workers, as polling does
through the handlers below.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.channels.base import Dispatch, split_text
from domain.messages import Address, Choice, Incoming, PlatformCaps, Reply, RetryLater, SendError, Unreachable
from domain.text import keepable
from handlers.registry import Catalog

log = logging.getLogger(__name__)
PLATFORM = "telegram"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_BYTES = 64
SHORT_LABEL = 14  # labels this short share a row of buttons


# Said when a person's update carries text that is not text (a number, a list, a broken character).
UNREADABLE = "Xin lỗi, tôi không đọc được tin nhắn này. Đồng chí vui lòng gõ lại bằng chữ thường."


class TelegramChannel:
    def __init__(
        self, token: str, *, base_url: str | None = None, catalog: Catalog | None = None, polling: bool = True
    ) -> None:
        builder = ApplicationBuilder().token(token)
        if base_url:
            builder = builder.base_url(base_url).base_file_url(base_url.replace("/bot", "/file/bot"))
        if not polling:
            builder = builder.updater(None)
        self.application: Application = builder.build()
        self.catalog = catalog
        self.polling = polling
        self.caps = PlatformCaps(PLATFORM, max_text=MAX_TEXT, buttons=True, receives_files=True)
        self._dispatch: Dispatch | None = None
        self.application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, self._on_message))
        self.application.add_handler(CallbackQueryHandler(self._on_callback))

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self, dispatch: Dispatch) -> None:
        """Initialise (getMe), publish the Vietnamese command menu, start handling updates."""
        self._dispatch = dispatch
        await self.application.initialize()
        username = self.application.bot.username
        self.caps = dataclasses.replace(self.caps, deep_link_base=f"https://t.me/{username}?start=", username=username)
        await self._publish_commands()
        if self.polling:  # with webhooks, updates reach the intake without PTB's queue
            await self.application.start()

    async def stop(self) -> None:
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def run(self, dispatch: Dispatch) -> None:
        """Long polling until cancelled."""
        await self.start(dispatch)
        assert self.application.updater is not None
        await self.application.updater.start_polling(allowed_updates=["message", "callback_query"])
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def _publish_commands(self) -> None:
        if self.catalog is None:
            return
        commands = [BotCommand(c.name, c.summary[:256]) for c in self.catalog.order if c.menu]
        try:
            await self.application.bot.set_my_commands(commands)
        except TelegramError:
            log.warning("could not publish the command menu", exc_info=True)

    # -- receiving ------------------------------------------------------------------------
    async def _on_message(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        incoming = incoming_of(update)
        if incoming is not None:
            await self._handle(incoming)

    async def _on_callback(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        incoming = incoming_of(update)
        if incoming is None:
            return
        await self.answer_callback(update)
        await self._handle(incoming)

    async def answer_callback(self, update: Update) -> None:
        """Stop the spinner on a tapped button; what the tap means is answered as a message."""
        if update.callback_query is None:
            return
        try:
            await self.application.bot.answer_callback_query(update.callback_query.id)
        except TelegramError:
            log.info("callback answer failed", exc_info=True)

    async def _handle(self, incoming: Incoming) -> None:
        if self._dispatch is None:
            log.error("update before start(): dropped")
            return
        await self._dispatch(incoming)

    # -- sending --------------------------------------------------------------------------
    async def send(self, to: Address, reply: Reply) -> None:
        """Send a reply: text split within 4,096 characters, buttons on the last part.

        Errors map onto the core's: 429 → RetryLater, blocked or unknown chat → Unreachable.
        Only a failure of the first part is raised as retryable; later parts are retried
        here, so that a retry never sends the first part twice.
        """
        markup = keyboard(reply.choices)
        text = reply.text if markup is not None or not reply.choices else _with_numbers(reply)
        bot = self.application.bot
        first = True
        file_id = _own_file(reply.file_ref)
        if file_id is not None:  # a file already on Telegram: re-sent by its id, nothing uploaded
            caption = text if len(text) <= MAX_CAPTION else None
            await _call(lambda: bot.send_document(to.chat_id, file_id, caption=caption,
                                                  reply_markup=markup if caption else None), first=True)
            if caption is not None:
                return
            first = False
        elif reply.photo is not None or reply.document is not None:
            caption = text if len(text) <= MAX_CAPTION else None
            path = reply.photo or reply.document
            assert path is not None
            data = await asyncio.to_thread(path.read_bytes)
            method = bot.send_photo if reply.photo is not None else bot.send_document
            extra = {"filename": path.name} if reply.document is not None else {}
            await _call(lambda: method(to.chat_id, data, caption=caption,
                                       reply_markup=markup if caption else None, **extra), first=True)
            if caption is not None:
                return
            first = False
        parts = split_text(text, MAX_TEXT)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await _call(partial(bot.send_message, to.chat_id, part, reply_markup=markup if last else None),
                        first=first)
            first = False

    # -- fetching ---------------------------------------------------------------------------
    async def download(self, file_id: str, folder: Path, stem: str) -> Path:
        """Fetch a file kept on Telegram (a document a secretary sent) into `folder/<stem><suffix>`,
        for the messengers that cannot re-send it by its id (Zalo gets it as a link).

        Written under a temporary name and renamed, so a reader never sees half a file. Errors map
        as sending's do: a flood or network failure is RetryLater, an unknown file is SendError.
        """
        bot = self.application.bot
        found = await _call(lambda: bot.get_file(file_id), first=True)
        suffix = Path(found.file_path or "").suffix.lower()[:10]
        suffix = suffix if suffix[1:].isalnum() else ""
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{stem}{suffix}"
        part = folder / f".{stem}-{secrets.token_hex(4)}.part"
        try:
            await _call(lambda: found.download_to_drive(part), first=True)
            part.replace(target)
        finally:
            part.unlink(missing_ok=True)
        return target


def incoming_of(update: Update) -> Incoming | None:
    """The core's view of a message or a button tap; None for what no person wrote (a bot, a channel
    post, an edit)."""
    message = update.message
    if message is not None:
        if message.from_user is None or message.from_user.is_bot:
            return None
        photo = message.photo[-1].file_id if message.photo else None
        document = message.document
        return Incoming(
            PLATFORM, str(message.from_user.id), message.text or message.caption or "",
            chat_id=str(message.chat.id), is_private=message.chat.type == "private",
            display_name=message.from_user.full_name, update_key=str(update.update_id), photo=photo,
            document=document.file_id if document else None,
            document_name=document.file_name if document else None,
            document_size=document.file_size if document and isinstance(document.file_size, int) else None,
        )
    query = update.callback_query
    if query is None or not query.data or query.from_user.is_bot:
        return None
    chat = query.message.chat if query.message is not None else None
    return Incoming(
        PLATFORM, str(query.from_user.id), query.data,
        chat_id=str(chat.id) if chat else str(query.from_user.id),
        is_private=chat is None or chat.type == "private",
        display_name=query.from_user.full_name, update_key=str(update.update_id),
    )


def incoming_of_body(body: dict[str, Any]) -> Incoming | None:
    """An update as the Bot API sent it (the inbox's rows from before 0008)."""
    return incoming_of(Update.de_json(body, None))


def unreadable(body: dict[str, Any]) -> bool:
    """Whether a webhook update's text, caption, document or button value is not text a person could type.

    PTB builds an Update around whatever it is given, so a number or a list would reach the
    handlers and fail there (a "system error" reply), and a lone surrogate or a NUL cannot be
    stored in PostgreSQL: such an update is answered as bad input instead, before the inbox.
    """
    fields: list[Any] = []
    message = body.get("message")
    if isinstance(message, dict):
        fields += [message.get("text"), message.get("caption")]
        document = message.get("document")
        if isinstance(document, dict):
            fields += [document.get("file_id"), document.get("file_name")]
    query = body.get("callback_query")
    if isinstance(query, dict):
        fields.append(query.get("data"))
    return any(value is not None and not _readable(value) for value in fields)


def private_sender(body: dict[str, Any]) -> str | None:
    """The private chat of the person who sent a message update, to tell them it was not read;
    None for a group (where free text is none of our business), a bot or a malformed sender."""
    message = body.get("message")
    if not isinstance(message, dict):
        return None
    chat, sender = message.get("chat"), message.get("from")
    if not isinstance(chat, dict) or not isinstance(sender, dict) or sender.get("is_bot") is not False:
        return None
    chat_id = chat.get("id")
    if chat.get("type") != "private" or isinstance(chat_id, bool) or not isinstance(chat_id, int):
        return None
    return str(chat_id)


def _readable(value: Any) -> bool:
    return isinstance(value, str) and keepable(value)


def keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    """Inline buttons for the choices; None when a value would not fit Telegram's 64 bytes."""
    if not choices or any(len(c.value.encode()) > MAX_CALLBACK_BYTES for c in choices):
        return None
    buttons = [InlineKeyboardButton(c.label[:64], callback_data=c.value) for c in choices]
    if len(buttons) <= 3 and all(len(c.label) <= SHORT_LABEL for c in choices):
        return InlineKeyboardMarkup([buttons])
    return InlineKeyboardMarkup([[button] for button in buttons])


def _own_file(file_ref: str | None) -> str | None:
    """The Telegram file id of a reply's platform file reference; None for another platform's."""
    platform, _, file_id = (file_ref or "").partition(":")
    return file_id if platform == PLATFORM and file_id else None


def _with_numbers(reply: Reply) -> str:
    lines = [reply.text] + [f"{i}. {c.label}" for i, c in enumerate(reply.choices, 1)]
    return "\n".join(lines)


async def _call(request: Callable[[], Awaitable[Any]], *, first: bool, retries: int = 3) -> Any:
    """Make one Bot API call, mapping errors. The first part of a message raises what is
    retryable, for the dispatcher to decide; later parts retry here after the asked delay."""
    attempt = 0
    while True:
        try:
            return await request()
        except RetryAfter as error:
            seconds = _seconds(error.retry_after)
            if first or attempt >= retries:
                raise RetryLater(seconds) from error
        except Forbidden as error:
            raise Unreachable(str(error)) from error
        except BadRequest as error:
            if "chat not found" in str(error).lower() or "user not found" in str(error).lower():
                raise Unreachable(str(error)) from error
            raise SendError(str(error)) from error
        except (TimedOut, NetworkError) as error:
            seconds = 2.0
            if first or attempt >= retries:
                raise RetryLater(seconds) from error
        attempt += 1
        await asyncio.sleep(seconds)


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
