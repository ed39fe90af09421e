"""/tonghop: instant tallies of a cell, or of a committee with one line per cell, and a chart.

`/tonghop` shows the current month; `/tonghop tháng 11/2026`, `/tonghop quý 4/2026`,
`/tonghop năm 2026` other periods; a committee member adds a cell's name to open one cell
(`/tonghop năm 2026 Chi bộ khu phố 1`, or with the period last). The figures come from `storage.summary` (grouped SQL),
the words from `handlers.summary_text`; the export (/xuat) builds on the same `Built`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from domain import dues, periods, review
from domain.periods import Period, PeriodError
from domain.vocabulary import LEVELS, STAGES
from handlers import chart, development_summary, summary_text
from handlers.context import Audience, Ctx
from handlers.registry import Command
from handlers.summary_scope import Scope, ScopeError, resolve
from handlers.summary_text import STAGE_NAMES, Header, Section, Targets
from storage import dues as dues_book
from storage import dues_figures
from storage import minutes as minutes_book
from storage.db import short_reads
from storage.development_figures import development_figures
from storage.dues_figures import CellDues, cell_dues
from storage.summary import Tally, chart_window, combine, tallies
from storage.summary_names import CellNames, cell_names
from storage.types import id_of

USAGE = "/tonghop [tên chi bộ] [tháng 11/2026 | quý 4/2026 | năm 2026]"


@dataclass(slots=True)
class Built:
    """Everything one summary shows, kept together so that the message, the chart and the
    workbook cannot disagree."""

    scope: Scope
    period: Period
    header: Header
    sections: list[Section]
    footer: str
    total: Tally
    cells: list[Tally]
    names: CellNames | None
    targets: Targets
    chart: chart.ChartData
    dues: dict[int, CellDues] = field(default_factory=dict)  # cell -> its dues over the period's months
    dues_through: tuple[date, date] = (date.min, date.min)  # the dues' last month and the day they are read on

    @property
    def text(self) -> str:
        return summary_text.render(self.header, self.sections, self.footer)


async def build(session: AsyncSession, scope: Scope, period: Period, now: datetime, tz: ZoneInfo,
                command: str = "tonghop") -> Built:
    """The summary of a scope for a period, as of `now` (an aware local time).

    One cell's reads are all short (its rows, by index): on SQLite they run on the loop's thread
    (`short_reads`). A committee's are not, and run side by side (storage/summary.py)."""
    if scope.is_committee:
        return await _build(session, scope, period, now, tz, command)
    with short_reads():
        return await _build(session, scope, period, now, tz, command)


async def _build(session: AsyncSession, scope: Scope, period: Period, now: datetime, tz: ZoneInfo,
                 command: str) -> Built:
    today = now.date()
    cells = await tallies(session, [(id_of(cell), cell.name) for cell in scope.cells], period, today, tz)
    targets = await summary_text.targets_for(session, id_of(scope.unit))
    year = period.year
    last_month = dues.month_of(min(period.end - timedelta(days=1), today))
    paid = await cell_dues(session, [id_of(cell) for cell in scope.cells], id_of(scope.unit), period.start,
                           last_month, today, books_only=True)
    paid_total = dues_figures.combine(list(paid.values()))
    share = await dues_book.cell_share(session, id_of(scope.unit))
    pipeline = await development_figures(session, id_of(scope.unit), [(id_of(c), c.name) for c in scope.cells],
                                         period, today)
    footer = ""
    if scope.is_committee:
        total = combine(scope.unit.name, cells)
        names = None
        head = summary_text.header(scope.unit.name, period, f"{len(cells)} chi bộ", now)
        meetings = summary_text.meetings(total, each=False, tz=tz)
        idle = [cell.name for cell in cells if not cell.meetings and not cell.without_roll_call]
        if idle:
            meetings.add("Chi bộ chưa có buổi sinh hoạt nào kết thúc trong kỳ", names=idle)
        sections = [
            summary_text.membership(total, None), meetings, summary_text.reports(total, None),
            summary_text.ratings(total, targets, period, None, committee=True,
                                 organisation=f"quyết định của {scope.unit.name}, {len(cells)} chi bộ"),
            summary_text.warnings(total, None, year, today, paid_total),
            development_summary.section(total, targets, year, pipeline, committee=True),
            summary_text.cell_lines(cells, paid, await minutes_of(session, scope, cells, tz)),
        ]
        if cells:
            example = summary_text.weakest_first(cells)[0].name
            footer = f"Gõ /{command} <tên chi bộ> để xem chi tiết một chi bộ, ví dụ: /{command} {example}."
    else:
        total = cells[0]
        names = await cell_names(session, total, period, today)
        context = scope.committee.name if scope.committee else "Chi bộ"
        head = summary_text.header(scope.unit.name, period, context, now)
        sections = [
            summary_text.membership(total, names.admitted), summary_text.meetings(total, each=True, tz=tz),
            summary_text.reports(total, names.not_reported),
            summary_text.ratings(total, targets, period, names, committee=False,
                                 organisation=f"{STAGE_NAMES[total.latest_stage].lower()} của {scope.unit.name}"
                                 if total.latest_stage else scope.unit.name),
            summary_text.warnings(total, names, year, today, paid_total),
            development_summary.section(total, targets, year, pipeline, committee=False),
        ]
    if paid_total.declared:  # a cell that keeps no dues book in chibo shows no dues at all
        sections.insert(-3 if scope.is_committee else -2,  # before the warnings
                        summary_text.dues_section(paid_total, period, share, committee=scope.is_committee))
    return Built(scope, period, head, sections, footer, total, cells, names, targets,
                 chart_data(scope.unit.name, total, period, today), paid,
                 (last_month, dues_figures.reference_day(last_month, today)))


