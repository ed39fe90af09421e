"""Approving a join request keeps one person one person (issue 10): the name is looked up on the
cell's list; a member found there gets the account, nobody is added twice; a member who already
has an account on the same messenger makes the secretary choose (the impersonation guard)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import col, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from domain.messages import Choice, Incoming
from storage import accounts, org
from storage.db import Database
from storage.membership import MembershipEvent
from storage.tables import ChatAccount, JoinRequest, Member, OrgUnit, Role
from storage.types import id_of

_keys = itertools.count(1)
CELL = "Chi bộ khu phố 1"


async def say(app: Chibo, memory: MemoryChannel, user: str, text: str) -> list[tuple[str, tuple[Choice, ...]]]:
    """What `user` is answered: (text, choices) of each message."""
    memory.take()
    await app.handle(Incoming("memory", user, text, chat_id=user, update_key=f"j{next(_keys)}"))
    return [(sent.reply.text, sent.reply.choices) for sent in memory.take() if sent.to.chat_id == user]


async def cell_with_list(app: Chibo, *names: tuple[str, int | None]) -> str:
    """A cell whose list holds `names` (name, birth year), its secretary Bình on the memory
    messenger; returns the cell's member code."""
    async with app.db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        cell, _, code = await org.create_cell(session, committee, CELL)
        secretary = await org.add_member(session, cell.id, "Trần Thị Bình")
        await org.grant_role(session, id_of(secretary), id_of(cell), "secretary")
        loaded = await accounts.load_or_create(session, "memory", "binh", "binh", "Bình", app.clock.now())
        await accounts.link(session, loaded.account.id, id_of(secretary))
        for name, year in names:
            member = await org.add_member(session, cell.id, name)
            member.birth_year = year
            session.add(member)
        await session.commit()
        return code.code


async def give_account(db: Database, name: str, platform: str, user_id: str, seen: datetime) -> None:
    async with db.session() as session:
        member = (await session.exec(select(Member).where(Member.full_name == name))).one()
        session.add(ChatAccount(platform=platform, platform_user_id=user_id, chat_id=user_id, display_name=user_id,
                                member_id=member.id, last_seen_at=seen))
        await session.commit()


async def people(db: Database) -> dict[str, list[str]]:
    """Each member's name → the accounts linked to them ("platform:id")."""
    async with db.session() as session:
        found: dict[str, list[str]] = {m.full_name: [] for m in (await session.exec(select(Member))).all()}
        for account, name in (await session.exec(
            select(ChatAccount, Member.full_name).join(Member, col(Member.id) == col(ChatAccount.member_id))
            .order_by(col(ChatAccount.id))
        )).all():
            found[name].append(f"{account.platform}:{account.platform_user_id}")
    return found


async def request_states(db: Database) -> list[tuple[int, str, int | None]]:
    async with db.session() as session:
        rows = (await session.exec(select(JoinRequest).order_by(col(JoinRequest.number)))).all()
    return [(r.number, r.status, r.member_id) for r in rows]


async def events(db: Database) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(MembershipEvent))).one()


async def test_a_name_on_the_list_gets_the_account_and_no_second_member(app: Chibo, memory: MemoryChannel) -> None:
    code = await cell_with_list(app, ("Lê Văn Cường", 1980))
    await say(app, memory, "cuong", f"/thamgia {code} le van cuong")
    before = await events(app.db)

    [(answer, _)] = await say(app, memory, "binh", "/duyet 1 đồng ý")

    assert answer == ("Đã duyệt: le van cuong là đồng chí Lê Văn Cường (sinh 1980) có trong danh sách "
                      "Chi bộ khu phố 1; đã liên kết tài khoản.")
    assert await people(app.db) == {"Trần Thị Bình": ["memory:binh"], "Lê Văn Cường": ["memory:cuong"]}
    cuong = await member_named(app.db, "Lê Văn Cường")
    assert await request_states(app.db) == [(1, "approved", cuong.id)]
    assert await events(app.db) == before  # already on the roll: nothing entered twice


async def test_a_name_not_on_the_list_is_added(app: Chibo, memory: MemoryChannel) -> None:
    code = await cell_with_list(app, ("Lê Văn Cường", 1980))
    await say(app, memory, "dung", f"/thamgia {code} Phạm Thị Dung")
    before = await events(app.db)

    [(answer, _)] = await say(app, memory, "binh", "/duyet 1 dong y")

    assert answer == ("Đã duyệt: Phạm Thị Dung là đảng viên của Chi bộ khu phố 1 "
                      "(tên chưa có trong danh sách chi bộ: đã thêm vào danh sách).")
    assert (await people(app.db))["Phạm Thị Dung"] == ["memory:dung"]
    assert await events(app.db) == before + 1  # entered on the cell's roll
    dung = await member_named(app.db, "Phạm Thị Dung")
    assert (dung.active, (await unit_named(app.db, CELL)).id) == (True, dung.cell_id)


