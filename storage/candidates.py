"""Candidates for admission (quần chúng ưu tú) and the probationary members they become.

A candidate is a person, not a member: one `candidate` row with the date of each step of their path
(domain.development.Progress). Numbers are the committee's own (1, 2, 3… across its cells, never
reused), so that a cell's secretary and the committee name a candidate by the same number. The
ceremony creates the probationary member through `storage.membership.record` (an "admitted" event),
and the row keeps that member's id; recognition as official is a "recognised" event too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, and_, exists, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.development import CandidateStage, Progress
from domain.history import Event, EventKind
from domain.membership import probation_end
from domain.text import fold
from domain.vocabulary import Status
from storage import membership, org
from storage.membership import MembershipEvent, MembershipSpan, counted_on
from storage.tables import JoinCode, Member
from storage.types import UtcDateTime, id_of, table_of, utcnow


class Candidate(SQLModel, table=True):
    """A candidate for admission, sponsored by a cell; each step dated once reached."""

    __tablename__ = "candidate"
    __table_args__ = (
        Index("ix_candidate_committee_number", "committee_id", "number", unique=True),
        Index("ix_candidate_cell", "cell_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = Field(foreign_key="org_unit.id")
    cell_id: int = Field(foreign_key="org_unit.id")
    number: int  # the committee's own: 1, 2, 3…
    full_name: str = Field(max_length=120)
    name_key: str = Field(max_length=120)
    gender: str = Field(max_length=8)  # "nam" / "nu", as on a member
    birth_year: int
    youth_union: bool = False  # đoàn viên Đoàn TNCS Hồ Chí Minh
    helper_id: int | None = Field(default=None, foreign_key="member.id")  # the member assigned to help
    listed_on: date
    class_on: date | None = None  # the class certificate's date
    application_on: date | None = None
    introducers: str | None = Field(default=None, max_length=300)  # "Trần Thị Bình, Lê Văn Cường"
    introduced_on: date | None = None
    votes_for: int | None = None
    votes_of: int | None = None  # the cell's official members at the vote
    voted_on: date | None = None
    decided_on: date | None = None
    admitted_on: date | None = None  # the ceremony
    member_id: int | None = Field(default=None, foreign_key="member.id")  # the member the ceremony made
    code: str | None = Field(default=None, max_length=32, unique=True)  # the candidate's own, for /thamgia
    account_id: int | None = Field(default=None, foreign_key="chat_account.id")
    recorded_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


_CANDIDATE = table_of(Candidate)
_SPAN = table_of(MembershipSpan)
_EVENT = table_of(MembershipEvent)
_MEMBER = table_of(Member)
STEP_COLUMNS = {
    CandidateStage.CLASS: "class_on", CandidateStage.APPLICATION: "application_on",
    CandidateStage.INTRODUCED: "introduced_on", CandidateStage.VOTED: "voted_on",
    CandidateStage.DECIDED: "decided_on", CandidateStage.ADMITTED: "admitted_on",
}


def progress_of(candidate: Candidate) -> Progress:
    return Progress(candidate.listed_on, candidate.class_on, candidate.application_on, candidate.introduced_on,
                    candidate.voted_on, candidate.decided_on, candidate.admitted_on)


def set_step(candidate: Candidate, stage: CandidateStage, on: date) -> None:
    setattr(candidate, STEP_COLUMNS[stage], on)


async def add(session: AsyncSession, *, committee_id: int, cell_id: int, full_name: str, gender: str,
              birth_year: int, youth_union: bool, listed_on: date, by: int | None) -> Candidate:
    """A new candidate on the cell's source list, numbered after the committee's last one."""
    last = (await session.execute(select(func.coalesce(func.max(_CANDIDATE.c.number), 0))
                                  .where(_CANDIDATE.c.committee_id == committee_id))).scalar_one()
    candidate = Candidate(committee_id=committee_id, cell_id=cell_id, number=int(last) + 1, full_name=full_name,
                          name_key=fold(full_name), gender=gender, birth_year=birth_year, youth_union=youth_union,
                          listed_on=listed_on, recorded_by=by)
    session.add(candidate)
    await session.flush()
    return candidate


async def of_cells(session: AsyncSession, cell_ids: list[int]) -> list[Candidate]:
    """The cells' candidates, admitted ones too, by number."""
    if not cell_ids:
        return []
    return list((await session.execute(select(Candidate).where(col(Candidate.cell_id).in_(cell_ids))
                                    .order_by(col(Candidate.number)))).scalars().all())


async def all_open(session: AsyncSession) -> list[Candidate]:
    """Every candidate not yet admitted, in every committee (the planner's reminders)."""
    return list((await session.execute(select(Candidate).where(col(Candidate.admitted_on).is_(None))
                                    .order_by(col(Candidate.id)))).scalars().all())


async def by_code(session: AsyncSession, code: str) -> Candidate | None:
    return (await session.execute(select(Candidate).where(col(Candidate.code) == code))).scalars().first()


async def of_account(session: AsyncSession, account_id: int) -> Candidate | None:
    return (await session.execute(select(Candidate).where(col(Candidate.account_id) == account_id)
                               .order_by(col(Candidate.id).desc()))).scalars().first()


async def new_code(session: AsyncSession, candidate: Candidate) -> str:
    """A fresh code for the candidate, replacing the one before (which stops working at once): the
    joining codes' alphabet and length (storage.org), and unique among both kinds of code, so that
    /thamgia reads a typed code one way only."""
    while True:
        code = org.new_code()
        taken = await session.execute(select(func.count()).select_from(JoinCode).where(col(JoinCode.code) == code))
        if taken.scalar_one() == 0 and await by_code(session, code) is None:
            break
    candidate.code = code
    session.add(candidate)
    await session.flush()
    return code


