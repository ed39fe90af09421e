"""Reminders reach the right members at the right time, once: planning, moves, downtime, limits."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlmodel import col, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.messages import Address, Reply, RetryLater
from domain.vocabulary import MeetingStatus, Stage
from schedules.dispatcher import DispatchConfig
from schedules.driver import Scheduler, SchedulerConfig
from storage import outbox
from storage.assessments import Assessment
from storage.db import Database
from storage.meetings import Attendance, Meeting, MeetingSeries
from storage.outbox import OutboxMessage
from storage.tables import ChatAccount
from storage.types import id_of
from tests.cell_setup import local, make_cell, say, tick

INVITE = "kính mời đồng chí dự"
FOLLOWUP = "Nhắc lịch: đồng chí chưa trả lời"
LAST_CALL = "bắt đầu lúc"


def to(memory: MemoryChannel, marker: str) -> list[str]:
    """The chats that received a message containing `marker`, in order."""
    return [s.to.chat_id for s in memory.sent if marker in s.reply.text]


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        return list((await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all())


async def test_invitation_follow_up_and_last_call_reach_the_right_members(
        app: Chibo, db: Database, clock: ManualClock, memory: MemoryChannel) -> None:
    await make_cell(db, clock.now())
    await say(app, "an", "/lichhop 05/12/2026 19:30 tại Hội trường")
    memory.take()
    await tick(app, clock, "2026-12-02 07:59")
    assert memory.sent == []
    await tick(app, clock, "2026-12-02 08:00")
    assert to(memory, INVITE) == ["an", "binh", "cuong", "dung", "em"]  # not hoa: exempt
    await say(app, "binh", "1")  # Tham dự, typed as the number of the choice
    await say(app, "dung", "/vang 1 Đi công tác")
    await say(app, "an", "/thamdu 1")
    memory.take()
    await tick(app, clock, "2026-12-04 08:00")
    assert to(memory, FOLLOWUP) == ["cuong", "em"]  # those who have not answered
    memory.take()
    await tick(app, clock, "2026-12-05 17:30")
    assert to(memory, LAST_CALL) == ["an", "binh", "cuong", "em"]  # not dung: excused
    memory.take()
    await tick(app, clock, "2026-12-05 21:00")
    assert memory.take() == []  # no roll call was taken: no result, nobody counted absent
    await tick(app, clock, "2026-12-06 09:00")
    assert [s.to.chat_id for s in memory.sent] == ["an"]  # the secretary, reminded the next morning
    assert "chưa điểm danh nên chưa có số liệu tham dự" in memory.sent[0].reply.text
    assert "/diemdanh 1 giấy đủ" in memory.sent[0].reply.text


async def test_a_move_after_the_invitation_went_out(
        app: Chibo, db: Database, clock: ManualClock, memory: MemoryChannel) -> None:
    await make_cell(db, clock.now())
    await say(app, "an", "/lichhop 05/12/2026 19:30")
    await tick(app, clock, "2026-12-02 08:00")
    assert to(memory, INVITE) == ["an", "binh", "cuong", "dung", "em"]
    await say(app, "cuong", "/thamdu")
    await tick(app, clock, "2026-12-03 09:00")
    memory.take()
    await say(app, "an", "/doihop 1 10/12/2026 19:30")
    assert "Đã báo cho 4 đồng chí" in memory.take()[0].reply.text
    await tick(app, clock, "2026-12-03 09:01")
    moved = memory.take()
    assert [s.to.chat_id for s in moved] == ["binh", "cuong", "dung", "em"]  # not the secretary who moved it
    assert all("sang 19:30 Thứ Năm, 10/12/2026" in s.reply.text for s in moved)
    await tick(app, clock, "2026-12-05 20:00")  # the old follow-up and last-call times pass quietly
    assert memory.take() == []
    await tick(app, clock, "2026-12-09 08:00")
    follow = memory.take()
    assert [s.to.chat_id for s in follow] == ["an", "binh", "dung", "em"]
    assert all("10/12/2026" in s.reply.text for s in follow)  # rendered at send time: the new date
    await tick(app, clock, "2026-12-10 17:30")
    assert to(memory, LAST_CALL) == ["an", "binh", "cuong", "dung", "em"]
    sent = Counter((row.kind, row.member_id) for row in await rows(db) if row.status == outbox.SENT)
    assert max(sent.values()) == 1  # nothing went twice
    assert sum(1 for kind, _ in sent if kind == outbox.INVITATION) == 5


async def test_reminder_times_already_past_when_the_meeting_is_created(
        app: Chibo, db: Database, clock: ManualClock, memory: MemoryChannel) -> None:
    await make_cell(db, clock.now())  # now: Friday 20/11/2026 09:00
    await say(app, "an", "/lichhop 21/11/2026 19:30")
    assert "Lời mời sẽ gửi ngay." in memory.take()[0].reply.text
    await tick(app, clock, "2026-11-20 09:00")
    assert to(memory, INVITE) == ["an", "binh", "cuong", "dung", "em"]  # at once, not never
    memory.take()
    await tick(app, clock, "2026-11-21 17:30")
    assert to(memory, LAST_CALL) == ["an", "binh", "cuong", "dung", "em"]
    assert to(memory, FOLLOWUP) == []  # its time (20/11 08:00) had passed at creation: not planned
    memory.take()
    await tick(app, clock, "2026-11-22 09:00")
    await say(app, "an", "/lichhop 22/11/2026 10:00")
    await tick(app, clock, "2026-11-22 09:00")
    assert to(memory, INVITE) == ["an", "binh", "cuong", "dung", "em"]
    assert to(memory, LAST_CALL) == []  # 2 hours before had passed: the invitation says it all


async def test_a_monthly_series_on_the_31st(app: Chibo, db: Database, clock: ManualClock,
                                            memory: MemoryChannel) -> None:
    await make_cell(db, clock.now())
    await say(app, "an", "/lichhop hangthang 31 19:30")
    reply = memory.take()[0].reply.text
    assert "Buổi số 1: 19:30 Thứ Hai, 30/11/2026" in reply and "Buổi số 2: 19:30 Thứ Năm, 31/12/2026" in reply
    assert "Tháng không có ngày 31 thì họp vào ngày cuối tháng." in reply
    await tick(app, clock, "2027-01-01 09:00")  # November's and December's meetings are over
    async with db.session() as session:
        months = [(m.series_month, m.starts_at) for m in (await session.exec(
            select(Meeting).order_by(col(Meeting.starts_at)))).all()]
    assert months == [("2026-11", local("2026-11-30 19:30")), ("2026-12", local("2026-12-31 19:30")),
                      ("2027-01", local("2027-01-31 19:30")), ("2027-02", local("2027-02-28 19:30"))]


async def test_a_moved_or_cancelled_monthly_meeting_is_not_created_again(
        app: Chibo, db: Database, clock: ManualClock, memory: MemoryChannel) -> None:
    await make_cell(db, clock.now())
    await say(app, "an", "/lichhop hangthang 5 19:30")
    await say(app, "an", "/doihop 1 08/01/2027 19:30")  # December's meeting moves into January
    await say(app, "an", "/huyhop 2")  # January's is cancelled
    await tick(app, clock, "2026-12-01 09:00")
    async with db.session() as session:
        meetings = (await session.exec(select(Meeting).order_by(col(Meeting.id)))).all()
    assert [(m.series_month, m.status) for m in meetings] == [
        ("2026-12", "scheduled"), ("2027-01", "cancelled")]


async def test_cancel_tells_those_invited_and_stops_the_reminders(
        app: Chibo, db: Database, clock: ManualClock, memory: MemoryChannel) -> None:
    await make_cell(db, clock.now())
    await say(app, "an", "/lichhop 05/12/2026 19:30")
    await tick(app, clock, "2026-12-02 08:00")
    memory.take()
    await say(app, "an", "/huyhop 1 trùng lịch của phường")
    assert "Đã báo cho 4 đồng chí" in memory.take()[0].reply.text
    await tick(app, clock, "2026-12-06 09:00")
    cancelled = memory.take()
    assert [s.to.chat_id for s in cancelled] == ["binh", "cuong", "dung", "em"]
    assert all("Lý do: trùng lịch của phường" in s.reply.text for s in cancelled)
    assert {row.status for row in await rows(db) if row.kind in (outbox.FOLLOWUP, outbox.LAST_CALL)} == {
        outbox.DROPPED}


async def test_after_downtime_only_useful_reminders_go(db: Database, clock: ManualClock) -> None:
    """The bot was down over the invitation and follow-up times: one message per member on start;
    down again over the meeting's start: the last call is dropped, not sent late."""
    cell = await make_cell(db, clock.now())
    channel = MemoryChannel()
    scheduler = Scheduler(db, {"memory": channel}, clock.now)
    async with db.session() as session:
        session.add(Meeting(cell_id=cell.id, starts_at=local("2026-12-05 19:30"), place="Hội trường"))
        await session.commit()
    assert await scheduler.run_pass(local("2026-11-20 09:00"))  # planned, nothing due
    assert channel.sent == []
    clock.set(local("2026-12-04 09:00"))
    assert await scheduler.run_pass()
    assert sorted(s.to.chat_id for s in channel.sent) == ["an", "binh", "cuong", "dung", "em"]  # several in flight
    assert all(INVITE in s.reply.text for s in channel.sent)  # the invitation, not the stale follow-up
    channel.take()
    clock.set(local("2026-12-05 19:40"))
    assert await scheduler.run_pass()
    assert channel.sent == []
    statuses = Counter((row.kind, row.status, row.last_error) for row in await rows(db))
    assert statuses[(outbox.FOLLOWUP, outbox.DROPPED, "superseded: a later reminder went instead")] == 5
    assert statuses[(outbox.LAST_CALL, outbox.DROPPED, "too late: the meeting has begun")] == 5


