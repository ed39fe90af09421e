"""A member's place and state over time, derived from dated events (domain.md, "People and their
states, over time"). Nothing about a member is overwritten in place: admission, recognition,
transfers, exemption, suspension and leaving are events, and who belonged to a cell, in which
state, on any day is computed from them. A December summary printed in March therefore does not
change because someone transferred in February.

Pure: the events come from `storage.membership`, which also keeps the member row's cached
current state (cell, status, active) by applying the same function to today.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from domain.vocabulary import Status


class EventKind(StrEnum):
    """What happened to a membership on a day."""

    LISTED = "listed"  # entered on the cell's roll as it stood (an import, data older than events)
    ADMITTED = "admitted"  # kết nạp: a probationary member of the cell from this day
    RECOGNISED = "recognised"  # công nhận đảng viên chính thức
    REVIEWED = "reviewed"  # chi bộ xét, đề nghị công nhận chính thức: a dated step, the standing unchanged
    TRANSFERRED = "transferred"  # chuyển sinh hoạt: to `cell_id` (None: out of the committee)
    EXEMPTED = "exempted"  # miễn công tác và sinh hoạt đảng, from `on` until `until` (or open)
    EXEMPTION_ENDED = "exemption_ended"
    SUSPENDED = "suspended"  # đình chỉ sinh hoạt
    RETURNED = "returned"  # back after a suspension, or from a temporary transfer
    DIED = "died"
    REMOVED = "removed"  # xóa tên
    EXPELLED = "expelled"  # khai trừ


LEAVING = (EventKind.DIED, EventKind.REMOVED, EventKind.EXPELLED)
# The day a member whose admission date is unknown was put on the roll: so that they count in
# every past period, as they did before membership had a history.
ROLL_FLOOR = date(1900, 1, 1)


@dataclass(frozen=True, slots=True)
class Event:
    """One dated event. `cell_id` is the cell it puts the member in (LISTED, ADMITTED, TRANSFERRED;
    None for a transfer out of the committee); `status` is the state LISTED records; `until` ends an
    exemption or a temporary transfer; `temporary` marks a temporary transfer (the member stays in
    the home cell's total and returns on `until` or with RETURNED)."""

    kind: EventKind
    on: date
    cell_id: int | None = None
    status: Status | None = None
    until: date | None = None
    temporary: bool = False


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a member stood on one day."""

    cell_id: int | None  # the cell whose total (đảng số) counts the member; None: not a member here
    status: Status  # official / probationary / exempt / suspended on that day
    active: bool  # still a member of the committee's cells (not transferred out, dead or removed)
    away: bool = False  # temporarily transferred out: in the home total, not expected at its meetings

    @property
    def expected(self) -> bool:
        """Expected at the cell's meetings and to report: active, not exempt, not away."""
        return self.active and not self.away and self.status != Status.EXEMPT


def standing_at(events: Iterable[Event], day: date) -> Standing | None:
    """The member's standing at the end of `day`, or None before the first event.

    Events apply in date order (a stable sort keeps the order given for one day). An exemption
    or a temporary transfer with an `until` day ends after that day by itself.
    """
    ordered = sorted(events, key=lambda event: event.on)
    cell: int | None = None
    base = Status.OFFICIAL  # official or probationary, whatever exemption or suspension lies on top
    exempt_until: date | None = None
    exempt = False
    suspended = False
    away_until: date | None = None
    away = False
    active = False
    started = False
    for event in ordered:
        if event.on > day:
            break
        started = True
        kind = event.kind
        if kind in (EventKind.LISTED, EventKind.ADMITTED):
            cell, active, away = event.cell_id, True, False
            if kind is EventKind.ADMITTED:
                base, exempt, suspended = Status.PROBATIONARY, False, False
            else:
                status = event.status or Status.OFFICIAL
                base = status if status in (Status.OFFICIAL, Status.PROBATIONARY) else base
                exempt, suspended = status == Status.EXEMPT, status == Status.SUSPENDED
                exempt_until = None
        elif kind is EventKind.RECOGNISED:
            base = Status.OFFICIAL
        elif kind is EventKind.TRANSFERRED:
            if event.temporary:
                away, away_until = True, event.until
            else:
                cell, away = event.cell_id, False
                active = event.cell_id is not None
        elif kind is EventKind.EXEMPTED:
            exempt, exempt_until = True, event.until
        elif kind is EventKind.EXEMPTION_ENDED:
            exempt, exempt_until = False, None
        elif kind is EventKind.SUSPENDED:
            suspended = True
        elif kind is EventKind.RETURNED:
            suspended = False
            away, away_until = False, None
        elif kind in LEAVING:
            active = False
    if not started:
        return None
    if exempt and exempt_until is not None and day > exempt_until:
        exempt = False  # "until 31/03" includes 31/03
    if away and away_until is not None and day > away_until:
        away = False
    status = Status.SUSPENDED if suspended else Status.EXEMPT if exempt else base
    return Standing(cell if active else None, status, active, away)


def in_cell_on(events: Sequence[Event], cell_id: int, day: date) -> Standing | None:
    """The standing on `day` if the member then counted in `cell_id`'s total, else None."""
    found = standing_at(events, day)
    return found if found is not None and found.cell_id == cell_id else None


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of days with one standing: from `start` up to (not including) `end` (None: open)."""

    start: date
    end: date | None
    standing: Standing


def spans(events: Sequence[Event]) -> list[Span]:
    """The member's history as consecutive spans of unchanged standing, for queries that ask
    "who counted in this cell, in which state, on that day" without replaying events in SQL."""
    points = sorted({event.on for event in events}
                    | {event.until + timedelta(days=1) for event in events if event.until is not None})
    found: list[Span] = []
    for index, point in enumerate(points):
        standing = standing_at(events, point)
        if standing is None:
            continue
        end = points[index + 1] if index + 1 < len(points) else None
        if found and found[-1].standing == standing and found[-1].end == point:
            found[-1] = Span(found[-1].start, end, standing)
        else:
            found.append(Span(point, end, standing))
    return found
