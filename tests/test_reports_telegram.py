"""Reports and ratings over Telegram: python-telegram-bot polls the fake Bot API server, and the
members, the secretary and the committee tap the inline buttons the bot offers."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import col, select

from bot.app import Chibo
from domain.periods import ReviewPeriod
from domain.review_window import Window
from domain.vocabulary import Position, Stage
from storage import org, unit_settings
from storage.assessments import Assessment
from storage.reports import Report
from storage.tables import ChatAccount
from storage.types import id_of
from tests.fakes.telegram_api import FakeTelegram, SentMessage

SECRETARY_ID = 101
MEMBER_IDS = (101, 201, 202, 203, 204)  # the secretary is the first member of the cell
OTHER_CELL_MEMBER = 301
COMMITTEE_ID = 900
NAMES = {101: "Nguyễn Văn An", 201: "Trần Thị Bình", 202: "Lê Văn Cường", 203: "Phạm Thị Dung",
         204: "Hoàng Văn Em", 301: "Ngô Thị Lan", 900: "Trần Văn Phúc"}


async def _organisation(app: Chibo) -> None:
    async with app.db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        cell, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 1")
        other, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 2")
        # The Đảng ủy opened the 2026 review early, on 20/11 (/kydanhgia mo năm 2026): it usually opens on 01/12.
        await unit_settings.set_review_window(session, id_of(committee), ReviewPeriod(2026),
                                              Window(date(2026, 11, 20), date(2027, 2, 28)))
        for user_id, name in NAMES.items():
            cell_id = cell.id if user_id in MEMBER_IDS else other.id if user_id == OTHER_CELL_MEMBER else None
            member = await org.add_member(session, cell_id, name)
            session.add(ChatAccount(platform="telegram", platform_user_id=str(user_id), chat_id=str(user_id),
                                    member_id=member.id))
            if user_id == SECRETARY_ID:
                await org.grant_role(session, id_of(member), id_of(cell), Position.SECRETARY)
            if user_id == COMMITTEE_ID:
                await org.grant_role(session, id_of(member), id_of(committee), Position.COMMITTEE_MEMBER)
        await session.commit()


class Chat:
    """Push one update and wait for exactly the replies it causes."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake

    async def say(self, user: int, text: str, replies: int = 1, **options: Any) -> list[SentMessage]:
        before = len(self.fake.sent)
        self.fake.push_message(user, text, name=NAMES.get(user, "Người dùng"), **options)
        return (await self.fake.wait_sent(before + replies))[before:]

    async def tap(self, user: int, message: SentMessage, label: str, replies: int = 1) -> list[SentMessage]:
        """Tap the button labelled `label` on a message the bot sent."""
        data = dict(message.buttons)[label]
        before = len(self.fake.sent)
        self.fake.push_callback(user, data, message=message)
        return (await self.fake.wait_sent(before + replies))[before:]


