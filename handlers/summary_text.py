"""The words of a summary: tallies become sections of figures, figures become message lines.

A `Figure` keeps its numbers (part, whole) beside the words shown, so the workbook's summary
sheet writes the very figures the message shows. Every percentage goes through
`figures.fraction` ("24/26 = 92%", or "chưa có dữ liệu" when there is nothing to divide by).
Name lists are wrapped into lines of bounded length: a messenger splits long messages at line
boundaries, and no line of ours is ever long enough to be cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from domain import dues as dues_rules
from domain import figures, review
from domain.figures import share_text
from domain.meeting_rules import EXCUSED_RUN, QUALITY_SHARE
from domain.membership import admissions_needed
from domain.periods import Period
from domain.vocabulary import LEVELS, REPORT_KINDS, STAGES, Level, MeetingKind, Stage, Status
from handlers import rating_text
from handlers.rating_text import quota_text
from storage import unit_settings
from storage.dues_figures import CellDues
from storage.reports import KIND_NAMES
from storage.summary import MeetingTally, Tally
from storage.summary_names import CellNames

NAMES_LINE = 300  # characters of names per line: far below any platform's message limit
STAGE_NAMES: dict[str, str] = {stage: name[:1].upper() + name[1:] for stage, name in rating_text.STAGE_NAMES.items()}
MEETING_KINDS: dict[str, str] = {
    MeetingKind.REGULAR: "thường kỳ", MeetingKind.THEMATIC: "chuyên đề", MeetingKind.COMBINED: "thường kỳ và chuyên đề",
}
STATUS_NAMES: dict[str, str] = {
    Status.OFFICIAL: "chính thức", Status.PROBATIONARY: "dự bị", Status.EXEMPT: "miễn sinh hoạt",
    Status.SUSPENDED: "đình chỉ sinh hoạt",
}
REACHED = "đạt"
NO_ROLL_CALL = "chưa điểm danh (không tính vào tỷ lệ dự họp và cảnh báo)"
NOT_REACHED = "chưa đạt"


@dataclass(frozen=True, slots=True)
class Targets:
    """The unit's settings a summary measures against (domain.md: local targets are settings)."""

    good_or_better: Fraction
    admission: Fraction
    excellent_quota: Fraction

    @property
    def good_or_better_text(self) -> str:
        return share_text(self.good_or_better)


async def targets_for(session: AsyncSession, unit_id: int) -> Targets:
    good, admission, quota = await unit_settings.get_many(
        session, unit_id, ("good_or_better_target", "admission_target", "excellent_quota"))
    return Targets(figures.as_share(good), figures.as_share(admission), figures.as_share(quota))


@dataclass(frozen=True, slots=True)
class Figure:
    """One line of a summary: `- label: text`, its numbers, and the names it lists (if any)."""

    label: str
    text: str = ""
    part: int | None = None
    whole: int | None = None
    names: tuple[str, ...] = ()
    bullet: bool = True


@dataclass(slots=True)
class Section:
    title: str
    figures: list[Figure] = field(default_factory=list)

    def add(self, label: str, text: str = "", part: int | None = None, whole: int | None = None,
            names: tuple[str, ...] | list[str] = (), bullet: bool = True) -> None:
        self.figures.append(Figure(label, text, part, whole, tuple(names), bullet))

    def ratio(self, label: str, part: int, whole: int, after: str = "") -> None:
        self.add(label, figures.fraction(part, whole) + after, part, whole)


@dataclass(frozen=True, slots=True)
class Header:
    title: str  # "Tổng hợp Chi bộ khu phố 1 — tháng 11/2026"
    subtitle: str  # the committee, the cell count, the time of the figures


def header(unit_name: str, period: Period, context: str, now: datetime) -> Header:
    return Header(f"Tổng hợp {unit_name} — {period.label}", f"{context}; số liệu đến {now:%H:%M} ngày {now:%d/%m/%Y}.")


# -- the sections -----------------------------------------------------------------------------

def membership(t: Tally, admitted: list[str] | None) -> Section:
    section = Section("Đảng viên")
    parts = [f"{STATUS_NAMES[status]} {t.count(status)}" for status in Status
             if t.count(status) or status != Status.SUSPENDED]  # "đình chỉ" only when someone is
    section.add("Đảng số", f"{t.total} ({', '.join(parts)})", t.total)
    if admitted:
        section.add("Kết nạp trong kỳ", str(t.admitted_in_period), t.admitted_in_period, names=admitted)
    else:
        section.add("Kết nạp trong kỳ", str(t.admitted_in_period), t.admitted_in_period)
    return section


