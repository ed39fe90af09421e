"""Routes one incoming message: de-duplicate, find the sender, map choices, run, save, answer.

The whole message is one transaction: the mark that this delivery was handled, what the
handler stored and the conversation state commit together, and replies leave only after
that commit. A crash before it loses nothing the user was told; a second delivery of the
same update finds the mark and is ignored. A message taken from the inbox leaves it in that same
commit (storage/inbox.py, `handling`). The mark and the sender's lookup are hand-written
statements on the fast lane (storage/lane.py): they run for every message.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.errors import UserError
from domain.messages import Address, Incoming, Outgoing, PlatformCaps
from domain.text import fold, whole_number, yes_or_no
from handlers import help, texts
from handlers.context import ConversationState, Ctx, HandlerSettings
from handlers.registry import Catalog, Command
from storage import accounts, inbox, update_marks
from storage.db import Database
from storage.faults import is_transient

log = logging.getLogger(__name__)


class Router:
    def __init__(self, db: Database, catalog: Catalog, settings: HandlerSettings) -> None:
        self.db = db
        self.catalog = catalog
        self.settings = settings

    async def handle(self, incoming: Incoming, caps: PlatformCaps, now: datetime) -> list[Outgoing]:
        """Handle one message; returns what to send once it is committed.

        A transient database fault (storage/faults.py) is raised, not answered: nothing was
        kept, and the caller retries the same message later (bot/intake.py). Anything else is a
        bug of ours: logged with the update, and answered so that the person is not left waiting.
        """
        try:
            return await self._handle(incoming, caps, now)
        except Exception as error:
            if is_transient(error):
                raise
            log.exception("handling %s update %s from %s failed; text: %.200r", incoming.platform,
                          incoming.update_key, incoming.user_id, incoming.text)
            return [Outgoing(_address(incoming), texts.reply(texts.INTERNAL_ERROR))]

    async def _handle(self, incoming: Incoming, caps: PlatformCaps, now: datetime) -> list[Outgoing]:
        async with self.db.session() as session:
            loaded = await self._mark_and_load(session, incoming, now)
            if loaded is None:
                log.info("duplicate delivery %s:%s ignored", incoming.platform, incoming.update_key)
                await _commit(session)
                return []
            state = _conversation_here(loaded, incoming)
            ctx = Ctx(session, incoming, caps, now, self.settings, loaded.account, state, self.catalog)
            text = _choice_value(incoming.text.strip(), state)
            try:
                await self._dispatch(ctx, text)
            except UserError as error:
                # What the person typed breaks a rule: nothing of this message is kept but the
                # mark that it was handled; the conversation stays where it was.
                await session.rollback()
                await self._mark(session, incoming, now)
                await _commit(session)
                return [Outgoing(_address(incoming), texts.reply(str(error)))]
            await self._remember(ctx, existed=loaded.has_conversation_row)
            await _commit(session)
            return ctx.out

    @staticmethod
    async def _mark_and_load(session: AsyncSession, incoming: Incoming, now: datetime) -> accounts.Loaded | None:
        """Mark the update handled and find its sender (one statement on PostgreSQL); None when
        it was handled already (a redelivery)."""
        chat = _private_chat(incoming)
        if incoming.update_key is None:
            return await accounts.load_or_create(session, incoming.platform, incoming.user_id, chat,
                                                 incoming.display_name, now, private=incoming.is_private)
        return await accounts.mark_and_load(session, incoming.update_key, incoming.platform, incoming.user_id, chat,
                                            incoming.display_name, now, private=incoming.is_private)

    @staticmethod
    async def _mark(session: AsyncSession, incoming: Incoming, now: datetime) -> bool:
        """Mark the update handled in this transaction; False when it already was (a redelivery)."""
        if incoming.update_key is None:
            return True
        return await update_marks.mark(session, incoming.platform, incoming.update_key, now)

    async def _dispatch(self, ctx: Ctx, text: str) -> None:
        if text.startswith("/"):
            word, args = [*text[1:].split(maxsplit=1), "", ""][:2]  # a line break may follow the word
            word, _, addressee = word.partition("@")
            if not ctx.incoming.is_private and not _addressed_to_us(addressee, ctx.caps):
                return  # "/tonghop@otherbot" in a group is another bot's business: not even a refusal
            command = self.catalog.find(word)
            pending = ctx.conversation.flow
            ctx.finish()
            await self._command(ctx, command, word, args.strip())
            if pending and (command is None or command.run is not help.cancel):  # pending: only ever private
                _tell_abandoned(ctx, self.catalog.flow_titles.get(pending))
            return
        if not ctx.incoming.is_private:
            return  # In a group, free text and photos are none of our business: nothing continues there.
        flow = self.catalog.flows.get(ctx.conversation.flow or "")
        if flow is not None:
            await flow(ctx, text)
        elif ctx.incoming.photo and not text:
            if self.catalog.on_photo is not None:
                await self.catalog.on_photo(ctx)
            else:
                ctx.reply(texts.PHOTO_WITHOUT_CONTEXT)
        else:
            ctx.reply(texts.NOT_UNDERSTOOD)

    async def _command(self, ctx: Ctx, command: Command | None, word: str, args: str) -> None:
        if command is None:
            ctx.reply(await help.unknown_command(ctx, word, args))
            return
        if command.private and not ctx.incoming.is_private:
            ctx.reply(texts.private_only(ctx.caps))
            return
        if not await ctx.allows(command.audience):
            ctx.reply(texts.refusal(command.audience, joined=ctx.member_id is not None))
            return
        await command.run(ctx, args)

    async def _remember(self, ctx: Ctx, *, existed: bool) -> None:
        """Save the conversation, as belonging to this chat, and the choices last offered to each
        recipient account, as belonging to the chat they were offered in.

        A group keeps no conversation of its own: nothing typed there continues one, so saving
        would only overwrite the sender's private conversation with one that can never go on.
        """
        own = ctx.account.id
        offered: dict[int, tuple[str, list[list[str]]]] = {}
        for out in ctx.out:
            if out.account_id is not None:
                offered[out.account_id] = (out.to.chat_id, [[c.label, c.value] for c in out.reply.choices])
        state = ctx.conversation
        if ctx.incoming.is_private:
            _chat, own_choices = offered.pop(own, ("", [] if ctx.out else state.choices))
            if state.dirty or own_choices != state.choices:
                await accounts.save_conversation(
                    ctx.session, own, flow=state.flow, step=state.step, data=state.data,
                    choices=own_choices, chat_id=ctx.incoming.reply_chat, now=ctx.now, existed=existed,
                )
        for account_id, (chat_id, choices) in offered.items():
            if choices:
                await accounts.set_choices(ctx.session, account_id, choices, ctx.now, chat_id)


async def _commit(session: AsyncSession) -> None:
    """Commit the message's transaction, with the delete of its inbox row when a worker of the
    intake is handling one (storage/inbox.py, `handling`): handled and gone in one commit."""
    ticket = await inbox.forget_within(session)
    await session.commit()
    if ticket is not None:
        ticket.done = True


def _private_chat(incoming: Incoming) -> str:
    """Where to reach the sender on their own: this chat, or for a group message their private
    chat (on Telegram its id is the user's): a newcomer's first message may come from a group,
    and reminders must not go there."""
    return incoming.reply_chat if incoming.is_private else incoming.user_id


def _conversation_here(loaded: accounts.Loaded, incoming: Incoming) -> ConversationState:
    """The conversation of the chat this message came from: the stored one if it started here,
    else none. A conversation belongs to the chat it started in (one from before chats were
    recorded, to the private chat): typed elsewhere, an answer neither continues it nor picks one
    of its choices, and it waits intact for its own chat. In a group nothing continues at all."""
    if loaded.conversation is None or not incoming.is_private:
        return ConversationState()
    if loaded.conversation_chat not in (None, incoming.reply_chat):
        return ConversationState()
    return ConversationState(**loaded.conversation)


def _addressed_to_us(addressee: str, caps: PlatformCaps) -> bool:
    """Whether "/cmd@name" names this bot: no name does (Telegram sends "/cmd" to every bot of
    the group), and any name does while this bot's own is unknown."""
    return not addressee or caps.username is None or addressee.casefold() == caps.username.casefold()


def _choice_value(text: str, state: ConversationState) -> str:
    """Map a typed number or label onto the value of a choice offered last; when the choices are
    one yes and one no (an invitation's Tham dự / Xin vắng), a plain "có", "được", "dự" or
    "không", "vắng" picks one (older members answer in words, not buttons)."""
    if not state.choices:
        return text
    number = whole_number(text)
    if number is not None:
        index = number - 1
        if 0 <= index < len(state.choices):
            return state.choices[index][1]
        return text
    key = fold(text)
    for label, value in state.choices:
        if key and key in (fold(label), fold(value)):
            return value
    said = yes_or_no(text)
    if said is not None:
        meanings = [yes_or_no(label) for label, _value in state.choices]
        if meanings.count(True) == 1 and meanings.count(False) == 1:
            return state.choices[meanings.index(said)][1]
    return text


def _tell_abandoned(ctx: Ctx, title: str | None) -> None:
    """Say, first thing in the answer, that the half-finished flow was dropped (not for /huy: that is its answer)."""
    note = texts.ABANDONED.format(title=title) if title else texts.ABANDONED_UNNAMED
    own = _address(ctx.incoming)
    for index, out in enumerate(ctx.out):
        if out.to == own:
            ctx.out[index] = replace(out, reply=replace(out.reply, text=f"{note}\n{out.reply.text}"))
            return
    ctx.reply(note)


def _address(incoming: Incoming) -> Address:
    return Address(incoming.platform, incoming.reply_chat)
