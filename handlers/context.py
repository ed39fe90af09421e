"""Everything a handler needs for one incoming message, and the replies it collects."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.dates import DEFAULT_TIMEZONE
from domain.messages import Address, Choice, Incoming, Outgoing, PlatformCaps, Reply
from domain.vocabulary import LEADER_ROLES, Position, Status, UnitKind
from storage import accounts, candidates

if TYPE_CHECKING:
    from handlers.registry import Catalog


class Audience(enum.IntEnum):
    """Who may use a command (each level also admits the levels above it where it makes sense)."""

    ANYONE = 0  # strangers too: joining, help
    MEMBER = 1  # a joined member
    LEADER = 2  # a cell's secretary, deputy or cell committee member
    COMMITTEE = 3  # a committee member (cấp ủy viên đảng bộ)
    LEADER_OR_COMMITTEE = 4
    KEEPER_OR_CANDIDATE = 5  # LEADER_OR_COMMITTEE, or a candidate linked by their code (/nguon: their own path)


@dataclass(frozen=True, slots=True)
class HandlerSettings:
    """The settings handlers read (the rest of the runtime's settings stay in `bot`)."""

    timezone: str = DEFAULT_TIMEZONE
    files_dir: str = "./data/files"  # charts and workbooks made for people

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(slots=True)
class ConversationState:
    """The account's half-finished conversation, loaded from and saved to the database."""

    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    choices: list[list[str]] = field(default_factory=list)
    dirty: bool = False


@dataclass(frozen=True, slots=True)
class UnitRole:
    unit_id: int
    role: str
    unit_kind: str
    parent_id: int | None


@dataclass(slots=True)
class Ctx:
    """The context of one incoming message."""

    session: AsyncSession
    incoming: Incoming
    caps: PlatformCaps
    now: datetime
    settings: HandlerSettings
    account: accounts.AccountView
    conversation: ConversationState
    catalog: Catalog | None = None
    out: list[Outgoing] = field(default_factory=list)
    _roles: list[UnitRole] | None = None
    _candidate: bool | None = None

    # -- replies ---------------------------------------------------------------
    def reply(
        self,
        text: str,
        choices: tuple[Choice, ...] | list[Choice] = (),
        *,
        photo: Path | None = None,
        document: Path | None = None,
    ) -> None:
        """Answer in the chat the message came from."""
        to = Address(self.incoming.platform, self.incoming.reply_chat)
        reply = Reply(text, tuple(choices), photo, document)
        self.out.append(Outgoing(to, reply, self.account.id if self.incoming.is_private else None))

    async def notify(self, member_id: int, reply: Reply) -> bool:
        """Send to a member on the account they used last; False when they have none."""
        target = await accounts.preferred_account(self.session, member_id)
        if target is None:
            return False
        self.out.append(Outgoing(Address(target.platform, target.chat_id), reply, target.id))
        return True

    async def notify_account(self, account_id: int, reply: Reply) -> bool:
        """Send to one account (someone who has not joined yet has no member to notify)."""
        target = await accounts.account_target(self.session, account_id)
        if target is None:
            return False
        self.out.append(Outgoing(Address(target.platform, target.chat_id), reply, target.id))
        return True

    # -- conversation state ----------------------------------------------------
    def ask(self, text: str, flow: str, step: str, data: dict[str, Any] | None = None,
            choices: tuple[Choice, ...] | list[Choice] = ()) -> None:
        """Reply and wait for the next message in `flow` at `step`."""
        self.conversation.flow = flow
        self.conversation.step = step
        if data is not None:
            self.conversation.data = data
        self.conversation.dirty = True
        self.reply(text, choices)

    def finish(self) -> None:
        """Forget any half-finished conversation."""
        if self.conversation.flow or self.conversation.data:
            self.conversation.flow = None
            self.conversation.step = None
            self.conversation.data = {}
            self.conversation.dirty = True

    # -- who is this -----------------------------------------------------------
    @property
    def member_id(self) -> int | None:
        return self.account.member_id

    @property
    def joined_member_id(self) -> int:
        """The sender's member id where only a joined member gets this far (a command for
        Audience.MEMBER and up, or a flow one of them started): typed `int`, not `int | None`."""
        if self.account.member_id is None:
            raise RuntimeError("a member's command reached an account linked to no member")
        return self.account.member_id

    @property
    def exempt(self) -> bool:
        """Miễn công tác và sinh hoạt đảng: not expected at meetings, so not shown their commands."""
        return self.account.status == Status.EXEMPT

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.settings.tz)

    async def roles(self) -> list[UnitRole]:
        if self._roles is None:
            rows = await accounts.roles_of(self.session, self.account.member_id) if self.account.member_id else []
            self._roles = [UnitRole(*row) for row in rows]
        return self._roles

    async def leader_cells(self) -> list[int]:
        """Cells this person leads (secretary, deputy, cell committee)."""
        return [r.unit_id for r in await self.roles() if r.role in LEADER_ROLES and r.unit_kind != UnitKind.COMMITTEE]

    async def committees(self) -> list[int]:
        """Committees this person sits on (secretary, deputy or member of the committee)."""
        return sorted({
            r.unit_id for r in await self.roles()
            if r.unit_kind == UnitKind.COMMITTEE and r.role in (Position.SECRETARY, Position.DEPUTY,
                Position.COMMITTEE_MEMBER)
        })

    async def is_candidate(self) -> bool:
        """A candidate for admission (not a member) whose code linked this account (handlers.candidates_own)."""
        if self._candidate is None:
            mine = self.account.member_id is None  # a member is never a candidate here, whatever the row says
            self._candidate = mine and await candidates.of_account(self.session, self.account.id) is not None
        return self._candidate

    async def allows(self, audience: Audience) -> bool:
        if audience is Audience.ANYONE:
            return True
        if self.account.member_id is None:
            return audience is Audience.KEEPER_OR_CANDIDATE and await self.is_candidate()
        if audience is Audience.MEMBER:
            return True
        leads = bool(await self.leader_cells())
        sits = bool(await self.committees())
        if audience is Audience.LEADER:
            return leads
        if audience is Audience.COMMITTEE:
            return sits
        return leads or sits