def meetings(t: Tally, *, each: bool, tz: Any) -> Section:
    section = Section("Sinh hoạt chi bộ")
    unrecorded = t.without_roll_call
    if each:
        held = sorted([*t.meetings, *unrecorded], key=lambda m: (m.starts_at, m.id))
        for meeting in held:
            if meeting.roll_call:
                section.add(_meeting_label(meeting, tz), _meeting_text(meeting), meeting.present, meeting.expected)
            else:
                section.add(_meeting_label(meeting, tz), NO_ROLL_CALL)
        if not held:
            section.add("Chưa có buổi sinh hoạt nào kết thúc trong kỳ")
    else:
        section.add("Số buổi đã họp", str(len(t.meetings) + len(unrecorded)), len(t.meetings) + len(unrecorded))
        if unrecorded:
            section.add("Buổi chưa điểm danh (không tính vào tỷ lệ)", f"{len(unrecorded)} buổi", len(unrecorded))
    section.ratio("Dự họp bình quân", t.present, t.expected)
    section.ratio(f"Buổi đạt chất lượng (dự họp trên {share_text(QUALITY_SHARE)}, không ai vắng không lý do)",
                  t.good_meetings, len(t.meetings))
    return section


def _meeting_label(meeting: MeetingTally, tz: Any) -> str:
    return f"{meeting.starts_at.astimezone(tz):%d/%m} {MEETING_KINDS.get(meeting.kind, meeting.kind)}"


def _meeting_text(meeting: MeetingTally) -> str:
    verdict = "đạt chất lượng" if meeting.good else "chưa đạt chất lượng"
    return (f"có mặt {figures.fraction(meeting.present, meeting.expected, QUALITY_SHARE)}; "
            f"vắng có lý do {meeting.excused}, "
            f"vắng không lý do {meeting.absent}; {verdict}")


def reports(t: Tally, not_reported: list[str] | None) -> Section:
    section = Section("Báo cáo hoạt động")
    section.add("Số báo cáo", str(t.report_count), t.report_count)
    for kind in [kind for kind in REPORT_KINDS if kind in t.reports] + sorted(set(t.reports) - set(REPORT_KINDS)):
        section.add(f"  + {KIND_NAMES.get(kind, kind)}", str(t.reports[kind]), t.reports[kind], bullet=False)
    section.ratio("Đảng viên đã báo cáo", t.reporters, t.expected_members)
    if not_reported:
        section.add("Chưa báo cáo", names=not_reported)
    return section


def ratings(t: Tally, targets: Targets, period: Period, names: CellNames | None, *, committee: bool,
            organisation: str) -> Section:
    """Ratings over the members *to be rated* (domain.review): the same denominator at every
    stage and for the target, so unrated members count against it and are named (for a cell)."""
    section = Section(f"Đánh giá, xếp loại chất lượng đảng viên {period.review_label}"
                      + (" (mỗi chi bộ tính ở bước mới nhất đã có)" if committee else ""))
    whole = t.to_be_rated
    section.add("Diện xếp loại", f"{whole} đảng viên", whole)
    if names is not None and names.not_reviewed:
        section.add("Không thuộc diện xếp loại kỳ này",
                    names=[f"{name} ({reason})" for name, reason in names.not_reviewed])
    elif t.not_reviewed:
        section.add("Không thuộc diện xếp loại kỳ này", f"{t.not_reviewed} đảng viên", t.not_reviewed)
    for stage in STAGES:
        levels = t.ratings.get(stage, {})
        rated = sum(levels.values())
        text = f"{figures.fraction(rated, whole)} ({levels_text(levels)})" if levels else figures.NO_DATA
        section.add(STAGE_NAMES[stage], text, rated, whole if levels else None)
    stage_note = "" if committee or t.latest_stage is None else f" (theo bước {STAGE_NAMES[t.latest_stage].lower()})"
    target = targets.good_or_better
    verdict = REACHED if review.target_reached(t.good_or_better, whole, target) else NOT_REACHED
    if whole:
        section.add(f"Hoàn thành tốt nhiệm vụ trở lên{stage_note}",
                    f"{figures.fraction(t.good_or_better, whole, target)}; chỉ tiêu trên "
                    f"{targets.good_or_better_text}: {verdict}", t.good_or_better, whole)
    else:
        section.add("Hoàn thành tốt nhiệm vụ trở lên", figures.NO_DATA, 0, 0)
    if whole and not t.latest_rated:
        section.add("Chưa có đảng viên nào được xếp loại kỳ này")
    elif names is not None and names.not_rated:
        label = "Chưa được xếp loại" + (f" ở bước {STAGE_NAMES[t.latest_stage].lower()}" if t.latest_stage else "")
        section.add(label, names=names.not_rated)
    elif names is None and whole - t.latest_rated > 0:
        section.add("Chưa được xếp loại", f"{whole - t.latest_rated} đảng viên", whole - t.latest_rated)
    # The quota is judged on the cell's proposals or the committee's decisions (never on
    # self-assessments), and only once that stage is complete; before, its figures are provisional.
    judged = Stage.FINAL if committee else t.latest_stage
    levels = t.ratings.get(judged, {}) if judged in (Stage.CELL_PROPOSED, Stage.FINAL) else {}
    if levels:
        quota = review.Quota(levels.get(Level.EXCELLENT, 0), levels.get(Level.GOOD, 0), targets.excellent_quota)
        missing = max(whole - sum(levels.values()), 0)
        section.add(f"Định mức xuất sắc (số liệu {organisation})", quota_text(quota, missing),
                    quota.excellent, quota.good)
    return section


