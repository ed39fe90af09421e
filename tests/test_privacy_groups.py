"""A conversation belongs to the chat it started in (issue 11, item 11).

The attack: a member starts /danhgia privately, then answers in a group where the bot is; the bot
went on with the private flow there and posted the member's scores to the group. Now a group sees
only commands addressed to this bot, nothing typed there continues a conversation or picks one of
its choices, and the private conversation waits, intact, for the private chat.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import update
from sqlmodel import select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.messages import Incoming, Sent
from domain.vocabulary import Position
from handlers import texts
from storage import accounts, org
from storage.assessments import Assessment
from storage.db import Database
from storage.reports import Report
from storage.tables import ChatAccount, Conversation
from storage.types import id_of, table_of
from tests.conftest import TZ
from tests.fakes.telegram_api import FakeTelegram

GROUP = "group-1"
IN_REVIEW = datetime(2026, 12, 2, 9, 0, tzinfo=TZ)  # the 2026 self-assessment is open
STEP_1 = "Tự đánh giá năm 2026.\nBước 1/4"
TOTAL = "Tổng: 26 + 61 = 87 điểm, không vi phạm kỷ luật → Hoàn thành tốt nhiệm vụ (HTTNV)."


async def _world(db: Database, clock: ManualClock) -> None:
    """Two cells of one committee: an is secretary of khu phố 1, binh a member there, phuc sits on
    the committee; each has a private chat named after them on the memory messenger."""
    clock.set(IN_REVIEW)
    async with db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        cell, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 1")
        await org.create_cell(session, committee, "Chi bộ khu phố 2")
        people = {"an": (cell.id, "Nguyễn Văn An"), "binh": (cell.id, "Trần Thị Bình"),
                  "phuc": (None, "Trần Văn Phúc")}
        members: dict[str, int] = {}
        for user, (cell_id, name) in people.items():
            member = await org.add_member(session, cell_id, name)
            members[user] = id_of(member)
            session.add(ChatAccount(platform="memory", platform_user_id=user, chat_id=user, member_id=id_of(member)))
        await org.grant_role(session, members["an"], id_of(cell), Position.SECRETARY)
        await org.grant_role(session, members["phuc"], id_of(committee), Position.COMMITTEE_MEMBER)
        await session.commit()


_keys = iter(range(1, 10**9))


async def send(app: Chibo, memory: MemoryChannel, user: str, text: str, *, group: bool = False,
               photo: str | None = None) -> list[Sent]:
    """Everything the bot sends, to any chat, after `user` writes `text` privately or in the group."""
    memory.take()
    await app.handle(Incoming("memory", user, text, chat_id=GROUP if group else user, is_private=not group,
                              photo=photo, update_key=f"p{next(_keys)}"))
    return memory.take()


async def private(app: Chibo, memory: MemoryChannel, user: str, text: str) -> str:
    """The one answer `user` gets in their private chat."""
    [sent] = await send(app, memory, user, text)
    assert sent.to.chat_id == user
    return sent.reply.text


async def _conversation_chat(db: Database, user: str) -> str | None:
    async with db.session() as session:
        account = (await session.exec(select(ChatAccount).where(ChatAccount.platform_user_id == user))).one()
        conversation = await session.get(Conversation, account.id)
        assert conversation is not None
        return conversation.chat_id


async def _set_conversation_chat(db: Database, user: str, chat_id: str | None) -> None:
    async with db.session() as session:
        account = (await session.exec(select(ChatAccount).where(ChatAccount.platform_user_id == user))).one()
        await session.exec(update(table_of(Conversation))
                           .where(table_of(Conversation).c.account_id == account.id).values(chat_id=chat_id))
        await session.commit()


# -- the attack ---------------------------------------------------------------------------------------

async def test_answers_typed_in_a_group_do_not_continue_a_private_self_assessment(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    assert (await private(app, memory, "binh", "/danhgia")).startswith(STEP_1)
    for typed in ("26", "61", "không"):
        assert await send(app, memory, "binh", typed, group=True) == [], typed  # not a word, to anyone
    # The private flow waits where it was, and finishes there.
    assert (await private(app, memory, "binh", "26")).startswith("Bước 2/4")
    assert (await private(app, memory, "binh", "61")).startswith("Bước 3/4")
    assert (await private(app, memory, "binh", "không")).startswith(TOTAL)
    assert (await private(app, memory, "binh", "Ưu điểm: đúng giờ.")).startswith("Lưu bản tự đánh giá năm 2026")
    assert (await private(app, memory, "binh", "Lưu")).startswith("Đã lưu bản tự đánh giá năm 2026: 26 + 61 = 87")
    async with db.session() as session:
        [saved] = (await session.exec(select(Assessment))).all()
    assert (saved.general_score, saved.task_score, saved.violation, saved.review) == (26, 61, False,
                                                                                       "Ưu điểm: đúng giờ.")


async def test_a_command_in_a_group_leaves_the_private_flow_alone(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    await private(app, memory, "binh", "/danhgia")
    [answer] = await send(app, memory, "binh", "/trogiup", group=True)
    assert answer.to.chat_id == GROUP and "đã hủy" not in answer.reply.text  # nothing of the private flow shows
    [answer] = await send(app, memory, "binh", "/danhgia 26 61 Tốt", group=True)  # private-only: a pointer
    assert answer.to.chat_id == GROUP and answer.reply.text == texts.private_only(memory.caps)
    assert (await private(app, memory, "binh", "26")).startswith("Bước 2/4")


# -- choices offered privately are not picked in a group ------------------------------------------------

async def test_a_choice_typed_in_a_group_is_not_mapped(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    [offer] = await send(app, memory, "phuc", "/tonghop khu pho")  # two cells match: pick one
    labels = [choice.label for choice in offer.reply.choices]
    assert labels == ["Chi bộ khu phố 1", "Chi bộ khu phố 2"]
    for typed in ("1", "2", "Chi bộ khu phố 1"):
        assert await send(app, memory, "phuc", typed, group=True) == [], typed  # not even a pointer to privacy
    summary = await send(app, memory, "phuc", "1")  # the choices still stand privately
    assert {sent.to.chat_id for sent in summary} == {"phuc"}
    assert summary[0].reply.text.startswith("Tổng hợp") and "Chi bộ khu phố 1" in summary[0].reply.text


async def test_yes_typed_in_a_group_does_not_answer_a_private_question(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    question = await private(app, memory, "binh", "/danhgia 26 61")
    assert question.startswith("Bước 3/4")
    assert await send(app, memory, "binh", "có", group=True) == []
    assert await send(app, memory, "binh", "2", group=True) == []
    assert (await private(app, memory, "binh", "1")).startswith(TOTAL)  # "1": Không, offered privately


# -- commands addressed to another bot ------------------------------------------------------------------

async def test_only_commands_addressed_to_this_bot_are_answered_in_a_group(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    memory.caps = replace(memory.caps, username="ChiboBot")
    for typed in ("/tonghop@otherbot", "/trogiup@OtherBot", "/danhgia@otherbot", "/khongco@otherbot"):
        assert await send(app, memory, "an", typed, group=True) == [], typed
    for typed in ("/trogiup@ChiboBot", "/trogiup@chibobot", "/TROGIUP@CHIBOBOT", "/trogiup"):
        [answer] = await send(app, memory, "an", typed, group=True)
        assert answer.to.chat_id == GROUP and "/tonghop" in answer.reply.text, typed
    [answer] = await send(app, memory, "an", "/tonghop@chibobot", group=True)  # ours, and private-only
    assert answer.to.chat_id == GROUP and answer.reply.text == texts.private_only(memory.caps)


async def test_without_a_known_username_any_addressee_is_accepted(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    [answer] = await send(app, memory, "an", "/trogiup@whoever", group=True)
    assert answer.to.chat_id == GROUP and "/tonghop" in answer.reply.text


# -- rows from before the chat was recorded ----------------------------------------------------------------

async def test_a_conversation_without_a_chat_continues_privately_only(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    await private(app, memory, "binh", "/danhgia")
    assert await _conversation_chat(db, "binh") == "binh"  # a flow is saved with the chat it belongs to
    await _set_conversation_chat(db, "binh", None)
    assert await send(app, memory, "binh", "26", group=True) == []
    assert await _conversation_chat(db, "binh") is None  # the group did not take it over
    assert (await private(app, memory, "binh", "26")).startswith("Bước 2/4")
    assert await _conversation_chat(db, "binh") == "binh"  # saved again: now with its chat


async def test_a_conversation_of_another_chat_is_not_continued_here(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    await private(app, memory, "binh", "/danhgia")
    await _set_conversation_chat(db, "binh", "another-chat")
    assert await private(app, memory, "binh", "26") == texts.NOT_UNDERSTOOD
    assert await _conversation_chat(db, "binh") == "another-chat"  # left as it was, for its own chat


# -- photos and newcomers in a group ----------------------------------------------------------------------

async def test_a_photo_in_a_group_is_not_attached_to_a_private_report(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    assert (await private(app, memory, "binh", "/baocao 1 Học nghị quyết")).startswith("Đã ghi báo cáo số 1")
    assert await send(app, memory, "binh", "", group=True, photo="tg-group-photo") == []
    [attached] = await send(app, memory, "binh", "", photo="tg-private-photo")
    assert (attached.to.chat_id, attached.reply.text) == ("binh", "Đã gắn ảnh vào báo cáo số 1.")
    async with db.session() as session:
        [report] = (await session.exec(select(Report))).all()
    assert report.photo == "tg-private-photo"


async def test_a_newcomer_first_seen_in_a_group_is_reached_privately(app: Chibo, memory: MemoryChannel) -> None:
    await send(app, memory, "lan", "/trogiup", group=True)
    async with app.db.session() as session:
        account = (await session.exec(select(ChatAccount).where(ChatAccount.platform_user_id == "lan"))).one()
    assert account.chat_id == "lan"  # reminders and notices go to the private chat, never the group


async def test_an_address_saved_from_a_group_is_corrected_by_a_private_message(
    app: Chibo, memory: MemoryChannel, db: Database,
) -> None:
    """Accounts made before addresses were taken from private chats may hold a group's id."""
    await send(app, memory, "lan", "/trogiup")
    async with db.session() as session:
        await session.execute(update(table_of(ChatAccount)).where(table_of(ChatAccount).c.platform_user_id == "lan")
                              .values(chat_id=GROUP))
        await session.commit()
    await send(app, memory, "lan", "/trogiup", group=True)  # a group message does not move it
    await send(app, memory, "lan", "/trogiup")
    async with db.session() as session:
        account = (await session.exec(select(ChatAccount).where(ChatAccount.platform_user_id == "lan"))).one()
    assert account.chat_id == "lan"


