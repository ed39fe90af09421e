"""The minutes (issue 13): the papers read back (DOCX with python-docx, PDF text with pypdf, page 1
as a PNG kept for a person to look at), bad input refused with nothing half-saved, the minutes
resumed by a new process, the one-message form, and the rules of domain/minutes.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.scheduling import attach_scheduler
from domain import minutes as rules
from domain.errors import UserError
from handlers.context import HandlerSettings
from storage.db import Database
from storage.minutes import Minutes
from tests.cell_setup import Cell, local, make_cell, say, tick

PEOPLE = {"an": "Nguyễn Văn An", "binh": "Trần Thị Bình", "cuong": "Lê Văn Cường", "dung": "Phạm Thị Dung",
          "em": "Hoàng Văn Em", "giang": "Vũ Thị Giang", "hoa": "Đỗ Văn Hòa"}


async def held_meeting(app: Chibo, clock: ManualClock, memory: MemoryChannel, *, roll_call: bool = True) -> Cell:
    """Meeting 1 on 05/01/2027 19:30 held; with its paper roll call: Dung excused (ốm nằm viện), Em absent,
    Hòa exempt: present An, Bình, Cường, Giang = 4 of 6 expected."""
    clock.set(local("2026-12-20 09:00"))
    cell = await make_cell(app.db, clock.now(), PEOPLE)
    await say(app, "an", "/lichhop 05/01/2027 19:30 tại Nhà văn hóa khu phố 7 nội dung: Kiểm điểm tháng 12; "
                         "Nhiệm vụ tháng 1")
    await tick(app, clock, "2027-01-05 21:30")
    if roll_call:
        await say(app, "an", "/diemdanh 1 giấy vắng có lý do: Dung (ốm nằm viện); vắng không lý do: Em")
    memory.take()
    return cell


async def stored_minutes(db: Database) -> list[Minutes]:
    async with db.session() as session:
        return list((await session.exec(select(Minutes))).all())


def documents(memory: MemoryChannel) -> list[Path]:
    return [sent.reply.document for sent in memory.sent if sent.reply.document is not None]


STEPS = [
    "1",  # chair: Nguyễn Văn An, first of those present
    "Bình",  # minute-taker
    "Đồng chí Trần Văn Tuấn, Đảng ủy viên phường",
    "như lịch",  # the two items of the schedule
    "Bình: nhất trí với báo cáo; Cường: đề nghị làm rõ việc thu đảng phí; tran van tuan: ghi nhận cố gắng",
    "Thông qua báo cáo tháng 12 & bổ sung <chỉ tiêu> phát triển đảng viên.",
    "bỏ qua",
    "Giao đồng chí Cường phụ trách thu đảng phí quý I.",
    "4 0 0",
    "21:15",
]


async def test_the_papers_hold_every_field(app: Chibo, clock: ManualClock, memory: MemoryChannel,
                                           tmp_path: Path) -> None:
    from docx import Document
    from pypdf import PdfReader

    await held_meeting(app, clock, memory)
    await say(app, "an", "/bienban 1")
    for answer in STEPS:
        await say(app, "an", answer)
    docx, pdf = documents(memory)
    assert docx.suffix == ".docx" and pdf.suffix == ".pdf"

    document = Document(str(docx))
    cells = [p.text for table in document.tables for cell in table.rows[0].cells for p in cell.paragraphs]
    word = "\n".join([*cells, *(p.text for p in document.paragraphs)])
    reader = PdfReader(str(pdf))
    pdf_text = "\n".join(page.extract_text() for page in reader.pages)
    expected = [
        "ĐẢNG BỘ THỬ", "CHI BỘ THỬ", "ĐẢNG CỘNG SẢN VIỆT NAM", "ngày 05 tháng 01 năm 2027", "BIÊN BẢN",
        "Sinh hoạt chi bộ thường kỳ tháng 1/2027", "19 giờ 30 phút", "Nhà văn hóa khu phố 7",
        "Chủ trì: đồng chí Nguyễn Văn An", "Thư ký: đồng chí Trần Thị Bình", "Trần Văn Tuấn, Đảng ủy viên phường",
        "Tổng số đảng viên của chi bộ: 7; miễn sinh hoạt: 1; phải dự: 6",
        "Có mặt: 4 đồng chí: Nguyễn Văn An, Trần Thị Bình, Lê Văn Cường, Vũ Thị Giang",
        "Vắng có lý do: 1 đồng chí: Phạm Thị Dung (ốm nằm viện)", "Vắng không lý do: 1 đồng chí: Hoàng Văn Em",
        "1. Kiểm điểm tháng 12", "Đồng chí Trần Thị Bình: nhất trí với báo cáo",
        "Đồng chí Lê Văn Cường: đề nghị làm rõ việc thu đảng phí", "Đồng chí Trần Văn Tuấn: ghi nhận cố gắng",
        "Thông qua báo cáo tháng 12 & bổ sung <chỉ tiêu> phát triển đảng viên.", "2. Nhiệm vụ tháng 1",
        "Giao đồng chí Cường phụ trách thu đảng phí quý I.",
        "Tán thành 4/4 đồng chí có mặt; không tán thành 0; không biểu quyết 0",
        "21 giờ 15 phút cùng ngày", "THƯ KÝ", "CHỦ TRÌ",
    ]
    flat_pdf = " ".join(pdf_text.split())  # lines wrap in the PDF
    for text in expected:
        assert text in word, f"DOCX lacks {text!r}"
        assert text in flat_pdf, f"PDF lacks {text!r}"
    assert "{{" not in word and "{%" not in word  # every field filled

    import pypdfium2

    png = tmp_path / "bien-ban-trang-1.png"
    pypdfium2.PdfDocument(str(pdf))[0].render(scale=1.5).to_pil().save(png)
    assert png.stat().st_size > 20_000  # a page with text on it, not a blank one
    print(f"\nbiên bản, trang 1: {png}\nPDF: {pdf}\nDOCX: {docx}")


async def test_a_vote_beyond_those_present_is_refused_and_not_kept(
        app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    await held_meeting(app, clock, memory)
    await say(app, "an", "/bienban 1")
    for answer in STEPS[:8]:
        await say(app, "an", answer)
    memory.take()
    await say(app, "an", "3 1 1")  # 5 votes, 4 present
    assert "nhiều hơn số có mặt (4)" in memory.texts_to("an")[-1]
    (minutes,) = await stored_minutes(app.db)
    assert minutes.votes_for is None and minutes.step == "bieuquyet"
    await say(app, "an", "3 0 1")
    (minutes,) = await stored_minutes(app.db)
    assert (minutes.votes_for, minutes.votes_against, minutes.votes_abstain) == (3, 0, 1)


async def test_a_chair_who_is_not_a_member_present_is_refused(
        app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    await held_meeting(app, clock, memory)
    await say(app, "an", "/bienban 1")
    await say(app, "an", "Trần Văn Tuấn")
    assert "không phải đảng viên có mặt của chi bộ" in memory.texts_to("an")[-1]
    await say(app, "an", "Dung")  # a member, but excused
    assert "Phạm Thị Dung không có mặt" in memory.texts_to("an")[-1]
    (minutes,) = await stored_minutes(app.db)
    assert minutes.chair_id is None and minutes.step == "chutri"


async def test_a_meeting_without_roll_call_has_no_minutes(
        app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    await held_meeting(app, clock, memory, roll_call=False)
    await say(app, "an", "/bienban 1")
    assert "chưa điểm danh nên chưa lập biên bản được" in memory.texts_to("an")[-1]
    await say(app, "an", "/bienban 1 chủ trì: An; thư ký: Bình; biểu quyết: 4 0 0")
    assert "chưa điểm danh" in memory.texts_to("an")[-1]
    assert await stored_minutes(app.db) == []


async def test_the_minutes_resume_in_a_new_process(app: Chibo, clock: ManualClock, memory: MemoryChannel,
                                                  tmp_path: Path) -> None:
    await held_meeting(app, clock, memory)
    await say(app, "an", "/bienban 1")
    for answer in STEPS[:3]:
        await say(app, "an", answer)
    # A restart: another process on the same database, nothing carried in memory.
    again = Chibo(app.db, HandlerSettings(files_dir=str(tmp_path / "files2")), clock=clock)
    attach_scheduler(again)
    channel = MemoryChannel()
    again.add_channel(channel)
    await say(again, "an", "như lịch")  # the pending step, answered after the restart
    assert channel.texts_to("an")[-1].startswith("Bước 5/10: nội dung 1/2 «Kiểm điểm tháng 12»")
    await say(again, "an", "/lich")  # another command abandons the conversation…
    await say(again, "an", "/bienban 1")  # …and the minutes resume where they were
    assert "Tiếp tục biên bản buổi số 1" in channel.texts_to("an")[-1]
    assert "Bước 5/10" in channel.texts_to("an")[-1]
    (minutes,) = await stored_minutes(app.db)
    assert minutes.guests == "Đồng chí Trần Văn Tuấn, Đảng ủy viên phường"
    assert [item["title"] for item in minutes.agenda] == ["Kiểm điểm tháng 12", "Nhiệm vụ tháng 1"]


async def test_the_one_message_form_all_or_nothing(app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    await held_meeting(app, clock, memory)
    # The vote is wrong (5 > 4 present): nothing of the message is kept.
    await say(app, "an", "/bienban 1 chủ trì: An; thư ký: Bình; nội dung: Kiểm điểm; ý kiến: Cường: nhất trí; "
                         "kết luận: Thông qua; biểu quyết: 5 0 0; kết thúc: 21:10")
    assert "Mục «biểu quyết»" in memory.texts_to("an")[-1]
    assert await stored_minutes(app.db) == []
    memory.take()
    await say(app, "an", "/bienban 1\nchu tri: an\nthu ky: binh\nnoi dung: Kiem diem thang 12\ny kien: 3: nhat tri\n"
                         "ket luan: Thong qua\nnoi dung: Nhiem vu thang 1\nket luan: Giao Cuong\nbieu quyet: 4 0 0\n"
                         "ket thuc: 21:10")
    (minutes,) = await stored_minutes(app.db)
    assert minutes.step is None and minutes.finished_at is not None
    assert [(i.title, [(s.speaker, s.view) for s in i.speeches], i.conclusion) for i in minutes.items] == [
        ("Kiem diem thang 12", [("Lê Văn Cường", "nhat tri")], "Thong qua"), ("Nhiem vu thang 1", [], "Giao Cuong")]
    assert len(documents(memory)) == 2


async def test_a_correction_redraws_the_papers(app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    from docx import Document

    await held_meeting(app, clock, memory)
    await say(app, "an", "/bienban 1")
    for answer in STEPS:
        await say(app, "an", answer)
    memory.take()
    await say(app, "an", "/bienban 1 sua thu ky")
    assert memory.texts_to("an")[-1].startswith("Sửa: thư ký")
    await say(app, "an", "Giang")
    docx, _pdf = documents(memory)
    signatures = [p.text for table in Document(str(docx)).tables for p in table.rows[0].cells[0].paragraphs]
    assert "Vũ Thị Giang" in signatures
    assert memory.texts_to("an")[1].startswith("Đã sửa mục thư ký.")


# -- the rules -----------------------------------------------------------------------------------------------------

def test_the_steps_follow_the_agenda() -> None:
    assert rules.steps(2) == ["chutri", "thuky", "khach", "noidung", "ykien:1", "ketluan:1", "ykien:2",
                              "ketluan:2", "bieuquyet", "ketthuc"]
    assert rules.next_step("noidung", 1) == "ykien:1"
    assert rules.next_step("ketthuc", 1) is None


@pytest.mark.parametrize(("typed", "items", "step"), [
    ("chutri", 0, "chutri"), ("chủ trì", 0, "chutri"), ("Biểu quyết", 2, "bieuquyet"), ("ykien 2", 2, "ykien:2"),
    ("kết luận 1", 2, "ketluan:1"), ("ketluan", 1, "ketluan:1"), ("ket thuc", 0, "ketthuc"), ("khach", 0, "khach"),
])
def test_the_steps_a_correction_names(typed: str, items: int, step: str) -> None:
    assert rules.parse_step(typed, items) == step


@pytest.mark.parametrize(("typed", "items"), [("ykien 3", 2), ("ketluan", 2), ("ykien 1", 0), ("luong", 1)])
def test_a_correction_of_no_such_step(typed: str, items: int) -> None:
    with pytest.raises(UserError):
        rules.parse_step(typed, items)


@pytest.mark.parametrize(("typed", "present", "vote"), [
    ("12 0 1", 13, (12, 0, 1)), ("tán thành 10, không tán thành 1, không biểu quyết 2", 13, (10, 1, 2)),
    ("13", 13, (13, 0, 0)), ("10/1/2", 13, (10, 1, 2)),
])
def test_votes_as_typed(typed: str, present: int, vote: tuple[int, int, int]) -> None:
    found = rules.parse_vote(typed, present)
    assert (found.agree, found.disagree, found.abstain) == vote


@pytest.mark.parametrize("typed", ["12 1 1", "14", "", "một hai", "1 2 3 4", "-1 0 0"])
def test_votes_refused(typed: str) -> None:
    with pytest.raises(UserError):
        rules.parse_vote(typed, 13)


def test_locality_from_the_committee() -> None:
    assert rules.locality("Đảng bộ phường Bến Thành") == "Bến Thành"
    assert rules.locality("Đảng bộ xã Tân Phú") == "Tân Phú"
    assert rules.locality("Đảng bộ Công ty Điện lực") == "Công ty Điện lực"