def levels_text(levels: dict[str, int]) -> str:
    return ", ".join(f"{review.LEVEL_CODES[level]} {levels.get(level, 0)}" for level in LEVELS)


def warnings(t: Tally, names: CellNames | None, year: int, today: date, dues: CellDues | None = None) -> Section:
    """The removal warning counts both causes (Điều lệ Đảng, Điều 8), each with its months: meetings
    skipped without reason, and dues not paid (once the cell keeps its dues book in chibo)."""
    section = Section("Cảnh báo")
    absence = f"Vắng không lý do 3 tháng trong năm {year} (xem xét xóa tên)"
    unpaid = f"Không đóng đảng phí 3 tháng trong năm {year} (xem xét xóa tên)"
    dues = dues if dues is not None and dues.declared else None
    due = "Sắp đủ 12 tháng dự bị, cần xét công nhận chính thức"
    excused = f"Vắng có lý do quá {EXCUSED_RUN} lần liên tiếp trong năm {year}"
    if names is None:
        section.add(absence, f"{len(t.long_absent)} đảng viên", len(t.long_absent))
        if dues is not None:
            section.add(unpaid, f"{len(dues.overdue)} đảng viên", len(dues.overdue))
        section.add(excused, f"{len(t.long_excused)} đảng viên", len(t.long_excused))
        section.add(due, f"{t.due_recognition} đảng viên", t.due_recognition)
        section.add("Không nhắn được qua bot", f"{t.unreachable} đảng viên", t.unreachable)
        section.add("Chưa kết nối với bot", f"{t.no_account} đảng viên", t.no_account)
        return section
    if names.long_absent:
        section.add(absence, "; ".join(f"{name} (tháng {', '.join(map(str, months))})"
                                       for name, months in names.long_absent), len(names.long_absent))
    if dues is not None and dues.overdue:
        section.add(unpaid, "; ".join(f"{person.full_name} ({dues_rules.months_text(months)})"
                                      for person, months in dues.overdue), len(dues.overdue))
    if names.long_excused:
        section.add(excused, "; ".join(f"{name} ({run} lần)" for name, run in names.long_excused),
                    len(names.long_excused))
    if names.due:
        section.add(due, "; ".join(
            f"{d.name} ({'đã đủ' if d.ends_on <= today else 'đủ'} 12 tháng ngày {d.ends_on:%d/%m/%Y})"
            for d in names.due), len(names.due))
    if names.unreachable:
        section.add("Không nhắn được qua bot", names=names.unreachable)
    if names.no_account:
        section.add("Chưa kết nối với bot", names=names.no_account)
    if not section.figures:
        section.add("Không có cảnh báo")
    return section


def dues_section(d: CellDues, period: Period, share: Fraction, *, committee: bool) -> Section:
    """Đảng phí: collected against expected over the period's months, arrears (by name for a
    cell), and what goes to the committee."""
    section = Section(f"Đảng phí {period.label}")
    section.add("Đã thu / phải thu", f"{dues_rules.money(d.received)} / {dues_rules.money(d.expected)}",
                d.received, d.expected)
    if committee:
        section.add("Đảng viên nợ đọng", f"{len(d.arrears)} đảng viên, {dues_rules.money(d.arrears_total)}",
                    len(d.arrears))
    elif d.arrears:
        section.add("Nợ đọng", "; ".join(
            f"{person.full_name} ({dues_rules.months_text([s.month for s in states])}: "
            f"{dues_rules.money(sum(s.unpaid for s in states))})" for person, states in d.arrears), len(d.arrears))
    else:
        section.add("Nợ đọng", "không có", 0)
    section.add(f"Chi bộ giữ lại {share_text(share)}, nộp lên đảng ủy",
                f"{dues_rules.money(d.kept)}, {dues_rules.money(d.remitted)}", d.remitted)
    return section


