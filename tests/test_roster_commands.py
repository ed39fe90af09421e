"""Keeping the roster from the chat: /chuyen, /mien, /roi, /chibo. Each asks before it records;
on "Đồng ý" one dated event is written with who confirmed it, the secretaries concerned are
told through the outbox, and every refusal says why in Vietnamese."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.errors import UserError
from domain.history import Event, EventKind, Standing, standing_at
from domain.roster_changes import Change, check
from domain.vocabulary import Position, Status, UnitKind
from storage import accounts, membership, org, roster
from storage.db import Database
from storage.membership import MembershipEvent
from storage.outbox import NOTICE, OutboxMessage
from storage.tables import JoinCode, Member, OrgUnit, Role
from storage.types import id_of
from tests.cell_setup import say

TODAY = date(2026, 11, 20)  # the clock fixture's day


@dataclass(frozen=True)
class World:
    committee: int
    kp1: int
    kp2: int
    kp3: int
    ids: dict[str, int]  # member ids by chat name (or a key for members without an account)


async def make_world(db: Database, clock: ManualClock) -> World:
    """Đảng bộ phường Tân Định: khu phố 1 (An secretary, Bình, Cường, Dung), khu phố 2 (Lan
    secretary, Minh, Trần Văn Bình without an account), khu phố 3 (empty); Phúc sits on the
    committee. Another committee (phường Sài Gòn) has khu phố 9 and its member Sơn."""
    ids: dict[str, int] = {}
    async with db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ phường Tân Định")
        kp1, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 1")
        kp2, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 2")
        kp3, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 3")
        other, _ = await org.create_committee(session, "Đảng bộ phường Sài Gòn")
        kp9, _, _ = await org.create_cell(session, other, "Chi bộ khu phố 9")
        people = [("an", kp1, "Nguyễn Văn An"), ("binh", kp1, "Trần Thị Bình"), ("cuong", kp1, "Lê Văn Cường"),
                  ("dung", kp1, "Phạm Thị Dung"), ("lan", kp2, "Ngô Thị Lan"), ("minh", kp2, "Mai Văn Minh"),
                  ("binh2", kp2, "Trần Văn Bình"), ("phuc", None, "Trịnh Văn Phúc"), ("son", kp9, "Đỗ Văn Sơn")]
        for chat, cell, name in people:
            member = await org.add_member(session, cell.id if cell else None, name, today=TODAY)
            ids[chat] = id_of(member)
            if chat != "binh2":
                loaded = await accounts.load_or_create(session, "memory", chat, chat, name, clock.now())
                await accounts.link(session, loaded.account.id, id_of(member))
        await org.grant_role(session, ids["an"], id_of(kp1), Position.SECRETARY)
        await org.grant_role(session, ids["lan"], id_of(kp2), Position.SECRETARY)
        await org.grant_role(session, ids["phuc"], id_of(committee), Position.COMMITTEE_MEMBER)
        await org.grant_role(session, ids["son"], id_of(other), Position.COMMITTEE_MEMBER)
        await session.commit()
    return World(id_of(committee), id_of(kp1), id_of(kp2), id_of(kp3), ids)


@pytest.fixture
async def world(db: Database, clock: ManualClock) -> World:
    return await make_world(db, clock)


async def talk(app: Chibo, memory: MemoryChannel, who: str, text: str) -> str:
    """What the bot answered `who` (the answers to others, if any, stay in `memory`)."""
    memory.take()
    await say(app, who, text)
    return "\n".join(sent.reply.text for sent in memory.take() if sent.to.chat_id == who)


async def standing(db: Database, member_id: int, day: date = TODAY) -> Standing | None:
    async with db.session() as session:
        return standing_at(await membership.events_of(session, member_id), day)


async def cached(db: Database, member_id: int) -> Member:
    async with db.session() as session:
        found = await session.get(Member, member_id)
        assert found is not None
        return found


async def events(db: Database, member_id: int) -> list[MembershipEvent]:
    async with db.session() as session:
        return list((await session.execute(select(MembershipEvent).where(
            col(MembershipEvent.member_id) == member_id).order_by(col(MembershipEvent.id)))).scalars())


async def notices(db: Database) -> list[tuple[int, str]]:
    async with db.session() as session:
        rows = (await session.execute(select(OutboxMessage).where(
            col(OutboxMessage.kind) == NOTICE).order_by(col(OutboxMessage.id)))).scalars()
        return [(row.member_id, row.payload["text"]) for row in rows]


# -- /chuyen --------------------------------------------------------------------------------------------

async def test_a_transfer_between_cells_is_shown_confirmed_recorded_and_told_to_both_secretaries(
        app: Chibo, memory: MemoryChannel, db: Database, world: World) -> None:
    asked = await talk(app, memory, "phuc", "/chuyen Cường khu pho 2 15/11/2026")
    assert asked == ("Đồng chí xác nhận ghi thay đổi sau?\n"
                     "- Đảng viên: Lê Văn Cường (Chi bộ khu phố 1)\n"
                     "- Thay đổi: chuyển sinh hoạt từ Chi bộ khu phố 1 sang Chi bộ khu phố 2\n"
                     "- Từ ngày: 15/11/2026")
    assert len(await events(db, world.ids["cuong"])) == 1  # asked, nothing recorded yet
    assert await notices(db) == []
    done = await talk(app, memory, "phuc", "1")  # [1] Đồng ý
    assert done == ("Đã ghi: Lê Văn Cường chuyển sinh hoạt từ Chi bộ khu phố 1 sang Chi bộ khu phố 2 từ ngày "
                    "15/11/2026.\nĐã báo cho 2 bí thư chi bộ liên quan.")
    last = (await events(db, world.ids["cuong"]))[-1]
    assert (last.kind, last.on, last.cell_id, last.recorded_by) == (
        EventKind.TRANSFERRED, date(2026, 11, 15), world.kp2, world.ids["phuc"])
    member = await cached(db, world.ids["cuong"])
    assert (member.cell_id, member.active) == (world.kp2, True)
    assert await standing(db, world.ids["cuong"], date(2026, 11, 14)) == Standing(world.kp1, Status.OFFICIAL, True)
    text = ("Thông báo: Lê Văn Cường chuyển sinh hoạt từ Chi bộ khu phố 1 sang Chi bộ khu phố 2 từ ngày 15/11/2026 "
            "(đồng chí Trịnh Văn Phúc ghi).")
    assert await notices(db) == [(world.ids["an"], text), (world.ids["lan"], text)]


async def test_the_secretary_moves_a_member_by_number_today_and_only_the_other_secretary_is_told(
        app: Chibo, memory: MemoryChannel, db: Database, world: World) -> None:
    listing = await talk(app, memory, "an", "/chuyen")
    assert "Danh sách Chi bộ khu phố 1:\n1. Nguyễn Văn An\n2. Trần Thị Bình\n3. Lê Văn Cường\n4. Phạm Thị Dung" \
        in listing
    asked = await talk(app, memory, "an", "/chuyen 4 Chi bộ khu phố 2")
    assert "- Đảng viên: Phạm Thị Dung (Chi bộ khu phố 1)" in asked and "- Từ ngày: 20/11/2026" in asked
    assert "Đã ghi: Phạm Thị Dung" in await talk(app, memory, "an", "có")
    assert [member for member, _ in await notices(db)] == [world.ids["lan"]]
    assert (await events(db, world.ids["dung"]))[-1].recorded_by == world.ids["an"]


@pytest.mark.parametrize("answer", ["2", "Hủy", "huy", "không", "khong"])
async def test_cancelling_records_nothing(app: Chibo, memory: MemoryChannel, db: Database, world: World,
                                          answer: str) -> None:
    await talk(app, memory, "an", "/chuyen 2 khu phố 2")
    assert await talk(app, memory, "an", answer) == "Đã hủy: không ghi thay đổi nào."
    assert len(await events(db, world.ids["binh"])) == 1
    assert (await cached(db, world.ids["binh"])).cell_id == world.kp1


async def test_an_unclear_answer_asks_again(app: Chibo, memory: MemoryChannel, db: Database, world: World) -> None:
    await talk(app, memory, "an", "/chuyen 2 khu phố 2")
    assert await talk(app, memory, "an", "để tôi xem") == "Gõ «đồng ý» để ghi thay đổi, hoặc «hủy» để thôi."
    assert "Đã ghi" in await talk(app, memory, "an", "dong y")


@pytest.mark.parametrize(("who", "typed", "says"), [
    ("an", "/chuyen 2 khu phố 1", "Đồng chí Trần Thị Bình đang sinh hoạt ở Chi bộ khu phố 1: không cần chuyển."),
    ("an", "/chuyen 2 khu phố 2 25/12/2026", "Ngày 25/12/2026 chưa tới: chỉ ghi thay đổi đã có hiệu lực"),
    ("an", "/chuyen 2 khu phố 9", "Không tìm thấy nơi chuyển đến trong «khu phố 9»"),  # another committee's
    ("an", "/chuyen Minh khu phố 1", "Không tìm thấy đảng viên «Minh khu phố 1» trong danh sách Chi bộ khu phố 1."),
    ("an", "/chuyen 9 khu phố 2", "Không tìm thấy đảng viên «9»"),
    ("an", "/chuyen 2", "Thiếu nơi chuyển đến."),
    ("phuc", "/chuyen 2 khu phố 2", "Số thứ tự là số trong danh sách của một chi bộ; cấp ủy viên vui lòng gõ họ tên"),
    ("son", "/chuyen Cường khu phố 2", "Không tìm thấy đảng viên"),  # not his committee's member
    ("binh", "/chuyen 3 khu phố 2", "Lệnh này dành cho bí thư chi bộ hoặc cấp ủy viên đảng bộ."),
    ("an", "/chuyen 2 khu phố 2 tạm thời", "Chuyển sinh hoạt tạm thời cần ngày kết thúc"),
    ("an", "/chuyen 2 khu phố 2 đến 30/06/2027", "«đến dd/mm/yyyy» chỉ dùng khi chuyển sinh hoạt tạm thời"),
    ("an", "/chuyen 2 khu phố 2 01/01/1800", "trước thay đổi gần nhất của đồng chí Trần Thị Bình (01/01/1900)"),
    ("an", "/chuyen 2 di", "Thiếu nơi chuyển đến sau «di»."),
])
async def test_transfers_refused_with_the_reason(app: Chibo, memory: MemoryChannel, db: Database, world: World,
                                                 who: str, typed: str, says: str) -> None:
    assert says in await talk(app, memory, who, typed)
    assert await notices(db) == []
    for member_id in world.ids.values():
        assert len(await events(db, member_id)) <= 1


async def test_a_transfer_out_of_the_committee_ends_the_membership_and_its_roles(
        app: Chibo, memory: MemoryChannel, db: Database, world: World) -> None:
    asked = await talk(app, memory, "phuc", "/chuyen Nguyễn Văn An di Đảng bộ xã Tân Phú 10/11/2026")
    assert asked.splitlines()[2:] == [
        "- Thay đổi: chuyển sinh hoạt từ Chi bộ khu phố 1 sang Đảng bộ xã Tân Phú (ra khỏi đảng bộ)",
        "- Từ ngày: 10/11/2026", "- Thôi giữ chức vụ: bí thư Chi bộ khu phố 1"]
    done = await talk(app, memory, "phuc", "đồng ý")
    assert done.startswith("Đã ghi: Nguyễn Văn An chuyển sinh hoạt từ Chi bộ khu phố 1 sang Đảng bộ xã Tân Phú (ra "
                           "khỏi đảng bộ) từ ngày 10/11/2026. Thôi giữ chức vụ: bí thư Chi bộ khu phố 1.")
    last = (await events(db, world.ids["an"]))[-1]
    assert (last.cell_id, last.other_unit, last.temporary) == (None, "Đảng bộ xã Tân Phú", False)
    assert (await cached(db, world.ids["an"])).active is False
    async with db.session() as session:
        assert (await session.execute(select(Role).where(col(Role.member_id) == world.ids["an"]))
                ).first() is None
    assert await notices(db) == []  # khu phố 1 has no secretary left to tell
    # He left: any later change is refused with how and when.
    said = await talk(app, memory, "phuc", "/roi Nguyễn Văn An tutran")
    assert said == ("Đồng chí Nguyễn Văn An đã chuyển sinh hoạt ra khỏi đảng bộ từ ngày 10/11/2026: không ghi thay đổi "
                    "nào được nữa.")


async def test_a_temporary_transfer_keeps_the_member_in_the_home_total(
        app: Chibo, memory: MemoryChannel, db: Database, world: World) -> None:
    asked = await talk(app, memory, "an", "/chuyen 3 khu phố 2 tam thoi den 31/03/2027")
    assert asked.splitlines()[2:] == [
        "- Thay đổi: chuyển sinh hoạt tạm thời sang Chi bộ khu phố 2 (vẫn tính trong đảng số của Chi bộ khu phố 1, "
        "không tính dự họp ở đó)", "- Từ ngày: 20/11/2026", "- Đến hết ngày: 31/03/2027"]
    await talk(app, memory, "an", "1")
    assert await standing(db, world.ids["cuong"]) == Standing(world.kp1, Status.OFFICIAL, True, away=True)
    assert await standing(db, world.ids["cuong"], date(2027, 4, 1)) == Standing(world.kp1, Status.OFFICIAL, True)
    assert (await cached(db, world.ids["cuong"])).cell_id == world.kp1
    again = await talk(app, memory, "an", "/chuyen 3 khu phố 2 tạm thời đến 30/04/2027")
    assert again.startswith("Đồng chí Lê Văn Cường đang chuyển sinh hoạt tạm thời đến ngày 31/03/2027")


# -- /mien ------------------------------------------------------------------------------------------

async def test_an_exemption_with_dates_and_its_end(app: Chibo, memory: MemoryChannel, db: Database,
                                                   world: World) -> None:
    asked = await talk(app, memory, "an", "/mien 3 từ 01/11/2026 đến 30/06/2027 ốm dài ngày")
    assert asked.splitlines()[1:] == [
        "- Đảng viên: Lê Văn Cường (Chi bộ khu phố 1)",
        "- Thay đổi: miễn công tác và sinh hoạt đảng (vẫn tính trong đảng số; không tính dự họp, không xếp loại)",
        "- Lý do: ốm dài ngày", "- Từ ngày: 01/11/2026", "- Đến hết ngày: 30/06/2027"]
    assert "Đã ghi: Lê Văn Cường (Chi bộ khu phố 1) được miễn công tác và sinh hoạt đảng từ ngày 01/11/2026 đến hết " \
           "ngày 30/06/2027." in await talk(app, memory, "an", "1")
    assert (await cached(db, world.ids["cuong"])).status == Status.EXEMPT
    assert (await events(db, world.ids["cuong"]))[-1].reason == "ốm dài ngày"
    assert await standing(db, world.ids["cuong"], date(2027, 7, 1)) == Standing(world.kp1, Status.OFFICIAL, True)
    again = await talk(app, memory, "an", "/mien Cường ốm")
    assert again.startswith("Đồng chí Lê Văn Cường đang được miễn công tác và sinh hoạt đảng từ ngày 01/11/2026 đến "
                            "ngày 30/06/2027.")
    listing = await talk(app, memory, "an", "/mien")
    assert "3. Lê Văn Cường — miễn sinh hoạt từ ngày 01/11/2026 đến ngày 30/06/2027" in listing
    ended = await talk(app, memory, "an", "/mien 3 het 15/11/2026")
    assert ("- Thay đổi: thôi miễn công tác và sinh hoạt đảng (đang miễn từ ngày 01/11/2026 đến ngày 30/06/2027)"
            in ended)
    await talk(app, memory, "an", "có")
    assert (await cached(db, world.ids["cuong"])).status == Status.OFFICIAL
    assert await standing(db, world.ids["cuong"], date(2026, 11, 14)) == Standing(world.kp1, Status.EXEMPT, True)


async def test_an_exemption_by_name_from_today_with_no_end(app: Chibo, memory: MemoryChannel, db: Database,
                                                           world: World) -> None:
    asked = await talk(app, memory, "an", "/mien Phạm Thị Dung đi làm ăn xa")
    assert "- Lý do: đi làm ăn xa" in asked and "- Từ ngày: 20/11/2026" in asked
    assert "- Đến hết ngày: chưa định (ghi /mien <số|tên> het khi kết thúc)" in asked
    await talk(app, memory, "an", "1")
    last = (await events(db, world.ids["dung"]))[-1]
    assert (last.kind, last.on, last.until) == (EventKind.EXEMPTED, TODAY, None)


@pytest.mark.parametrize(("typed", "says"), [
    ("/mien 2 het", "Đồng chí Trần Thị Bình không được miễn công tác và sinh hoạt đảng vào ngày 20/11/2026"),
    ("/mien 2", "Ghi kèm lý do miễn công tác và sinh hoạt đảng."),
    ("/mien 2 từ 01/11/2026", "Ghi kèm lý do miễn công tác và sinh hoạt đảng."),
    ("/mien 2 từ 01/11/2026 đến 01/10/2026 ốm", "Ngày kết thúc 01/10/2026 trước ngày bắt đầu 01/11/2026."),
    ("/mien 2 từ 01/12/2026 ốm", "Ngày 01/12/2026 chưa tới"),
    ("/mien 2 het 18/11/2026 nữa", "Sau «het» chỉ gõ ngày kết thúc (nếu có)."),
])
async def test_exemptions_refused_with_the_reason(app: Chibo, memory: MemoryChannel, db: Database, world: World,
                                                  typed: str, says: str) -> None:
    assert says in await talk(app, memory, "an", typed)
    assert len(await events(db, world.ids["binh"])) == 1


# -- /roi -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "kind", "words"), [
    ("/roi 2 tutran 18/11/2026", EventKind.DIED, "từ trần"),
    ("/roi Bình xóa tên 18/11/2026 bỏ sinh hoạt 3 tháng", EventKind.REMOVED, "xóa tên khỏi danh sách đảng viên"),
    ("/roi 2 KHAITRU 18/11/2026", EventKind.EXPELLED, "khai trừ khỏi Đảng"),
])
async def test_leaving_by_death_removal_or_expulsion(app: Chibo, memory: MemoryChannel, db: Database, world: World,
                                                     typed: str, kind: EventKind, words: str) -> None:
    asked = await talk(app, memory, "an", typed)
    assert f"- Thay đổi: {words} (ra khỏi danh sách của Chi bộ khu phố 1; số liệu các kỳ trước giữ nguyên)" in asked
    assert "- Ngày: 18/11/2026" in asked
    await talk(app, memory, "an", "1")
    last = (await events(db, world.ids["binh"]))[-1]
    assert (last.kind, last.on) == (kind, date(2026, 11, 18))
    assert (await cached(db, world.ids["binh"])).active is False
    assert await standing(db, world.ids["binh"], date(2026, 11, 17)) == Standing(world.kp1, Status.OFFICIAL, True)
    listing = await talk(app, memory, "an", "/roi")
    assert "Trần Thị Bình" not in listing
    again = await talk(app, memory, "an", "/mien Trần Thị Bình ốm")
    assert again.startswith("Đồng chí Trần Thị Bình đã ") and "(ngày 18/11/2026)" in again


async def test_leaving_needs_how(app: Chibo, memory: MemoryChannel, world: World) -> None:
    assert "Thiếu cách ra khỏi danh sách: tutran, xoaten hoặc khaitru." in await talk(app, memory, "an", "/roi 2")
    assert "Thiếu số thứ tự hoặc họ tên đảng viên." in await talk(app, memory, "an", "/roi tutran")


# -- several members of one name, and a roster that changed before the answer ----------------------

async def test_two_members_of_one_name_are_told_apart_by_their_cells(
        app: Chibo, memory: MemoryChannel, db: Database, world: World) -> None:
    memory.take()
    await say(app, "phuc", "/mien Bình ốm")
    (question,) = memory.take()
    assert question.reply.text == "Có 2 đảng viên khớp: đồng chí muốn ghi cho ai?"
    assert [choice.label for choice in question.reply.choices] == [
        "Trần Thị Bình (Chi bộ khu phố 1)", "Trần Văn Bình (Chi bộ khu phố 2)"]
    assert await talk(app, memory, "phuc", "3") == "Gõ số từ 1 đến 2 để chọn, hoặc /huy để thôi."
    asked = await talk(app, memory, "phuc", "2")
    assert "- Đảng viên: Trần Văn Bình (Chi bộ khu phố 2)" in asked
    await talk(app, memory, "phuc", "1")
    assert (await cached(db, world.ids["binh2"])).status == Status.EXEMPT
    assert (await cached(db, world.ids["binh"])).status == Status.OFFICIAL
    assert [member for member, _ in await notices(db)] == [world.ids["lan"]]


async def test_the_confirmation_checks_again(app: Chibo, memory: MemoryChannel, db: Database, world: World) -> None:
    await talk(app, memory, "an", "/chuyen 2 khu phố 2")
    await talk(app, memory, "phuc", "/roi Trần Thị Bình tutran")
    await talk(app, memory, "phuc", "1")
    said = await talk(app, memory, "an", "1")
    assert said == ("Đồng chí Trần Thị Bình đã từ trần (ngày 20/11/2026): không ghi thay đổi nào được nữa. "
                    "Không ghi thay đổi nào.")
    assert [e.kind for e in await events(db, world.ids["binh"])] == [EventKind.LISTED, EventKind.DIED]
    assert await talk(app, memory, "an", "1") != said  # the question is over


# -- /chibo -----------------------------------------------------------------------------------------

async def test_a_cell_is_listed_renamed_and_an_empty_one_dissolved(app: Chibo, memory: MemoryChannel, db: Database,
                                                                   world: World) -> None:
    listing = await talk(app, memory, "phuc", "/chibo")
    assert listing.startswith("Các chi bộ của đảng bộ:\n1. Chi bộ khu phố 1: 4 đảng viên\n"
                              "2. Chi bộ khu phố 2: 3 đảng viên\n3. Chi bộ khu phố 3: 0 đảng viên")
    asked = await talk(app, memory, "phuc", "/chibo doiten khu pho 2 khu phố 2A")
    assert asked == ("Đồng chí xác nhận ghi thay đổi sau?\n- Chi bộ: Chi bộ khu phố 2 (3 đảng viên)\n"
                     "- Tên mới: Chi bộ khu phố 2A\n- Lịch sử và số liệu các kỳ trước giữ nguyên, hiện theo tên mới.")
    assert await talk(app, memory, "phuc", "1") == ("Đã ghi: Chi bộ khu phố 2 đổi tên thành Chi bộ khu phố 2A.\n"
                                                   "Đã báo cho 1 bí thư chi bộ liên quan.")
    async with db.session() as session:
        renamed = await session.get(OrgUnit, world.kp2)
        assert renamed is not None and (renamed.name, renamed.name_key) == ("Chi bộ khu phố 2A", "chi bo khu pho 2a")

    asked = await talk(app, memory, "phuc", "/chibo giaithe Chi bộ khu phố 3 19/11/2026")
    assert "- Giải thể từ ngày: 19/11/2026" in asked
    assert await talk(app, memory, "phuc", "1") == "Đã ghi: Chi bộ khu phố 3 giải thể từ ngày 19/11/2026."
    async with db.session() as session:
        cell = await session.get(OrgUnit, world.kp3)
        assert cell is not None and cell.dissolved_on == date(2026, 11, 19)
        codes = (await session.execute(select(JoinCode).where(col(JoinCode.unit_id) == world.kp3))
                 ).scalars().all()
        assert codes and all(code.revoked_at is not None for code in codes)
        assert [c.name for c in await roster.cells_of(session, [world.committee])] == [
            "Chi bộ khu phố 1", "Chi bộ khu phố 2A"]
        # Summaries of periods from its dissolution on leave it out; earlier ones keep it.
        assert len(await org.cells_of(session, world.committee, since=date(2026, 12, 1))) == 2
        assert len(await org.cells_of(session, world.committee, since=date(2026, 11, 1))) == 3
    said = await talk(app, memory, "phuc", "/chibo giaithe khu phố 3")
    assert said == "Chi bộ khu phố 3 đã giải thể từ ngày 19/11/2026."


@pytest.mark.parametrize(("who", "typed", "says"), [
    ("phuc", "/chibo giaithe khu phố 1", "Chi bộ khu phố 1 còn 4 đảng viên đang sinh hoạt (Nguyễn Văn An, Trần Thị "
                                         "Bình, Lê Văn Cường, Phạm Thị Dung). Chỉ giải thể được chi bộ không còn"),
    ("phuc", "/chibo doiten khu phố 1 Chi bộ khu phố 2", "Đảng bộ đã có chi bộ tên «Chi bộ khu phố 2». Chọn tên khác."),
    ("phuc", "/chibo doiten khu phố 1 KHU PHO 1", "Chi bộ khu phố 1 đã mang tên này."),
    ("phuc", "/chibo doiten khu phố 1", "Thiếu tên mới của Chi bộ khu phố 1."),
    ("phuc", "/chibo doiten khu phố 9 khu phố 10", "Không tìm thấy chi bộ «khu phố 9 khu phố 10» trong đảng bộ."),
    ("phuc", "/chibo giaithe khu phố 3 01/12/2026", "Ngày 01/12/2026 chưa tới"),
    ("phuc", "/chibo xoa khu phố 3", "Không có việc «xoa» với chi bộ."),
    ("an", "/chibo", "Lệnh này dành cho cấp ủy viên đảng bộ."),
])
async def test_cell_changes_refused_with_the_reason(app: Chibo, memory: MemoryChannel, db: Database, world: World,
                                                    who: str, typed: str, says: str) -> None:
    assert says in await talk(app, memory, who, typed)
    async with db.session() as session:
        units = (await session.execute(select(OrgUnit).where(col(OrgUnit.kind) == UnitKind.CELL))
                 ).scalars().all()
        assert all(unit.dissolved_on is None for unit in units)
        assert {unit.name for unit in units} == {"Chi bộ khu phố 1", "Chi bộ khu phố 2", "Chi bộ khu phố 3",
                                                 "Chi bộ khu phố 9"}


async def test_a_cell_is_dissolved_no_earlier_than_its_last_member_left(
        app: Chibo, memory: MemoryChannel, db: Database, world: World) -> None:
    for who in ("Lan", "Minh", "Trần Văn Bình"):
        await talk(app, memory, "phuc", f"/chuyen {who} khu phố 1 18/11/2026")
        assert "Đã ghi" in await talk(app, memory, "phuc", "1")
    said = await talk(app, memory, "phuc", "/chibo giaithe khu phố 2 17/11/2026")
    assert said == ("Đảng viên cuối cùng rời Chi bộ khu phố 2 ngày 18/11/2026: ngày giải thể phải từ 18/11/2026 "
                    "trở đi.")
    await talk(app, memory, "phuc", "/chibo giaithe khu phố 2")
    assert await talk(app, memory, "phuc", "1") == "Đã ghi: Chi bộ khu phố 2 giải thể từ ngày 20/11/2026."


# -- help and the pure rule ---------------------------------------------------------------------------

@pytest.mark.parametrize(("command", "example"), [
    ("chuyen", "Ví dụ: /chuyen 3 Chi bộ khu phố 2 05/02/2027"),
    ("mien", "Ví dụ: /mien 4 từ 01/02/2027 đến 30/06/2027 ốm dài ngày"),
    ("roi", "Ví dụ: /roi 5 tutran 02/02/2027"),
    ("chibo", "Ví dụ: /chibo doiten khu phố 7 Chi bộ khu phố 7A"),
])
async def test_help_shows_usage_and_an_example(app: Chibo, memory: MemoryChannel, world: World, command: str,
                                               example: str) -> None:
    said = await talk(app, memory, "phuc", f"/trogiup {command}")
    assert f"/{command} — " in said and "Cách gõ: /" in said and example in said


def test_the_rule_takes_the_state_on_the_day_of_the_change() -> None:
    listed = Event(EventKind.LISTED, date(2020, 1, 1), cell_id=1, status=Status.OFFICIAL)
    exempted = Event(EventKind.EXEMPTED, date(2026, 1, 1), until=date(2026, 3, 31))

    def refused(event: Event) -> str:
        with pytest.raises(UserError) as error:
            check(Change(7, event), [listed, exempted], TODAY, name="An", cell_name=lambda _: "Chi bộ 1")
        return str(error.value)

    # The exemption ended by itself on 31/03: a new one from April is fine, its end cannot be recorded.
    check(Change(7, Event(EventKind.EXEMPTED, date(2026, 4, 1))), [listed, exempted], TODAY, name="An",
          cell_name=lambda _: "")
    assert "không được miễn" in refused(Event(EventKind.EXEMPTION_ENDED, date(2026, 4, 1)))
    assert "đang được miễn" in refused(Event(EventKind.EXEMPTED, date(2026, 3, 31)))
    assert "trước thay đổi gần nhất" in refused(Event(EventKind.TRANSFERRED, date(2025, 12, 31), cell_id=2))