async def test_cancelling_and_joining_are_private(app: Chibo, memory: MemoryChannel, db: Database,
                                                  clock: ManualClock) -> None:
    """/huy in a group would say it cancelled a flow it leaves alone; /thamgia would show the code
    to the group and ask for a name nothing there reads: both point to the private chat."""
    await _world(db, clock)
    assert (await private(app, memory, "binh", "/danhgia")).startswith(STEP_1)
    for text in ("/huy", "/thamgia ABCDEFGHJK", "/start"):
        [pointer] = await send(app, memory, "binh", text, group=True)
        assert pointer.to.chat_id == GROUP and pointer.reply.text == texts.private_only(memory.caps), text
    assert (await private(app, memory, "binh", "26")).startswith("Bước 2/4")  # the flow waited, intact


# -- Telegram: the bot's own username comes from getMe ---------------------------------------------------------

async def test_telegram_answers_only_its_own_commands_in_a_group(app: Chibo, telegram: FakeTelegram) -> None:
    telegram.push_message(300, "/trogiup@other_bot", chat_id=-500, chat_type="group")
    telegram.push_message(300, "/trogiup@Chibo_Test_Bot", chat_id=-500, chat_type="group")
    telegram.push_message(300, "/start")  # private: a marker that both group messages were handled
    sent = await telegram.wait_sent(2)
    assert [m.chat_id for m in sent] == ["-500", "300"]


async def test_choices_offered_to_an_account_belong_to_the_chat_they_were_offered_in(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    async with db.session() as session:
        an = (await session.exec(select(ChatAccount).where(ChatAccount.platform_user_id == "an"))).one()
        await accounts.set_choices(session, id_of(an), [["Tham dự", "/thamdu 1"]], clock.now(), "an")
        await session.commit()
    assert await _conversation_chat(db, "an") == "an"
    await private(app, memory, "binh", "/danhgia")
    async with db.session() as session:
        binh = (await session.exec(select(ChatAccount).where(ChatAccount.platform_user_id == "binh"))).one()
        await accounts.set_choices(session, id_of(binh), [["Tham dự", "/thamdu 1"]], clock.now(), "elsewhere")
        await session.commit()
    assert await _conversation_chat(db, "binh") == "binh"  # the pending flow is not moved out of its chat
    assert (await private(app, memory, "binh", "26")).startswith("Bước 2/4")
