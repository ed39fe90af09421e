"""The router's rules: de-duplication, choices typed as numbers or words, privacy in groups,
the wrong-code limit, names, and state that survives a restart."""

from __future__ import annotations

from bot.app import Chibo
from bot.channels.base import split_text
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.messages import Incoming
from domain.text import fold
from storage import org
from storage.tables import JoinRequest, ProcessedUpdate
from storage.types import table_of


async def _committee_code(app: Chibo) -> str:
    async with app.db.session() as session:
        _, code = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        await session.commit()
    return code.code


async def _cell_codes(app: Chibo, memory: MemoryChannel) -> tuple[str, str]:
    """A committee secretary 'an' who creates a cell; returns (secretary code, member code)."""
    code = await _committee_code(app)
    await app.handle(Incoming("memory", "an", f"/thamgia {code} Nguyễn Văn An"))
    await app.handle(Incoming("memory", "an", "/taochibo Chi bộ khu phố 1"))
    text = memory.texts_to("an")[-1]
    secretary = text.split("Mã bí thư (dùng một lần): ")[1].split("\n")[0]
    member = text.split("Mã đảng viên: ")[1].split("\n")[0]
    return secretary, member


async def test_a_second_delivery_of_the_same_update_is_ignored(app: Chibo, memory: MemoryChannel) -> None:
    secretary, member = await _cell_codes(app, memory)
    await app.handle(Incoming("memory", "binh", f"/thamgia {secretary} Trần Thị Bình"))
    first = Incoming("memory", "cuong", f"/thamgia {member} Lê Văn Cường", update_key="u-77")
    assert await app.handle(first)
    assert await app.handle(first) == []
    async with app.db.session() as session:
        requests = (await session.execute(table_of(JoinRequest).select())).all()
        marks = (await session.execute(table_of(ProcessedUpdate).select())).all()
    assert len(requests) == 1 and len(marks) == 1


async def test_choices_answer_by_number_or_word_and_expire(app: Chibo, memory: MemoryChannel) -> None:
    secretary, member = await _cell_codes(app, memory)
    await app.handle(Incoming("memory", "binh", f"/thamgia {secretary} Trần Thị Bình"))
    await app.handle(Incoming("memory", "cuong", f"/thamgia {member} Lê Văn Cường"))
    await app.handle(Incoming("memory", "dung", f"/thamgia {member} Phạm Thị Dung"))
    # binh was offered [Đồng ý][Từ chối] for request 2 last: "tu choi" (no diacritics) picks it.
    await app.handle(Incoming("memory", "binh", "TU CHOI"))
    assert memory.texts_to("binh")[-1] == "Đã từ chối yêu cầu số 2 của Phạm Thị Dung."
    # The choices are spent: "1" now is plain text, not a decision on request 1.
    await app.handle(Incoming("memory", "binh", "1"))
    assert "chưa hiểu" in memory.texts_to("binh")[-1]
    await app.handle(Incoming("memory", "binh", "/duyet"))
    await app.handle(Incoming("memory", "binh", "1"))
    await app.handle(Incoming("memory", "binh", "1"))
    assert memory.texts_to("binh")[-1] == (
        "Đã duyệt: Lê Văn Cường là đảng viên của Chi bộ khu phố 1 "
        "(tên chưa có trong danh sách chi bộ: đã thêm vào danh sách).")


async def test_personal_commands_in_a_group_point_to_a_private_chat(app: Chibo, memory: MemoryChannel) -> None:
    code = await _committee_code(app)
    await app.handle(Incoming("memory", "an", f"/thamgia {code} Nguyễn Văn An"))
    await app.handle(Incoming("memory", "an", "/toi", chat_id="group-1", is_private=False))
    answer = memory.sent[-1]
    assert answer.to.chat_id == "group-1"
    assert "chỉ dùng trong tin nhắn riêng" in answer.reply.text and "Nguyễn Văn An" not in answer.reply.text
    # Chatter in a group that is not a command is ignored.
    count = len(memory.sent)
    await app.handle(Incoming("memory", "an", "chào cả nhà", chat_id="group-1", is_private=False))
    assert len(memory.sent) == count


