"""A cell to test meetings with: members on the in-memory messenger, one secretary, exempt ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.app import Chibo
from bot.clock import ManualClock
from domain.messages import Incoming
from domain.vocabulary import Position, Status
from storage import accounts, org, unit_settings
from storage.db import Database
from storage.tables import Member
from storage.types import id_of
from tests.conftest import TZ

NAMES = {
    "an": "Nguyễn Văn An", "binh": "Trần Thị Bình", "cuong": "Lê Văn Cường", "dung": "Phạm Thị Dung",
    "em": "Hoàng Văn Em", "hoa": "Đỗ Văn Hòa",
}


@dataclass(frozen=True)
class Cell:
    id: int
    members: dict[str, int]  # member ids by chat name (the chat id on the memory platform)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


async def make_cell(db: Database, now: datetime, people: dict[str, str] | None = None, *,
                    exempt: tuple[str, ...] = ("hoa",), secretary: str = "an",
                    without_account: tuple[str, ...] = (), deadline: str = "30/06") -> Cell:
    """A committee and a cell of `people` (chat name → full name) with accounts on the memory platform.

    The committee's self-assessment deadline is moved away from December (where the default
    10/12 would add its reminders to every test of December meetings)."""
    people = people or NAMES
    ids: dict[str, int] = {}
    async with db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ thử")
        cell, _, _ = await org.create_cell(session, committee, "Chi bộ thử")
        await unit_settings.put(session, id_of(committee), "self_assessment_deadline", deadline)
        for chat, name in people.items():
            member = await org.add_member(session, cell.id, name, Status.EXEMPT if chat in exempt else "official")
            ids[chat] = id_of(member)
            if chat == secretary:
                await org.grant_role(session, id_of(member), id_of(cell), Position.SECRETARY)
            if chat not in without_account:
                loaded = await accounts.load_or_create(session, "memory", chat, chat, name, now)
                await accounts.link(session, loaded.account.id, id_of(member))
        await session.commit()
    return Cell(id_of(cell), ids)


async def say(app: Chibo, who: str, text: str) -> None:
    await app.handle(Incoming("memory", who, text, chat_id=who))


async def tick(app: Chibo, clock: ManualClock, when: str) -> None:
    clock.set(local(when))
    await app.tick()


async def member(db: Database, member_id: int) -> Member:
    async with db.session() as session:
        found = await session.get(Member, member_id)
        assert found is not None
        return found
