"""Per-unit settings (local targets are settings, not constants: domain.md).

Stored in `OrgUnit.settings` (JSON). A cell inherits its committee's value; the defaults
below apply when neither sets one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.dates import REPORT_CLOSE_DAY, parse_day_month
from domain.periods import ReviewPeriod
from domain.review_window import DEFAULT_CLOSES, DEFAULT_OPENS, ReviewCalendar, Window
from storage.tables import OrgUnit

DEFAULTS: dict[str, Any] = {
    "excellent_quota": 0.20,  # "xuất sắc" ≤ 20% of "hoàn thành tốt" (warned about, never enforced)
    "good_or_better_target": 0.90,  # share rated "hoàn thành tốt nhiệm vụ trở lên"
    "admission_target": 0.03,  # new members a year, as a share of members on 31/12 of last year
    "admission_youth_union_share": 0.70,  # of the year's new members, Youth Union members (đoàn viên)
    "admission_women_share": 0.40,  # of the year's new members, women
    "self_assessment_deadline": "10/12",  # dd/mm of the review year
    "reminder_plan": ["3n", "1n", "2g"],  # invitation, follow-up, last call
    # Review periods (domain.review_window): the yearly review of Y opens on this day of Y and closes
    # on the first closing day after it ("28/02": the end of February of Y+1).
    "review_opens": f"{DEFAULT_OPENS[0]:02d}/{DEFAULT_OPENS[1]:02d}",
    "review_closes": f"{DEFAULT_CLOSES[0]:02d}/{DEFAULT_CLOSES[1]:02d}",
    "quarterly_reviews": False,  # quarterly reviews too, when the committee turns them on
    "review_windows": {},  # period key -> [first, last] (ISO dates) set by the committee: reopened, or closed early
    "report_close_day": REPORT_CLOSE_DAY,  # last month's reports are taken until this day of the month
    "dues_minimum_wage": 5_310_000,  # đồng a month: the regional minimum wage dues of "others" follow (vùng I, 2026)
    "dues_cell_share": 0.30,  # the share of the dues collected that a cell keeps; the rest goes to the committee
    "dues_reminder_day": 0,  # the day of the month members with arrears are reminded (1–28); 0: off
}


async def get(session: AsyncSession, unit_id: int, key: str) -> Any:
    """The unit's value, else its committee's, else the default."""
    return (await get_many(session, unit_id, (key,)))[0]


async def get_many(session: AsyncSession, unit_id: int, keys: tuple[str, ...]) -> tuple[Any, ...]:
    """`get` of several keys in one walk up from the unit (each step a trip through the session)."""
    found: dict[str, Any] = {}
    unit = await session.get(OrgUnit, unit_id)
    while unit is not None and len(found) < len(keys):
        settings = unit.settings or {}
        found.update((key, settings[key]) for key in keys if key in settings and key not in found)
        unit = await session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
    return tuple(found[key] if key in found else DEFAULTS[key] for key in keys)


async def put(session: AsyncSession, unit_id: int, key: str, value: Any) -> None:
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise KeyError(unit_id)
    unit.settings = {**(unit.settings or {}), key: value}  # a new dict: JSON columns track assignment
    session.add(unit)


async def review_calendar(session: AsyncSession, unit_id: int) -> ReviewCalendar:
    """The unit's review settings as the domain reads them; a stored value that no longer parses
    falls back to the default rather than blocking every rating command."""
    opens = parse_day_month(str(await get(session, unit_id, "review_opens"))) or DEFAULT_OPENS
    closes = parse_day_month(str(await get(session, unit_id, "review_closes"))) or DEFAULT_CLOSES
    quarterly = bool(await get(session, unit_id, "quarterly_reviews"))
    windows: dict[str, Window] = {}
    for key, (first, last) in dict(await get(session, unit_id, "review_windows") or {}).items():
        windows[ReviewPeriod.from_key(key).key] = Window(date.fromisoformat(first), date.fromisoformat(last))
    return ReviewCalendar(opens, closes, quarterly, windows)


async def set_review_window(session: AsyncSession, unit_id: int, review: ReviewPeriod, window: Window) -> None:
    """Set one period's window by hand (reopened, opened early or closed early), keeping the others."""
    stored = dict(await get(session, unit_id, "review_windows") or {})
    stored[review.key] = [window.first.isoformat(), window.last.isoformat()]
    await put(session, unit_id, "review_windows", stored)


async def report_close_day(session: AsyncSession, unit_id: int) -> int:
    """The day of the month until which last month's reports are taken (0: none after the month ends)."""
    value = await get(session, unit_id, "report_close_day")
    try:
        return max(0, min(28, int(value)))
    except (TypeError, ValueError):
        return REPORT_CLOSE_DAY


DUES_REMINDER_DAY = "dues_reminder_day"
DUES_REMINDER_LAST_DAY = 28  # the latest day offered: every month has it, so no month is skipped


async def dues_reminder_day(session: AsyncSession, unit_id: int) -> int:
    """The day of the month members with arrears are reminded; 0 when off (also when the stored
    value no longer makes sense: a reminder nobody asked for is worse than none)."""
    try:
        day = int(await get(session, unit_id, DUES_REMINDER_DAY))
    except (TypeError, ValueError):
        return 0
    return day if 1 <= day <= DUES_REMINDER_LAST_DAY else 0