async def test_wrong_codes_are_limited(app: Chibo, memory: MemoryChannel, clock: ManualClock) -> None:
    code = await _committee_code(app)
    for attempt in range(5):
        await app.handle(Incoming("memory", "x", f"/thamgia WRONGCODE{attempt}"))
        assert "Mã không đúng" in memory.texts_to("x")[-1]
    # The sixth try is refused even with the right code, until ten minutes pass.
    await app.handle(Incoming("memory", "x", f"/thamgia {code} Kẻ Đoán Mã"))
    assert "nhập sai mã quá nhiều lần" in memory.texts_to("x")[-1]
    await app.handle(Incoming("memory", "y", f"/thamgia {code} Nguyễn Văn An"))
    assert "đã là bí thư" in memory.texts_to("y")[-1]
    from datetime import timedelta

    clock.set(clock.now() + timedelta(minutes=11))
    await app.handle(Incoming("memory", "x", "/thamgia WRONG"))
    assert "Mã không đúng" in memory.texts_to("x")[-1]


async def test_bad_names_are_refused_and_nothing_is_saved(app: Chibo, memory: MemoryChannel) -> None:
    _, member = await _cell_codes(app, memory)
    for name, answer in [
        ("x" * 121, "dài quá 120 ký tự"),
        ("Nguyễn\x07Văn", "ký tự không hợp lệ"),
        ("12345", "phải có chữ cái"),
    ]:
        await app.handle(Incoming("memory", "z", f"/thamgia {member} {name}"))
        assert answer in memory.texts_to("z")[-1]
    async with app.db.session() as session:
        assert (await session.execute(table_of(JoinRequest).select())).all() == []


async def test_a_half_finished_join_survives_a_restart(app: Chibo, memory: MemoryChannel) -> None:
    _, member = await _cell_codes(app, memory)
    await app.handle(Incoming("memory", "hoa", f"/thamgia {member}"))
    assert "gõ họ và tên" in memory.texts_to("hoa")[-1]
    restarted = Chibo(app.db, app.settings, clock=app.clock)  # a new process on the same database
    restarted.add_channel(memory)
    await restarted.handle(Incoming("memory", "hoa", "Đỗ Thị Hoa"))
    assert memory.texts_to("hoa")[-1].startswith("Đã gửi yêu cầu tham gia Chi bộ khu phố 1 với tên Đỗ Thị Hoa")
    await restarted.handle(Incoming("memory", "hoa", "/huy"))
    assert memory.texts_to("hoa")[-1] == "Đã hủy thao tác đang làm dở."


async def test_unknown_commands_and_help(app: Chibo, memory: MemoryChannel) -> None:
    await app.handle(Incoming("memory", "lan", "/xyz abc"))
    assert memory.texts_to("lan")[-1] == "Không có lệnh /xyz. Gõ /trogiup để xem các lệnh đồng chí dùng được."
    await app.handle(Incoming("memory", "lan", "/TroGiup"))
    help_text = memory.texts_to("lan")[-1]
    assert "/thamgia — Tham gia chi bộ" in help_text and "/duyet" not in help_text
    code = await _committee_code(app)
    await app.handle(Incoming("memory", "an", f"/thamgia {code} Nguyễn Văn An"))
    await app.handle(Incoming("memory", "an", "/trợgiúp"))
    assert "/taochibo — Tạo chi bộ mới trong đảng bộ" in memory.texts_to("an")[-1]


def test_fold_and_split() -> None:
    assert fold("  Đồng   Ý ") == "dong y"
    assert fold("TỪ CHỐI") == "tu choi"
    lines = [f"Dòng {i} " + "y" * 50 for i in range(200)]
    parts = split_text("\n".join(lines), 2000)
    assert all(len(p) <= 2000 for p in parts)
    assert [line for p in parts for line in p.split("\n")] == lines  # no line cut, order kept
    assert split_text("a" * 4500, 2000) == ["a" * 2000, "a" * 2000, "a" * 500]