async def link(session: AsyncSession, candidate: Candidate, account_id: int) -> None:
    """The code's bearer becomes the candidate's one account and the code is used up: a code
    handed on later lets no one else in, and an account linked before (a lost phone) loses access."""
    others = await session.execute(select(Candidate).where(col(Candidate.account_id) == account_id,
                                                           col(Candidate.id) != candidate.id))
    for other in others.scalars():
        other.account_id = None
        session.add(other)
    candidate.account_id = account_id
    candidate.code = None
    session.add(candidate)
    await session.flush()


async def officials_on(session: AsyncSession, cell_id: int, day: date) -> int:
    """The cell's official members on `day` (membership history): the base of the 2/3 vote."""
    span = _SPAN.c
    return int((await session.execute(select(func.count()).select_from(_SPAN).where(
        and_(span.cell_id == cell_id, span.status == Status.OFFICIAL, counted_on(span, day))))).scalar_one())


async def admit(session: AsyncSession, candidate: Candidate, on: date, *, today: date, by: int | None,
                now: datetime) -> Member:
    """The ceremony: the candidate becomes a probationary member of the cell from `on`, through an
    "admitted" event (so every figure of a period counts them from that day)."""
    member = Member(cell_id=candidate.cell_id, full_name=candidate.full_name, name_key=candidate.name_key,
                    gender=candidate.gender, birth_year=candidate.birth_year, status=Status.PROBATIONARY,
                    admitted_on=on)
    session.add(member)
    await session.flush()
    await membership.record(session, id_of(member), Event(EventKind.ADMITTED, on, cell_id=candidate.cell_id),
                            today=today, by=by, now=now)
    candidate.admitted_on = on
    candidate.member_id = id_of(member)
    session.add(candidate)
    await session.flush()
    return member


async def recognise(session: AsyncSession, member: Member, decided_on: date, *, today: date, by: int | None,
                    now: datetime) -> date:
    """The committee recognises a probationary member as official: the event is dated at the end of
    the 12 months (membership counts as official from then even when the decision is late, domain.md);
    the decision's date is kept as the event's reason. Returns the date official membership starts."""
    assert member.admitted_on is not None
    official = probation_end(member.admitted_on)
    await membership.record(session, id_of(member), Event(EventKind.RECOGNISED, official), today=today, by=by,
                            now=now, reason=f"Quyết định công nhận ngày {decided_on:%d/%m/%Y}")
    member.official_on = official
    session.add(member)
    await session.flush()
    return official


async def review(session: AsyncSession, member: Member, on: date, *, today: date, by: int | None,
                 now: datetime) -> None:
    """The cell's review of a probationary member after the 12 months (chi bộ xét, đề nghị công nhận
    chính thức): a dated event that changes no standing; recorded again, the latest counts."""
    await membership.record(session, id_of(member), Event(EventKind.REVIEWED, on), today=today, by=by, now=now,
                            reason=f"Chi bộ xét, đề nghị công nhận chính thức ngày {on:%d/%m/%Y}")


def was_reviewed(member_id: Any) -> ColumnElement[bool]:
    """SQL: the member (a column of member ids) has the cell's review recorded (the planner's filter)."""
    return exists().where(_EVENT.c.member_id == member_id, _EVENT.c.kind == str(EventKind.REVIEWED))


async def reviewed(session: AsyncSession, member_ids: list[int]) -> dict[int, date]:
    """Member id -> the day the cell reviewed them (the latest), for those it has."""
    if not member_ids:
        return {}
    rows = await session.execute(select(_EVENT.c.member_id, func.max(_EVENT.c.on).label("on")).where(and_(
        _EVENT.c.member_id.in_(member_ids), _EVENT.c.kind == str(EventKind.REVIEWED))).group_by(_EVENT.c.member_id))
    return {int(row.member_id): row.on for row in rows}


async def end_probation(session: AsyncSession, member: Member, decided_on: date, *, today: date, by: int | None,
                        now: datetime) -> None:
    """The committee ends probation: the member is removed from the list of probationary members (xóa tên
    khỏi danh sách đảng viên dự bị), a "removed" event on the decision's day that ends the membership."""
    await membership.record(session, id_of(member), Event(EventKind.REMOVED, decided_on), today=today, by=by,
                            now=now, reason="Xóa tên khỏi danh sách đảng viên dự bị (quyết định ngày "
                                            f"{decided_on:%d/%m/%Y})")


async def probationary(session: AsyncSession, cell_ids: list[int] | None = None) -> list[Member]:
    """Active probationary members (of these cells, or everywhere), oldest admission first."""
    query = select(Member).where(col(Member.status) == Status.PROBATIONARY, col(Member.active))
    if cell_ids is not None:
        query = query.where(col(Member.cell_id).in_(cell_ids))
    return list((await session.execute(query.order_by(col(Member.admitted_on), col(Member.id)))).scalars().all())


async def helpers(session: AsyncSession, member_ids: list[int]) -> dict[int, int]:
    """Probationary member id -> the member assigned to help them (from their candidate row)."""
    if not member_ids:
        return {}
    rows = await session.execute(select(_CANDIDATE.c.member_id, _CANDIDATE.c.helper_id).where(
        and_(_CANDIDATE.c.member_id.in_(member_ids), _CANDIDATE.c.helper_id.is_not(None))))
    return {int(row.member_id): int(row.helper_id) for row in rows}
