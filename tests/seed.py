"""Known data written straight into the tables, for summary tests and transcripts.

The commands that fill these tables (reports, ratings, meetings) belong to other features; a
summary is checked against data whose every figure can be computed by hand. A transcript
starts from one of these with the setup line `# seed: NAME` (NAME is a function below taking
the database).

`ward` (today is 20/11/2026 in the tests) — Đảng bộ phường Bến Thành:
- Chi bộ khu phố 1: 11 active members (7 official, 3 probationary, 1 exempt) and one who left;
  November: meetings on 05/11 (9/10 present, 1 excused) and 15/11 (7/10 present, 1 excused,
  2 absent), one cancelled, one still to come; Hải was also absent in September and October
  (three months), Cường twice in October and once in November (two months); 8 reports by
  7 members (Hải, Minh, Lực did not report); ratings for 2026 at the cell's proposal:
  2 excellent, 6 good, 1 complete (Lực not yet rated); Hoa's probation ends 15/12/2026;
  admitted in 2026: Khoa (March) and Lực (November).
- Chi bộ khu phố 2: 5 members, one meeting 5/5, 2 of 5 reported, final ratings 1 + 4.
- Chi bộ khu phố 3: 3 members, no meeting, 3 of 3 reported, Yên due on 01/12/2026.
- Chi bộ khu phố 4: 4 members, one meeting 4/4, 4 of 4 reported.
Đảng bộ phường Sài Gòn has Chi bộ khu phố 9 and its committee member Sơn.
Console users: an (committee secretary, Bến Thành), binh (secretary of khu phố 1), cuong
(member of khu phố 1), phuc (secretary of khu phố 2), son (committee member, Sài Gòn).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.history import ROLL_FLOOR, Event, EventKind
from domain.text import fold
from domain.vocabulary import MeetingStatus, Position, Status, UnitKind
from storage import membership
from storage.assessments import Assessment
from storage.db import Database
from storage.meetings import Attendance, Meeting
from storage.reports import Report
from storage.tables import ChatAccount, Member, OrgUnit, Role
from storage.types import id_of

SEED_TODAY = date(2026, 11, 20)  # the day the seeded worlds are read on (tests set the clock to it)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
Roll = list[tuple[Member, str]]  # a roll call: member and present / excused / absent


class Seeder:
    """Small helpers over one session: units, members with accounts and roles, meetings, reports."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def unit(self, kind: str, name: str, parent: OrgUnit | None = None) -> OrgUnit:
        unit = OrgUnit(kind=kind, name=name, name_key=fold(name), parent_id=parent.id if parent else None)
        self.session.add(unit)
        await self.session.flush()
        return unit

    async def member(
        self, cell: OrgUnit | None, name: str, status: str = Status.OFFICIAL, admitted_on: date | None = None, *,
        account: str | None = None, role: tuple[str, OrgUnit] | None = None, active: bool = True,
        unreachable: bool = False,
    ) -> Member:
        member = Member(cell_id=cell.id if cell else None, full_name=name, name_key=fold(name), status=status,
                        admitted_on=admitted_on)
        self.session.add(member)
        await self.session.flush()
        if cell is not None:  # on the roll from admission; one who left never counted in these figures
            await membership.join_roll(self.session, member, id_of(cell), today=SEED_TODAY)
            if not active:
                await membership.record(self.session, id_of(member), Event(
                    EventKind.TRANSFERRED, member.admitted_on or ROLL_FLOOR, cell_id=None), today=SEED_TODAY)
        if account is not None:
            platform, _, user = account.partition(":")
            self.session.add(ChatAccount(
                platform=platform, platform_user_id=user, chat_id=user, display_name=user, member_id=member.id,
                unreachable_since=datetime(2026, 11, 1, tzinfo=UTC) if unreachable else None,
            ))
        if role is not None:
            self.session.add(Role(member_id=id_of(member), unit_id=id_of(role[1]), role=role[0]))
        await self.session.flush()
        return member

    async def meeting(
        self, cell: OrgUnit, local: datetime, roll: Roll, *, kind: str = "regular", status: str = "ended",
    ) -> Meeting:
        """A meeting at a local time with its roll call (member -> present / excused / absent); an
        ended meeting with an empty roll is one whose roll call was never taken."""
        starts_at = local.replace(tzinfo=TZ).astimezone(UTC)
        ended_at = starts_at + timedelta(minutes=90) if status == MeetingStatus.ENDED else None
        meeting = Meeting(cell_id=id_of(cell), kind=kind, starts_at=starts_at, status=status,
                          ended_at=ended_at, roll_call_at=ended_at if roll else None)
        self.session.add(meeting)
        await self.session.flush()
        for member, state in roll:
            self.session.add(Attendance(meeting_id=id_of(meeting), member_id=id_of(member), status=state))
        await self.session.flush()
        return meeting

    def report(self, member: Member, done_on: date, kind: str = "study") -> None:
        assert member.cell_id is not None, "a report is made in the member's cell"
        self.session.add(Report(member_id=id_of(member), cell_id=member.cell_id, kind=kind,
                                text=f"Báo cáo {kind} {done_on:%d/%m}", done_on=done_on))

    def rating(self, member: Member, stage: str, level: str, period: str = "2026") -> None:
        assert member.cell_id is not None, "a member is rated in their cell"
        self.session.add(Assessment(member_id=id_of(member), cell_id=member.cell_id, period=period,
                                    year=int(period[:4]), stage=stage, level=level))


