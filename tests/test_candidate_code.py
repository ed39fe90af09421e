"""The candidate's own code (issue 15): `/nguon <số> ma` for the secretary, `/thamgia <mã>` for the
candidate, who then sees their own path and deadlines with /nguon and is told of each step recorded —
and nothing else: no member, no other candidate, no figure, every member command refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from handlers.texts import NOT_JOINED
from storage.candidates import Candidate
from storage.db import Database
from storage.tables import ChatAccount
from tests.cell_setup import say
from tests.test_roster_commands import World, make_world, talk


@pytest.fixture
async def ward(db: Database, clock: ManualClock) -> World:
    """tests/test_roster_commands.py's ward (today 20/11/2026); khu phố 1 lists two candidates: Hoa
    (number 1: class, application, introduced by Bình and the Youth Union, helped by Cường) and Khoa
    (number 2); khu phố 2 lists Quang (number 3)."""
    return await make_world(db, clock)


async def listed(app: Chibo, memory: MemoryChannel) -> None:
    await talk(app, memory, "an", "/nguon them Lê Thị Hoa, 2001, nữ, đoàn viên")
    await talk(app, memory, "an", "/nguon them Trần Văn Khoa, 1999, nam")
    await talk(app, memory, "lan", "/nguon them Võ Minh Quang, 1998, nam")
    await talk(app, memory, "an", "/nguon 1 lop 15/09/2026")
    await talk(app, memory, "an", "/nguon 1 don 01/10/2026")
    await talk(app, memory, "an", "/nguon 1 gioithieu Bình, đoàn 10/11/2026")
    await talk(app, memory, "an", "/nguon 1 giup Cường")


async def row(db: Database, number: int) -> Candidate:
    async with db.session() as session:
        return (await session.execute(select(Candidate).where(col(Candidate.number) == number))).scalars().one()


async def code_of(app: Chibo, memory: MemoryChannel, db: Database, number: int) -> str:
    answer = await talk(app, memory, "an", f"/nguon {number} ma")
    code = (await row(db, number)).code
    assert code is not None and f": {code}" in answer
    return code


async def test_the_secretary_gets_a_code_the_candidate_links_with_it_once(
        app: Chibo, memory: MemoryChannel, db: Database, ward: World) -> None:
    await listed(app, memory)
    answer = await talk(app, memory, "an", "/nguon 1 ma")
    code = (await row(db, 1)).code
    assert code is not None and len(code) == 10 and set(code) <= set("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    assert answer.splitlines()[:2] == [f"Mã quần chúng của Lê Thị Hoa (số 1): {code}",
                                       f"Gửi riêng mã này cho Lê Thị Hoa; bạn ấy nhắn riêng cho bot: /thamgia {code}"]
    again = await talk(app, memory, "an", "/nguon 1 mã")
    assert again.startswith(f"Mã quần chúng của Lê Thị Hoa (số 1): {code} (mã đã cấp, chưa dùng)")
    assert "Mã quần chúng" not in await talk(app, memory, "binh", "/nguon 1 ma")  # a plain member gets none
    assert "Không có quần chúng số 1" in await talk(app, memory, "lan", "/nguon 1 ma")  # another cell's secretary

    welcome = await talk(app, memory, "hoa", f"/thamgia {code.lower()}")
    assert welcome.startswith("Chào bạn Lê Thị Hoa! Tài khoản này đã liên kết với hồ sơ quần chúng ưu tú của bạn ở "
                              "Chi bộ khu phố 1.")
    linked = await row(db, 1)
    assert linked.code is None and linked.account_id is not None
    async with db.session() as session:
        account = await session.get(ChatAccount, linked.account_id)
        assert account is not None and account.platform_user_id == "hoa" and account.member_id is None
    # Used up: the same code lets no one else in, and counts as a wrong code.
    assert (await talk(app, memory, "stranger", f"/thamgia {code}")).startswith("Mã không đúng hoặc đã hết hiệu lực")


async def test_the_candidate_sees_their_own_path_and_nothing_else(
        app: Chibo, memory: MemoryChannel, db: Database, ward: World) -> None:
    await listed(app, memory)
    await talk(app, memory, "hoa", f"/thamgia {await code_of(app, memory, db, 1)}")
    path = await talk(app, memory, "hoa", "/nguon")
    # The certificate of 15/09/2026 is valid 5 years: through 14/09/2031.
    assert path.splitlines() == [
        "Quá trình phấn đấu vào Đảng của bạn Lê Thị Hoa — Chi bộ khu phố 1, ngày 20/11/2026:",
        "- Vào danh sách quần chúng ưu tú: 20/11/2026",
        "- Học lớp bồi dưỡng nhận thức về Đảng (ngày cấp giấy chứng nhận): 15/09/2026",
        "- Nộp đơn, lý lịch: 01/10/2026",
        "- Có hai người giới thiệu: 10/11/2026",
        "- Chi bộ biểu quyết đề nghị kết nạp: chưa",
        "- Đảng ủy quyết định kết nạp: chưa",
        "- Lễ kết nạp: chưa",
        "Bước tiếp theo: chi bộ xét, biểu quyết đề nghị kết nạp.",
        "Giấy chứng nhận lớp nhận thức về Đảng có hiệu lực đến 14/09/2031 (5 năm): hồ sơ cần xong trước ngày đó.",
    ]
    everything = [path]
    for typed in ("/nguon 2", "/nguon 1 lop 15/09/2026", "/nguon them Lê Văn Tư, 2000, nam", "/nguon 3 ma"):
        answer = await talk(app, memory, "hoa", typed)
        assert answer == "Bạn chỉ xem được quá trình phấn đấu của mình: gõ /nguon (không kèm gì)."
        everything.append(answer)
    for command in ("/tonghop", "/tonghop năm 2026", "/dubi", "/lichsu", "/toi", "/cuatoi", "/baocao",
                    "/xuat năm 2026", "/lichhop", "/dangphi", "/xeploai", "/duyet", "/moi", "/chuyen Bình"):
        answer = await talk(app, memory, "hoa", command)
        assert answer == NOT_JOINED, command
        everything.append(answer)
    help_text = await talk(app, memory, "hoa", "/trogiup")
    assert "/nguon — " in help_text and "/tonghop" not in help_text and "/dubi" not in help_text
    everything.append(help_text)
    seen = "\n".join(everything)
    for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Ngô Thị Lan", "Trần Văn Khoa",
                 "Võ Minh Quang", "Đoàn TNCS", "khu phố 2", "Tân Định"):
        assert name not in seen, name
    assert (await row(db, 1)).class_on is not None and (await row(db, 3)).code is None  # nothing was changed


async def test_the_candidate_is_told_of_each_step_and_of_the_ceremony_s_day(
        app: Chibo, memory: MemoryChannel, db: Database, ward: World) -> None:
    await listed(app, memory)
    await talk(app, memory, "hoa", f"/thamgia {await code_of(app, memory, db, 1)}")
    memory.take()
    await say(app, "an", "/nguon 1 chibo 3/4 18/11/2026")
    told = [sent.reply.text for sent in memory.take() if sent.to.chat_id == "hoa"]
    assert len(told) == 1 and told[0].startswith("Chi bộ vừa cập nhật hồ sơ của bạn.\n")
    assert "- Chi bộ biểu quyết đề nghị kết nạp: 18/11/2026" in told[0] and "3/4" not in told[0]
    await say(app, "phuc", "/nguon 1 quyetdinh 19/11/2026")
    told = [sent.reply.text for sent in memory.take() if sent.to.chat_id == "hoa"]
    # 30 working days after Thursday 19/11/2026: 31/12/2026 (tests/test_candidates.py counts them).
    assert "Lễ kết nạp: chậm nhất ngày 31/12/2026 (30 ngày làm việc từ quyết định kết nạp)." in told[0]
    assert "Trịnh Văn Phúc" not in told[0]
    await say(app, "an", "/nguon 2 lop 10/11/2026")  # another candidate's step: Hoa hears nothing
    assert [sent for sent in memory.take() if sent.to.chat_id == "hoa"] == []
    await talk(app, memory, "an", "/nguon 1 ketnap 20/11/2026")
    after = await talk(app, memory, "hoa", "/nguon")
    assert after.startswith("Bạn Lê Thị Hoa đã được kết nạp vào Đảng ngày 20/11/2026, là đảng viên dự bị của Chi bộ "
                            "khu phố 1; đủ 12 tháng dự bị ngày 20/11/2027.")
    assert "Mã quần chúng" not in await talk(app, memory, "an", "/nguon 1 ma")


async def test_codes_are_guarded_like_joining_codes(
        app: Chibo, memory: MemoryChannel, db: Database, ward: World) -> None:
    await listed(app, memory)
    first = await code_of(app, memory, db, 1)
    replaced = await talk(app, memory, "an", "/nguon 1 ma moi")
    second = (await row(db, 1)).code
    assert second is not None and second != first and f": {second}" in replaced
    assert (await talk(app, memory, "hoa", f"/thamgia {first}")).startswith("Mã không đúng")  # the old one is gone
    # A member's account cannot take a candidate's code.
    refused = await talk(app, memory, "binh", f"/thamgia {second}")
    assert refused.startswith("Mã này là mã quần chúng ưu tú, còn tài khoản của đồng chí đã là của một đảng viên")
    assert (await row(db, 1)).account_id is None and (await row(db, 1)).code == second
    # Five wrong codes in ten minutes: even the right candidate's code waits, as a member code would.
    for _ in range(4):
        await talk(app, memory, "hoa", "/thamgia ZZZZZZZZZZ")
    assert (await talk(app, memory, "hoa", f"/thamgia {second}")).startswith("Đồng chí đã nhập sai mã quá nhiều lần")
    assert (await row(db, 1)).account_id is None
    # A second phone: the new code moves the link, the first account loses access.
    await talk(app, memory, "hoa2", f"/thamgia {second}")
    await talk(app, memory, "hoa3", f"/thamgia {await code_of(app, memory, db, 1)}")
    assert (await talk(app, memory, "hoa2", "/nguon")) == NOT_JOINED
    assert (await talk(app, memory, "hoa3", "/nguon")).startswith("Quá trình phấn đấu vào Đảng của bạn Lê Thị Hoa")