async def test_a_member_with_an_account_on_the_messenger_makes_the_secretary_choose(
    app: Chibo, memory: MemoryChannel
) -> None:
    code = await cell_with_list(app, ("Lê Văn Cường", 1980))
    await give_account(app.db, "Lê Văn Cường", "memory", "cuong", datetime(2026, 11, 18, 3, 0, tzinfo=UTC))
    await say(app, memory, "ke_gia", f"/thamgia {code} Lê Văn Cường")

    for typed in ("/duyet 1 đồng ý", "/duyet 1 ok"):  # approving is not enough: the choice is explicit
        [(warning, choices)] = await say(app, memory, "binh", typed)
        assert warning == (
            "Cảnh báo: yêu cầu số 1 (Lê Văn Cường) khớp với đồng chí Lê Văn Cường (sinh 1980) trong danh sách "
            "Chi bộ khu phố 1, nhưng đồng chí này đã có tài khoản Thử nghiệm khác (tên hiển thị «cuong», nhắn cho "
            "bot lần cuối ngày 18/11/2026). Có thể có người mạo danh: nên hỏi trực tiếp đồng chí Lê Văn Cường trước "
            "khi duyệt.\nVẫn liên kết tài khoản xin tham gia với đồng chí Lê Văn Cường? Chọn Không để từ chối yêu cầu.")
        assert choices == (Choice("Có", "/duyet 1 lienket 1980"), Choice("Không", "/duyet 1 tuchoi"))
        assert await request_states(app.db) == [(1, "pending", None)]
        assert await people(app.db) == {"Trần Thị Bình": ["memory:binh"], "Lê Văn Cường": ["memory:cuong"]}

    # A plain "không" picks the refusal; the asker is told, nothing is linked.
    memory.take()
    await app.handle(Incoming("memory", "binh", "không", chat_id="binh", update_key="refuse"))
    texts = {sent.to.chat_id: sent.reply.text for sent in memory.take()}
    assert texts["binh"] == "Đã từ chối yêu cầu số 1 của Lê Văn Cường."
    assert texts["ke_gia"].startswith("Bí thư Chi bộ khu phố 1 chưa đồng ý yêu cầu tham gia")
    assert await request_states(app.db) == [(1, "refused", None)]
    assert await people(app.db) == {"Trần Thị Bình": ["memory:binh"], "Lê Văn Cường": ["memory:cuong"]}


async def test_link_anyway_keeps_both_accounts(app: Chibo, memory: MemoryChannel) -> None:
    code = await cell_with_list(app, ("Lê Văn Cường", 1980))
    await give_account(app.db, "Lê Văn Cường", "memory", "cuong", datetime(2026, 11, 18, 3, 0, tzinfo=UTC))
    await say(app, memory, "cuong_moi", f"/thamgia {code} Lê Văn Cường")
    await say(app, memory, "binh", "/duyet 1 đồng ý")

    [(answer, _)] = await say(app, memory, "binh", "1")  # the choice "Có" by its number

    assert answer == ("Đã duyệt: Lê Văn Cường (sinh 1980) có trong danh sách Chi bộ khu phố 1; đã liên kết tài "
                      "khoản (tài khoản Thử nghiệm cũ vẫn giữ).")
    assert (await people(app.db))["Lê Văn Cường"] == ["memory:cuong", "memory:cuong_moi"]
    cuong = await member_named(app.db, "Lê Văn Cường")
    assert await request_states(app.db) == [(1, "approved", cuong.id)]


async def test_link_anyway_typed_as_words(app: Chibo, memory: MemoryChannel) -> None:
    code = await cell_with_list(app, ("Lê Văn Cường", None))
    await give_account(app.db, "Lê Văn Cường", "memory", "cuong", datetime(2000, 1, 1, tzinfo=UTC))
    await say(app, memory, "cuong_moi", f"/thamgia {code} Lê Văn Cường")

    [(warning, choices)] = await say(app, memory, "binh", "/duyet 1 dong y")
    assert "đã có tài khoản Thử nghiệm khác (tên hiển thị «cuong», chưa nhắn cho bot lần nào)" in warning
    assert choices[0] == Choice("Có", "/duyet 1 lienket")  # no year to name: only one Cường
    [(answer, _)] = await say(app, memory, "binh", "/duyet 1 vẫn liên kết")

    assert answer.startswith("Đã duyệt: Lê Văn Cường có trong danh sách Chi bộ khu phố 1; đã liên kết tài khoản")
    assert (await people(app.db))["Lê Văn Cường"] == ["memory:cuong", "memory:cuong_moi"]


async def test_an_account_on_another_messenger_is_no_warning(app: Chibo, memory: MemoryChannel) -> None:
    """A member on Telegram asks from this messenger too (as /kenh tells them to): simply linked."""
    code = await cell_with_list(app, ("Lê Văn Cường", 1980))
    await give_account(app.db, "Lê Văn Cường", "telegram", "555", datetime(2026, 11, 18, 3, 0, tzinfo=UTC))
    await say(app, memory, "cuong", f"/thamgia {code} Lê Văn Cường")

    [(answer, _)] = await say(app, memory, "binh", "/duyet 1 đồng ý")

    assert answer.startswith("Đã duyệt: Lê Văn Cường (sinh 1980) có trong danh sách Chi bộ khu phố 1")
    assert (await people(app.db))["Lê Văn Cường"] == ["telegram:555", "memory:cuong"]


