"""Review periods across the new year, end to end through the memory channel (issue 10).

Each rating command with a period typed right after its word and without one, in December 2026
(the 2026 review open), January 2027 (still open: a decision then is a 2026 decision) and March
2027 (closed; reopened by the committee); the member told privately of a proposal or a decision,
once; /kydanhgia; and the day last month's reports close.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.messages import Incoming
from domain.vocabulary import Position, Stage
from storage import org, outbox, unit_settings
from storage.assessments import Assessment
from storage.db import Database
from storage.outbox import OutboxMessage
from storage.reports import Report
from storage.tables import ChatAccount
from storage.types import id_of
from tests.conftest import TZ

DECEMBER = datetime(2026, 12, 2, 9, 0, tzinfo=TZ)
JANUARY = datetime(2027, 1, 10, 9, 0, tzinfo=TZ)
MARCH = datetime(2027, 3, 1, 9, 0, tzinfo=TZ)
CLOSED_2026 = ("Kỳ đánh giá năm 2026 đã khóa: mở từ 01/12/2026 đến 28/02/2027. Cấp ủy có thể mở lại: "
               "/kydanhgia mo năm 2026 đến <ngày>. Kỳ năm 2027 mở từ 01/12/2027 đến 29/02/2028.")


@dataclass
class World:
    committee_id: int
    cell_id: int
    members: dict[str, int]


async def _world(db: Database, *, quarterly: bool = False) -> World:
    """Đảng bộ phường Bến Thành with Chi bộ khu phố 1: an (secretary), binh, cuong; phuc sits on the
    committee; khanh leads Chi bộ khu phố 2."""
    async with db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        cell, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 1")
        other, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 2")
        await unit_settings.put(session, id_of(committee), "quarterly_reviews", quarterly)
        people = {"an": (cell.id, "Nguyễn Văn An"), "binh": (cell.id, "Trần Thị Bình"),
                  "cuong": (cell.id, "Lê Văn Cường"), "khanh": (other.id, "Bùi Văn Khánh"),
                  "phuc": (None, "Trần Văn Phúc")}
        members: dict[str, int] = {}
        for user, (cell_id, name) in people.items():
            member = await org.add_member(session, cell_id, name)
            members[user] = id_of(member)
            session.add(ChatAccount(platform="memory", platform_user_id=user, chat_id=user, member_id=member.id))
        await org.grant_role(session, members["an"], id_of(cell), Position.SECRETARY)
        await org.grant_role(session, members["khanh"], id_of(other), Position.SECRETARY)
        await org.grant_role(session, members["phuc"], id_of(committee), Position.COMMITTEE_MEMBER)
        await session.commit()
        return World(id_of(committee), id_of(cell), members)


_keys = iter(range(1, 10**9))


async def say(app: Chibo, memory: MemoryChannel, user: str, text: str) -> str:
    """What the bot answers `user` (one reply expected)."""
    memory.take()
    await app.handle(Incoming("memory", user, text, chat_id=user, is_private=True, update_key=f"r{next(_keys)}"))
    [answer] = [sent.reply.text for sent in memory.take()]
    return answer


async def _ratings(db: Database) -> list[tuple[int, str, int, str, str]]:
    async with db.session() as session:
        rows = (await session.exec(select(Assessment).order_by(col(Assessment.id)))).all()
    return [(a.member_id, a.period, a.year, a.stage, a.level) for a in rows]


async def _notices(db: Database) -> list[tuple[str, int, str]]:
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.kind == outbox.NOTICE)
                                   .order_by(col(OutboxMessage.id)))).all()
    return [(row.key, row.member_id, str(row.payload["text"])) for row in rows]


# -- /danhgia ----------------------------------------------------------------------------------------------

async def test_self_assessment_in_december_january_and_march(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    world = await _world(db)
    clock.set(DECEMBER)
    answer = await say(app, memory, "binh", "/danhgia 27 62 Tích cực.")
    assert answer.startswith("Đã lưu bản tự đánh giá năm 2026: 27 + 62 = 89 điểm")
    clock.set(JANUARY)  # still the 2026 review: filed under 2026, not 2027
    answer = await say(app, memory, "cuong", "/danhgia 26 58 Nhiệt tình.")
    assert answer.startswith("Đã lưu bản tự đánh giá năm 2026: 26 + 58 = 84 điểm")
    answer = await say(app, memory, "an", "/danhgia năm 2026 28 64 Lãnh đạo tốt.")  # the same, typed
    assert answer.startswith("Đã lưu bản tự đánh giá năm 2026: 28 + 64 = 92 điểm")
    clock.set(MARCH)
    assert await say(app, memory, "binh", "/danhgia 29 64 Làm lại.") == CLOSED_2026
    assert await say(app, memory, "binh", "/danhgia nam 2026") == CLOSED_2026  # nothing asked either
    members = world.members
    assert await _ratings(db) == [(members["binh"], "2026", 2026, Stage.SELF, "good"),
                                  (members["cuong"], "2026", 2026, Stage.SELF, "good"),
                                  (members["an"], "2026", 2026, Stage.SELF, "excellent")]
    assert await _notices(db) == []  # a self-assessment tells nobody


async def test_a_guided_self_assessment_finished_after_the_close_saves_nothing(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db)
    clock.set(datetime(2027, 2, 28, 23, 50, tzinfo=TZ))
    for typed in ("/danhgia", "27", "62", "không", "Tích cực."):
        answer = await say(app, memory, "binh", typed)
    assert answer.startswith("Lưu bản tự đánh giá năm 2026")
    clock.set(datetime(2027, 3, 1, 0, 5, tzinfo=TZ))
    assert await say(app, memory, "binh", "Lưu") == CLOSED_2026
    assert "chưa hiểu" in await say(app, memory, "binh", "Lưu")  # the guided form has ended
    assert await _ratings(db) == []


async def test_quarters_only_when_turned_on(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    world = await _world(db)
    clock.set(DECEMBER)
    answer = await say(app, memory, "binh", "/danhgia quý 20 45 Quý này.")
    assert answer == ("Đảng bộ chưa bật đánh giá, xếp loại theo quý nên không ghi được kỳ quý 4 năm 2026. "
                      "Cấp ủy gõ /kydanhgia quy bat để bật.")
    answer = await say(app, memory, "phuc", "/kydanhgia quy bat")
    assert answer.startswith("Đã bật đánh giá, xếp loại theo quý cho Đảng bộ phường Bến Thành")
    answer = await say(app, memory, "binh", "/danhgia quý 20 45 Quý này.")
    assert answer.startswith("Đã lưu bản tự đánh giá quý 4 năm 2026: 20 + 45 = 65 điểm")
    answer = await say(app, memory, "binh", "/danhgia QUY 4/2026 21 45 Quý này, sửa.")  # typed in full
    assert answer.startswith("Đã lưu bản tự đánh giá quý 4 năm 2026 (thay bản trước): 21 + 45 = 66 điểm")
    answer = await say(app, memory, "binh", "/danhgia 27 62 Cả năm.")  # without "quý": the year wins
    assert answer.startswith("Đã lưu bản tự đánh giá năm 2026:")
    assert await _ratings(db) == [(world.members["binh"], "2026-Q4", 2026, Stage.SELF, "complete"),
                                  (world.members["binh"], "2026", 2026, Stage.SELF, "good")]


# -- /xeploai, /quyetdinh, and who is told ----------------------------------------------------------------

async def test_proposals_and_decisions_across_the_new_year(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    world = await _world(db)
    binh = world.members["binh"]
    clock.set(DECEMBER)
    listing = await say(app, memory, "an", "/xeploai")
    assert listing.startswith("Xếp loại chất lượng đảng viên năm 2026 — Chi bộ khu phố 1 (3 đảng viên thuộc diện")
    answer = await say(app, memory, "an", "/xeploai 2 tot")
    assert answer.startswith("Chi bộ đề xuất năm 2026: 2. Trần Thị Bình — Hoàn thành tốt nhiệm vụ (HTTNV).")
    clock.set(JANUARY)
    answer = await say(app, memory, "phuc", "/quyetdinh 1 2 tot")
    assert answer.startswith("Cấp ủy quyết định năm 2026: Trần Thị Bình (Chi bộ khu phố 1) — "
                             "Hoàn thành tốt nhiệm vụ (HTTNV).")
    answer = await say(app, memory, "an", "/xeploai nam 2026 3 hoan thanh")  # typed: the same period
    assert answer.startswith("Chi bộ đề xuất năm 2026: 3. Lê Văn Cường — Hoàn thành nhiệm vụ (HTNV).")
    answer = await say(app, memory, "phuc", "/quyetdinh năm 2026 1 3 hoàn thành")
    assert answer.startswith("Cấp ủy quyết định năm 2026: Lê Văn Cường (Chi bộ khu phố 1) — Hoàn thành nhiệm vụ")
    # A period after the other words is not part of a name: the answer says where it goes.
    answer = await say(app, memory, "phuc", "/quyetdinh 1 tatca năm 2026")
    assert answer == "Kỳ đánh giá gõ ngay sau lệnh, trước các phần khác: /quyetdinh năm 2026 1 tatca. Chưa lưu gì."
    clock.set(MARCH)
    assert await say(app, memory, "an", "/xeploai 3 tot") == CLOSED_2026
    assert await say(app, memory, "phuc", "/quyetdinh 1 2 xuat sac") == CLOSED_2026
    assert await say(app, memory, "phuc", "/quyetdinh năm 2026 1 tatca") == CLOSED_2026
    # Lists stay readable, saying the period takes nothing now; no level is offered.
    listing = await say(app, memory, "an", "/xeploai")
    assert listing.startswith("Xếp loại chất lượng đảng viên năm 2026 — Chi bộ khu phố 1")
    assert listing.endswith("Kỳ đánh giá năm 2026 đã khóa (từ 01/12/2026 đến 28/02/2027): chỉ xem, không ghi được. "
                            "Cấp ủy mở lại bằng /kydanhgia mo năm 2026.")
    # The committee reopens it; the decision goes through, and is a 2026 one.
    answer = await say(app, memory, "phuc", "/kydanhgia mo năm 2026 đến 15/03/2027")
    assert answer == ("Đã mở kỳ đánh giá năm 2026 từ 01/12/2026 đến 15/03/2027: đảng viên tự đánh giá, chi bộ đề "
                      "xuất và cấp ủy quyết định được đến hết ngày 15/03/2027.")
    answer = await say(app, memory, "phuc", "/quyetdinh 1 2 xuat sac")
    assert answer.startswith("Cấp ủy quyết định năm 2026: Trần Thị Bình (Chi bộ khu phố 1) — "
                             "Hoàn thành xuất sắc nhiệm vụ (HTXSNV). Quyết định trước: HTTNV.")
    assert [r for r in await _ratings(db) if r[0] == binh] == [
        (binh, "2026", 2026, Stage.CELL_PROPOSED, "good"), (binh, "2026", 2026, Stage.FINAL, "excellent")]
    assert [(key, member) for key, member, _ in await _notices(db)] == [
        (f"rating:2026:cell_proposed:{binh}:1:good", binh),
        (f"rating:2026:final:{binh}:1:good", binh),
        (f"rating:2026:cell_proposed:{world.members['cuong']}:1:complete", world.members["cuong"]),
        (f"rating:2026:final:{world.members['cuong']}:1:complete", world.members["cuong"]),
        (f"rating:2026:final:{binh}:2:excellent", binh),
    ]


async def test_the_member_is_told_once_per_change_and_never_of_their_own_proposal(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    world = await _world(db)
    binh = world.members["binh"]
    clock.set(DECEMBER)
    await say(app, memory, "an", "/xeploai 2 tot")
    await say(app, memory, "an", "/xeploai 2 tot")  # the same level again: nothing new to tell
    await say(app, memory, "an", "/xeploai 1 xuat sac")  # An proposes his own level: he saw it
    assert await _notices(db) == [(
        f"rating:2026:cell_proposed:{binh}:1:good", binh,
        "Chi bộ khu phố 1 đề xuất mức xếp loại chất lượng đảng viên năm 2026 của đồng chí: "
        "Hoàn thành tốt nhiệm vụ (HTTNV). Cấp ủy sẽ xem xét, quyết định.")]
    await say(app, memory, "an", "/xeploai 2 hoan thanh")
    await say(app, memory, "an", "/xeploai 2 tot")  # changed back: told again, a new key
    assert [key for key, _member, _text in await _notices(db)] == [
        f"rating:2026:cell_proposed:{binh}:1:good", f"rating:2026:cell_proposed:{binh}:2:complete",
        f"rating:2026:cell_proposed:{binh}:3:good"]
    assert (await _notices(db))[1][2].endswith("Hoàn thành nhiệm vụ (HTNV). (Đề xuất trước: HTTNV.) "
                                               "Cấp ủy sẽ xem xét, quyết định.")
    # The committee decides all as proposed: each member told once; doing it again tells nobody.
    await say(app, memory, "phuc", "/quyetdinh 1 tatca")
    await say(app, memory, "phuc", "/quyetdinh 1 tatca")
    decisions = [(member, text) for key, member, text in await _notices(db) if ":final:" in key]
    assert decisions == [
        (world.members["an"], "Đảng ủy phường Bến Thành quyết định xếp loại chất lượng đảng viên năm 2026 "
                              "của đồng chí: Hoàn thành xuất sắc nhiệm vụ (HTXSNV)."),
        (binh, "Đảng ủy phường Bến Thành quyết định xếp loại chất lượng đảng viên năm 2026 "
               "của đồng chí: Hoàn thành tốt nhiệm vụ (HTTNV)."),
    ]
    # Delivered privately at the next pass, once.
    clock.set(DECEMBER.replace(minute=5))
    await app.tick()
    await app.tick()
    told = memory.texts_to("binh")
    assert told.count("Đảng ủy phường Bến Thành quyết định xếp loại chất lượng đảng viên năm 2026 "
                      "của đồng chí: Hoàn thành tốt nhiệm vụ (HTTNV).") == 1
    assert len(told) == 4  # three proposals (good, complete, good) and the decision


# -- /lichsu and /cuatoi -----------------------------------------------------------------------------------

async def test_history_and_own_record_of_a_period(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db)
    clock.set(datetime(2025, 12, 5, 9, 0, tzinfo=TZ))
    await say(app, memory, "an", "/xeploai 2 hoan thanh")  # the 2025 review
    clock.set(DECEMBER)
    await say(app, memory, "binh", "/baocao 1 Học nghị quyết")
    await say(app, memory, "an", "/xeploai 2 tot")
    clock.set(JANUARY)
    answer = await say(app, memory, "an", "/lichsu 2")  # the open review: 2026
    assert answer.splitlines() == [
        "Lịch sử xếp loại năm 2026 của Trần Thị Bình (Chi bộ khu phố 1):",
        "02/12/2026 09:00 · năm 2026, chi bộ đề xuất: chưa có → HTTNV · Nguyễn Văn An",
        "Kỳ khác có xếp loại: năm 2025. Gõ ví dụ /lichsu năm 2025 2.",
    ]
    answer = await say(app, memory, "an", "/lichsu nam 2025 2")
    assert answer.splitlines()[:2] == [
        "Lịch sử xếp loại năm 2025 của Trần Thị Bình (Chi bộ khu phố 1):",
        "05/12/2025 09:00 · năm 2025, chi bộ đề xuất: chưa có → HTNV · Nguyễn Văn An",
    ]
    assert await say(app, memory, "phuc", "/lichsu năm 2024 1 2") == (
        "Trần Thị Bình (Chi bộ khu phố 1) chưa có lần xếp loại nào năm 2024.\n"
        "Kỳ khác có xếp loại: năm 2026, năm 2025. Gõ ví dụ /lichsu năm 2026 1 2.")
    answer = await say(app, memory, "binh", "/cuatoi năm 2026")
    assert answer.splitlines() == [
        "Năm 2026 của đồng chí:",
        "Báo cáo hoạt động: 1.",  # the one of 02/12/2026
        "Đánh giá, xếp loại năm 2026:",
        "- Tự đánh giá: chưa có",
        "- Chi bộ đề xuất: Hoàn thành tốt nhiệm vụ (HTTNV)",
        "- Cấp ủy quyết định: chưa có",
        "Gõ /danhgia năm 2026 để tự đánh giá.",
    ]
    answer = await say(app, memory, "binh", "/cuatoi NAM 2025")
    assert answer.splitlines()[:2] == ["Năm 2025 của đồng chí:", "Báo cáo hoạt động: 0."]
    assert "- Chi bộ đề xuất: Hoàn thành nhiệm vụ (HTNV)" in answer
    assert "Gõ /danhgia" not in answer  # 2025's review is closed
    # Without a period: everything, and the open review she has not assessed herself for.
    answer = await say(app, memory, "binh", "/cuatoi")
    assert "Đồng chí chưa tự đánh giá năm 2026. Gõ /danhgia để tự đánh giá." in answer
    assert "Năm 2026:\n- Tự đánh giá: chưa có\n- Chi bộ đề xuất: Hoàn thành tốt nhiệm vụ (HTTNV)" in answer
    # In March the 2026 review is closed: still the one shown by default, without inviting to assess.
    clock.set(MARCH)
    answer = await say(app, memory, "an", "/lichsu 2")
    assert answer.startswith("Lịch sử xếp loại năm 2026 của Trần Thị Bình (Chi bộ khu phố 1):")
    answer = await say(app, memory, "binh", "/cuatoi")
    assert "Năm 2026:" in answer and "Gõ /danhgia" not in answer


# -- /tonghop: the period right after the command word ------------------------------------------------------

async def test_a_summary_takes_its_period_first_or_last(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db)
    clock.set(JANUARY)

    async def summary(typed: str) -> str:
        memory.take()
        await app.handle(Incoming("memory", "phuc", typed, chat_id="phuc", is_private=True,
                                  update_key=f"r{next(_keys)}"))
        return memory.take()[0].reply.text

    first = await summary("/tonghop năm 2026 Chi bộ khu phố 1")
    assert first.startswith("Tổng hợp Chi bộ khu phố 1 — năm 2026")
    assert await summary("/tonghop Chi bộ khu phố 1 năm 2026") == first
    assert await summary("/tonghop nam 2026 khu pho 1") == first
    assert (await summary("/tonghop quý 4/2026")).startswith("Tổng hợp Đảng bộ phường Bến Thành — quý 4/2026")


# -- /kydanhgia ---------------------------------------------------------------------------------------------

async def test_the_committee_manages_its_review_periods(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    world = await _world(db)
    clock.set(JANUARY)
    listing = await say(app, memory, "phuc", "/kydanhgia")
    assert listing.splitlines()[:4] == [
        "Kỳ đánh giá, xếp loại của Đảng bộ phường Bến Thành:",
        "Kỳ năm: mở từ ngày 01/12 đến hết tháng 2 năm sau. Theo quý: không.",
        "- Năm 2027: chưa mở, từ 01/12/2027 đến 29/02/2028.",
        "- Năm 2026: đang mở, từ 01/12/2026 đến 28/02/2027.",
    ]
    answer = await say(app, memory, "phuc", "/kydanhgia dong năm 2026")  # closed early, from today
    assert answer == ("Đã khóa kỳ đánh giá năm 2026 từ hôm nay (10/01/2027). "
                      "Mở lại bằng /kydanhgia mo năm 2026 đến <ngày>.")
    assert (await say(app, memory, "binh", "/danhgia 27 62 Tốt.")).startswith(
        "Kỳ đánh giá năm 2026 đã khóa: mở từ 01/12/2026 đến 09/01/2027.")
    assert await say(app, memory, "phuc", "/kydanhgia dong năm 2026") == (
        "Kỳ đánh giá năm 2026 không đang mở (đã khóa, từ 01/12/2026 đến 09/01/2027).")
    # Reopened without a date: until its usual closing day, still ahead.
    assert await say(app, memory, "phuc", "/kydanhgia mở năm 2026") == (
        "Đã mở kỳ đánh giá năm 2026 từ 01/12/2026 đến 28/02/2027: đảng viên tự đánh giá, chi bộ đề xuất và cấp "
        "ủy quyết định được đến hết ngày 28/02/2027.")
    assert (await say(app, memory, "binh", "/danhgia 27 62 Tốt.")).startswith("Đã lưu bản tự đánh giá năm 2026")
    # In March, reopened without a date: 14 days, today included.
    clock.set(MARCH)
    assert (await say(app, memory, "phuc", "/kydanhgia mo nam 2026")).startswith(
        "Đã mở kỳ đánh giá năm 2026 từ 01/12/2026 đến 14/03/2027")
    assert await say(app, memory, "phuc", "/kydanhgia mo năm 2026 đến 28/02/2027") == (
        "Ngày 28/02/2027 đã qua: gõ một ngày từ hôm nay (01/03/2027) trở đi.")
    # The yearly days are a setting: opened 01/11, closed 31/01.
    answer = await say(app, memory, "phuc", "/kydanhgia lich 01/11 31/01")
    assert answer.startswith("Đã đổi lịch kỳ đánh giá năm của Đảng bộ phường Bến Thành. "
                             "Kỳ năm: mở từ ngày 01/11 đến hết ngày 31/01 năm sau.")
    async with db.session() as session:
        assert await unit_settings.get(session, world.committee_id, "review_opens") == "01/11"
        calendar = await unit_settings.review_calendar(session, world.cell_id)  # the cell inherits it
    assert calendar.opens == (1, 11) and calendar.closes == (31, 1)
    assert calendar.set_windows["2026"].last.isoformat() == "2027-03-14"
    # Only committee members manage periods.
    assert await say(app, memory, "an", "/kydanhgia") == "Lệnh này dành cho cấp ủy viên đảng bộ."


# -- reports: last month's are taken until the month's summary closes -------------------------------------------

async def test_last_months_reports_until_the_close_day(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    world = await _world(db)
    clock.set(datetime(2027, 1, 5, 23, 50, tzinfo=TZ))  # the 5th, the default close day: still taken
    answer = await say(app, memory, "binh", "/baocao 1 28/12 Học chuyên đề tháng 12")
    assert answer.startswith("Đã ghi báo cáo số 1: Học tập, quán triệt nghị quyết, ngày 28/12/2026.")
    clock.set(datetime(2027, 1, 6, 0, 10, tzinfo=TZ))
    answer = await say(app, memory, "binh", "/baocao 1 28/12 Học chuyên đề tháng 12 (lần hai)")
    assert answer == ("Ngày 28/12/2026 thuộc tháng 12/2026 đã khóa sổ: báo cáo của tháng đó chỉ nhận đến hết ngày "
                      "05/01/2027. Bây giờ nhận báo cáo việc làm từ ngày 01/01/2027.\nChưa lưu báo cáo.")
    answer = await say(app, memory, "binh", "/baocao 1 31/12 Học")  # "31/12" is last December, never 2027's
    assert answer.startswith("Ngày 31/12/2026 thuộc tháng 12/2026 đã khóa sổ")
    answer = await say(app, memory, "binh", "/baocao 1 07/01 Học")
    assert answer.startswith("Ngày 07/01/2027 chưa tới")
    # A committee may take last month's reports longer: until the 10th.
    async with db.session() as session:
        await unit_settings.put(session, world.committee_id, "report_close_day", 10)
        await session.commit()
    answer = await say(app, memory, "binh", "/baocao 1 28/12 Học chuyên đề tháng 12 (lần hai)")
    assert answer.startswith("Đã ghi báo cáo số 2: Học tập, quán triệt nghị quyết, ngày 28/12/2026.")
    async with db.session() as session:
        done = [r.done_on.isoformat() for r in (await session.exec(select(Report))).all()]
    assert done == ["2026-12-28", "2026-12-28"]


async def test_the_guided_report_offers_yesterday_only_when_it_is_taken(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    world = await _world(db)
    memory.take()
    clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=TZ))
    await say(app, memory, "binh", "/baocao")
    await say(app, memory, "binh", "1")
    await app.handle(Incoming("memory", "binh", "Học nghị quyết", chat_id="binh", update_key="y1"))
    [asked] = memory.take()
    assert [choice.label for choice in asked.reply.choices] == ["Hôm nay (01/01)", "Hôm qua (31/12)"]
    async with db.session() as session:
        await unit_settings.put(session, world.committee_id, "report_close_day", 0)  # closed at the month's end
        await session.commit()
    await app.handle(Incoming("memory", "binh", "31/12", chat_id="binh", update_key="y2"))
    [asked] = memory.take()
    assert asked.reply.text.startswith("Ngày 31/12/2026 thuộc tháng 12/2026 đã khóa sổ: báo cáo của tháng đó chỉ "
                                       "nhận đến hết ngày 31/12/2026.")
    assert [choice.label for choice in asked.reply.choices] == ["Hôm nay (01/01)"]