def development(t: Tally, targets: Targets, year: int) -> Section:
    section = Section(f"Phát triển đảng viên năm {year}")
    target = share_text(targets.admission)
    if not t.members_at_year_start:
        section.add("Kết nạp", f"{t.admitted_in_year} người; {figures.NO_DATA} về đảng viên ngày 31/12/{year - 1} "
                    f"để tính chỉ tiêu {target}", t.admitted_in_year, 0)
        return section
    needed = admissions_needed(t.members_at_year_start, targets.admission)
    verdict = REACHED if t.admitted_in_year >= needed else NOT_REACHED
    section.ratio("Kết nạp", t.admitted_in_year, t.members_at_year_start,
                  f" số đảng viên ngày 31/12/{year - 1}; chỉ tiêu {target} (ít nhất {needed} người): {verdict}")
    return section


def cell_lines(cells: list[Tally], dues: Mapping[int, CellDues] | None = None,
               minutes: Mapping[int, int] | None = None) -> Section:
    """One line per cell, the weakest first: lowest attendance, then lowest reporting (no data first);
    with its dues (collected / expected, members in arrears) where the cell keeps its book in chibo,
    and, where the committee keeps minutes in chibo (`minutes`: cell -> meetings of the period with
    their minutes produced), how many of the period's ended meetings have them."""
    section = Section("Các chi bộ (yếu trước: dự họp thấp, rồi báo cáo thấp)")
    for number, cell in enumerate(weakest_first(cells), 1):
        attendance = figures.fraction(cell.present, cell.expected)
        reporting = figures.fraction(cell.reporters, cell.expected_members)
        paid = (dues or {}).get(cell.cell_id or 0)
        money = "" if paid is None or not paid.declared else (
            f"; đảng phí {dues_rules.money(paid.received)}/{dues_rules.money(paid.expected)}, "
            f"nợ đọng {len(paid.arrears)}")
        held = len(cell.meetings) + len(cell.without_roll_call)
        papers = "" if minutes is None or not held else f"; biên bản {minutes.get(cell.cell_id or 0, 0)}/{held} buổi"
        section.add(f"{number}. {cell.name}", f"{cell.total} đảng viên; dự họp {attendance}; báo cáo {reporting}"
                    + money + papers, bullet=False)
    return section


def weakest_first(cells: list[Tally]) -> list[Tally]:
    """Lowest attendance first, then lowest reporting, then by name; no data before any rate.

    The rates are compared as floats: their denominators are head counts (far below a million),
    so two different rates differ by more than a float's error and equal ones are equal floats;
    the order is the exact one, without a Fraction per comparison."""
    def key(cell: Tally) -> tuple[float, float, str]:
        attendance = cell.present / cell.expected if cell.expected else -1.0
        reporting = cell.reporters / cell.expected_members if cell.expected_members else -1.0
        return attendance, reporting, cell.name
    return sorted(cells, key=key)


# -- the message ------------------------------------------------------------------------------

def render(head: Header, sections: list[Section], footer: str = "") -> str:
    lines = [head.title, head.subtitle]
    for section in sections:
        lines += ["", section.title]
        for figure in section.figures:
            lines += figure_lines(figure)
    if footer:
        lines += ["", footer]
    return "\n".join(lines)


def figure_lines(figure: Figure) -> list[str]:
    start = "- " if figure.bullet else ""
    if not figure.names:
        return [f"{start}{figure.label}: {figure.text}" if figure.text else f"{start}{figure.label}"]
    return wrap_names(f"{start}{figure.label} ({len(figure.names)}): ", figure.names)


def wrap_names(first: str, names: tuple[str, ...] | list[str], width: int = NAMES_LINE) -> list[str]:
    """`first` then the names, comma-separated, in lines of at most about `width` characters."""
    lines: list[str] = []
    current = first
    for index, name in enumerate(names):
        piece = name + ("," if index < len(names) - 1 else "")
        if len(current) + len(piece) + 1 > width and current.strip() and current != first:
            lines.append(current.rstrip())
            current = "  "
        current += piece + " "
    lines.append(current.rstrip())
    return lines