async def test_two_members_of_one_name_are_told_apart_by_birth_year(app: Chibo, memory: MemoryChannel) -> None:
    code = await cell_with_list(app, ("Nguyễn Văn An", 1990), ("Nguyễn Văn An", 1968))
    await say(app, memory, "an", f"/thamgia {code} Nguyễn Văn An")

    [(question, choices)] = await say(app, memory, "binh", "/duyet 1 đồng ý")

    assert question == ("Danh sách Chi bộ khu phố 1 có 2 đồng chí tên Nguyễn Văn An: Nguyễn Văn An (sinh 1968), "
                        "Nguyễn Văn An (sinh 1990). Người xin là ai? Chọn, hoặc gõ /duyet 1 đồng ý <năm sinh>, "
                        "ví dụ: /duyet 1 đồng ý 1968.")
    assert [choice.value for choice in choices] == ["/duyet 1 dongy 1968", "/duyet 1 dongy 1990", "/duyet 1 tuchoi"]
    [(wrong, _)] = await say(app, memory, "binh", "/duyet 1 đồng ý 1975")
    assert wrong == "Danh sách Chi bộ khu phố 1 không có đồng chí Nguyễn Văn An sinh năm 1975. Gõ /duyet 1 để xem lại."
    assert await request_states(app.db) == [(1, "pending", None)]

    [(answer, _)] = await say(app, memory, "binh", "/duyet 1 đồng ý 1990")

    assert answer == "Đã duyệt: Nguyễn Văn An (sinh 1990) có trong danh sách Chi bộ khu phố 1; đã liên kết tài khoản."
    async with app.db.session() as session:
        linked = (await session.exec(select(Member).join(ChatAccount, col(ChatAccount.member_id) == col(Member.id))
                                     .where(ChatAccount.platform_user_id == "an"))).one()
    assert linked.birth_year == 1990
    async with app.db.session() as session:
        assert (await session.exec(select(func.count()).select_from(Member))).one() == 3  # Bình, two Ans


async def test_two_of_one_name_without_years_cannot_be_told_apart(app: Chibo, memory: MemoryChannel) -> None:
    code = await cell_with_list(app, ("Nguyễn Văn An", None), ("Nguyễn Văn An", 1968))
    await say(app, memory, "an", f"/thamgia {code} Nguyễn Văn An")

    [(answer, choices)] = await say(app, memory, "binh", "/duyet 1 đồng ý")

    assert answer == ("Danh sách Chi bộ khu phố 1 có 2 đồng chí tên Nguyễn Văn An (Nguyễn Văn An (sinh 1968), "
                      "Nguyễn Văn An) mà năm sinh không phân biệt được ai với ai. Vui lòng nhập lại danh sách có năm "
                      "sinh của từng người rồi duyệt lại, hoặc gõ /duyet 1 từ chối.")
    assert choices == ()
    assert await request_states(app.db) == [(1, "pending", None)]


async def test_a_committee_secretary_taking_a_cells_code_enters_its_roll(app: Chibo, memory: MemoryChannel) -> None:
    """Staff of the committee have no cell; taking a cell's secretary code puts them in it through
    the membership history (an event from today), never by writing the cell on their row."""
    async with app.db.session() as session:
        _committee, code = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        await session.commit()
    await say(app, memory, "an", f"/thamgia {code.code} Nguyễn Văn An")
    [(created, _)] = await say(app, memory, "an", f"/taochibo {CELL}")
    secretary_code = created.split("Mã bí thư (dùng một lần): ")[1].split("\n")[0]
    assert await events(app.db) == 0

    [(answer, _)] = await say(app, memory, "an", f"/thamgia {secretary_code}")

    assert answer.startswith("Đồng chí Nguyễn Văn An đã là bí thư Chi bộ khu phố 1.")
    an = await member_named(app.db, "Nguyễn Văn An")
    cell = await unit_named(app.db, CELL)
    assert an.cell_id == cell.id
    async with app.db.session() as session:
        [event] = (await session.exec(select(MembershipEvent))).all()
        held = {(r.unit_id, r.role) for r in (await session.exec(select(Role))).all()}
    assert (event.kind, event.on, event.cell_id, event.recorded_by) == (
        "listed", app.clock.now().date(), cell.id, an.id)
    assert (cell.id, "secretary") in held


async def member_named(db: Database, name: str) -> Member:
    async with db.session() as session:
        return (await session.exec(select(Member).where(Member.full_name == name))).one()


async def unit_named(db: Database, name: str) -> OrgUnit:
    async with db.session() as session:
        return (await session.exec(select(OrgUnit).where(OrgUnit.name == name))).one()