def roll(present: Sequence[Member], excused: Sequence[Member] = (), absent: Sequence[Member] = ()) -> Roll:
    return [*((m, "present") for m in present), *((m, "excused") for m in excused), *((m, "absent") for m in absent)]


async def ward(db: Database) -> None:
    async with db.session() as session:
        seed = Seeder(session)
        await _ward(seed)
        await session.commit()


async def _ward(seed: Seeder) -> None:
    ben_thanh = await seed.unit(UnitKind.COMMITTEE, "Đảng bộ phường Bến Thành")
    kp1 = await seed.unit(UnitKind.CELL, "Chi bộ khu phố 1", ben_thanh)
    kp2 = await seed.unit(UnitKind.CELL, "Chi bộ khu phố 2", ben_thanh)
    kp3 = await seed.unit(UnitKind.CELL, "Chi bộ khu phố 3", ben_thanh)
    kp4 = await seed.unit(UnitKind.CELL, "Chi bộ khu phố 4", ben_thanh)
    await seed.member(None, "Nguyễn Văn An", account="console:an", role=(Position.SECRETARY, ben_thanh))

    # -- Chi bộ khu phố 1 --------------------------------------------------------------------
    m = seed.member
    binh = await m(kp1, "Trần Thị Bình", admitted_on=date(2001, 9, 2), account="console:binh", role=("secretary", kp1))
    cuong = await m(kp1, "Lê Văn Cường", admitted_on=date(2008, 5, 19), account="console:cuong")
    dung = await m(kp1, "Phạm Thị Dung", admitted_on=date(2015, 2, 3), account="telegram:dung", unreachable=True)
    em = await m(kp1, "Hoàng Văn Em", admitted_on=date(2012, 1, 10))
    giang = await m(kp1, "Đỗ Thị Giang", admitted_on=date(2010, 3, 26), account="zalo:giang")
    hai = await m(kp1, "Vũ Văn Hải", admitted_on=date(2005, 6, 1))
    minh = await m(kp1, "Mai Văn Minh")  # admission date not recorded
    hoa = await m(kp1, "Ngô Thị Hoa", Status.PROBATIONARY, date(2025, 12, 15))
    khoa = await m(kp1, "Bùi Văn Khoa", Status.PROBATIONARY, date(2026, 3, 10))
    luc = await m(kp1, "Lâm Văn Lực", Status.PROBATIONARY, date(2026, 11, 3))
    lan = await m(kp1, "Đặng Thị Lan", Status.EXEMPT, date(1960, 1, 1))
    await m(kp1, "Trịnh Văn Tâm", admitted_on=date(1999, 1, 1), active=False)  # moved away
    before_luc = [binh, cuong, dung, em, giang, hai, minh, hoa, khoa]
    others = [p for p in before_luc if p not in (hai,)]
    await seed.meeting(kp1, datetime(2026, 9, 5, 19, 30), roll(others, absent=[hai]))
    await seed.meeting(kp1, datetime(2026, 10, 5, 19, 30), roll([binh, dung, em, giang, minh, hoa, khoa],
                                                                absent=[hai, cuong]))
    await seed.meeting(kp1, datetime(2026, 10, 20, 19, 30), roll([binh, dung, giang, hai, minh, hoa, khoa],
                                                                 excused=[em], absent=[cuong]), kind="thematic")
    # Lan is exempt: her row (a roll call that listed her) must not count.
    await seed.meeting(kp1, datetime(2026, 11, 5, 19, 30), roll([binh, cuong, dung, giang, hai, minh, hoa, khoa, luc],
                                                                excused=[em], absent=[lan]))
    await seed.meeting(kp1, datetime(2026, 11, 10, 19, 30), roll([]), status=MeetingStatus.CANCELLED)
    await seed.meeting(kp1, datetime(2026, 11, 15, 19, 30), roll([binh, dung, em, giang, minh, hoa, khoa],
                                                                 excused=[luc], absent=[cuong, hai]), kind="thematic")
    await seed.meeting(kp1, datetime(2026, 11, 25, 19, 30), roll([]), status=MeetingStatus.SCHEDULED)
    for member, day, kind in [
        (binh, 2, "study"), (binh, 10, "assigned"), (cuong, 12, "residence"), (dung, 3, "study"),
        (em, 18, "mass_help"), (giang, 19, "study"), (hoa, 5, "other"), (khoa, 20, "study"),
    ]:
        seed.report(member, date(2026, 11, day), kind)
    seed.report(hai, date(2026, 10, 31))  # October: not in November's figures
    for member, level in [(binh, "excellent"), (cuong, "good"), (dung, "good"), (em, "good"), (giang, "good"),
                          (hai, "complete"), (hoa, "good"), (khoa, "good")]:
        seed.rating(member, "self", level)
    for member, level in [(binh, "excellent"), (cuong, "good"), (dung, "excellent"), (em, "good"), (giang, "good"),
                          (hai, "complete"), (minh, "good"), (hoa, "good"), (khoa, "good")]:
        seed.rating(member, "cell_proposed", level)

    # -- Chi bộ khu phố 2: full attendance, weak reporting, final ratings ------------------------
    phuc = await m(kp2, "Bùi Văn Phúc", admitted_on=date(1998, 3, 12), account="console:phuc", role=("secretary", kp2))
    kp2_rest = [await m(kp2, name) for name in ("Nguyễn Thị Quyên", "Trương Văn Sang", "Lý Thị Thu", "Hồ Văn Uy")]
    await seed.meeting(kp2, datetime(2026, 11, 6, 19, 30), roll([phuc, *kp2_rest]))
    seed.report(phuc, date(2026, 11, 7))
    seed.report(kp2_rest[0], date(2026, 11, 8))
    seed.rating(phuc, "final", "excellent")
    for member in kp2_rest:
        seed.rating(member, "final", "good")

    # -- Chi bộ khu phố 3: no meeting yet, everyone reported, a probationary member due ----------
    kp3_members = [await m(kp3, "Cao Văn Vinh", role=(Position.SECRETARY, kp3)), await m(kp3, "Lương Thị Xuân"),
                   await m(kp3, "Tạ Văn Yên", Status.PROBATIONARY, date(2025, 12, 1))]
    for member in kp3_members:
        seed.report(member, date(2026, 11, 9))

    # -- Chi bộ khu phố 4: full attendance, everyone reported -----------------------------------
    kp4_members = [await m(kp4, name) for name in ("Đinh Văn Ánh", "Kiều Thị Bảo", "Lã Văn Châu", "Mạc Thị Duyên")]
    await seed.meeting(kp4, datetime(2026, 11, 7, 19, 30), roll(kp4_members))
    for member in kp4_members:
        seed.report(member, date(2026, 11, 11))

    # -- another committee: none of its figures may leak into Bến Thành's -----------------------
    sai_gon = await seed.unit(UnitKind.COMMITTEE, "Đảng bộ phường Sài Gòn")
    kp9 = await seed.unit(UnitKind.CELL, "Chi bộ khu phố 9", sai_gon)
    await seed.member(None, "Phan Văn Sơn", account="console:son", role=(Position.COMMITTEE_MEMBER, sai_gon))
    kp9_members = [await m(kp9, name) for name in ("Quách Văn Tài", "Âu Thị Uyên", "Văn Thị Vân")]
    await seed.meeting(kp9, datetime(2026, 11, 5, 19, 30), roll(kp9_members[:1], absent=kp9_members[1:]))
    seed.report(kp9_members[0], date(2026, 11, 5))


