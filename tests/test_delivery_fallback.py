"""Reminders and the secretary's notices go to any running messenger the member has (issue 11, item 12).

A member on Telegram and Zalo, with only Telegram running, gets them on Telegram; one whose
Telegram refuses gets them on Zalo; only when every running messenger refused is the member
unreachable (and named to the secretary); one who is only on a messenger not running waits.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.messages import Address, Reply
from schedules.driver import Scheduler
from storage import accounts, messengers, outbox
from storage.db import Database
from storage.meetings import Meeting
from storage.outbox import OutboxMessage
from storage.tables import ChatAccount
from tests.cell_setup import local, make_cell

PEOPLE = {"an": "Nguyễn Văn An", "binh": "Trần Thị Bình", "cuong": "Lê Văn Cường"}
INVITE = "kính mời đồng chí dự"
LIST = "Chưa gửi được lời mời"
INVITED = "2026-12-02 08:00"  # three days before the meeting


class Counting(MemoryChannel):
    """A messenger that also counts every request, refused ones included."""

    def __init__(self, platform: str) -> None:
        super().__init__(platform=platform)
        self.asked: list[str] = []

    async def send(self, to: Address, reply: Reply) -> None:
        self.asked.append(to.chat_id)
        await super().send(to, reply)


async def _cell(db: Database, now: datetime, messengers_of: dict[str, tuple[str, ...]],
                preferred: dict[str, str]) -> dict[str, int]:
    """The cell of PEOPLE (secretary: an), each with accounts on `messengers_of[name]` (chat id: the name),
    and a meeting on 05/12 at 19:30."""
    cell = await make_cell(db, now, PEOPLE, exempt=(), without_account=tuple(PEOPLE))
    async with db.session() as session:
        for name, platforms in messengers_of.items():
            for platform in platforms:
                loaded = await accounts.load_or_create(session, platform, name, name, PEOPLE[name], now)
                await accounts.link(session, loaded.account.id, cell.members[name])
            if name in preferred:
                await messengers.set_preferred_platform(session, cell.members[name], preferred[name])
        session.add(Meeting(cell_id=cell.id, starts_at=local("2026-12-05 19:30")))
        await session.commit()
    return cell.members


def _texts(channel: MemoryChannel, marker: str) -> list[str]:
    return [s.to.chat_id for s in channel.sent if marker in s.reply.text]


async def _invitations(db: Database) -> dict[int, OutboxMessage]:
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.kind == outbox.INVITATION))).all()
    return {row.member_id: row for row in rows}


async def _refused(db: Database) -> set[tuple[str, str]]:
    """The accounts marked unreachable: (platform, chat)."""
    async with db.session() as session:
        rows = (await session.exec(select(ChatAccount).where(col(ChatAccount.unreachable_since).is_not(None)))).all()
    return {(row.platform, row.chat_id) for row in rows}


async def test_preferred_messenger_not_running_delivers_on_the_running_one(db: Database, clock: ManualClock) -> None:
    """The issue's case: Telegram and Zalo accounts, Zalo preferred, only Telegram running."""
    ids = await _cell(db, clock.now(), {"an": ("telegram", "zalo"), "binh": ("telegram", "zalo"),
                                        "cuong": ("telegram",)},
                      preferred={"an": "zalo", "binh": "zalo"})
    telegram = MemoryChannel(platform="telegram")
    telegram.unreachable.add("cuong")  # so that the secretary has a list to read
    scheduler = Scheduler(db, {"telegram": telegram}, clock.now)
    assert await scheduler.run_pass(local(INVITED))
    assert sorted(_texts(telegram, INVITE)) == ["an", "binh"]
    (notice,) = [s for s in telegram.sent if LIST in s.reply.text]
    assert notice.to == Address("telegram", "an")  # the secretary prefers Zalo: it came on Telegram
    assert PEOPLE["cuong"] in notice.reply.text
    assert PEOPLE["an"] not in notice.reply.text and PEOPLE["binh"] not in notice.reply.text
    rows = await _invitations(db)
    assert {rows[ids[n]].status for n in ("an", "binh")} == {outbox.SENT}
    assert {rows[ids[n]].platform for n in ("an", "binh")} == {"telegram"}
    assert rows[ids["cuong"]].status == outbox.UNREACHABLE
    assert await _refused(db) == {("telegram", "cuong")}


async def test_a_secretary_notice_follows_the_same_choice(db: Database, clock: ManualClock) -> None:
    ids = await _cell(db, clock.now(), {"an": ("zalo", "telegram")}, preferred={"an": "zalo"})
    async with db.session() as session:
        await outbox.enqueue(session, [outbox.New("n:1", ids["an"], outbox.NOTICE, clock.now(),
                                                  payload={"text": "Đồng chí Bình đã chuyển sinh hoạt."})], clock.now())
        await session.commit()
    telegram = MemoryChannel(platform="telegram")
    assert await Scheduler(db, {"telegram": telegram}, clock.now).run_pass()
    assert [(s.to, s.reply.text) for s in telegram.sent] == [
        (Address("telegram", "an"), "Đồng chí Bình đã chuyển sinh hoạt.")]


