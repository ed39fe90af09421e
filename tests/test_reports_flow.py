"""Reports and ratings through the memory channel: photos, restarts, limits, privacy, nothing saved on bad input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.messages import Incoming
from domain.vocabulary import Position, Stage, Status
from handlers import texts
from handlers.context import HandlerSettings
from storage import org, unit_settings
from storage.assessments import Assessment, AssessmentChange
from storage.db import Database
from storage.meetings import Attendance, Meeting
from storage.reports import Report
from storage.tables import ChatAccount, Member
from storage.types import id_of
from tests.conftest import TZ

PRIVATE_ONLY = "chỉ dùng trong tin nhắn riêng"
IN_REVIEW = datetime(2026, 12, 2, 9, 0, tzinfo=TZ)  # the 2026 review (and quarter 4's) is open: 01/12 to February


@dataclass
class World:
    committee_id: int
    cell_id: int
    other_cell_id: int
    members: dict[str, int]


async def _world(db: Database, review: ManualClock | None = None, *, quarterly: bool = False) -> World:
    """One committee with two cells; an leads cell 1 (cuong is deputy), khanh leads cell 2. With
    `review`, that clock is moved into the 2026 review (2 December); `quarterly` turns quarters on."""
    if review is not None:
        review.set(IN_REVIEW)
    async with db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        await unit_settings.put(session, id_of(committee), "quarterly_reviews", quarterly)
        cell, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 1")
        other, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 2")
        people = {"an": (cell.id, "Nguyễn Văn An"), "binh": (cell.id, "Trần Thị Bình"),
                  "cuong": (cell.id, "Lê Văn Cường"), "dung": (cell.id, "Phạm Thị Dung"),
                  "khanh": (other.id, "Bùi Văn Khánh"), "phuc": (None, "Trần Văn Phúc")}
        members: dict[str, int] = {}
        for user, (cell_id, name) in people.items():
            member = await org.add_member(session, cell_id, name)
            assert member.id is not None
            members[user] = member.id
            session.add(ChatAccount(platform="memory", platform_user_id=user, chat_id=user, member_id=member.id))
        await org.grant_role(session, members["an"], id_of(cell), Position.SECRETARY)
        await org.grant_role(session, members["cuong"], id_of(cell), Position.DEPUTY)
        await org.grant_role(session, members["dung"], id_of(cell), Position.CELL_COMMITTEE)
        await org.grant_role(session, members["khanh"], id_of(other), Position.SECRETARY)
        await org.grant_role(session, members["phuc"], id_of(committee), Position.COMMITTEE_MEMBER)
        await session.commit()
        return World(id_of(committee), id_of(cell), id_of(other), members)


_keys = iter(range(1, 10**9))


async def say(app: Chibo, memory: MemoryChannel, user: str, text: str, *, photo: str | None = None,
              private: bool = True, key: str | None = None) -> list[str]:
    memory.take()
    await app.handle(Incoming("memory", user, text, chat_id=user if private else "group-1", is_private=private,
                              photo=photo, update_key=key or f"u{next(_keys)}"))
    return [sent.reply.text for sent in memory.take()]


async def _count(db: Database, table: type) -> int:
    async with db.session() as session:
        return int((await session.exec(select(func.count()).select_from(table))).one())


async def _reports(db: Database) -> list[Report]:
    async with db.session() as session:
        return list((await session.exec(select(Report).order_by(col(Report.id)))).all())


# -- reports ------------------------------------------------------------------------------------------

async def test_a_photo_with_the_report_or_right_after_is_attached(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db)
    [receipt] = await say(app, memory, "binh", "/baocao 2 Vận động 5 hộ đóng góp làm đường", photo="tg-file-1")
    assert receipt == "Đã ghi báo cáo số 1: Nhiệm vụ được phân công, ngày 20/11/2026, có ảnh."

    await say(app, memory, "binh", "/baocao 3 Tổng vệ sinh khu phố")
    clock.set(clock.now() + timedelta(minutes=9))
    assert await say(app, memory, "binh", "", photo="tg-file-2") == ["Đã gắn ảnh vào báo cáo số 2."]
    [again] = await say(app, memory, "binh", "", photo="tg-file-3")
    assert again.startswith("Báo cáo số 2 đã có ảnh")
    # A command between the report and the photo does not break the link (nothing is pending).
    await say(app, memory, "binh", "/baocao 1 Học nghị quyết")
    await say(app, memory, "binh", "/toi")
    assert await say(app, memory, "binh", "", photo="tg-file-4") == ["Đã gắn ảnh vào báo cáo số 3."]
    assert [(r.id, r.kind, r.photo) for r in await _reports(db)] == [
        (1, "assigned", "tg-file-1"), (2, "residence", "tg-file-2"), (3, "study", "tg-file-4")]


async def test_a_late_photo_is_not_attached(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db)
    await say(app, memory, "binh", "/baocao 1 Học nghị quyết")
    clock.set(clock.now() + timedelta(minutes=10))
    [answer] = await say(app, memory, "binh", "", photo="https://zalo.example/p.jpg")
    assert "sau hơn 10 phút" in answer
    assert [r.photo for r in await _reports(db)] == [None]


async def test_a_photo_for_a_report_that_has_one_is_refused(
    app: Chibo, memory: MemoryChannel, db: Database
) -> None:
    await _world(db)
    await say(app, memory, "binh", "/baocao 1 Học nghị quyết")
    async with db.session() as session:  # e.g. attached from another device meanwhile
        report = (await session.exec(select(Report))).one()
        report.photo = "first"
        session.add(report)
        await session.commit()
    [answer] = await say(app, memory, "binh", "", photo="second")
    assert answer.startswith("Báo cáo số 1 đã có ảnh")
    assert [r.photo for r in await _reports(db)] == ["first"]


async def test_text_after_a_report_is_not_taken_for_anything(app: Chibo, memory: MemoryChannel, db: Database) -> None:
    await _world(db)
    await say(app, memory, "binh", "/baocao 1 Học nghị quyết")
    assert await say(app, memory, "binh", "cảm ơn") == [texts.NOT_UNDERSTOOD]
    assert [r.text for r in await _reports(db)] == ["Học nghị quyết"]  # the text changed nothing
    # The photo still comes "right after" (within ten minutes): it joins the report.
    assert await say(app, memory, "binh", "", photo="soon") == ["Đã gắn ảnh vào báo cáo số 1."]
    assert [r.photo for r in await _reports(db)] == ["soon"]


async def test_a_bare_photo_from_a_stranger_is_explained(app: Chibo, memory: MemoryChannel, db: Database) -> None:
    await _world(db)
    assert await say(app, memory, "nobody", "", photo="x") == [texts.PHOTO_WITHOUT_CONTEXT]


async def test_conversations_survive_a_restart(db: Database, clock: ManualClock) -> None:
    """Half a guided report, and the right to attach a photo, are in the database, not in memory."""
    await _world(db)
    first, memory = Chibo(db, HandlerSettings(), clock=clock), MemoryChannel()
    first.add_channel(memory)
    await say(first, memory, "binh", "/baocao")
    await say(first, memory, "binh", "4")
    await say(first, memory, "binh", "Giúp quần chúng Tám học lớp cảm tình Đảng")

    second, memory = Chibo(db, HandlerSettings(), clock=clock), MemoryChannel()
    second.add_channel(memory)
    [receipt] = await say(second, memory, "binh", "2")  # the second choice: "Hôm qua (19/11)"
    assert receipt.startswith(
        "Đã ghi báo cáo số 1: Giúp đỡ quần chúng, tạo nguồn phát triển đảng viên, ngày 19/11/2026.")

    third, memory = Chibo(db, HandlerSettings(), clock=clock), MemoryChannel()
    third.add_channel(memory)
    assert await say(third, memory, "binh", "", photo="after-restart") == ["Đã gắn ảnh vào báo cáo số 1."]
    [report] = await _reports(db)
    assert (report.kind, report.text, report.photo) == ("mass_help", "Giúp quần chúng Tám học lớp cảm tình Đảng",
                                                        "after-restart")


async def test_text_limits(app: Chibo, memory: MemoryChannel, db: Database) -> None:
    await _world(db)
    [answer] = await say(app, memory, "binh", "/baocao 5 " + "x" * 2001)
    assert answer == ("Nội dung báo cáo dài 2.001 ký tự, tối đa 2.000 ký tự. Vui lòng rút gọn rồi gửi lại.\n"
                      "Chưa lưu báo cáo.")
    assert await _count(db, Report) == 0
    [answer] = await say(app, memory, "binh", "/baocao 5 " + "x" * 2000)
    assert answer.startswith("Đã ghi báo cáo số 1")
    [report] = await _reports(db)
    assert len(report.text) == 2000


async def test_empty_guided_text_is_refused_with_an_example(app: Chibo, memory: MemoryChannel, db: Database) -> None:
    await _world(db)
    await say(app, memory, "binh", "/baocao 2")
    [answer] = await say(app, memory, "binh", "   ")
    assert "không được để trống" in answer and "/baocao 2 Vận động" in answer
    assert await _count(db, Report) == 0


async def test_a_duplicate_delivery_stores_one_report(app: Chibo, memory: MemoryChannel, db: Database) -> None:
    await _world(db)
    assert len(await say(app, memory, "binh", "/baocao 1 Học nghị quyết", key="tg:77")) == 1
    assert await say(app, memory, "binh", "/baocao 1 Học nghị quyết", key="tg:77") == []
    assert await _count(db, Report) == 1


async def test_members_touch_only_their_own_reports(app: Chibo, memory: MemoryChannel, db: Database) -> None:
    await _world(db)
    await say(app, memory, "an", "/baocao 1 Bí mật của bí thư")
    [answer] = await say(app, memory, "binh", "/xoabaocao 1")
    assert answer == "Đồng chí không có báo cáo số 1. Gõ /cuatoi để xem các báo cáo của mình."
    [mine] = await say(app, memory, "binh", "/cuatoi")
    assert "Bí mật" not in mine and "chưa có báo cáo" in mine
    assert await _count(db, Report) == 1


async def test_a_member_without_a_cell_cannot_report(app: Chibo, memory: MemoryChannel, db: Database) -> None:
    await _world(db)
    assert await say(app, memory, "phuc", "/baocao 1 Học nghị quyết") == [
        "Đồng chí chưa sinh hoạt ở chi bộ nào nên chưa báo cáo hoạt động được."]
    assert await say(app, memory, "stranger", "/baocao 1 Học") == [texts.NOT_JOINED]
    assert await _count(db, Report) == 0


# -- /cuatoi ------------------------------------------------------------------------------------------

async def test_attendance_is_shown_only_when_recorded(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    world = await _world(db)
    [before] = await say(app, memory, "binh", "/cuatoi")
    assert "Sinh hoạt chi bộ" not in before
    async with db.session() as session:
        for days, status in ((40, "present"), (10, "excused"), (400, "present")):  # the last is in 2025: not counted
            meeting = Meeting(cell_id=world.cell_id, starts_at=clock.now() - timedelta(days=days), status="ended")
            session.add(meeting)
            await session.flush()
            session.add(Attendance(meeting_id=id_of(meeting), member_id=world.members["binh"], status=status))
        await session.commit()
    [after] = await say(app, memory, "binh", "/cuatoi")
    assert after.endswith("Sinh hoạt chi bộ năm 2026: có mặt 1, vắng có lý do 1, vắng không lý do 0.")


# -- self-assessment ------------------------------------------------------------------------------------

async def test_bad_scores_and_reviews_save_nothing(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    for typed, shown in (("31 62 Tốt", "«31»"), ("-1 62 Tốt", "«-1»"), ("abc", "«abc»"), ("27 71 Tốt", "«71»"),
                         ("27 62 " + "ư" * 3000, "3.000 ký tự")):
        [answer] = await say(app, memory, "binh", f"/danhgia {typed}")
        assert shown in answer and "Chưa lưu gì" in answer, answer
    await say(app, memory, "binh", "/danhgia")
    for typed in ("31", "-1", "abc", "", "30.5"):
        [answer] = await say(app, memory, "binh", typed)
        assert "phải là số nguyên từ 0 đến 30" in answer
    await say(app, memory, "binh", "27")
    await say(app, memory, "binh", "62")
    [answer] = await say(app, memory, "binh", "chắc vậy")
    assert answer.startswith("Trả lời «có» hoặc «không».")
    await say(app, memory, "binh", "không")
    [answer] = await say(app, memory, "binh", "y" * 2001)
    assert answer.startswith("Bản tự nhận xét dài 2.001 ký tự, tối đa 2.000 ký tự.")
    assert await _count(db, Assessment) == 0
    assert await _count(db, AssessmentChange) == 0
    await say(app, memory, "binh", "y" * 2000)
    [answer] = await say(app, memory, "binh", "Lưu")
    assert answer.startswith("Đã lưu bản tự đánh giá năm 2026: 27 + 62 = 89 điểm")
    async with db.session() as session:
        [saved] = (await session.exec(select(Assessment))).all()
    assert (saved.stage, saved.level, saved.general_score, saved.task_score, saved.violation, len(saved.review or "")) \
        == (Stage.SELF, "good", 27, 62, False, 2000)


async def test_a_violation_makes_it_incomplete(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock, quarterly=True)
    for typed in ("/danhgia quy", "30", "70", "có", "Ưu điểm: nhiều. Khuyết điểm: vi phạm quy định."):
        [answer] = await say(app, memory, "binh", typed)
    assert "30 + 70 = 100 điểm, có vi phạm kỷ luật → Không hoàn thành nhiệm vụ (KHTNV)" in answer
    await say(app, memory, "binh", "1")
    async with db.session() as session:
        [saved] = (await session.exec(select(Assessment))).all()
    assert (saved.period, saved.level, saved.violation) == ("2026-Q4", "incomplete", True)


async def test_a_proposal_made_while_the_member_types_locks_the_self_assessment(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    await say(app, memory, "binh", "/danhgia 20 40 Lần đầu.")
    for typed in ("/danhgia", "29", "69", "không", "Làm lại cho cao hơn."):
        await say(app, memory, "binh", typed)
    [proposed] = await say(app, memory, "an", "/xeploai 2 hoan thanh")
    assert proposed.startswith("Chi bộ đề xuất năm 2026: 2. Trần Thị Bình — Hoàn thành nhiệm vụ (HTNV).")
    [answer] = await say(app, memory, "binh", "Lưu")
    assert "Bản tự đánh giá đã khóa" in answer
    async with db.session() as session:
        rows = {a.stage: (a.level, a.general_score) for a in (await session.exec(select(Assessment))).all()}
    assert rows == {Stage.SELF: ("complete", 20), Stage.CELL_PROPOSED: ("complete", None)}


# -- who may do what ------------------------------------------------------------------------------------

async def test_personal_commands_are_refused_in_groups(app: Chibo, memory: MemoryChannel, db: Database) -> None:
    await _world(db)
    for user, typed in (("binh", "/baocao 1 Học"), ("binh", "/danhgia 27 62 Tốt"), ("binh", "/cuatoi"),
                        ("an", "/xeploai"), ("an", "/xeploai 2 tot"), ("an", "/lichsu 2"),
                        ("phuc", "/quyetdinh 1 tatca"), ("binh", "/xoabaocao 1")):
        [answer] = await say(app, memory, user, typed, private=False)
        assert PRIVATE_ONLY in answer, typed
    assert await _count(db, Report) == 0
    assert await _count(db, Assessment) == 0


async def test_deputies_and_cell_committee_propose_members_do_not(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    [answer] = await say(app, memory, "cuong", "/xeploai 2 tot")
    assert answer.startswith("Chi bộ đề xuất năm 2026: 2. Trần Thị Bình — Hoàn thành tốt nhiệm vụ (HTTNV).")
    [answer] = await say(app, memory, "dung", "/xeploai Bình HTT")
    assert "Không đổi so với đề xuất trước" in answer
    assert await say(app, memory, "binh", "/xeploai 2 xuat sac") == [
        "Lệnh này dành cho bí thư, phó bí thư và chi ủy viên của chi bộ."]
    assert await say(app, memory, "binh", "/quyetdinh 1 tatca") == ["Lệnh này dành cho cấp ủy viên đảng bộ."]
    async with db.session() as session:
        changes = (await session.exec(select(AssessmentChange))).all()
    assert [(c.stage, c.old_level, c.new_level) for c in changes] == [(Stage.CELL_PROPOSED, None, "good")]


async def test_the_quota_is_a_setting_and_only_warns(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    """The quota (≤ 20% of those rated "tốt") is stated once the cell's proposals are complete, not after
    every partial entry; the committee's, once its decisions over all its cells are complete."""
    world = await _world(db, clock)
    for number in (1, 2):
        [answer] = await say(app, memory, "an", f"/xeploai {number} tot")
        assert answer.endswith(f"Chi bộ khu phố 1 đã đề xuất {number}/4 đảng viên thuộc diện xếp loại.")
    [answer] = await say(app, memory, "an", "/xeploai 3 tot")
    assert "định mức" not in answer  # 3 of the cell's 4: not complete yet
    [answer] = await say(app, memory, "an", "/xeploai 4 xuat sac")
    # Complete: 1 excellent, 3 good; 20% of 3 = 0,6 < 1: over.
    assert answer.splitlines()[-2:] == [
        "Chi bộ khu phố 1 đã đề xuất 4/4 đảng viên thuộc diện xếp loại.",
        "Cảnh báo định mức xuất sắc (số liệu đề xuất của Chi bộ khu phố 1): 1 xuất sắc, 3 hoàn thành tốt: "
        "1/3 = 33,3%; không quá 20% số hoàn thành tốt: vượt định mức (chỉ cảnh báo, bot không tự sửa xếp loại). "
        "Đề nghị cân nhắc lại.",
    ]
    async with db.session() as session:
        await unit_settings.put(session, world.committee_id, "excellent_quota", 0.4)
        await session.commit()
    [answer] = await say(app, memory, "an", "/xeploai 4 xuat sac")
    assert answer.splitlines()[-1] == (  # 40% of 3 = 1,2 ≥ 1: within
        "Định mức xuất sắc (số liệu đề xuất của Chi bộ khu phố 1): 1 xuất sắc, 3 hoàn thành tốt: 1/3 = 33,3%; "
        "không quá 40% số hoàn thành tốt: trong định mức.")
    [answer] = await say(app, memory, "phuc", "/quyetdinh 1 tatca")
    assert answer.splitlines()[-1] == "Cấp ủy đã quyết định 4/5 đảng viên thuộc diện xếp loại của đảng bộ."
    await say(app, memory, "khanh", "/xeploai 1 tot")
    [answer] = await say(app, memory, "phuc", "/quyetdinh 2 tatca")
    assert answer.splitlines()[-2:] == [  # the whole organisation: 1 excellent, 4 good; 40% of 4 = 1,6 ≥ 1
        "Cấp ủy đã quyết định 5/5 đảng viên thuộc diện xếp loại của đảng bộ.",
        "Định mức xuất sắc (số liệu quyết định của Đảng bộ phường Bến Thành, 2 chi bộ): 1 xuất sắc, "
        "4 hoàn thành tốt: 1/4 = 25%; không quá 40% số hoàn thành tốt: trong định mức.",
    ]
    async with db.session() as session:
        finals = {a.member_id: a.level for a in (await session.exec(select(Assessment))).all() if a.stage == "final"}
    assert finals == {world.members["an"]: "good", world.members["binh"]: "good", world.members["cuong"]: "good",
                      world.members["dung"]: "excellent", world.members["khanh"]: "good"}


