"""Chat accounts: finding the sender, creating strangers, choosing where to reach a member.

Written with SQLAlchemy Core: this runs for every incoming message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, insert, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import ChatAccount, Conversation, Member, OrgUnit, Role
from storage.types import inserted_id, table_of

_ACCOUNT = table_of(ChatAccount)
_MEMBER = table_of(Member)
_CONVERSATION = table_of(Conversation)
_ROLE = table_of(Role)
_UNIT = table_of(OrgUnit)
_SIBLING = _ACCOUNT.alias("sibling")

# last_seen_at is refreshed at most this often: one write less on most messages (but always
# when another account of the same member was seen as late: "used last" must hold across messengers).
SEEN_GRANULARITY = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class AccountView:
    id: int
    platform: str
    chat_id: str
    member_id: int | None
    cell_id: int | None
    full_name: str | None
    status: str | None = None  # the member's Status ("exempt" hides meeting commands from /trogiup)


@dataclass(frozen=True, slots=True)
class Loaded:
    account: AccountView
    conversation: dict[str, Any] | None  # None when nothing is pending
    has_conversation_row: bool = False  # whether to update or insert when saving
    conversation_chat: str | None = None  # the chat it belongs to; None (older rows): the private chat


_LOAD = (
    select(
        _ACCOUNT.c.id, _ACCOUNT.c.platform, _ACCOUNT.c.chat_id, _ACCOUNT.c.member_id, _ACCOUNT.c.last_seen_at,
        _MEMBER.c.cell_id, _MEMBER.c.full_name, _MEMBER.c.status,
        _CONVERSATION.c.account_id.label("conversation_of"),
        _CONVERSATION.c.flow, _CONVERSATION.c.step, _CONVERSATION.c.data, _CONVERSATION.c.choices,
        _CONVERSATION.c.chat_id.label("conversation_chat"),
        select(func.max(_SIBLING.c.last_seen_at))
        .where(_SIBLING.c.member_id == _ACCOUNT.c.member_id, _SIBLING.c.id != _ACCOUNT.c.id)
        .scalar_subquery().label("sibling_seen_at"),
    )
    .select_from(
        _ACCOUNT.outerjoin(_MEMBER, _MEMBER.c.id == _ACCOUNT.c.member_id)
        .outerjoin(_CONVERSATION, _CONVERSATION.c.account_id == _ACCOUNT.c.id)
    )
)


async def load_or_create(
    session: AsyncSession, platform: str, user_id: str, chat_id: str, display_name: str, now: datetime,
    *, private: bool = True,
) -> Loaded:
    """The sender's account with member and conversation in one query; strangers get an account.

    A private message also corrects the account's address when it differs (an account first
    seen in a group before addresses were taken from private chats only)."""
    row = (await session.execute(
        _LOAD.where(and_(_ACCOUNT.c.platform == platform, _ACCOUNT.c.platform_user_id == user_id))
    )).first()
    if row is None:
        result = await session.exec(insert(_ACCOUNT).values(
            platform=platform, platform_user_id=user_id, chat_id=chat_id, display_name=display_name[:200],
            last_seen_at=now, created_at=now,
        ))
        account_id = inserted_id(result)
        return Loaded(AccountView(account_id, platform, chat_id, None, None, None), None)
    moved = private and row.chat_id != chat_id
    if moved or now - row.last_seen_at > SEEN_GRANULARITY or (
        row.sibling_seen_at is not None and row.sibling_seen_at >= row.last_seen_at
    ):
        values: dict[str, Any] = {"last_seen_at": now, "unreachable_since": None}
        if moved:
            values["chat_id"] = chat_id
        await session.exec(update(_ACCOUNT).where(_ACCOUNT.c.id == row.id).values(**values))
    account = AccountView(row.id, row.platform, chat_id if moved else row.chat_id, row.member_id, row.cell_id,
                          row.full_name, row.status)
    conversation = None
    if row.flow is not None or row.choices:
        conversation = {"flow": row.flow, "step": row.step, "data": row.data or {}, "choices": row.choices or []}
    return Loaded(account, conversation, row.conversation_of is not None, row.conversation_chat)


async def save_conversation(
    session: AsyncSession, account_id: int, *, flow: str | None, step: str | None,
    data: dict[str, Any], choices: list[list[str]], chat_id: str, now: datetime, existed: bool,
) -> None:
    """Store the account's conversation as belonging to `chat_id`: it continues only there."""
    values = {"flow": flow, "step": step, "data": data, "choices": choices, "chat_id": chat_id, "updated_at": now}
    if existed:
        result = await session.exec(
            update(_CONVERSATION).where(_CONVERSATION.c.account_id == account_id).values(**values)
        )
        if result.rowcount:
            return
    await session.exec(insert(_CONVERSATION).values(account_id=account_id, **values))


