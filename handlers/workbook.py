"""The Excel export: the summary's figures and the rows behind them, one sheet each.

Sheets: "Tổng hợp" (the very `Figure`s the message shows, with their numbers in columns),
"Các chi bộ" (a committee's export: one row per cell), "Đảng viên", "Báo cáo", "Điểm danh",
"Xếp loại", the year's dues book, "Phát triển đảng viên" (the candidates). Headers are Vietnamese;
dates are real dates shown dd/mm/yyyy. openpyxl's write-only
mode streams rows to disk, so a committee's year (hundreds of thousands of rows) never sits in
memory. Every text cell passes through `domain.spreadsheet.neutral_cell`: names, reasons and reports
are typed by members, and openpyxl writes a string starting with "=" as a live formula.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import development, dues, review
from domain.spreadsheet import neutral_cell
from domain.vocabulary import Presence, Stage, Status
from handlers.summary import Built
from handlers.summary_text import MEETING_KINDS, STAGE_NAMES, STATUS_NAMES, weakest_first
from storage import candidates as candidate_rows
from storage import dues as dues_book
from storage import dues_figures, export_rows
from storage.candidates import Candidate, progress_of
from storage.reports import KIND_NAMES

Progress = Callable[[int, int], None]  # (rows written, rows in all)

DATE_FORMAT = "DD/MM/YYYY"
PERCENT_FORMAT = "0.0%"  # one decimal, as in the chat: 11/13 is 84,6%, never a rounded 85%
ATTENDANCE_NAMES = {Presence.PRESENT: "Có mặt", Presence.EXCUSED: "Vắng có lý do", Presence.ABSENT: "Vắng không lý do"}
SUMMARY = "Tổng hợp"
CELLS = "Các chi bộ"
MEMBERS = "Đảng viên"
REPORTS = "Báo cáo"
ATTENDANCE = "Điểm danh"
RATINGS = "Xếp loại"
SUMMARY_HEADERS = ("Mục", "Chỉ tiêu", "Số", "Trên tổng", "Tỷ lệ", "Diễn giải")
CELL_HEADERS = ("STT", "Chi bộ", "Đảng số", "Chính thức", "Dự bị", "Miễn sinh hoạt", "Số buổi họp", "Có mặt",
                "Phải dự", "Tỷ lệ dự họp", "Đã báo cáo", "Phải báo cáo", "Tỷ lệ báo cáo", "Số báo cáo",
                "Hoàn thành tốt trở lên", "Đã xếp loại", "Bước xếp loại")
MEMBER_HEADERS = ("STT", "Chi bộ", "Họ và tên", "Tình trạng", "Ngày vào Đảng", "Ngày chính thức",
                  "Số báo cáo trong kỳ", "Có mặt", "Vắng có lý do", "Vắng không lý do", "Đã kết nối bot")
REPORT_HEADERS = ("STT", "Chi bộ", "Ngày", "Họ và tên", "Loại hoạt động", "Nội dung")
ATTENDANCE_HEADERS = ("STT", "Chi bộ", "Ngày họp", "Giờ", "Loại buổi", "Họ và tên", "Điểm danh", "Lý do")
RATING_HEADERS = ("STT", "Chi bộ", "Họ và tên", "Tình trạng", "Kỳ", STAGE_NAMES[Stage.SELF],
    STAGE_NAMES[Stage.CELL_PROPOSED],
                  STAGE_NAMES[Stage.FINAL])
DUES_HEADERS = ("STT", "Chi bộ", "Họ và tên")
CANDIDATES = "Phát triển đảng viên"
CANDIDATE_HEADERS = ("Số", "Chi bộ", "Họ và tên", "Giới tính", "Năm sinh", "Đoàn viên", "Bước hiện tại",
                     "Vào danh sách nguồn", "Giấy chứng nhận lớp", "Nộp đơn", "Người giới thiệu", "Tán thành",
                     "Đảng viên chính thức", "Chi bộ biểu quyết", "Quyết định kết nạp", "Hạn lễ kết nạp", "Lễ kết nạp")
DUES_TOTALS = ("Đã nộp", "Phải nộp", "Còn nợ")  # over the year's months to the period's last (or this) month
WIDTHS = {"STT": 6, "Chi bộ": 26, "Họ và tên": 26, "Nội dung": 60, "Mục": 34, "Chỉ tiêu": 48, "Diễn giải": 70}
_BOLD = Font(bold=True)


def sheet_names(*, committee: bool, dues_year: int | None = None, candidates: bool = False) -> list[str]:
    """The sheets of a workbook, in order (the dues book's only where a cell keeps it in chibo, the
    candidates' where the scope keeps any)."""
    return [SUMMARY, *([CELLS] if committee else []), MEMBERS, REPORTS, ATTENDANCE, RATINGS,
            *([dues_sheet_name(dues_year)] if dues_year else []), *([CANDIDATES] if candidates else [])]


async def keeps_candidates(session: AsyncSession, cell_ids: list[int]) -> bool:
    return bool(await candidate_rows.of_cells(session, cell_ids))


def dues_sheet_name(year: int) -> str:
    return f"Đảng phí {year}"


def dues_year(built: Built) -> int | None:
    """The year whose dues book the workbook carries: the period's, when any cell keeps one."""
    return built.period.year if any(cell.declared for cell in built.dues.values()) else None


class _Sheet:
    """A write-only sheet with a bold header row, column widths and typed cells; text is never a formula."""

    def __init__(self, book: Workbook, title: str, headers: Sequence[str]) -> None:
        self.sheet = book.create_sheet(title)
        for index, header in enumerate(headers):
            letter = get_column_letter(index + 1)
            self.sheet.column_dimensions[letter].width = WIDTHS.get(header, max(12, len(header) + 2))
        self.sheet.freeze_panes = "A2"
        self.append(headers, bold=True)

    def append(self, values: Sequence[Any], *, bold: bool = False, percent_at: Sequence[int] = ()) -> None:
        cells = []
        for index, value in enumerate(values):
            if isinstance(value, str):
                value = neutral_cell(value)  # every string, not just the typed ones: one rule, no list to forget
            if isinstance(value, date) or bold or index in percent_at:
                cell = WriteOnlyCell(self.sheet, value)
                if isinstance(value, date):
                    cell.number_format = DATE_FORMAT
                if index in percent_at:
                    cell.number_format = PERCENT_FORMAT
                if bold:
                    cell.font = _BOLD
                cells.append(cell)
            else:
                cells.append(value)
        self.sheet.append(cells)


def ratio(part: int | None, whole: int | None) -> float | None:
    """The exact share for a percent-formatted cell; empty where there is nothing to divide by."""
    return part / whole if part is not None and whole else None


async def write(session: AsyncSession, built: Built, path: Path, tz: ZoneInfo,
                progress: Progress | None = None, counts: dict[str, int] | None = None) -> Path:
    """Write the workbook of a built summary to `path` (rows read from the database as they go).
    `counts` (from `export_rows.row_counts`) sizes the progress; counted here when not given."""
    ids = [cell.cell_id for cell in built.cells if cell.cell_id is not None]
    counts = counts or await export_rows.row_counts(session, ids, built.period, tz)
    total = sum(counts.values())
    done = 0

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        if progress is not None:
            progress(done, total)

    book = Workbook(write_only=True)
    _summary_sheet(book, built)
    if built.scope.is_committee:
        _cells_sheet(book, built)
    period = built.period
    review = period.review_label

    async def fill(title: str, headers: Sequence[str], query: Any, values: Callable[[Any], tuple[Any, ...]]) -> None:
        sheet = _Sheet(book, title, headers)
        number = 0
        async for rows in export_rows.stream(session, query):
            for row in rows:
                number += 1
                sheet.append((number, *values(row)))
            advance(len(rows))
            await asyncio.sleep(0)  # let other messages through between partitions

    await fill(MEMBERS, MEMBER_HEADERS, export_rows.members(ids, period, tz), lambda row: (
        row.cell, row.full_name, _status(row.status), row.admitted_on, row.official_on, row.reports, row.present,
        row.excused, row.absent, "Có" if row.linked else "Chưa"))
    await fill(REPORTS, REPORT_HEADERS, export_rows.reports(ids, period), lambda row: (
        row.cell, row.done_on, row.full_name, KIND_NAMES.get(row.kind, row.kind), row.text))
    await fill(ATTENDANCE, ATTENDANCE_HEADERS, export_rows.attendance(ids, period, tz), lambda row: (
        row.cell, row.starts_at.astimezone(tz).date(), f"{row.starts_at.astimezone(tz):%H:%M}",
        _capital(MEETING_KINDS.get(row.kind, row.kind)), row.full_name,
        ATTENDANCE_NAMES.get(row.status, "Chưa điểm danh"), row.reason or ""))
    await fill(RATINGS, RATING_HEADERS, export_rows.ratings(ids, period), lambda row: (
        row.cell, row.full_name, _status(row.status), review,
        *(_level(level) for level in (row.self, row.cell_proposed, row.final))))
    year = dues_year(built)
    if year is not None:
        await _dues_sheet(session, book, built, ids, year)
    found = await candidate_rows.of_cells(session, ids)
    if found:
        _candidates_sheet(book, built, found)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


async def _dues_sheet(session: AsyncSession, book: Workbook, built: Built, ids: list[int], year: int) -> None:
    """The dues book as secretaries keep it by hand: a row per member, a column per month of the
    year with what was paid into it (money fills the oldest unpaid month first), then the totals
    paid, owed and left; "miễn" in an exempt month; a last row adds up every column."""
    last, day = built.dues_through
    months = dues.months_between(date(year, 1, 1), date(year, 12, 1))
    sheet = _Sheet(book, dues_sheet_name(year), (*DUES_HEADERS, *(f"T{m.month}" for m in months), *DUES_TOTALS))
    members = await dues_figures.members_of(session, ids)
    names = {cell.cell_id: cell.name for cell in built.cells if cell.cell_id is not None}
    people = [(cell_id, person) for cell_id in ids for person in members.get(cell_id, [])]
    known = await dues_book.book(session, [person.member_id for _cell, person in people], built.scope.unit.id or 0,
                                 date(year, 12, 1), day)
    sums = [0] * (len(months) + 3)
    for number, (cell_id, person) in enumerate(people, 1):
        allocation = known.allocations[person.member_id]
        cells: list[Any] = []
        for index, month in enumerate(months):
            state = allocation.state(month)
            value: Any = None if state is None or month > last else ("miễn" if state.exempt else state.paid)
            if isinstance(value, int):
                sums[index] += value
            cells.append(value)
        in_year = [state for state in allocation.months if state.month.year == year]
        owed = sum(state.owed for state in in_year if state.month <= last)
        paid = sum(state.paid for state in in_year if state.month <= last)
        totals = (paid, owed, owed - paid)
        for index, value in enumerate(totals):
            sums[len(months) + index] += value
        sheet.append((number, names.get(cell_id, ""), person.full_name, *cells, *totals))
    sheet.append(("", "Cộng", "", *sums), bold=True)


def _candidates_sheet(book: Workbook, built: Built, found: list[Candidate]) -> None:
    """Every candidate of the scope's cells (admitted ones too), each step's date as recorded."""
    sheet = _Sheet(book, CANDIDATES, CANDIDATE_HEADERS)
    names = {cell.cell_id: cell.name for cell in built.cells}
    for candidate in found:
        progress = progress_of(candidate)
        due = development.ceremony_due(candidate.decided_on) if candidate.decided_on else None
        sheet.append((candidate.number, names.get(candidate.cell_id, ""), candidate.full_name,
                      "Nữ" if candidate.gender == "nu" else "Nam", candidate.birth_year,
                      "Có" if candidate.youth_union else "Không", _capital(development.STAGE_NAMES[progress.stage]),
                      candidate.listed_on, candidate.class_on, candidate.application_on, candidate.introducers or "",
                      candidate.votes_for, candidate.votes_of, candidate.voted_on, candidate.decided_on, due,
                      candidate.admitted_on))


def _level(level: str | None) -> str | None:
    return review.LEVEL_NAMES.get(level, level) if level else None


def _status(status: str) -> str:
    return _capital(STATUS_NAMES.get(status, status))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _summary_sheet(book: Workbook, built: Built) -> None:
    sheet = _Sheet(book, SUMMARY, SUMMARY_HEADERS)
    sheet.append((built.header.title, "", None, None, None, built.header.subtitle), bold=True)
    for section in built.sections:
        for figure in section.figures:
            label = figure.label.strip().removeprefix("+ ").removeprefix("- ")
            text = ", ".join(figure.names) if figure.names else figure.text
            part = len(figure.names) if figure.names and figure.part is None else figure.part
            sheet.append((section.title, label, part, figure.whole, ratio(part, figure.whole), text), percent_at=(4,))


def _cells_sheet(book: Workbook, built: Built) -> None:
    sheet = _Sheet(book, CELLS, CELL_HEADERS)
    for number, cell in enumerate(weakest_first(built.cells), 1):
        stage = STAGE_NAMES.get(cell.latest_stage or "", "")
        sheet.append((
            number, cell.name, cell.total, cell.count(Status.OFFICIAL), cell.count(Status.PROBATIONARY),
                cell.count(Status.EXEMPT),
            len(cell.meetings), cell.present, cell.expected, ratio(cell.present, cell.expected),
            cell.reporters, cell.expected_members, ratio(cell.reporters, cell.expected_members), cell.report_count,
            cell.good_or_better, cell.latest_rated, stage,
        ), percent_at=(9, 12))
