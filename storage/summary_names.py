"""Who is behind a cell's figures: the names a secretary acts on (did not report, not rated yet,
absent three months, due for official recognition, out of reach).

Only ever for one cell (at most 150 members), each list one indexed query; members are listed in
roster order (their id), the order the cell's list was imported or joined in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Date, Integer, and_, case, exists, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import membership
from domain.periods import Period
from domain.review import not_reviewed_reason, review_cutoff
from domain.vocabulary import Status
from storage.assessments import Assessment, reviewed_before
from storage.membership import MembershipSpan, counted_on
from storage.prepared import Prepared, among, as_date, param
from storage.reports import Report
from storage.summary import Tally, expected_then, reference_day
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


def account_counts(member_ids: Any) -> Any:
    """Per member (of the `member_ids` subquery): linked accounts, and those not marked unreachable.

    A grouped subquery joined once, rather than EXISTS in the select list: PostgreSQL cannot turn
    the latter into a join and hashed the whole account table three times.
    """
    account = _ACCOUNT.c
    return (
        select(account.member_id, func.count().label("accounts"),
               func.count(case((account.unreachable_since.is_(None), 1))).label("reachable"))
        .where(account.member_id.in_(member_ids))
        .group_by(account.member_id)
        .subquery()
    )


def _then() -> Any:
    """The cell's members on the reference day (`day`), in the state they were in then, each with
    its flags (one pass, each flag an indexed EXISTS)."""
    span, member, report, rating = _SPAN.c, _MEMBER.c, _REPORT.c, _ASSESSMENT.c
    start, end = param("start", Date()), param("end", Date())
    reported = exists().where(report.member_id == member.id, report.cell_id == span.cell_id,
                              report.done_on >= start, report.done_on < end)
    rated = exists().where(rating.member_id == member.id, rating.period == param("review"),
                           rating.stage == param("stage"))
    return (
        select(
            member.full_name, span.status, member.admitted_on,
            and_(member.admitted_on >= start, member.admitted_on < end),
            and_(expected_then(span), ~reported),
            and_(reviewed_before(span.status, member.admitted_on, param("cutoff", Date())), ~rated),
        )
        .select_from(_SPAN.join(_MEMBER, member.id == span.member_id))
        .where(span.cell_id == param("cell", Integer()), counted_on(span, param("day", Date())))
        .order_by(member.id)
    )


def _now() -> Any:
    """Today's members of the cell, with their accounts' state."""
    member = _MEMBER.c
    cell = param("cell", Integer())
    accounts = account_counts(select(member.id).where(member.cell_id == cell))
    any_account = accounts.c.accounts.is_not(None)
    return (
        select(
            member.full_name, member.status, member.admitted_on,
            ~any_account, and_(any_account, ~(func.coalesce(accounts.c.reachable, 0) > 0)),
        )
        .select_from(_MEMBER.outerjoin(accounts, accounts.c.member_id == member.id))
        .where(member.cell_id == cell, member.active)
        .order_by(member.id)
    )


def _names() -> Any:
    return select(_MEMBER.c.id, _MEMBER.c.full_name).where(among(_MEMBER.c.id, "ids")).order_by(_MEMBER.c.id)


_THEN, _NOW, _NAMES = Prepared(_then), Prepared(_now), Prepared(_names)


async def cell_names(session: AsyncSession, tally: Tally, period: Period, today: date) -> CellNames:
    """All of a cell's lists: those about the period from the members of the cell on its reference
    day, in the state they were in then; those about now (accounts, probation) from today's
    members; and the names behind the tally's warnings. A cell's rows, by index: short reads
    (storage/prepared.py), run on SQLite's loop thread."""
    review = period.review
    names = CellNames()
    for name, status, admitted_on, admitted, not_reported, not_rated in await _THEN.all(
            session, cell=tally.cell_id, day=reference_day(period, today), start=period.start, end=period.end,
            review=review.key, stage=tally.latest_stage or "", cutoff=review_cutoff(review.last_day)):
        if admitted:
            names.admitted.append(name)
        if not_reported:
            names.not_reported.append(name)
        if not_rated:
            names.not_rated.append(name)
        reason = not_reviewed_reason(status, as_date(admitted_on), review.last_day)
        if reason is not None:
            names.not_reviewed.append((name, reason))
    due_by = membership.latest_admission_due(today)
    for name, status, admitted_on, no_account, unreachable in await _NOW.all(session, cell=tally.cell_id):
        if no_account:
            names.no_account.append(name)
        if unreachable:
            names.unreachable.append(name)
        admitted = as_date(admitted_on)
        if status == Status.PROBATIONARY and admitted is not None and admitted <= due_by:
            names.due.append(Due(name, admitted))
    names.due.sort(key=lambda due: due.admitted_on)  # stable: roster order within a day
    names.long_absent = await _named(session, tally.long_absent)
    names.long_excused = await _named(session, tally.long_excused)
    return names


async def _named(session: AsyncSession, flagged: Mapping[int, T]) -> list[tuple[str, T]]:
    """The flagged members' names with what flagged them, in roster order."""
    if not flagged:
        return []
    return [(name, flagged[member_id]) for member_id, name in await _NAMES.all(session, ids=list(flagged))]