async def set_choices(
    session: AsyncSession, account_id: int, choices: list[list[str]], now: datetime, chat_id: str | None = None
) -> None:
    """Remember the choices just offered to another account, keeping its conversation.

    `chat_id` is the chat they were offered in: the answer is read only there. A flow pending in
    its own chat keeps that chat (moving it would strand the flow), and without `chat_id` (the
    scheduler sends to the account's own chat) the row keeps its chat; a new row then gets None,
    the private chat.
    """
    values: dict[str, Any] = {"choices": choices, "updated_at": now}
    if chat_id is not None:
        values["chat_id"] = case((_CONVERSATION.c.flow.is_(None), chat_id), else_=_CONVERSATION.c.chat_id)
    result = await session.exec(
        update(_CONVERSATION).where(_CONVERSATION.c.account_id == account_id).values(**values)
    )
    if not result.rowcount:
        await session.exec(insert(_CONVERSATION).values(
            account_id=account_id, flow=None, step=None, data={}, choices=choices, chat_id=chat_id, updated_at=now
        ))


async def roles_of(session: AsyncSession, member_id: int) -> list[tuple[int, str, str, int | None]]:
    rows = await session.execute(
        select(_ROLE.c.unit_id, _ROLE.c.role, _UNIT.c.kind, _UNIT.c.parent_id)
        .join(_UNIT, _UNIT.c.id == _ROLE.c.unit_id)
        .where(_ROLE.c.member_id == member_id)
    )
    return [(r.unit_id, r.role, r.kind, r.parent_id) for r in rows]


@dataclass(frozen=True, slots=True)
class Target:
    id: int
    platform: str
    chat_id: str


async def preferred_account(session: AsyncSession, member_id: int) -> Target | None:
    """The account to reach a member on: on the messenger chosen with /kenh if any, else the one used last."""
    chosen = case((_ACCOUNT.c.platform == _MEMBER.c.preferred_platform, 0), else_=1)
    row = (await session.execute(
        select(_ACCOUNT.c.id, _ACCOUNT.c.platform, _ACCOUNT.c.chat_id)
        .join(_MEMBER, _MEMBER.c.id == _ACCOUNT.c.member_id)
        .where(_ACCOUNT.c.member_id == member_id)
        .order_by(chosen, _ACCOUNT.c.last_seen_at.desc(), _ACCOUNT.c.id.desc())
        .limit(1)
    )).first()
    return Target(row.id, row.platform, row.chat_id) if row else None


async def account_target(session: AsyncSession, account_id: int) -> Target | None:
    row = (await session.execute(
        select(_ACCOUNT.c.id, _ACCOUNT.c.platform, _ACCOUNT.c.chat_id).where(_ACCOUNT.c.id == account_id)
    )).first()
    return Target(row.id, row.platform, row.chat_id) if row else None


async def link(session: AsyncSession, account_id: int, member_id: int) -> None:
    await session.exec(update(_ACCOUNT).where(_ACCOUNT.c.id == account_id).values(member_id=member_id))