async def test_members_not_reviewed_are_refused_and_listed_apart(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    """The exempt and those admitted less than 6 months before the review are not rated (domain.md)."""
    world = await _world(db, clock)
    async with db.session() as session:
        cuong = await session.get(Member, world.members["cuong"])
        dung = await session.get(Member, world.members["dung"])
        assert cuong is not None and dung is not None
        cuong.status = Status.EXEMPT
        dung.admitted_on = date(2026, 7, 1)  # 6 months less a day before 31/12/2026
        session.add_all([cuong, dung])
        await session.commit()
    [answer] = await say(app, memory, "cuong", "/danhgia 20 50 ok")
    assert answer == ("Đồng chí không thuộc diện đánh giá, xếp loại năm 2026 (miễn công tác và sinh hoạt đảng), "
                      "nên không cần tự đánh giá kỳ này. Nếu thông tin này chưa đúng, đồng chí báo bí thư chi bộ.")
    [answer] = await say(app, memory, "an", "/xeploai 4 tot")
    assert answer == ("Phạm Thị Dung không thuộc diện xếp loại năm 2026 (vào Đảng ngày 01/07/2026, chưa đủ 6 tháng "
                      "đến kỳ đánh giá). Chưa lưu gì.")
    [listing] = await say(app, memory, "an", "/xeploai")
    assert "Xếp loại chất lượng đảng viên năm 2026 — Chi bộ khu phố 1 (2 đảng viên thuộc diện xếp loại):" in listing
    assert ("Không thuộc diện xếp loại kỳ này: 3. Lê Văn Cường (miễn công tác và sinh hoạt đảng); "
            "4. Phạm Thị Dung (vào Đảng ngày 01/07/2026, chưa đủ 6 tháng đến kỳ đánh giá).") in listing
    [answer] = await say(app, memory, "phuc", "/quyetdinh 1 3 tot")
    assert answer.startswith("Lê Văn Cường không thuộc diện xếp loại năm 2026")
    async with db.session() as session:
        assert (await session.exec(select(Assessment))).all() == []


async def test_committee_decides_one_member_and_reads_history(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    await say(app, memory, "an", "/xeploai 2 tot")
    [answer] = await say(app, memory, "phuc", "/quyetdinh Chi bộ khu phố 1 Trần Thị Bình xuất sắc")
    assert answer.startswith("Cấp ủy quyết định năm 2026: Trần Thị Bình (Chi bộ khu phố 1) — "
                             "Hoàn thành xuất sắc nhiệm vụ (HTXSNV).\nKhác đề xuất của chi bộ (HTTNV).")
    [answer] = await say(app, memory, "phuc", "/quyetdinh 1 tatca")
    assert "giữ nguyên: 2. Trần Thị Bình (HTXSNV, đề xuất HTTNV)" in answer
    [answer] = await say(app, memory, "phuc", "/lichsu 1 2")
    assert answer.splitlines()[1:] == [
        "02/12/2026 09:00 · năm 2026, chi bộ đề xuất: chưa có → HTTNV · Nguyễn Văn An",
        "02/12/2026 09:00 · năm 2026, cấp ủy quyết định: chưa có → HTXSNV · Trần Văn Phúc",
    ]
    assert await say(app, memory, "phuc", "/lichsu Bình") == [answer]
    [answer] = await say(app, memory, "khanh", "/lichsu Trần Thị Bình")
    assert answer.startswith("Không tìm thấy đảng viên «Trần Thị Bình» trong Chi bộ khu phố 2.")


async def test_a_photo_sent_with_a_bare_command_stays_through_the_guided_steps(
    app: Chibo, memory: MemoryChannel, db: Database
) -> None:
    await _world(db)
    await say(app, memory, "binh", "/baocao", photo="with-the-command")
    await say(app, memory, "binh", "Khác")  # a choice typed as its label
    [answer] = await say(app, memory, "binh", "", photo="second-photo")
    assert answer.startswith("Đã nhận ảnh. Khác. Đồng chí gõ việc đã làm")
    await say(app, memory, "binh", "Trực an ninh khu phố")
    [receipt] = await say(app, memory, "binh", "hôm nay")
    assert receipt == "Đã ghi báo cáo số 1: Khác, ngày 20/11/2026, có ảnh."
    assert [r.photo for r in await _reports(db)] == ["second-photo"]  # the last photo sent wins


async def test_quarterly_and_yearly_reviews_are_separate(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock, quarterly=True)
    await say(app, memory, "binh", "/danhgia quý 20 45 Quý này: tích cực.")
    [detail] = await say(app, memory, "an", "/xeploai quy 2")
    assert detail.startswith("2. Trần Thị Bình — quý 4 năm 2026\nTự đánh giá: 20 + 45 = 65 điểm")
    [proposed] = await say(app, memory, "an", "2")  # "Tốt", the second level offered
    assert proposed == ("Chi bộ đề xuất quý 4 năm 2026: 2. Trần Thị Bình — Hoàn thành tốt nhiệm vụ (HTTNV).\n"
                        "Chi bộ khu phố 1 đã đề xuất 1/4 đảng viên thuộc diện xếp loại.")
    [locked] = await say(app, memory, "binh", "/danhgia quy 30 70 Sửa lại.")
    assert locked.startswith("Chi bộ đã đề xuất mức xếp loại quý 4 năm 2026 cho đồng chí")
    [yearly] = await say(app, memory, "binh", "/danhgia 27 62 Cả năm: tốt.")
    assert yearly.startswith("Đã lưu bản tự đánh giá năm 2026: 27 + 62 = 89 điểm")
    async with db.session() as session:
        rows = sorted((a.period, a.stage, a.level) for a in (await session.exec(select(Assessment))).all())
    assert rows == [("2026", "self", "good"), ("2026-Q4", "cell_proposed", "good"), ("2026-Q4", "self", "complete")]


async def test_a_line_break_may_separate_the_parts_of_a_one_line_report(
    app: Chibo, memory: MemoryChannel, db: Database
) -> None:
    await _world(db)
    [receipt] = await say(app, memory, "binh", "/baocao 3\n18/11\nTổng vệ sinh khu phố.\nDọn 2 điểm rác.")
    assert receipt.startswith("Đã ghi báo cáo số 1: Hoạt động ở nơi cư trú, đoàn thể, ngày 18/11/2026.")
    [report] = await _reports(db)
    assert report.text == "Tổng vệ sinh khu phố.\nDọn 2 điểm rác."