async def test_a_refusal_on_telegram_sends_it_on_zalo_once(db: Database, clock: ManualClock) -> None:
    ids = await _cell(db, clock.now(), {"an": ("telegram",), "binh": ("telegram", "zalo"), "cuong": ("zalo",)},
                      preferred={"binh": "telegram"})
    telegram, zalo = Counting("telegram"), Counting("zalo")
    telegram.unreachable.add("binh")  # blocked the bot on Telegram
    scheduler = Scheduler(db, {"telegram": telegram, "zalo": zalo}, clock.now)
    assert await scheduler.run_pass(local(INVITED))
    assert sorted(_texts(zalo, INVITE)) == ["binh", "cuong"]
    assert telegram.asked.count("binh") == 1 and _texts(telegram, INVITE) == ["an"]
    row = (await _invitations(db))[ids["binh"]]
    assert (row.status, row.platform) == (outbox.SENT, "zalo")
    assert row.account_id is not None
    assert await _refused(db) == {("telegram", "binh")}  # the account, not the member
    assert not any(LIST in s.reply.text for s in telegram.sent + zalo.sent)  # nobody to list
    # The next message goes straight to Zalo: Telegram, which refused, is not asked again first.
    await scheduler.run_pass(local("2026-12-04 08:00"))
    assert telegram.asked.count("binh") == 1
    assert _texts(zalo, "chưa trả lời").count("binh") == 1


async def test_refused_on_every_running_messenger_is_unreachable_and_listed(db: Database, clock: ManualClock) -> None:
    ids = await _cell(db, clock.now(), {"an": ("telegram",), "binh": ("telegram", "zalo")}, preferred={})
    telegram, zalo = Counting("telegram"), Counting("zalo")
    telegram.unreachable.add("binh")
    zalo.unreachable.add("binh")
    scheduler = Scheduler(db, {"telegram": telegram, "zalo": zalo}, clock.now)
    assert await scheduler.run_pass(local(INVITED), in_flight=1)
    assert (telegram.asked.count("binh"), zalo.asked.count("binh")) == (1, 1)
    row = (await _invitations(db))[ids["binh"]]
    assert row.status == outbox.UNREACHABLE
    assert row.last_error is not None and "telegram" in row.last_error and "zalo" in row.last_error
    assert await _refused(db) == {("telegram", "binh"), ("zalo", "binh")}
    (notice,) = [s for s in telegram.sent if LIST in s.reply.text]
    assert PEOPLE["binh"] in notice.reply.text


async def test_only_on_a_messenger_not_running_waits_and_is_not_unreachable(db: Database, clock: ManualClock) -> None:
    ids = await _cell(db, clock.now(), {"an": ("telegram",), "binh": ("zalo",), "cuong": ("telegram",)},
                      preferred={})
    telegram = MemoryChannel(platform="telegram")
    telegram.unreachable.add("cuong")
    channels: dict[str, MemoryChannel] = {"telegram": telegram}
    scheduler = Scheduler(db, channels, clock.now)
    assert await scheduler.run_pass(local(INVITED))
    row = (await _invitations(db))[ids["binh"]]
    assert (row.status, row.due_at) == (outbox.PENDING, local(INVITED))  # still due, as planned
    assert row.last_error == outbox.WAITING + "zalo"
    assert await _refused(db) == {("telegram", "cuong")}
    async with db.session() as session:
        assert await outbox.next_due(session) != local(INVITED)  # no pass woken for it every moment
    # The secretary hears of the one refused at once, without the one who waits.
    (notice,) = [s for s in telegram.sent if LIST in s.reply.text]
    assert PEOPLE["cuong"] in notice.reply.text and PEOPLE["binh"] not in notice.reply.text
    # Zalo starts running: the invitation goes there at the next pass, once.
    zalo = MemoryChannel(platform="zalo")
    channels["zalo"] = zalo
    assert await scheduler.run_pass(local("2026-12-02 08:01"))
    assert _texts(zalo, INVITE) == ["binh"]
    assert await scheduler.run_pass(local("2026-12-02 09:00"))
    assert _texts(zalo, INVITE) == ["binh"]
    assert (await _invitations(db))[ids["binh"]].status == outbox.SENT


async def test_a_waiting_message_goes_once_the_member_links_a_running_messenger(
        db: Database, clock: ManualClock) -> None:
    ids = await _cell(db, clock.now(), {"an": ("telegram",), "binh": ("zalo",), "cuong": ("telegram",)},
                      preferred={})
    telegram = MemoryChannel(platform="telegram")
    scheduler = Scheduler(db, {"telegram": telegram}, clock.now)
    assert await scheduler.run_pass(local(INVITED))
    assert sorted(_texts(telegram, INVITE)) == ["an", "cuong"]
    async with db.session() as session:
        loaded = await accounts.load_or_create(session, "telegram", "binh", "binh", PEOPLE["binh"],
                                               local("2026-12-02 10:00"))
        await accounts.link(session, loaded.account.id, ids["binh"])
        await session.commit()
    assert await scheduler.run_pass(local("2026-12-02 10:00"))
    assert await scheduler.run_pass(local("2026-12-02 11:00"))
    assert sorted(_texts(telegram, INVITE)) == ["an", "binh", "cuong"]
    assert (await _invitations(db))[ids["binh"]].status == outbox.SENT
    assert not any(LIST in s.reply.text for s in telegram.sent)


async def test_no_account_at_all_is_unreachable(db: Database, clock: ManualClock) -> None:
    ids = await _cell(db, clock.now(), {"an": ("telegram",)}, preferred={})
    telegram = MemoryChannel(platform="telegram")
    assert await Scheduler(db, {"telegram": telegram}, clock.now).run_pass(local(INVITED))
    rows = await _invitations(db)
    assert rows[ids["binh"]].status == outbox.UNREACHABLE
    (notice,) = [s for s in telegram.sent if LIST in s.reply.text]
    assert PEOPLE["binh"] in notice.reply.text and PEOPLE["cuong"] in notice.reply.text