class Flaky(MemoryChannel):
    """Answers 429 to the first attempt for each chat."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: Counter[str] = Counter()

    async def send(self, to: Address, reply: Reply) -> None:
        if not self.refused[to.chat_id]:
            self.refused[to.chat_id] += 1
            raise RetryLater(2.0)
        await super().send(to, reply)


async def test_429_answers_are_retried_after_retry_after_and_sent_once(db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now())
    channel = Flaky()
    scheduler = Scheduler(db, {"memory": channel}, clock.now)
    async with db.session() as session:
        session.add(Meeting(cell_id=cell.id, starts_at=local("2026-11-21 19:30")))
        await session.commit()
    assert await scheduler.run_pass()
    assert channel.sent == []
    assert scheduler.last_stats is not None and scheduler.last_stats.retried == 5
    pending = [row for row in await rows(db) if row.kind == outbox.INVITATION]
    assert {row.due_at for row in pending} == {clock.now() + timedelta(seconds=2)}
    clock.set(clock.now() + timedelta(seconds=2))
    assert await scheduler.run_pass()
    assert sorted(s.to.chat_id for s in channel.sent) == ["an", "binh", "cuong", "dung", "em"]
    assert {row.attempts for row in await rows(db) if row.kind == outbox.INVITATION} == {2}


async def test_a_platform_that_keeps_refusing_is_given_up(db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now(), {"an": "Nguyễn Văn An"}, exempt=())

    class Refusing(MemoryChannel):
        async def send(self, to: Address, reply: Reply) -> None:
            raise RetryLater(0.0)

    config = SchedulerConfig(dispatch=DispatchConfig(max_attempts=3, backoff=1.0))
    scheduler = Scheduler(db, {"memory": Refusing()}, clock.now, config)
    async with db.session() as session:
        session.add(Meeting(cell_id=cell.id, starts_at=local("2026-11-21 19:30")))
        await session.commit()
    for _ in range(3):
        assert await scheduler.run_pass()
        clock.set(clock.now() + timedelta(seconds=5))
    (row,) = [row for row in await rows(db) if row.kind == outbox.INVITATION]
    assert (row.status, row.attempts) == (outbox.FAILED, 3)


async def test_members_out_of_reach_are_listed_to_the_secretary(
        app: Chibo, db: Database, clock: ManualClock, memory: MemoryChannel) -> None:
    await make_cell(db, clock.now(), without_account=("em",))
    memory.unreachable.add("cuong")  # blocked the bot
    await say(app, "an", "/lichhop 05/12/2026 19:30")
    await tick(app, clock, "2026-12-02 08:00")
    assert to(memory, INVITE) == ["an", "binh", "dung"]
    (notice,) = [s for s in memory.sent if s.to.chat_id == "an" and "Chưa gửi được" in s.reply.text]
    assert "Lê Văn Cường, Hoàng Văn Em" in notice.reply.text
    async with db.session() as session:
        account = (await session.exec(select(ChatAccount).where(ChatAccount.chat_id == "cuong"))).one()
    assert account.unreachable_since == local("2026-12-02 08:00")
    memory.take()
    await tick(app, clock, "2026-12-04 08:00")
    assert "Chưa gửi được" not in " ".join(s.reply.text for s in memory.sent)  # told once


async def test_self_assessment_deadline_reminders(app: Chibo, db: Database, clock: ManualClock,
                                                  memory: MemoryChannel) -> None:
    cell = await make_cell(db, clock.now(), deadline="10/12")
    ids = cell.members
    async with db.session() as session:
        session.add(Assessment(member_id=ids["binh"], cell_id=cell.id, period="2026", year=2026, stage=Stage.SELF,
                               level="good"))
        await session.commit()
    await tick(app, clock, "2026-12-03 07:59")
    assert memory.sent == []
    await tick(app, clock, "2026-12-03 08:00")
    assert to(memory, "hạn tự đánh giá") == ["an", "cuong", "dung", "em"]  # not binh (done), not hoa (exempt)
    assert "ngày 10/12/2026 (còn 7 ngày)" in memory.sent[0].reply.text
    memory.take()
    async with db.session() as session:
        session.add(Assessment(member_id=ids["cuong"], cell_id=cell.id, period="2026", year=2026, stage=Stage.SELF,
                               level="good"))
        await session.commit()
    await tick(app, clock, "2026-12-08 08:00")
    assert to(memory, "hạn tự đánh giá") == ["an", "dung", "em"]
    assert "(còn 2 ngày)" in memory.sent[0].reply.text


async def _ended_meeting(db: Database, cell_id: int, start: str, statuses: dict[int, str]) -> None:
    """A meeting that took place, with its roll call recorded (the planner settles it)."""
    async with db.session() as session:
        meeting = Meeting(cell_id=cell_id, starts_at=local(start), roll_call_at=local(start))
        session.add(meeting)
        await session.flush()
        for member_id, status in statuses.items():
            session.add(Attendance(meeting_id=id_of(meeting), member_id=member_id, status=status,
                                   rsvp="excused" if status == "excused" else None,
                                   reason="Ốm" if status == "excused" else None))
        await session.commit()


async def test_removal_warning_counts_months_of_the_calendar_year(db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now(), {"an": "Nguyễn Văn An", "em": "Hoàng Văn Em"}, exempt=())
    ids = cell.members
    channel = MemoryChannel()
    scheduler = Scheduler(db, {"memory": channel}, clock.now)
    present, absent = {ids["an"]: "present"}, {ids["an"]: "present", ids["em"]: "absent"}
    for start, who in (("2026-12-05 19:30", absent), ("2027-01-05 19:30", absent), ("2027-02-05 19:30", present),
                       ("2027-02-20 19:30", absent)):
        await _ended_meeting(db, cell.id, start, who)
    assert await scheduler.run_pass(local("2027-02-21 09:00"))
    assert not any("Cảnh báo" in s.reply.text for s in channel.sent)  # December was another year
    await _ended_meeting(db, cell.id, "2027-03-05 19:30", absent)
    assert await scheduler.run_pass(local("2027-03-06 09:00"))
    warnings = [s for s in channel.sent if "Cảnh báo" in s.reply.text]
    assert [w.to.chat_id for w in warnings] == ["an"]
    assert "vắng sinh hoạt không lý do 3 tháng trong năm 2027 (tháng 1, 2, 3)" in warnings[0].reply.text
    await _ended_meeting(db, cell.id, "2027-04-05 19:30", absent)
    assert await scheduler.run_pass(local("2027-04-06 09:00"))
    assert len([s for s in channel.sent if "Cảnh báo" in s.reply.text]) == 1  # once a year
    async with db.session() as session:
        assert {m.status for m in (await session.exec(select(Meeting))).all()} == {MeetingStatus.ENDED}


async def test_excused_more_than_three_times_in_a_row_warns(db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now(), {"an": "Nguyễn Văn An", "dung": "Phạm Thị Dung"}, exempt=())
    ids = cell.members
    channel = MemoryChannel()
    scheduler = Scheduler(db, {"memory": channel}, clock.now)
    excused = {ids["an"]: "present", ids["dung"]: "excused"}
    for month in (1, 2, 3):
        await _ended_meeting(db, cell.id, f"2027-0{month}-05 19:30", excused)
    assert await scheduler.run_pass(local("2027-03-06 09:00"))
    assert not any("Lưu ý" in s.reply.text for s in channel.sent)  # three in a row is allowed
    await _ended_meeting(db, cell.id, "2027-04-05 19:30", excused)
    assert await scheduler.run_pass(local("2027-04-06 09:00"))
    (warning,) = [s for s in channel.sent if "Lưu ý" in s.reply.text]
    assert "Phạm Thị Dung đã vắng có lý do 4 buổi liền (buổi số 1, 2, 3, 4)" in warning.reply.text


async def test_changing_the_plan_retimes_pending_reminders(app: Chibo, db: Database, clock: ManualClock,
                                                            memory: MemoryChannel) -> None:
    await make_cell(db, clock.now())
    await say(app, "an", "/lichhop 05/12/2026 19:30")
    await tick(app, clock, "2026-11-20 09:00")
    await say(app, "an", "/caidat nhacnho 5n 3g")
    assert "lời mời gửi trước 5 ngày lúc 08:00; nhắc lần cuối trước 3 giờ" in memory.take()[-1].reply.text
    await tick(app, clock, "2026-11-30 08:00")
    assert to(memory, INVITE) == ["an", "binh", "cuong", "dung", "em"]
    memory.take()
    await tick(app, clock, "2026-12-05 16:30")
    assert to(memory, LAST_CALL) == ["an", "binh", "cuong", "dung", "em"]
    assert to(memory, FOLLOWUP) == []
    dropped = {row.status for row in await rows(db) if row.kind == outbox.FOLLOWUP}
    assert dropped == {outbox.DROPPED}


async def test_series_is_replaced_and_unannounced_meetings_withdrawn(
        app: Chibo, db: Database, clock: ManualClock, memory: MemoryChannel) -> None:
    await make_cell(db, clock.now())
    await say(app, "an", "/lichhop hangthang 5 19:30")
    await tick(app, clock, "2026-12-02 08:00")  # December's invitation is out
    await say(app, "an", "/lichhop hangthang 10 18:00 tại Nhà văn hóa")
    reply = memory.sent[-1].reply.text
    # December's meeting was announced: kept (no second regular meeting that month); January's
    # was not: withdrawn, and the new schedule's January meeting takes its place.
    assert "Các buổi sắp tới:\n  Buổi số 1: 19:30 Thứ Bảy, 05/12/2026\n  Buổi số 3: 18:00 Chủ nhật, 10/01/2027\n" in (
        reply.replace("\n", "\n  "))
    async with db.session() as session:
        series = (await session.exec(select(MeetingSeries).order_by(col(MeetingSeries.id)))).all()
        meetings = (await session.exec(select(Meeting).order_by(col(Meeting.id)))).all()
    assert [s.active for s in series] == [False, True]
    assert [(m.id, m.series_id, m.series_month, m.status) for m in meetings] == [
        (1, 1, "2026-12", "scheduled"), (2, 1, "2027-01", "cancelled"), (3, 2, "2027-01", "scheduled")]