async def minutes_of(session: AsyncSession, scope: Scope, cells: list[Tally], tz: ZoneInfo) -> dict[int, int] | None:
    """Per cell, the period's ended meetings whose minutes were produced; None when none of the
    committee's cells ever produced minutes in chibo (it keeps them elsewhere: no mark at all)."""
    if not await minutes_book.finished_months(session, [id_of(cell) for cell in scope.cells], tz):
        return None
    held = {m.id: m.cell_id for cell in cells for m in [*cell.meetings, *cell.without_roll_call]}
    counts: dict[int, int] = {}
    for meeting_id in await minutes_book.finished_of(session, list(held)):
        counts[held[meeting_id]] = counts.get(held[meeting_id], 0) + 1
    return counts


def chart_data(name: str, total: Tally, period: Period, today: date) -> chart.ChartData:
    months = chart_window(period, today)
    return chart.ChartData(
        title=f"{name} — {period.label}",
        months=tuple((f"T{m.month}/{m.year}", *total.months.get(m, (0, 0))) for m in months),
        ratings_title=f"Xếp loại chất lượng đảng viên {period.review_label}",
        levels=tuple(review.LEVEL_CODES[level] for level in LEVELS),
        stages=tuple((STAGE_NAMES[stage], tuple(total.ratings.get(stage, {}).get(level, 0) for level in LEVELS))
                     for stage in STAGES),
    )


async def parse_request(ctx: Ctx, args: str, command: str) -> tuple[Period, list[Scope]] | None:
    """The period and scopes asked for, or None after answering what to type instead. The period
    may come right after the command word ("/tonghop năm 2026 Chi bộ khu phố 1") or last."""
    period_text, name = periods.split_leading(args)
    if not period_text:
        name, period_text = periods.split(args)
    try:
        period = periods.parse(period_text, ctx.local_now.date())
    except PeriodError as error:
        ctx.reply(f"{error} Gõ ví dụ: /{command} tháng 11/2026, /{command} quý 4/2026 hoặc /{command} năm 2026.")
        return None
    try:
        with short_reads():  # the person's roles and units, by index
            scopes = await resolve(ctx, name, command, period)
    except ScopeError as error:
        ctx.reply(error.text, error.choices)
        return None
    return period, scopes


async def show(ctx: Ctx, args: str) -> None:
    """`/tonghop [tên chi bộ] [kỳ]`."""
    request = await parse_request(ctx, args, "tonghop")
    if request is None:
        return
    period, scopes = request
    for scope in scopes:
        built = await build(ctx.session, scope, period, ctx.local_now, ctx.settings.tz)
        ctx.reply(built.text)
        path = chart.drawn(built.chart, ctx.settings.files_dir) or await asyncio.to_thread(
            chart.draw, built.chart, ctx.settings.files_dir)
        caption = (f"Biểu đồ {scope.unit.name}, {period.label}: tỷ lệ dự họp 12 tháng gần nhất "
                   f"và xếp loại chất lượng đảng viên {period.review_label}.")
        if ctx.caps.files_as_paths:
            caption += f"\nẢnh đã lưu tại: {path}"
        ctx.reply(caption, photo=path)


COMMANDS = [
    Command("tonghop", "Tổng hợp số liệu chi bộ, đảng bộ theo tháng, quý, năm", show, Audience.LEADER_OR_COMMITTEE,
            private=True, usage=USAGE,
            details="Số liệu tháng này; kỳ khác: /tonghop tháng 11/2026, /tonghop quý 4/2026, /tonghop năm 2026 "
                    "(có dấu hay không đều được). Cấp ủy viên thêm tên chi bộ: /tonghop khu phố 1 năm 2026. "
                    "Buổi họp chưa điểm danh không tính vào tỷ lệ; xếp loại tính trên số đảng viên "
                    "thuộc diện xếp loại."),
]
