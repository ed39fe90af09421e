"""Conversations older members do not get stuck in (issue 9, items 8–10): report kinds typed as
words, wrong answers that re-ask the same step and keep the earlier ones, a command in the middle
of a flow that says what it dropped, local numbers for reports and join requests, and the same
report sent twice within a minute stored once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import col, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.messages import Incoming
from domain.report_kinds import parse_kind, split_kind
from domain.vocabulary import Position, ReportKind, Status
from handlers import texts
from storage import org
from storage.db import Database
from storage.migrate import alembic_config
from storage.reports import Report
from storage.reports import add as add_report
from storage.schema import metadata
from storage.tables import ChatAccount, JoinRequest
from storage.types import id_of

ABANDONED_REPORT = "(Việc đang làm dở — báo cáo hoạt động — đã hủy.)"


@dataclass
class World:
    cell_id: int
    other_cell_id: int
    members: dict[str, int]


async def _world(db: Database) -> World:
    """Chi bộ khu phố 1: an (secretary), binh, cuong; hoa is exempt. Chi bộ khu phố 2: khanh (secretary)."""
    async with db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        cell, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 1")
        other, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 2")
        people = {"an": (cell.id, "Nguyễn Văn An", Status.OFFICIAL),
                  "binh": (cell.id, "Trần Thị Bình", Status.OFFICIAL),
                  "cuong": (cell.id, "Lê Văn Cường", Status.PROBATIONARY),
                  "hoa": (cell.id, "Đỗ Thị Hoa", Status.EXEMPT),
                  "khanh": (other.id, "Bùi Văn Khánh", Status.OFFICIAL)}
        members: dict[str, int] = {}
        for user, (cell_id, name, status) in people.items():
            member = await org.add_member(session, cell_id, name, status)
            assert member.id is not None
            members[user] = member.id
            session.add(ChatAccount(platform="memory", platform_user_id=user, chat_id=user, member_id=member.id))
        await org.grant_role(session, members["an"], id_of(cell), Position.SECRETARY)
        await org.grant_role(session, members["khanh"], id_of(other), Position.SECRETARY)
        await session.commit()
        return World(id_of(cell), id_of(other), members)


_keys = iter(range(1, 10**9))


async def say(app: Chibo, memory: MemoryChannel, user: str, text: str, *, photo: str | None = None) -> list[str]:
    """What `user` is answered (each message a new platform update: a real second message)."""
    memory.take()
    await app.handle(Incoming("memory", user, text, chat_id=user, photo=photo, update_key=f"c{next(_keys)}"))
    return [sent.reply.text for sent in memory.take() if sent.to.chat_id == user]


async def offered(app: Chibo, memory: MemoryChannel, user: str, text: str) -> tuple[str, list[str]]:
    """The one answer to `user` and the labels of the choices it offers."""
    memory.take()
    await app.handle(Incoming("memory", user, text, chat_id=user, update_key=f"c{next(_keys)}"))
    [sent] = [sent for sent in memory.take() if sent.to.chat_id == user]
    return sent.reply.text, [choice.label for choice in sent.reply.choices]


async def _reports(db: Database) -> list[tuple[int, int | None, str, str, date]]:
    """(member, number, kind, text, date) of every stored report, in the order stored."""
    async with db.session() as session:
        rows = (await session.exec(select(Report).order_by(col(Report.id)))).all()
    return [(r.member_id, r.number, r.kind, r.text, r.done_on) for r in rows]


# -- report kinds typed as words ---------------------------------------------------------------------

def test_kinds_are_read_from_numbers_and_words() -> None:
    for typed, kind in [("1", ReportKind.STUDY), ("học tập", ReportKind.STUDY), ("HOC TAP", ReportKind.STUDY),
                        ("Nhiệm vụ", ReportKind.ASSIGNED), ("nhiem vu duoc phan cong", ReportKind.ASSIGNED),
                        ("cư trú", ReportKind.RESIDENCE), ("cu tru", ReportKind.RESIDENCE),
                        ("giup do", ReportKind.MASS_HELP), ("Giúp đỡ quần chúng", ReportKind.MASS_HELP),
                        ("khac", ReportKind.OTHER), ("KHÁC", ReportKind.OTHER), ("5.", ReportKind.OTHER),
                        ("Giúp đỡ quần chúng, tạo nguồn phát triển đảng viên", ReportKind.MASS_HELP)]:
        assert parse_kind(typed) == kind, typed
    for typed in ("0", "6", "học", "abc", "", "hoc tap Học nghị quyết"):
        assert parse_kind(typed) is None, typed
    # The kind's words end where the activity begins; the activity keeps its own spelling and lines.
    assert split_kind("hoc tap Học nghị quyết\n57") == (ReportKind.STUDY, "hoc tap", "Học nghị quyết\n57")
    assert split_kind("Học nghị quyết") == (None, "Học", "nghị quyết")  # "học" alone names no kind
    assert split_kind("7 Trực") == (None, "7", "Trực")


async def test_one_line_reports_take_the_kind_as_words(
    app: Chibo, memory: MemoryChannel, db: Database
) -> None:
    world = await _world(db)
    binh = world.members["binh"]
    for typed, shown in [("/baocao hoc tap Học Nghị quyết Đại hội XIV", "Học tập, quán triệt nghị quyết"),
                         ("/baocao Nhiệm vụ 18/11 Trực bầu cử", "Nhiệm vụ được phân công"),
                         ("/baocao CƯ TRÚ Tổng vệ sinh", "Hoạt động ở nơi cư trú, đoàn thể"),
                         ("/baocao giúp đỡ Kèm cặp quần chúng Tám", "Giúp đỡ quần chúng, tạo nguồn phát triển"),
                         ("/baocao khac Trực an ninh", "Khác")]:
        [receipt] = await say(app, memory, "binh", typed)
        assert receipt.startswith("Đã ghi báo cáo số") and shown in receipt, receipt
    assert await _reports(db) == [
        (binh, 1, "study", "Học Nghị quyết Đại hội XIV", date(2026, 11, 20)),
        (binh, 2, "assigned", "Trực bầu cử", date(2026, 11, 18)),
        (binh, 3, "residence", "Tổng vệ sinh", date(2026, 11, 20)),
        (binh, 4, "mass_help", "Kèm cặp quần chúng Tám", date(2026, 11, 20)),
        (binh, 5, "other", "Trực an ninh", date(2026, 11, 20)),
    ]
    [refused] = await say(app, memory, "binh", "/baocao học nghị quyết")
    assert refused.startswith("«học» không phải loại hoạt động. Gõ số từ 1 đến 5 hoặc tên loại (ví dụ: học tập):")
    assert len(await _reports(db)) == 5


# -- guided flows: a wrong answer re-asks the same step, earlier answers kept -------------------------

async def test_a_wrong_answer_re_asks_the_same_step_and_keeps_the_earlier_ones(
    app: Chibo, memory: MemoryChannel, db: Database
) -> None:
    world = await _world(db)
    await say(app, memory, "binh", "/baocao")
    [answer] = await say(app, memory, "binh", "họp")
    assert answer.startswith("«họp» không phải loại hoạt động. Gõ số từ 1 đến 5 hoặc tên loại")
    [answer] = await say(app, memory, "binh", "7")
    assert answer.startswith("«7» không phải loại hoạt động.")
    [answer] = await say(app, memory, "binh", "nhiem vu")  # the kind, typed as words without diacritics
    assert answer.startswith("Nhiệm vụ được phân công. Đồng chí gõ việc đã làm")
    [answer] = await say(app, memory, "binh", "   ")
    assert answer.startswith("Nội dung báo cáo không được để trống.")
    [answer] = await say(app, memory, "binh", "Trực bầu cử")
    assert answer.startswith("Việc này làm ngày nào?")
    [answer] = await say(app, memory, "binh", "31/11")
    assert answer.startswith("Ngày 31/11/2026 không có thật.") and "Việc này làm ngày nào?" in answer
    [answer] = await say(app, memory, "binh", "25/11")
    assert answer.startswith("Ngày 25/11/2026 chưa tới") and "Việc này làm ngày nào?" in answer
    assert await _reports(db) == []
    [receipt] = await say(app, memory, "binh", "hôm qua")  # the kind and the text typed earlier are kept
    assert receipt.startswith("Đã ghi báo cáo số 1: Nhiệm vụ được phân công, ngày 19/11/2026.")
    assert await _reports(db) == [(world.members["binh"], 1, "assigned", "Trực bầu cử", date(2026, 11, 19))]


async def test_the_kind_and_the_activity_in_one_guided_answer(
    app: Chibo, memory: MemoryChannel, db: Database
) -> None:
    world = await _world(db)
    await say(app, memory, "binh", "/baocao")
    [receipt] = await say(app, memory, "binh", "học tập 18/11 Học Nghị quyết 57")
    assert receipt.startswith("Đã ghi báo cáo số 1: Học tập, quán triệt nghị quyết, ngày 18/11/2026.")
    await say(app, memory, "binh", "/baocao")
    [answer] = await say(app, memory, "binh", "2 31/11 Trực bầu cử")  # a bad date: the kind is kept
    assert answer.startswith("Ngày 31/11/2026 không có thật.") and "Nhiệm vụ được phân công. Đồng chí gõ" in answer
    [answer] = await say(app, memory, "binh", "Trực bầu cử")
    assert answer.startswith("Việc này làm ngày nào?")
    await say(app, memory, "binh", "hôm nay")
    assert [(r[1], r[2], r[4]) for r in await _reports(db)] == [
        (1, "study", date(2026, 11, 18)), (2, "assigned", date(2026, 11, 20))]
    assert world.members["binh"] == (await _reports(db))[1][0]


async def test_a_wrong_name_when_joining_re_asks_the_name(app: Chibo, memory: MemoryChannel, db: Database) -> None:
    await _world(db)
    [invite] = await say(app, memory, "an", "/moi")
    code = invite.split(": ", 1)[1].split("\n")[0]
    [answer] = await say(app, memory, "vy", f"/thamgia {code}")
    assert "gõ họ và tên" in answer
    [answer] = await say(app, memory, "vy", "12345")
    assert answer == "Họ và tên phải có chữ cái. Ví dụ: Nguyễn Văn An."
    [answer] = await say(app, memory, "vy", "Trần Thị Vy")  # the code given first is kept
    assert answer.startswith("Đã gửi yêu cầu tham gia Chi bộ khu phố 1 với tên Trần Thị Vy.")


# -- a command in the middle of a flow -------------------------------------------------------------

async def test_a_command_in_the_middle_of_a_flow_says_what_it_dropped(
    app: Chibo, memory: MemoryChannel, db: Database
) -> None:
    await _world(db)
    await say(app, memory, "binh", "/baocao")
    await say(app, memory, "binh", "2")
    [answer] = await say(app, memory, "binh", "/toi")
    assert answer.splitlines()[:2] == [ABANDONED_REPORT, "Họ và tên: Trần Thị Bình"]
    # The flow is gone: text now is not taken for the report.
    assert await say(app, memory, "binh", "Trực bầu cử") == [texts.NOT_UNDERSTOOD]
    # Nothing pending: no note.
    [answer] = await say(app, memory, "binh", "/toi")
    assert answer.startswith("Họ và tên:")
    # /huy keeps its own message, without the note.
    await say(app, memory, "binh", "/baocao")
    assert await say(app, memory, "binh", "/huy") == [texts.CANCELLED]
    # A new /baocao in the middle of one starts over, and says so.
    await say(app, memory, "binh", "/baocao 3")
    [answer] = await say(app, memory, "binh", "/baocao")
    assert answer.startswith(f"{ABANDONED_REPORT}\nĐồng chí báo cáo loại hoạt động nào?")
    # A mistyped command ends it too, and says so beside the suggestion.
    [answer] = await say(app, memory, "binh", "/bao cao")
    assert answer.startswith(f"{ABANDONED_REPORT}\nKhông có lệnh /bao. Có phải đồng chí muốn gõ:\n/baocao — ")
    # In a group, nothing is said of a private conversation.
    await say(app, memory, "binh", "/baocao")
    memory.take()
    await app.handle(Incoming("memory", "binh", "/toi", chat_id="group-1", is_private=False))
    [group] = [sent.reply.text for sent in memory.take()]
    assert group.startswith("Lệnh này có thông tin cá nhân") and "đang làm dở" not in group
    # The joining flow has its own title.
    [invite] = await say(app, memory, "an", "/moi")
    code = invite.split(": ", 1)[1].split("\n")[0]
    await say(app, memory, "vy", f"/thamgia {code}")
    assert await say(app, memory, "vy", "/toi") == [
        f"(Việc đang làm dở — tham gia chi bộ — đã hủy.)\n{texts.NOT_JOINED}"]


async def test_a_refused_command_in_the_middle_of_a_flow_leaves_it_where_it_was(
    app: Chibo, memory: MemoryChannel, db: Database
) -> None:
    """A command that fails on what was typed (a `UserError`) changes nothing: the flow goes on."""
    world = await _world(db)
    await say(app, memory, "binh", "/baocao")
    await say(app, memory, "binh", "4")
    [answer] = await say(app, memory, "binh", "/baocao 9 Trực")
    assert answer.startswith("«9» không phải loại hoạt động.") and ABANDONED_REPORT not in answer
    [answer] = await say(app, memory, "binh", "Kèm cặp quần chúng Tám")
    assert answer.startswith("Việc này làm ngày nào?")
    await say(app, memory, "binh", "hôm nay")
    assert await _reports(db) == [(world.members["binh"], 1, "mass_help", "Kèm cặp quần chúng Tám",
                                   date(2026, 11, 20))]


# -- local numbers ---------------------------------------------------------------------------------

async def test_reports_are_numbered_per_member(app: Chibo, memory: MemoryChannel, db: Database) -> None:
    world = await _world(db)
    # Interleaved: an's reports take no number from binh's.
    assert (await say(app, memory, "an", "/baocao 1 Học nghị quyết"))[0].startswith("Đã ghi báo cáo số 1:")
    assert (await say(app, memory, "binh", "/baocao 2 Trực bầu cử"))[0].startswith("Đã ghi báo cáo số 1:")
    assert (await say(app, memory, "an", "/baocao 3 Tổng vệ sinh"))[0].startswith("Đã ghi báo cáo số 2:")
    assert (await say(app, memory, "binh", "/baocao 5 Trực an ninh"))[0].startswith("Đã ghi báo cáo số 2:")
    [mine] = await say(app, memory, "binh", "/cuatoi")
    assert "Số 2 · 20/11 · Khác: Trực an ninh" in mine and "Số 1 · 20/11 · Nhiệm vụ được phân công: Trực bầu cử" in mine
    assert "Số 3" not in mine and "Học nghị quyết" not in mine
    # A photo right after joins the member's latest report, named by its own number.
    assert await say(app, memory, "binh", "", photo="p1") == ["Đã gắn ảnh vào báo cáo số 2."]
    # /xoabaocao takes the member's own number: binh's 1 is "Trực bầu cử", not an's first report.
    assert await say(app, memory, "binh", "/xoabaocao 1") == [
        "Đã xóa báo cáo số 1: Nhiệm vụ được phân công, ngày 20/11/2026."]
    assert await say(app, memory, "binh", "/xoabaocao số 1") == [
        "Đồng chí không có báo cáo số 1. Gõ /cuatoi để xem các báo cáo của mình."]
    an, binh = world.members["an"], world.members["binh"]
    assert [(r[0], r[1], r[3]) for r in await _reports(db)] == [
        (an, 1, "Học nghị quyết"), (an, 2, "Tổng vệ sinh"), (binh, 2, "Trực an ninh")]
    # The next report follows the highest number the member has.
    assert (await say(app, memory, "binh", "/baocao 1 Học"))[0].startswith("Đã ghi báo cáo số 3:")
    # A deleted number is never given again: a /cuatoi list still on the screen keeps its meaning,
    # and typing the deletion twice deletes nothing else.
    assert (await say(app, memory, "binh", "/xoabaocao 3"))[0].startswith("Đã xóa báo cáo số 3:")
    assert (await say(app, memory, "binh", "/baocao 4 Kèm cặp quần chúng"))[0].startswith("Đã ghi báo cáo số 4:")
    assert await say(app, memory, "binh", "/xoabaocao 3") == [
        "Đồng chí không có báo cáo số 3. Gõ /cuatoi để xem các báo cáo của mình."]
    assert (await say(app, memory, "binh", "/xoabaocao 2"))[0].startswith("Đã xóa báo cáo số 2:")  # not the top
    assert (await say(app, memory, "binh", "/baocao 5 Trực"))[0].startswith("Đã ghi báo cáo số 5:")
    assert [(r[1], r[3]) for r in await _reports(db) if r[0] == binh] == [(4, "Kèm cặp quần chúng"), (5, "Trực")]


async def test_reports_added_as_objects_are_numbered_too(db: Database) -> None:
    """Imports and seeded data add `Report` objects, several in one flush: numbered per member in order."""
    world = await _world(db)
    an, binh = world.members["an"], world.members["binh"]
    async with db.session() as session:
        for member, day in ((binh, 1), (an, 2), (binh, 3), (binh, 4)):
            session.add(Report(member_id=member, cell_id=world.cell_id, kind="study", text=f"Ngày {day}",
                               done_on=date(2026, 11, day)))
        await session.commit()
        session.add(Report(member_id=an, cell_id=world.cell_id, kind="other", text="Sau", done_on=date(2026, 11, 5)))
        await session.commit()
    assert [(r[0], r[1], r[3]) for r in await _reports(db)] == [
        (binh, 1, "Ngày 1"), (an, 1, "Ngày 2"), (binh, 2, "Ngày 3"), (binh, 3, "Ngày 4"), (an, 2, "Sau")]


async def test_join_requests_are_numbered_per_cell_and_keep_their_number(
    app: Chibo, memory: MemoryChannel, db: Database
) -> None:
    await _world(db)
    [invite] = await say(app, memory, "an", "/moi")
    code1 = invite.split(": ", 1)[1].split("\n")[0]
    [invite] = await say(app, memory, "khanh", "/moi")
    code2 = invite.split(": ", 1)[1].split("\n")[0]
    await say(app, memory, "vy", f"/thamgia {code1} Trần Thị Vy")
    await say(app, memory, "xuan", f"/thamgia {code1} Lý Văn Xuân")
    memory.take()
    await app.handle(Incoming("memory", "yen", f"/thamgia {code2} Tạ Thị Yến"))
    # The second cell's first request is its number 1, not 3.
    assert memory.texts_to("khanh")[-1].startswith("Yêu cầu tham gia số 1: Tạ Thị Yến xin tham gia Chi bộ khu phố 2.")
    listed, labels = await offered(app, memory, "an", "/duyet")
    assert listed.startswith("Có 2 yêu cầu tham gia đang chờ duyệt.")
    assert labels == ["Trần Thị Vy (số 1)", "Lý Văn Xuân (số 2)"]
    # Deciding the first while the list is shown renumbers nothing: 2 is still Xuân.
    assert await say(app, memory, "an", "/duyet 1 đồng ý") == [
        "Đã duyệt: Trần Thị Vy là đảng viên của Chi bộ khu phố 1 "
        "(tên chưa có trong danh sách chi bộ: đã thêm vào danh sách)."]
    assert await say(app, memory, "an", "/duyet 2 tu choi") == ["Đã từ chối yêu cầu số 2 của Lý Văn Xuân."]
    # A new request takes the next number; an old notice's "1" still means Vy, already decided.
    await say(app, memory, "zung", f"/thamgia {code1} Mai Văn Dũng")
    listed, labels = await offered(app, memory, "an", "/duyet")
    assert labels == ["Mai Văn Dũng (số 3)"]
    assert "ví dụ: /duyet 3 đồng ý" in listed
    assert await say(app, memory, "an", "/duyet 1 đồng ý") == ["Yêu cầu số 1 (Trần Thị Vy) đã được đồng ý trước đó."]
    # Another cell's number is not this cell's.
    assert await say(app, memory, "khanh", "/duyet 3 đồng ý") == [
        "Chi bộ của đồng chí không có yêu cầu tham gia số 3. Gõ /duyet để xem các yêu cầu đang chờ."]
    async with db.session() as session:
        numbers = sorted((r.unit_id, r.number, r.full_name) for r in (await session.exec(select(JoinRequest))).all())
    assert [(n, name) for _unit, n, name in numbers] == [
        (1, "Trần Thị Vy"), (2, "Lý Văn Xuân"), (3, "Mai Văn Dũng"), (1, "Tạ Thị Yến")]


# -- the same report twice within a minute ------------------------------------------------------------

async def test_the_same_report_twice_within_a_minute_is_stored_once(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    world = await _world(db)
    binh = world.members["binh"]
    [first] = await say(app, memory, "binh", "/baocao 1 Học nghị quyết")
    assert first.startswith("Đã ghi báo cáo số 1:")
    clock.set(clock.now() + timedelta(seconds=59))
    assert await say(app, memory, "binh", "/baocao hoc tap Học nghị quyết") == [
        "Báo cáo này đã được ghi lúc nãy (số 1: Học tập, quán triệt nghị quyết, ngày 20/11/2026) "
        "nên tôi không ghi thêm lần nữa."]
    # Sent again with a photo: the photo joins the stored report.
    [again] = await say(app, memory, "binh", "/baocao 1 Học nghị quyết", photo="p1")
    assert again.startswith("Báo cáo này đã được ghi lúc nãy (số 1:")
    # Anything different is a new report: another text, another kind, another date, another member.
    for typed in ("/baocao 1 Học nghị quyết 57", "/baocao 2 Học nghị quyết", "/baocao 1 19/11 Học nghị quyết"):
        assert (await say(app, memory, "binh", typed))[0].startswith("Đã ghi báo cáo số"), typed
    assert (await say(app, memory, "an", "/baocao 1 Học nghị quyết"))[0].startswith("Đã ghi báo cáo số 1:")
    # A minute later the same report is a new one (the member did it again).
    clock.set(clock.now() + timedelta(seconds=61))
    assert (await say(app, memory, "binh", "/baocao 1 Học nghị quyết"))[0].startswith("Đã ghi báo cáo số 5:")
    stored = [(r[1], r[2], r[3], r[4]) for r in await _reports(db) if r[0] == binh]
    assert stored == [(1, "study", "Học nghị quyết", date(2026, 11, 20)),
                      (2, "study", "Học nghị quyết 57", date(2026, 11, 20)),
                      (3, "assigned", "Học nghị quyết", date(2026, 11, 20)),
                      (4, "study", "Học nghị quyết", date(2026, 11, 19)),
                      (5, "study", "Học nghị quyết", date(2026, 11, 20))]
    async with db.session() as session:
        photo = (await session.exec(select(Report.photo).where(Report.member_id == binh, Report.number == 1))).one()
    assert photo == "p1"


async def test_the_guided_report_sent_twice_is_stored_once(app: Chibo, memory: MemoryChannel, db: Database) -> None:
    await _world(db)
    await say(app, memory, "binh", "/baocao 3 Tổng vệ sinh")
    for typed in ("/baocao", "cư trú", "Tổng vệ sinh"):
        await say(app, memory, "binh", typed)
    [answer] = await say(app, memory, "binh", "hôm nay")
    assert answer.startswith("Báo cáo này đã được ghi lúc nãy (số 1: Hoạt động ở nơi cư trú, đoàn thể")
    assert len(await _reports(db)) == 1


# -- the migration numbers what was stored before --------------------------------------------------

def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config("sqlite://")  # the URL is unused: the connection is handed over
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def test_the_migration_numbers_existing_reports_and_requests_by_id(db: Database) -> None:
    """Rows stored before 0006_local_numbers get each member's (each cell's) numbers in the order stored."""
    before = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision("0006_local_numbers").down_revision
    assert isinstance(before, str)
    at = "2026-11-20 02:00:00"
    async with db.engine.begin() as connection:
        await connection.run_sync(lambda c: metadata.drop_all(c))
        await connection.run_sync(lambda c: _upgrade(c, before))
        for sql in (
            "INSERT INTO org_unit (id, kind, name, name_key, settings, created_at) VALUES "
            f"(1, 'cell', 'Chi bộ 1', 'chi bo 1', '{{}}', '{at}'), (2, 'cell', 'Chi bộ 2', 'chi bo 2', '{{}}', '{at}')",
            "INSERT INTO member (id, cell_id, full_name, name_key, status, active, created_at) VALUES "
            f"(1, 1, 'An', 'an', 'official', true, '{at}'), (2, 1, 'Bình', 'binh', 'official', true, '{at}')",
            "INSERT INTO chat_account (id, platform, platform_user_id, chat_id, display_name, last_seen_at, "
            f"created_at) VALUES (1, 'memory', 'x', 'x', 'x', '{at}', '{at}')",
            "INSERT INTO report (id, member_id, cell_id, kind, text, done_on, created_at) VALUES "
            f"(10, 2, 1, 'study', 'b1', '2026-11-01', '{at}'), (11, 1, 1, 'study', 'a1', '2026-11-02', '{at}'), "
            f"(12, 2, 1, 'other', 'b2', '2026-11-01', '{at}'), (15, 2, 1, 'other', 'b3', '2026-11-03', '{at}')",
            "INSERT INTO join_request (id, unit_id, account_id, full_name, status, created_at) VALUES "
            f"(3, 2, 1, 'Xuân', 'pending', '{at}'), (4, 1, 1, 'Yến', 'approved', '{at}'), "
            f"(7, 2, 1, 'Vy', 'pending', '{at}')",
        ):
            await connection.execute(text(sql))
        await connection.run_sync(lambda c: _upgrade(c, "head"))
        reports = (await connection.execute(text("SELECT id, member_id, number FROM report ORDER BY id"))).all()
        requests = (await connection.execute(text("SELECT id, unit_id, number FROM join_request ORDER BY id"))).all()
    assert [tuple(r) for r in reports] == [(10, 2, 1), (11, 1, 1), (12, 2, 2), (15, 2, 3)]
    assert [tuple(r) for r in requests] == [(3, 2, 1), (4, 1, 1), (7, 2, 2)]
    # The next report of Bình follows her highest number.
    async with db.session() as session:
        saved = await add_report(session, member_id=2, cell_id=1, kind="study", text="b4", done_on=date(2026, 11, 20),
                                 photo=None, now=datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
        await session.commit()
    assert saved.number == 4 and not saved.duplicate
