"""Who is behind a cell's figures: the names a secretary acts on (did not report, not rated yet,
absent three months, due for official recognition, out of reach).

Only ever for one cell (at most 150 members), each list one indexed query; members are listed in
roster order (their id), the order the cell's list was imported or joined in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from sqlalchemy import and_, exists, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import membership
from domain.periods import Period
from domain.review import not_reviewed_reason
from domain.vocabulary import Status
from storage.assessments import Assessment, reviewed_clause
from storage.membership import MembershipSpan, counted_on
from storage.reports import Report
from storage.summary import Tally, account_counts, expected_then, reference_day
from storage.tables import ChatAccount, Member
from storage.types import table_of

T = TypeVar("T")
_MEMBER = table_of(Member)
_SPAN = table_of(MembershipSpan)
_REPORT = table_of(Report)
_ASSESSMENT = table_of(Assessment)
_ACCOUNT = table_of(ChatAccount)


@dataclass(frozen=True, slots=True)
class Due:
    name: str
    admitted_on: date

    @property
    def ends_on(self) -> date:
        return membership.probation_end(self.admitted_on)


@dataclass(slots=True)
class CellNames:
    admitted: list[str] = field(default_factory=list)
    not_reported: list[str] = field(default_factory=list)
    not_rated: list[str] = field(default_factory=list)  # to be rated, not yet at the cell's latest stage
    not_reviewed: list[tuple[str, str]] = field(default_factory=list)  # name, why not rated this period
    long_absent: list[tuple[str, list[int]]] = field(default_factory=list)  # name, months
    long_excused: list[tuple[str, int]] = field(default_factory=list)  # name, excused in a row
    due: list[Due] = field(default_factory=list)
    no_account: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)


async def cell_names(session: AsyncSession, tally: Tally, period: Period, today: date) -> CellNames:
    """All of a cell's lists: those about the period from the members of the cell on its reference
    day, in the state they were in then (one pass, each flag an indexed EXISTS); those about now
    (accounts, probation) from today's members; and the names behind the tally's warnings."""
    cell_id, stage = tally.cell_id, tally.latest_stage
    span, member = _SPAN.c, _MEMBER.c
    review = period.review
    reported = exists().where(_REPORT.c.member_id == member.id, _REPORT.c.cell_id == span.cell_id,
                              _REPORT.c.done_on >= period.start,
                              _REPORT.c.done_on < period.end)
    rated = exists().where(_ASSESSMENT.c.member_id == member.id, _ASSESSMENT.c.period == review.key,
                           _ASSESSMENT.c.stage == (stage or ""))
    then = (
        select(
            member.full_name, span.status, member.admitted_on,
            and_(member.admitted_on >= period.start, member.admitted_on < period.end).label("admitted"),
            and_(expected_then(span), ~reported).label("not_reported"),
            and_(reviewed_clause(span.status, member.admitted_on, review), ~rated).label("not_rated"),
        )
        .select_from(_SPAN.join(_MEMBER, member.id == span.member_id))
        .where(span.cell_id == cell_id, counted_on(span, reference_day(period, today)))
        .order_by(member.id)
    )
    names = CellNames()
    for row in await session.execute(then):
        for flag, into in (("admitted", names.admitted), ("not_reported", names.not_reported),
                           ("not_rated", names.not_rated)):
            if getattr(row, flag):
                into.append(row.full_name)
        reason = not_reviewed_reason(row.status, row.admitted_on, review.last_day)
        if reason is not None:
            names.not_reviewed.append((row.full_name, reason))
    accounts = account_counts(select(member.id).where(member.cell_id == cell_id))
    any_account = accounts.c.accounts.is_not(None)
    now = (
        select(
            member.full_name, member.status, member.admitted_on,
            (~any_account).label("no_account"),
            and_(any_account, ~(func.coalesce(accounts.c.reachable, 0) > 0)).label("unreachable"),
        )
        .select_from(_MEMBER.outerjoin(accounts, accounts.c.member_id == member.id))
        .where(member.cell_id == cell_id, member.active)
        .order_by(member.id)
    )
    due_by = membership.latest_admission_due(today)
    for row in await session.execute(now):
        for flag, into in (("no_account", names.no_account), ("unreachable", names.unreachable)):
            if getattr(row, flag):
                into.append(row.full_name)
        if row.status == Status.PROBATIONARY and row.admitted_on is not None and row.admitted_on <= due_by:
            names.due.append(Due(row.full_name, row.admitted_on))
    names.due.sort(key=lambda due: due.admitted_on)  # stable: roster order within a day
    names.long_absent = await _named(session, tally.long_absent)
    names.long_excused = await _named(session, tally.long_excused)
    return names


async def _named(session: AsyncSession, flagged: Mapping[int, T]) -> list[tuple[str, T]]:
    """The flagged members' names with what flagged them, in roster order."""
    if not flagged:
        return []
    rows = await session.execute(
        select(_MEMBER.c.id, _MEMBER.c.full_name).where(_MEMBER.c.id.in_(list(flagged))).order_by(_MEMBER.c.id))
    return [(row.full_name, flagged[row.id]) for row in rows]
