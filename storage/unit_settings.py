"""Per-unit settings (local targets are settings, not constants: domain.md).

Stored in `OrgUnit.settings` (JSON). A cell inherits its committee's value; the defaults
below apply when neither sets one.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import OrgUnit

DEFAULTS: dict[str, Any] = {
    "excellent_quota": 0.20,  # "xuất sắc" ≤ 20% of "hoàn thành tốt" (warned about, never enforced)
    "good_or_better_target": 0.90,  # share rated "hoàn thành tốt nhiệm vụ trở lên"
    "admission_target": 0.03,  # new members a year, as a share of members on 31/12 of last year
    "self_assessment_deadline": "10/12",  # dd/mm of the review year
    "reminder_plan": ["3n", "1n", "2g"],  # invitation, follow-up, last call
}


async def get(session: AsyncSession, unit_id: int, key: str) -> Any:
    """The unit's value, else its committee's, else the default."""
    unit = await session.get(OrgUnit, unit_id)
    while unit is not None:
        if key in (unit.settings or {}):
            return unit.settings[key]
        unit = await session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
    return DEFAULTS[key]


async def put(session: AsyncSession, unit_id: int, key: str, value: Any) -> None:
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise KeyError(unit_id)
    unit.settings = {**(unit.settings or {}), key: value}  # a new dict: JSON columns track assignment
    session.add(unit)
