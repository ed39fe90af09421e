"""Reminders whose moment has passed (the bot was down, the clock jumped): worded from the real time
left, only the nearest of a series, and never one that no longer applies."""

from __future__ import annotations

from collections import Counter

from sqlmodel import col, select

from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.vocabulary import MeetingStatus, Stage
from schedules.dispatcher import DispatchConfig
from schedules.driver import Scheduler, SchedulerConfig
from storage import outbox
from storage.assessments import Assessment
from storage.db import Database
from storage.meetings import Attendance, Meeting
from storage.outbox import OutboxMessage
from storage.types import id_of
from tests.cell_setup import local, make_cell

DEADLINE = "hạn tự đánh giá"
EXPECTED = ["an", "binh", "cuong", "dung", "em"]  # hoa is exempt


def scheduler(db: Database, clock: ManualClock, channel: MemoryChannel, batch: int = 200) -> Scheduler:
    return Scheduler(db, {"memory": channel}, clock.now, SchedulerConfig(dispatch=DispatchConfig(batch=batch)))


async def rows(db: Database, kind: str) -> list[OutboxMessage]:
    async with db.session() as session:
        return list((await session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                        .order_by(col(OutboxMessage.id)))).all())


async def test_the_clock_moved_from_1_to_10_december_one_reminder_with_the_real_days_left(
        db: Database, clock: ManualClock) -> None:
    """Both deadline reminders were planned (on 2 December), then nothing ran until the deadline
    day: one message each, "hôm nay là hạn cuối", never "còn 7 ngày"; even when the two lie in
    different dispatch batches (a batch of 2 rows here)."""
    await make_cell(db, clock.now(), deadline="10/12")
    channel = MemoryChannel()
    run = scheduler(db, clock, channel, batch=2)
    clock.set(local("2026-12-01 09:00"))
    assert await run.run_pass()
    clock.set(local("2026-12-02 00:30"))
    assert await run.run_pass()  # both planned, none due
    assert channel.sent == []
    assert len(await rows(db, outbox.DEADLINE)) == 10  # 5 members × (7 days, 2 days)
    clock.set(local("2026-12-10 09:00"))
    assert await run.run_pass()
    assert sorted(s.to.chat_id for s in channel.sent) == EXPECTED  # once each
    assert all("10/12/2026 (hôm nay là hạn cuối)" in s.reply.text for s in channel.sent)
    outcome = Counter((row.key.split(":")[3], row.status) for row in await rows(db, outbox.DEADLINE))
    assert outcome == {("2n", outbox.SENT): 5, ("7n", outbox.DROPPED): 5}  # the nearest went, saying the truth


async def test_a_reminder_never_planned_in_time_goes_late_once(db: Database, clock: ManualClock) -> None:
    """The bot was not running on 2 December when reminders are planned: on 4 December at 03:00
    the missed 7-day reminder is planned for 08:00 ("còn 6 ngày"), the 2-day one at its time."""
    await make_cell(db, clock.now(), deadline="10/12")
    channel = MemoryChannel()
    clock.set(local("2026-12-04 03:00"))
    run = scheduler(db, clock, channel)
    assert await run.run_pass()
    assert channel.sent == []  # not in the night
    assert {(row.key.split(":")[3], row.due_at) for row in await rows(db, outbox.DEADLINE)} == {
        ("7n", local("2026-12-04 08:00")), ("2n", local("2026-12-08 08:00"))}
    clock.set(local("2026-12-04 08:00"))
    assert await run.run_pass()
    assert sorted(s.to.chat_id for s in channel.take()) == EXPECTED
    clock.set(local("2026-12-08 08:00"))
    assert await run.run_pass()
    sent = channel.take()
    assert len(sent) == 5 and all("(còn 2 ngày)" in s.reply.text for s in sent)


async def test_first_run_on_the_day_before_the_deadline(db: Database, clock: ManualClock) -> None:
    await make_cell(db, clock.now(), deadline="10/12")
    channel = MemoryChannel()
    clock.set(local("2026-12-09 10:00"))
    assert await scheduler(db, clock, channel).run_pass()
    assert sorted(s.to.chat_id for s in channel.sent) == EXPECTED
    assert all("(còn 1 ngày)" in s.reply.text for s in channel.sent)
    assert [row.key.split(":")[3] for row in await rows(db, outbox.DEADLINE)] == ["2n"] * 5  # not the 7-day one