BIG_CELL = "Chi bộ khu dân cư số 7"
BIG_CELL_SIZE = 150
_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô")
_MIDDLE = ("Văn", "Thị", "Hữu", "Minh", "Thanh", "Ngọc", "Quốc", "Thu")
_GIVEN = ("An", "Bình", "Cường", "Dũng", "Hạnh", "Khánh", "Long", "Mai", "Nghĩa", "Phương", "Quang", "Sơn",
          "Thảo", "Tuấn", "Uyên", "Vinh", "Xuân", "Yến", "Hoàng Anh", "Thanh Tùng")


def big_cell_names(count: int = BIG_CELL_SIZE) -> list[str]:
    return [f"{_FAMILY[i % len(_FAMILY)]} {_MIDDLE[i % len(_MIDDLE)]} {_GIVEN[i % len(_GIVEN)]} {i + 1:03d}"
            for i in range(count)]


async def big_cell(db: Database) -> None:
    """A 150-member cell in which nobody has reported or joined the bot: long name lists.
    Console user `bt` is its secretary."""
    async with db.session() as session:
        seed = Seeder(session)
        committee = await seed.unit(UnitKind.COMMITTEE, "Đảng bộ xã Tân Phú")
        cell = await seed.unit(UnitKind.CELL, BIG_CELL, committee)
        names = big_cell_names()
        secretary = await seed.member(cell, names[0], admitted_on=date(2000, 1, 1), account="console:bt",
                                      role=(Position.SECRETARY, cell))
        members = [secretary]
        for index, name in enumerate(names[1:], 1):
            status = Status.PROBATIONARY if index % 30 == 0 else Status.OFFICIAL
            members.append(await seed.member(cell, name, status,
                date(2026 if status == "probationary" else 1990, 5, 1)))
        await seed.meeting(cell, datetime(2026, 11, 4, 19, 0), roll(members[:120], excused=members[120:140],
                                                                    absent=members[140:]))
        await session.commit()
