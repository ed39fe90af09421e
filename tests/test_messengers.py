"""A member on both Telegram and Zalo: linking the second account, one message on the messenger
used last (never both), and /kenh to choose one."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.scheduling import attach_scheduler
from bot.settings import Settings
from domain.messages import Incoming
from storage import accounts, org
from storage.tables import ChatAccount, Member
from storage.types import id_of
from tests.conftest import TZ


@pytest.fixture
def telegram(app: Chibo) -> MemoryChannel:
    channel = MemoryChannel("telegram", buttons=True)
    app.add_channel(channel)
    return channel


@pytest.fixture
def zalo(app: Chibo) -> MemoryChannel:
    channel = MemoryChannel("zalo", max_text=2000)
    app.add_channel(channel)
    return channel


def tg(user: str, text: str) -> Incoming:
    return Incoming("telegram", user, text, chat_id=user)


def za(user: str, text: str) -> Incoming:
    return Incoming("zalo", user, text, chat_id=user)


async def _cell(app: Chibo) -> str:
    """A cell whose secretary Bình has a Telegram and a Zalo account; returns the member code."""
    async with app.db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        cell, _, member_code = await org.create_cell(session, committee, "Chi bộ khu phố 1")
        secretary = await org.add_member(session, cell.id, "Trần Thị Bình")
        await org.grant_role(session, id_of(secretary), id_of(cell), "secretary")
        earlier = app.clock.now() - timedelta(days=3)
        for platform in ("telegram", "zalo"):
            loaded = await accounts.load_or_create(session, platform, "binh", "binh", "Bình", earlier)
            await accounts.link(session, loaded.account.id, id_of(secretary))
        await session.commit()
        return member_code.code


async def test_a_second_messenger_is_linked_by_joining_from_it(
    app: Chibo, telegram: MemoryChannel, zalo: MemoryChannel
) -> None:
    code = await _cell(app)
    await app.handle(tg("cuong", f"/thamgia {code} Lê Văn Cường"))
    await app.handle(tg("binh", "/duyet 1 đồng ý"))
    await app.handle(za("cuong-za", f"/thamgia {code} Lê Văn Cường"))
    await app.handle(tg("binh", "/duyet 2 đồng ý"))
    assert "Chào mừng đồng chí Lê Văn Cường" in zalo.texts_to("cuong-za")[-1]
    await app.handle(za("cuong-za", "/toi"))
    assert zalo.texts_to("cuong-za")[-1].endswith("Tài khoản liên kết: Telegram, Zalo")
    async with app.db.session() as session:
        members = (await session.exec(select(Member).where(Member.full_name == "Lê Văn Cường"))).all()
        linked = (await session.exec(select(ChatAccount).where(ChatAccount.member_id == members[0].id))).all()
    assert len(members) == 1 and {a.platform for a in linked} == {"telegram", "zalo"}


async def test_one_notice_on_the_messenger_used_last(
    app: Chibo, clock: ManualClock, telegram: MemoryChannel, zalo: MemoryChannel
) -> None:
    code = await _cell(app)
    await app.handle(tg("binh", "/toi"))  # 09:00 on Telegram
    clock.set(clock.now() + timedelta(minutes=2))
    await app.handle(za("binh", "/toi"))  # 09:02 on Zalo: within minutes, still "used last"
    telegram.take()
    zalo.take()
    await app.handle(tg("cuong", f"/thamgia {code} Lê Văn Cường"))
    assert [s.reply.text for s in zalo.take()] == ["Yêu cầu tham gia số 1: Lê Văn Cường xin tham gia Chi bộ khu phố 1."]
    assert telegram.texts_to("binh") == []

    clock.set(clock.now() + timedelta(minutes=1))
    await app.handle(tg("binh", "/toi"))  # back on Telegram
    telegram.take()
    await app.handle(tg("dung", f"/thamgia {code} Phạm Thị Dung"))
    assert telegram.texts_to("binh") == ["Yêu cầu tham gia số 2: Phạm Thị Dung xin tham gia Chi bộ khu phố 1."]
    assert zalo.texts_to("binh") == []
    # The choices were offered on Telegram: "1" typed there approves request 2.
    await app.handle(tg("binh", "1"))
    assert telegram.texts_to("binh")[-1] == (
        "Đã duyệt: Phạm Thị Dung là đảng viên của Chi bộ khu phố 1 "
        "(tên chưa có trong danh sách chi bộ: đã thêm vào danh sách).")


async def test_kenh_fixes_the_messenger_until_automatic_again(
    app: Chibo, clock: ManualClock, telegram: MemoryChannel, zalo: MemoryChannel
) -> None:
    code = await _cell(app)
    await app.handle(tg("binh", "/kenh"))
    shown = telegram.take()[-1].reply
    assert shown.text.startswith("Tài khoản đã liên kết: Telegram, Zalo.\nTin nhắc đang gửi qua: Telegram (kênh dùng")
    assert [(c.label, c.value) for c in shown.choices] == [
        ("Telegram", "/kenh telegram"), ("Zalo", "/kenh zalo"), ("Tự động", "/kenh tudong")]
    await app.handle(tg("binh", "2"))  # the number picks Zalo
    assert telegram.texts_to("binh")[-1] == "Từ nay tin nhắc và thông báo gửi cho đồng chí qua Zalo."

    clock.set(clock.now() + timedelta(minutes=10))
    await app.handle(tg("binh", "/toi"))  # Telegram used last, but Zalo was chosen
    await app.handle(tg("cuong", f"/thamgia {code} Lê Văn Cường"))
    assert zalo.texts_to("binh") == ["Yêu cầu tham gia số 1: Lê Văn Cường xin tham gia Chi bộ khu phố 1."]
    assert not any("Yêu cầu" in t for t in telegram.texts_to("binh"))

    await app.handle(za("binh", "/KENH Tự Động"))
    assert zalo.texts_to("binh")[-1] == "Từ nay tin nhắc gửi qua kênh đồng chí dùng gần nhất (hiện là Zalo)."
    clock.set(clock.now() + timedelta(minutes=1))
    await app.handle(tg("binh", "/toi"))
    await app.handle(tg("dung", f"/thamgia {code} Phạm Thị Dung"))
    assert telegram.texts_to("binh")[-1] == "Yêu cầu tham gia số 2: Phạm Thị Dung xin tham gia Chi bộ khu phố 1."


async def test_kenh_refuses_an_unlinked_or_unknown_messenger(
    app: Chibo, telegram: MemoryChannel, zalo: MemoryChannel
) -> None:
    code = await _cell(app)
    await app.handle(tg("cuong", f"/thamgia {code} Lê Văn Cường"))
    await app.handle(tg("binh", "/duyet 1 đồng ý"))
    await app.handle(tg("cuong", "/kenh zalo"))
    refusal = telegram.texts_to("cuong")[-1]
    assert refusal.startswith("Đồng chí chưa liên kết tài khoản Zalo. Hãy nhắn cho bot trên Zalo: /thamgia <mã>")
    await app.handle(tg("cuong", "/kenh viber"))
    assert telegram.texts_to("cuong")[-1] == (
        "Không có kênh «viber». Gõ /kenh telegram, /kenh zalo, hoặc /kenh tudong (kênh đồng chí dùng gần nhất).")
    async with app.db.session() as session:
        chosen = (await session.exec(select(Member).where(col(Member.preferred_platform).is_not(None)))).all()
    assert chosen == []
    await app.handle(tg("stranger", "/kenh zalo"))
    assert telegram.texts_to("stranger")[-1].startswith("Đồng chí chưa tham gia chi bộ nào")


async def test_a_member_on_both_messengers_gets_each_reminder_once_where_last_seen(
    app: Chibo, clock: ManualClock, telegram: MemoryChannel, zalo: MemoryChannel
) -> None:
    attach_scheduler(app, Settings(_env_file=None))
    code = await _cell(app)
    await app.handle(tg("cuong", f"/thamgia {code} Lê Văn Cường"))
    await app.handle(tg("binh", "/duyet 1 đồng ý"))
    await app.handle(za("cuong-za", f"/thamgia {code} Lê Văn Cường"))
    await app.handle(tg("binh", "/duyet 2 đồng ý"))
    await app.handle(tg("binh", "/lichhop 25/11/2026 19:30 tại Hội trường khu phố 1"))
    await app.handle(za("cuong-za", "/lich"))  # Cường last wrote on Zalo
    telegram.take()
    zalo.take()

    clock.set(datetime(2026, 11, 22, 8, 0, tzinfo=TZ))  # the invitations
    await app.tick()
    on_telegram, on_zalo = telegram.take(), zalo.take()
    assert [s.to.chat_id for s in on_telegram] == ["binh"] and [s.to.chat_id for s in on_zalo] == ["cuong-za"]
    assert all("kính mời đồng chí dự" in s.reply.text for s in on_telegram + on_zalo)

    clock.set(datetime(2026, 11, 23, 20, 0, tzinfo=TZ))
    await app.handle(tg("binh", "1"))  # Bình accepts: no follow-up for him
    await app.handle(tg("cuong", "/lich"))  # Cường is back on Telegram
    telegram.take()
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=TZ))  # the follow-up to those who did not answer
    await app.tick()
    (followup,) = telegram.take()
    assert followup.to.chat_id == "cuong" and "chưa trả lời lời mời" in followup.reply.text
    assert zalo.take() == []
