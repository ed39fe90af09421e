"""/cuatoi: a member's own recent reports, ratings at every stage, and attendance when recorded.

`/cuatoi` shows the recent reports, every review's ratings and this year's attendance;
`/cuatoi năm 2026` or `/cuatoi quý 4/2026` one review period: its reports, its ratings, its
meetings. Only ever the asking member's own data, and only in a private chat.
"""

from __future__ import annotations

from datetime import date, datetime

from domain.periods import QUARTER, YEAR, Period, ReviewPeriod, period_label
from domain.review_window import ReviewCalendar, typed_key
from domain.vocabulary import STAGES, Presence, Stage
from handlers import review_periods, texts
from handlers.context import Audience, Ctx
from handlers.rating_text import STAGE_NAMES, level_text, self_line
from handlers.registry import Command
from storage import assessments, reports
from storage.member_record import attendance_counts
from storage.reports import KIND_NAMES

RECENT = 10
SNIPPET = 80


def _snippet(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SNIPPET else line[: SNIPPET - 1].rstrip() + "…"


def _stage_lines(stages: dict[str, assessments.Assessment]) -> list[str]:
    lines = []
    for stage in STAGES:
        found = stages.get(stage)
        if found is None:
            shown = "chưa có"
        elif stage == Stage.SELF:
            shown = self_line(found)
        else:
            shown = level_text(found.level)
        lines.append(f"- {STAGE_NAMES[stage].capitalize()}: {shown}")
    return lines


async def _attendance_line(ctx: Ctx, member_id: int, span: Period, label: str) -> str | None:
    start, end = (datetime.combine(day, datetime.min.time(), tzinfo=ctx.settings.tz) for day in (span.start, span.end))
    counts = await attendance_counts(ctx.session, member_id, start, end)
    if not counts:
        return None
    return (f"Sinh hoạt chi bộ {label}: có mặt {counts[Presence.PRESENT]}, "
            f"vắng có lý do {counts[Presence.EXCUSED]}, vắng không lý do {counts[Presence.ABSENT]}.")


async def mine(ctx: Ctx, args: str) -> None:
    if ctx.member_id is None:
        ctx.reply(texts.NOT_JOINED)
        return
    today = ctx.local_now.date()
    if ctx.account.cell_id is not None:
        chosen = await review_periods.choose(ctx, args, ctx.account.cell_id, "/cuatoi")
        calendar, explicit = chosen.calendar, chosen.review if chosen.typed else None
    else:  # not in a cell: nothing to review, the defaults only say when reviews open
        calendar, explicit = ReviewCalendar(), None
    if explicit is not None:
        await _one_period(ctx, ctx.member_id, explicit, calendar, today)
        return
    lines: list[str] = []
    recent = await reports.recent(ctx.session, ctx.member_id, RECENT)
    if recent:
        total = await reports.count_of(ctx.session, ctx.member_id, date(today.year, 1, 1))
        lines.append(f"Đồng chí có {total} báo cáo hoạt động năm {today.year}. Gần đây nhất:")
        for item in recent:
            photo = " (có ảnh)" if item.has_photo else ""
            lines.append(f"Số {item.number} · {item.done_on:%d/%m} · {KIND_NAMES[item.kind]}: "
                         f"{_snippet(item.text)}{photo}")
        lines.append("Gõ /xoabaocao <số> để xóa một báo cáo của tháng này.")
    else:
        lines.append("Đồng chí chưa có báo cáo hoạt động nào. Gõ /baocao để báo cáo.")

    lines.append("")
    ratings = await assessments.of_member(ctx.session, ctx.member_id)
    by_period: dict[str, dict[str, assessments.Assessment]] = {}
    for rating in ratings:
        by_period.setdefault(rating.period, {})[rating.stage] = rating
    current = calendar.default(today)
    if current.key not in by_period or Stage.SELF not in by_period[current.key]:
        if calendar.is_open(current, today):
            lines.append(f"Đồng chí chưa tự đánh giá {current.label}. Gõ /danhgia để tự đánh giá.")
        elif not by_period:
            upcoming = calendar.next_opening(today)
            lines.append(f"Đồng chí chưa tự đánh giá {upcoming.label}. Kỳ đánh giá {upcoming.label} mở "
                         f"{calendar.window(upcoming).text}; khi đó gõ /danhgia để tự đánh giá.")
    if by_period:
        lines.append("Đánh giá, xếp loại:")
        for period, stages in by_period.items():
            lines.append(f"{period_label(period).capitalize()}:")
            lines.extend(_stage_lines(stages))

    attended = await _attendance_line(ctx, ctx.member_id, Period(YEAR, today.year), f"năm {today.year}")
    if attended:
        lines.append("")
        lines.append(attended)
    ctx.reply("\n".join(lines))


async def _one_period(ctx: Ctx, member_id: int, review: ReviewPeriod, calendar: ReviewCalendar, today: date) -> None:
    """One review period: the reports of its months, its ratings at every stage, its meetings."""
    span = Period(QUARTER, review.year, review.quarter) if review.quarter else Period(YEAR, review.year)
    reported = (await reports.count_of(ctx.session, member_id, span.start)
                - await reports.count_of(ctx.session, member_id, span.end))
    lines = [f"{review.label.capitalize()} của đồng chí:", f"Báo cáo hoạt động: {reported}.",
             f"Đánh giá, xếp loại {review.label}:"]
    stages = await assessments.stages_of(ctx.session, member_id, review.key)
    lines.extend(_stage_lines(stages))
    if Stage.SELF not in stages and calendar.is_open(review, today):
        lines.append(f"Gõ /danhgia {typed_key(review)} để tự đánh giá.")
    attended = await _attendance_line(ctx, member_id, span, review.label)
    if attended:
        lines.append(attended)
    ctx.reply("\n".join(lines))


COMMANDS = [
    Command("cuatoi", "Xem báo cáo, tự đánh giá, xếp loại của tôi", mine, Audience.MEMBER, private=True,
            usage="/cuatoi [năm 2026 | quý 4/2026]",
            details="Mười báo cáo gần nhất của đồng chí, mỗi báo cáo với số riêng của mình (dùng cho "
                    "/xoabaocao), các lần tự đánh giá, chi bộ đề xuất và cấp ủy quyết định xếp loại, và số buổi "
                    "sinh hoạt chi bộ đã dự trong năm. Gõ kèm một kỳ (năm 2026, quý 4/2026) để xem riêng kỳ đó: số "
                    "báo cáo, xếp loại và buổi sinh hoạt của kỳ. Chỉ đồng chí xem được.\nVí dụ: /cuatoi năm 2026"),
]
