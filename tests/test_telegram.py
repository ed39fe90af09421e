"""Telegram over real HTTP: python-telegram-bot polls a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

from bot.app import Chibo
from storage import accounts, org
from storage.types import id_of
from tests.fakes.telegram_api import FakeTelegram

SECRETARY = 100
NEWCOMER = 200


async def _cell_with_secretary(app: Chibo) -> str:
    """A committee, a cell, its secretary on Telegram; returns the cell's member code."""
    async with app.db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        cell, _, member_code = await org.create_cell(session, committee, "Chi bộ khu phố 1")
        secretary = await org.add_member(session, cell.id, "Trần Thị Bình")
        await org.grant_role(session, id_of(secretary), id_of(cell), "secretary")
        loaded = await accounts.load_or_create(session, "telegram", str(SECRETARY), str(SECRETARY), "Bình",
                                               app.clock.now())
        await accounts.link(session, loaded.account.id, id_of(secretary))
        await session.commit()
        return member_code.code


async def test_join_by_deep_link_and_approve_by_button(app: Chibo, telegram: FakeTelegram) -> None:
    code = await _cell_with_secretary(app)
    menu = telegram.called("setMyCommands")
    join = {"command": "thamgia", "description": "Tham gia chi bộ bằng mã do bí thư gửi"}
    assert menu and join in menu[0]["commands"]

    # The deep link https://t.me/<bot>?start=<code> arrives as "/start <code>".
    telegram.push_message(NEWCOMER, f"/start {code}", name="Cường")
    ask = (await telegram.wait_sent(1))[0]
    assert ask.chat_id == str(NEWCOMER) and "gõ họ và tên đầy đủ" in ask.text
    telegram.push_message(NEWCOMER, "Lê Văn Cường", name="Cường")
    sent = await telegram.wait_sent(3)
    receipt, notice = sent[1], sent[2]
    assert receipt.chat_id == str(NEWCOMER) and "Đã gửi yêu cầu tham gia Chi bộ khu phố 1" in receipt.text
    assert notice.chat_id == str(SECRETARY) and "Lê Văn Cường xin tham gia" in notice.text
    assert notice.buttons == [("Đồng ý", "/duyet 1 dongy"), ("Từ chối", "/duyet 1 tuchoi")]

    # The secretary taps "Đồng ý".
    telegram.push_callback(SECRETARY, notice.buttons[0][1], message=notice)
    sent = await telegram.wait_sent(5)
    assert {m.chat_id for m in sent[3:5]} == {str(SECRETARY), str(NEWCOMER)}
    assert any("Chào mừng đồng chí Lê Văn Cường" in m.text for m in telegram.sent_to(NEWCOMER))
    assert telegram.called("answerCallbackQuery")

    # The new member's profile, in private; in a group the bot points to a private chat.
    telegram.push_message(NEWCOMER, "/toi")
    profile = (await telegram.wait_sent(6))[5]
    assert "Chi bộ: Chi bộ khu phố 1" in profile.text
    telegram.push_message(NEWCOMER, "/toi@chibo_test_bot", chat_id=-500, chat_type="group")
    group = (await telegram.wait_sent(7))[6]
    assert group.chat_id == "-500"
    assert "chỉ dùng trong tin nhắn riêng" in group.text and "https://t.me/chibo_test_bot" in group.text
    assert "Lê Văn Cường" not in group.text


async def test_long_replies_are_split_and_blocked_users_marked(app: Chibo, telegram: FakeTelegram) -> None:
    from domain.messages import Address, Reply

    channel = app.channels["telegram"]
    long_text = "\n".join(f"Dòng {i}: " + "x" * 90 for i in range(120))  # ~12,000 characters
    await channel.send(Address("telegram", "300"), Reply(long_text))
    parts = telegram.sent_to(300)
    assert len(parts) == 3 and all(len(p.text) <= 4096 for p in parts)
    assert "\n".join(p.text for p in parts) == long_text

    telegram.blocked.add("301")
    await _cell_with_secretary(app)
    async with app.db.session() as session:
        loaded = await accounts.load_or_create(session, "telegram", "301", "301", "", app.clock.now())
        await session.commit()
    from domain.messages import Outgoing

    assert await app.deliver(Outgoing(Address("telegram", "301"), Reply("Nhắc họp"))) is False
    async with app.db.session() as session:
        from storage.tables import ChatAccount

        account = await session.get(ChatAccount, loaded.account.id)
        assert account is not None and account.unreachable_since is not None
