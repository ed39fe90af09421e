"""Chat accounts: finding the sender, creating strangers, choosing where to reach a member.

Finding the sender runs for every incoming message: on the fast lane (storage/lane.py). The
rest is SQLAlchemy Core.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, insert, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import update_marks
from storage.lane import Lane, Sql, as_datetime, as_json, lane
from storage.tables import UPDATE_KEY_MAX, ChatAccount, Conversation, Member, OrgUnit, Role
from storage.types import table_of

_ACCOUNT = table_of(ChatAccount)
_MEMBER = table_of(Member)
_CONVERSATION = table_of(Conversation)
_ROLE = table_of(Role)
_UNIT = table_of(OrgUnit)

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


# The sender with member and conversation, and when another account of the same member was
# last seen, in one statement on the fast lane (storage/lane.py): this runs for every message.
_SENDER = (
    "a.id, a.chat_id, a.member_id, a.last_seen_at, m.cell_id, m.full_name, m.status, "
    "c.account_id, c.flow, c.step, c.data, c.choices, c.chat_id AS conversation_chat, "
    "(SELECT max(s.last_seen_at) FROM chat_account s WHERE s.member_id = a.member_id AND s.id != a.id)"
)
_JOINS = "LEFT JOIN member m ON m.id = a.member_id LEFT JOIN conversation c ON c.account_id = a.id"
_LOAD = Sql(f"SELECT {_SENDER} FROM chat_account a {_JOINS} WHERE a.platform = ? AND a.platform_user_id = ?")
# PostgreSQL: the update's mark (storage/update_marks.py) and the sender in one statement, one
# round trip less on every message (/baocao: 5 round trips to 4). The row comes back whether or not
# the sender has an account (the outer join); its first column says whether the mark was new.
_MARK_AND_LOAD = Sql(
    f"WITH mark AS ({update_marks.MARK_TEXT} RETURNING 1) "
    f"SELECT (SELECT count(*) FROM mark), {_SENDER} FROM (SELECT 1) AS one "
    f"LEFT JOIN chat_account a ON a.platform = ? AND a.platform_user_id = ? {_JOINS}"
)
_CREATE = Sql(
    "INSERT INTO chat_account (platform, platform_user_id, chat_id, display_name, last_seen_at, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id"
)
_SEEN = Sql("UPDATE chat_account SET last_seen_at = ?, unreachable_since = NULL, chat_id = coalesce(?, chat_id) "
            "WHERE id = ?")


async def load_or_create(
    session: AsyncSession, platform: str, user_id: str, chat_id: str, display_name: str, now: datetime,
    *, private: bool = True,
) -> Loaded:
    """The sender's account with member and conversation in one query; strangers get an account.

    A private message also corrects the account's address when it differs (an account first
    seen in a group before addresses were taken from private chats only)."""
    road = await lane(session)
    return await _loaded(road, await road.one(_LOAD, platform, user_id), platform, user_id, chat_id,
                         display_name, now, private=private)


async def mark_and_load(
    session: AsyncSession, update_key: str, platform: str, user_id: str, chat_id: str, display_name: str,
    now: datetime, *, private: bool = True,
) -> Loaded | None:
    """The first step of a message: mark its update handled (storage/update_marks.py) and find
    its sender (`load_or_create`); None when the update was handled already (a redelivery).

    On PostgreSQL both are one statement; on SQLite, where a statement is no round trip (the
    lane runs on the loop's thread), and an INSERT cannot sit in a WITH, they are two."""
    road = await lane(session)
    key = update_key[:UPDATE_KEY_MAX]
    if not road.postgres:
        if not await update_marks.mark(session, platform, key, now):
            return None
        row = await road.one(_LOAD, platform, user_id)
    else:
        found = await road.one(_MARK_AND_LOAD, platform, key, now, platform, user_id)
        assert found is not None  # one row, the sender's or nulls
        if not found[0] and not await update_marks.renew(road, platform, key, now):
            return None
        row = found[1:] if found[1] is not None else None
    return await _loaded(road, row, platform, user_id, chat_id, display_name, now, private=private)


async def _loaded(
    road: Lane, row: tuple[Any, ...] | None, platform: str, user_id: str, chat_id: str, display_name: str,
    now: datetime, *, private: bool,
) -> Loaded:
    """The sender from `_SENDER`'s columns, created when there was no row; its last visit noted."""
    if row is None:
        created = await road.one(_CREATE, platform, user_id, chat_id, display_name[:200], now, now)
        assert created is not None
        return Loaded(AccountView(int(created[0]), platform, chat_id, None, None, None), None)
    (account_id, stored_chat, member_id, seen, cell_id, full_name, status,
     conversation_of, flow, step, data, choices, conversation_chat, sibling_seen) = row
    seen, sibling_seen = as_datetime(seen), as_datetime(sibling_seen)
    assert seen is not None
    moved = private and stored_chat != chat_id
    if moved or now - seen > SEEN_GRANULARITY or (sibling_seen is not None and sibling_seen >= seen):
        await road.run(_SEEN, now, chat_id if moved else None, account_id)
    account = AccountView(account_id, platform, chat_id if moved else stored_chat, member_id, cell_id,
                          full_name, status)
    choices = as_json(choices)
    conversation = None
    if flow is not None or choices:
        conversation = {"flow": flow, "step": step, "data": as_json(data) or {}, "choices": choices or []}
    return Loaded(account, conversation, conversation_of is not None, conversation_chat)


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


_ROLES = Sql("SELECT r.unit_id, r.role, u.kind, u.parent_id FROM role r JOIN org_unit u ON u.id = r.unit_id "
             "WHERE r.member_id = ?")


async def roles_of(session: AsyncSession, member_id: int) -> list[tuple[int, str, str, int | None]]:
    """The member's roles, with each unit's kind and parent: asked by every command that is not
    for everyone (who may run it), so on the lane (a few rows by the role's member index)."""
    rows = await (await lane(session)).all(_ROLES, member_id)
    return [(int(unit_id), str(role), str(kind), parent_id) for unit_id, role, kind, parent_id in rows]


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