async def test_a_deadline_reminder_that_no_longer_applies_is_not_sent(db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now(), deadline="10/12")
    channel = MemoryChannel()
    run = scheduler(db, clock, channel)
    clock.set(local("2026-12-02 09:00"))
    assert await run.run_pass()
    async with db.session() as session:  # Bình assesses herself meanwhile
        session.add(Assessment(member_id=cell.members["binh"], cell_id=cell.id, period="2026", year=2026,
                               stage=Stage.SELF, level="good"))
        await session.commit()
    clock.set(local("2026-12-08 08:00"))  # the 7-day reminder is late, the 2-day one due: only the 2-day one
    assert await run.run_pass()
    assert sorted(s.to.chat_id for s in channel.take()) == ["an", "cuong", "dung", "em"]  # not Bình: done
    clock.set(local("2026-12-11 09:00"))  # nothing is left to send after the deadline
    assert await run.run_pass()
    assert channel.sent == []
    reasons = Counter((row.key.split(":")[3], row.last_error) for row in await rows(db, outbox.DEADLINE))
    assert reasons == {("7n", "superseded: a later reminder went instead"): 5, ("2n", None): 4,
                       ("2n", "already assessed themselves"): 1}


async def test_meeting_reminders_due_together_across_batches_send_only_the_nearest(
        db: Database, clock: ManualClock) -> None:
    """Down over the follow-up (4/12 08:00) until after the last call's time (5/12 17:30): only the
    last call goes, worded "hôm nay"; the invitation had gone, so nothing else repeats it."""
    cell = await make_cell(db, clock.now())
    channel = MemoryChannel()
    async with db.session() as session:
        session.add(Meeting(cell_id=cell.id, starts_at=local("2026-12-05 19:30"), place="Hội trường"))
        await session.commit()
    run = scheduler(db, clock, channel, batch=2)
    clock.set(local("2026-12-02 08:00"))
    assert await run.run_pass()
    assert sorted(s.to.chat_id for s in channel.take()) == EXPECTED  # the invitations
    clock.set(local("2026-12-05 17:45"))
    assert await run.run_pass()
    sent = channel.take()
    assert sorted(s.to.chat_id for s in sent) == EXPECTED
    assert all("bắt đầu lúc 19:30 hôm nay" in s.reply.text for s in sent)
    outcome = Counter((row.kind, row.status) for row in await rows(db, outbox.FOLLOWUP))
    assert outcome == {(outbox.FOLLOWUP, outbox.DROPPED): 5}


async def test_meeting_reminders_that_no_longer_apply_are_not_sent(db: Database, clock: ManualClock) -> None:
    """Answered, cancelled, begun: the late reminders are dropped with their reason."""
    cell = await make_cell(db, clock.now())
    channel = MemoryChannel()
    async with db.session() as session:
        answered = Meeting(cell_id=cell.id, starts_at=local("2026-12-05 19:30"))
        cancelled = Meeting(cell_id=cell.id, starts_at=local("2026-12-06 19:30"))
        begun = Meeting(cell_id=cell.id, starts_at=local("2026-12-03 19:30"))
        session.add_all([answered, cancelled, begun])
        await session.commit()
    run = scheduler(db, clock, channel)
    clock.set(local("2026-11-28 09:00"))
    assert await run.run_pass()  # plans them all; nothing is due yet
    async with db.session() as session:
        for member in cell.members.values():
            session.add(Attendance(meeting_id=id_of(answered), member_id=member, rsvp="yes"))
        found = await session.get(Meeting, cancelled.id)
        assert found is not None
        found.status = MeetingStatus.CANCELLED
        session.add(found)
        await session.commit()
    clock.set(local("2026-12-04 09:00"))  # down since 28/11: the meeting of 3/12 has begun and ended
    assert await run.run_pass()
    # Only the secretary's note that the meeting of 3/12 (ended meanwhile) has no roll call; no
    # reminder of any of the three meetings.
    (note,) = channel.sent
    assert note.to.chat_id == "an" and "03/12/2026, chưa điểm danh" in note.reply.text
    reasons = {(row.meeting_id, row.last_error) for row in await rows(db, outbox.INVITATION)}
    assert (cancelled.id, "the meeting was cancelled") in reasons
    assert (begun.id, "too late: the meeting has begun") in reasons
    assert (answered.id, "already answered") in reasons