async def test_reports_and_ratings_by_tapping_buttons(app: Chibo, telegram: FakeTelegram) -> None:
    await _organisation(app)
    chat = Chat(telegram)

    # A guided report: the type and the date are buttons; a photo right after is attached.
    [kinds] = await chat.say(201, "/baocao")
    assert [label for label, _ in kinds.buttons][1] == "Nhiệm vụ được phân công"
    [ask] = await chat.tap(201, kinds, "Nhiệm vụ được phân công")
    assert ask.text.startswith("Nhiệm vụ được phân công. Đồng chí gõ việc đã làm")
    [when] = await chat.say(201, "Vận động 5 hộ đóng góp làm đường")
    assert when.buttons == [("Hôm nay (20/11)", "hom nay"), ("Hôm qua (19/11)", "hom qua")]
    [receipt] = await chat.tap(201, when, "Hôm nay (20/11)")
    assert receipt.text.startswith("Đã ghi báo cáo số 1: Nhiệm vụ được phân công, ngày 20/11/2026.")
    [attached] = await chat.say(201, "", photo="AgACAgUAAxkBAAIB")
    assert attached.text == "Đã gắn ảnh vào báo cáo số 1."

    # One-line reports; one comes as a photo whose caption is the command.
    [receipt] = await chat.say(202, "/baocao 3 Tổng vệ sinh khu phố", photo="AgACAgUAAxkBAAIC")
    # Numbers are per member: each member's first report is their number 1.
    assert receipt.text == "Đã ghi báo cáo số 1: Hoạt động ở nơi cư trú, đoàn thể, ngày 20/11/2026, có ảnh."
    for user in (203, 204, 101):
        [receipt] = await chat.say(user, "/baocao 1 Học Nghị quyết Đại hội XIV")
        assert receipt.text.startswith("Đã ghi báo cáo số 1: Học tập, quán triệt nghị quyết")

    # Self-assessment: scores typed, the violation question and the confirmation tapped.
    await chat.say(201, "/danhgia")
    [score] = await chat.say(201, "31")
    assert "phải là số nguyên từ 0 đến 30" in score.text
    await chat.say(201, "27")
    [violation] = await chat.say(201, "62")
    assert violation.buttons == [("Không", "khong"), ("Có", "co")]
    [review] = await chat.tap(201, violation, "Không")
    assert review.text.startswith("Tổng: 27 + 62 = 89 điểm, không vi phạm kỷ luật → Hoàn thành tốt nhiệm vụ (HTTNV).")
    [confirm] = await chat.say(201, "Ưu điểm: vận động tốt. Khuyết điểm: ít học tập. Hướng khắc phục: học đều.")
    [saved] = await chat.tap(201, confirm, "Lưu")
    assert saved.text.startswith("Đã lưu bản tự đánh giá năm 2026: 27 + 62 = 89 điểm")
    await chat.say(202, "/danhgia 26 58 Ưu điểm: nhiệt tình. Khuyết điểm: chậm báo cáo.")
    await chat.say(203, "/danhgia 29 64 Ưu điểm: giúp đỡ quần chúng. Khuyết điểm: ít phát biểu.")
    await chat.say(101, "/danhgia 28 64 Ưu điểm: lãnh đạo tốt. Khuyết điểm: chưa sâu sát.")

    # The secretary taps a member, then a level; Em (204) has not assessed himself.
    [listing] = await chat.say(SECRETARY_ID, "/xeploai")
    assert "5. Hoàng Văn Em: chưa tự đánh giá" in listing.text
    [detail] = await chat.tap(SECRETARY_ID, listing, "2. Trần Thị Bình")
    assert "Tự nhận xét: Ưu điểm: vận động tốt." in detail.text
    assert [label for label, _ in detail.buttons] == ["Xuất sắc", "Tốt", "Hoàn thành", "Không hoàn thành"]
    [proposed] = await chat.tap(SECRETARY_ID, detail, "Tốt")
    assert proposed.text == ("Chi bộ đề xuất năm 2026: 2. Trần Thị Bình — Hoàn thành tốt nhiệm vụ (HTTNV).\n"
                             "Chi bộ khu phố 1 đã đề xuất 1/5 đảng viên thuộc diện xếp loại.")
    await chat.say(SECRETARY_ID, "/xeploai 3 HTTNV")
    await chat.say(SECRETARY_ID, "/xeploai 5 hoan thanh")
    [partial] = await chat.say(SECRETARY_ID, "/xeploai 4 xuất sắc")
    assert "định mức" not in partial.text  # 4 of 5 proposed: the quota waits for the last one
    [warned] = await chat.say(SECRETARY_ID, "/xeploai 1 tot")
    # All 5 proposed: 1 excellent, 3 good (Bình, Cường, An): 20% of 3 = 0,6 < 1.
    assert "Cảnh báo định mức xuất sắc" in warned.text and "1 xuất sắc, 3 hoàn thành tốt: 1/3 = 33,3%" in warned.text

    # Refusals: a member of another cell, and a rating command in a group chat.
    [refused] = await chat.say(OTHER_CELL_MEMBER, "/xeploai")
    assert refused.text == "Lệnh này dành cho bí thư, phó bí thư và chi ủy viên của chi bộ."
    [group] = await chat.say(SECRETARY_ID, "/xeploai@chibo_test_bot", chat_id=-500, chat_type="group")
    assert group.chat_id == "-500" and "chỉ dùng trong tin nhắn riêng" in group.text
    assert "Trần Thị Bình" not in group.text

    # The committee taps the cell, then "decide as proposed".
    [cells] = await chat.say(COMMITTEE_ID, "/quyetdinh")
    [cell] = await chat.tap(COMMITTEE_ID, cells, "Chi bộ khu phố 1")
    [decided] = await chat.tap(COMMITTEE_ID, cell, "Quyết định theo đề xuất")
    assert decided.text.startswith("Cấp ủy quyết định năm 2026 — Chi bộ khu phố 1, theo đề xuất của chi bộ "
                                   "(5 đảng viên):")

    # The member's record and the secretary's view of the history.
    [mine] = await chat.say(201, "/cuatoi")
    assert "- Cấp ủy quyết định: Hoàn thành tốt nhiệm vụ (HTTNV)" in mine.text
    assert "Số 1 · 20/11 · Nhiệm vụ được phân công: Vận động 5 hộ đóng góp làm đường (có ảnh)" in mine.text
    [history] = await chat.say(SECRETARY_ID, "/lichsu Bình")
    assert history.text.splitlines()[1:] == [
        "20/11/2026 09:00 · năm 2026, tự đánh giá: chưa có → HTTNV · Trần Thị Bình",
        "20/11/2026 09:00 · năm 2026, chi bộ đề xuất: chưa có → HTTNV · Nguyễn Văn An",
        "20/11/2026 09:00 · năm 2026, cấp ủy quyết định: chưa có → HTTNV · Trần Văn Phúc",
    ]

    async with app.db.session() as session:
        reports = (await session.exec(select(Report).order_by(col(Report.id)))).all()
        ratings = (await session.exec(select(Assessment))).all()
    assert [r.photo for r in reports] == ["AgACAgUAAxkBAAIB", "AgACAgUAAxkBAAIC", None, None, None]
    assert sum(1 for a in ratings if a.stage == Stage.SELF) == 4
    assert sorted(a.level for a in ratings if a.stage == "final") == ["complete", "excellent", "good", "good", "good"]
