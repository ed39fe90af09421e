"""The words of cell work (domain.md, "Words in code") as `StrEnum`s: one home for each value.

Each member compares equal to its string, so rows written before these enums existed read the same.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A member's state in their cell (chính thức, dự bị, miễn sinh hoạt, đình chỉ)."""

    OFFICIAL = "official"
    PROBATIONARY = "probationary"
    EXEMPT = "exempt"
    SUSPENDED = "suspended"


class Position(StrEnum):
    """A position held in a unit (bí thư, phó bí thư, chi ủy viên, cấp ủy viên đảng bộ, thủ quỹ).

    A cell's treasurer (thủ quỹ) keeps its dues book and nothing else: not a leader (LEADER_ROLES)."""

    SECRETARY = "secretary"
    DEPUTY = "deputy"
    CELL_COMMITTEE = "cell_committee"
    COMMITTEE_MEMBER = "committee_member"
    TREASURER = "treasurer"


LEADER_ROLES = (Position.SECRETARY, Position.DEPUTY, Position.CELL_COMMITTEE)


class UnitKind(StrEnum):
    COMMITTEE = "committee"
    CELL = "cell"


class Level(StrEnum):
    """Quality levels (Quy định 366-QĐ/TW), best first in declaration order."""

    EXCELLENT = "excellent"
    GOOD = "good"
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"


LEVELS = tuple(Level)


class Stage(StrEnum):
    """Stages of a review: the member's self-assessment, the cell's proposal, the committee's decision."""

    SELF = "self"
    CELL_PROPOSED = "cell_proposed"
    FINAL = "final"


STAGES = tuple(Stage)
LATEST_FIRST = (Stage.FINAL, Stage.CELL_PROPOSED, Stage.SELF)


class MeetingKind(StrEnum):
    REGULAR = "regular"
    THEMATIC = "thematic"
    COMBINED = "combined"  # regular and thematic in one sitting (120 minutes)


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    ENDED = "ended"


class Presence(StrEnum):
    """A roll call's entry for one member (có mặt / vắng có lý do / vắng không lý do)."""

    PRESENT = "present"
    EXCUSED = "excused"
    ABSENT = "absent"


class Answer(StrEnum):
    """An answer to a meeting invitation: "Tham dự" or "Xin vắng"."""

    YES = "yes"
    EXCUSED = "excused"


class ReportKind(StrEnum):
    STUDY = "study"
    ASSIGNED = "assigned"
    RESIDENCE = "residence"
    MASS_HELP = "mass_help"
    OTHER = "other"


REPORT_KINDS = tuple(ReportKind)


def executive_name(committee_name: str) -> str:
    """The executive of a grassroots committee, as domain.md words it: "Đảng bộ phường Bến Thành"
    has the "Đảng ủy phường Bến Thành" (so "Bí thư Đảng ủy phường…", never "bí thư Đảng bộ")."""
    for prefix in ("Đảng bộ ", "đảng bộ "):
        if committee_name.startswith(prefix):
            return "Đảng ủy " + committee_name[len(prefix):]
    return f"Đảng ủy {committee_name}"
