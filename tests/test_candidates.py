"""/nguon and /dubi: a candidate's path from the source list to official member, who may see and record
it, and every refusal saying what to type (issue 15)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.history import EventKind
from domain.messages import Incoming
from domain.vocabulary import Status
from storage.candidates import Candidate
from storage.db import Database
from storage.tables import Member
from tests.cell_setup import say
from tests.conftest import TZ
from tests.test_roster_commands import World, events, make_world, talk


@pytest.fixture
async def ward(db: Database, clock: ManualClock) -> World:
    """The ward of tests/test_roster_commands.py: khu phố 1 (An secretary, Bình, Cường, Dung), khu
    phố 2 (Lan), khu phố 3 (empty); Phúc on the committee; Sơn on another committee."""
    return await make_world(db, clock)


async def candidate(db: Database, number: int) -> Candidate:
    async with db.session() as session:
        found = (await session.execute(select(Candidate).where(col(Candidate.number) == number))).scalars().one()
        return found


async def test_a_candidate_from_the_source_list_to_official_member(
        app: Chibo, memory: MemoryChannel, db: Database, ward: World, clock: ManualClock) -> None:
    # Today 20/11/2026. Khu phố 1 has 4 official members (An, Bình, Cường, Dung): 2/3 of 4 is 2.67, 3 needed.
    added = await talk(app, memory, "an", "/nguon them Le Thi Hoa, 2001, nu, doan vien")
    assert added.startswith("Đã thêm vào danh sách nguồn của Chi bộ khu phố 1: số 1. Le Thi Hoa (nữ, 2001, đoàn viên)")
    assert "nop don" not in added and "học lớp nhận thức về Đảng (/nguon 1 lop dd/mm/yyyy)" in added
    assert "Chưa ghi bước trước: học lớp" in await talk(app, memory, "an", "/nguon 1 don 01/10/2026")
    assert "Đã ghi: Le Thi Hoa — đã học lớp nhận thức về Đảng (15/09/2026)" in await talk(
        app, memory, "an", "/nguon 1 lop 15/09/2026")
    assert "Đã ghi" in await talk(app, memory, "an", "/nguồn 1 đơn 01/10/2026")
    refused = await talk(app, memory, "an", "/nguon 1 gioithieu Bình, Minh")
    assert refused.startswith("Người giới thiệu «Minh» không phải đảng viên chính thức của chi bộ")
    assert "Trần Thị Bình, Đoàn TNCS Hồ Chí Minh" not in refused
    assert "Đã ghi" in await talk(app, memory, "an", "/nguon 1 gioithieu Bình, đoàn 10/11/2026")
    assert (await candidate(db, 1)).introducers == "Trần Thị Bình, Đoàn TNCS Hồ Chí Minh"
    wrong_base = await talk(app, memory, "an", "/nguon 1 chibo 3/5 18/11/2026")
    assert wrong_base.startswith("Ngày 18/11/2026 chi bộ có 4 đảng viên chính thức, không phải 5")
    too_few = await talk(app, memory, "an", "/nguon 1 chibo 2/4 18/11/2026")
    assert too_few == ("Chưa đủ 2/3 đảng viên chính thức tán thành: 2/4 = 50%, cần ít nhất 3/4. "
                       "Không ghi nghị quyết đề nghị kết nạp.")
    assert (await candidate(db, 1)).voted_on is None
    assert "chi bộ đã biểu quyết 3/4 tán thành (18/11/2026)" in await talk(
        app, memory, "an", "/nguon 1 chibo 3/4 18/11/2026")
    refused = await talk(app, memory, "an", "/nguon 1 quyetdinh 19/11/2026")
    assert refused == "Quyết định kết nạp do cấp ủy viên đảng bộ ghi."
    decided = await talk(app, memory, "phuc", "/nguon 1 quyetdinh 19/11/2026")
    # 30 working days after Thursday 19/11/2026: Nov 20 (1), 23–27 (6), 30 (7), Dec 1–4 (11), 7–11 (16),
    # 14–18 (21), 21–25 (26), 28–31 (30).
    assert "Lễ kết nạp phải tổ chức trong 30 ngày làm việc: hạn 31/12/2026." in decided
    admitted = await talk(app, memory, "an", "/nguon 1 ketnap 20/11/2026")
    assert admitted.startswith("Đã ghi: lễ kết nạp Le Thi Hoa ngày 20/11/2026. Le Thi Hoa là đảng viên dự bị")
    row = await candidate(db, 1)
    assert row.admitted_on == date(2026, 11, 20) and row.member_id is not None
    async with db.session() as session:
        member = await session.get(Member, row.member_id)
        assert member is not None
        assert (member.status, member.cell_id, member.gender, member.active) == (
            Status.PROBATIONARY, ward.kp1, "nu", True)
    assert [event.kind for event in await events(db, row.member_id)] == [EventKind.ADMITTED]
    listed = await talk(app, memory, "an", "/dubi")
    # 12 months: 20/11/2027 (Saturday); 30 working days after: Nov 22–26 (5), 29–30 (7), Dec 1–3 (10),
    # 6–10 (15), 13–17 (20), 20–24 (25), 27–31 (30): 31/12/2027.
    assert "1. Le Thi Hoa: kết nạp 20/11/2026, đủ 12 tháng ngày 20/11/2027" in listed
    assert "chi bộ xét, đề nghị công nhận đảng viên chính thức, hạn 31/12/2027 (còn 406 ngày)" in listed
    early = await talk(app, memory, "phuc", "/dubi Hoa congnhan 20/11/2026")
    assert early.endswith("chỉ công nhận chính thức từ ngày đó.")
    clock.set(datetime(2027, 12, 2, 9, 0, tzinfo=TZ))
    refused = await talk(app, memory, "an", "/dubi 1 congnhan 01/12/2027")
    assert refused == "Công nhận đảng viên chính thức do cấp ủy viên đảng bộ ghi."
    done = await talk(app, memory, "phuc", "/dubi hoa cong nhan 01/12/2027")
    assert done == ("Đã ghi: Le Thi Hoa được công nhận đảng viên chính thức (quyết định ngày 01/12/2027); tuổi đảng "
                    "tính từ ngày kết nạp 20/11/2026, chính thức từ ngày 20/11/2027.")
    recognised = (await events(db, row.member_id))[-1]
    assert (recognised.kind, recognised.on) == (EventKind.RECOGNISED, date(2027, 11, 20))
    async with db.session() as session:
        member = await session.get(Member, row.member_id)
        assert member is not None and member.status == Status.OFFICIAL


async def test_who_sees_and_records(app: Chibo, memory: MemoryChannel, db: Database, ward: World) -> None:
    await talk(app, memory, "an", "/nguon them Lê Thị Hoa, 2001, nữ")
    plain_member = await talk(app, memory, "binh", "/nguon")
    assert plain_member == "Lệnh này dành cho bí thư chi bộ hoặc cấp ủy viên đảng bộ."
    assert "Không có quần chúng số 1" in await talk(app, memory, "lan", "/nguon 1 lop 15/09/2026")  # another cell
    assert "Không có quần chúng số 1" in await talk(app, memory, "son", "/nguon 1 lop 15/09/2026")  # another committee
    memory.take()
    await app.handle(Incoming("memory", "an", "/nguon", chat_id="group-1", is_private=False))
    assert "Lê Thị Hoa" not in "\n".join(sent.reply.text for sent in memory.take())
    overview = await talk(app, memory, "phuc", "/nguon")
    assert overview.splitlines()[:4] == [
        "Phát triển đảng viên — Đảng bộ phường Tân Định, ngày 20/11/2026",
        "Chi bộ có quần chúng trong danh sách nguồn: 1/3",
        "Chi bộ khu phố 1: 1 quần chúng",
        "  1. Lê Thị Hoa (nữ, 2001): trong danh sách nguồn (20/11/2026)",
    ]
    assert "Chưa có quần chúng nào (2): Chi bộ khu phố 2, Chi bộ khu phố 3" in overview
    assert "trong danh sách nguồn" in await talk(app, memory, "an", "/nguon")
    assert "chưa có quần chúng nào" in await talk(app, memory, "lan", "/nguon")


async def test_bad_input_says_what_to_type(app: Chibo, memory: MemoryChannel, ward: World) -> None:
    assert "Năm sinh «hai nghìn» chưa đúng" in await talk(app, memory, "an", "/nguon them Lê Thị Hoa, hai nghìn, nữ")
    assert "Giới tính «x» chưa đúng: gõ nam hoặc nữ" in await talk(app, memory, "an", "/nguon them Lê Thị Hoa, 2001, x")
    assert "Gõ /nguon them <Họ và tên>" in await talk(app, memory, "an", "/nguon them Lê Thị Hoa")
    assert "Lưu ý: năm 2026 đã 66 tuổi" in await talk(app, memory, "an", "/nguon them Lê Văn Già, 1960, nam")
    assert "Không có bước «bay»" in await talk(app, memory, "an", "/nguon 1 bay 01/01/2026")
    assert "chưa tới" in await talk(app, memory, "an", "/nguon 1 lop 01/12/2026")
    assert "Thiếu ngày" in await talk(app, memory, "an", "/nguon 1 lop")
    assert "đã có trong danh sách nguồn, số 1" in await talk(app, memory, "an", "/nguon them le van gia, 1960, nam")


async def test_the_export_has_a_candidates_sheet(app: Chibo, memory: MemoryChannel, ward: World) -> None:
    from openpyxl import load_workbook

    await talk(app, memory, "an", "/nguon them Lê Thị Hoa, 2001, nữ, đoàn viên")
    await talk(app, memory, "an", "/nguon 1 lop 15/09/2026")
    memory.take()
    await say(app, "phuc", "/xuat năm 2026")
    (sent,) = [sent for sent in memory.take() if sent.to.chat_id == "phuc"]
    assert "Phát triển đảng viên)" in sent.reply.text
    assert sent.reply.document is not None
    sheet = load_workbook(sent.reply.document)["Phát triển đảng viên"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:7] == ["Số", "Chi bộ", "Họ và tên", "Giới tính", "Năm sinh", "Đoàn viên", "Bước hiện tại"]
    assert rows[1][:9] == [1, "Chi bộ khu phố 1", "Lê Thị Hoa", "Nữ", 2001, "Có", "Đã học lớp nhận thức về Đảng",
                           datetime(2026, 11, 20), datetime(2026, 9, 15)]
    assert len(rows) == 2
