"""/cuatoi: a member's own recent reports, ratings at every stage, and attendance when recorded.

Only ever the asking member's own data, and only in a private chat.
"""

from __future__ import annotations

from datetime import date, datetime

from domain.periods import period_label
from domain.vocabulary import STAGES, Presence, Stage
from handlers import texts
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


async def mine(ctx: Ctx, args: str) -> None:
    if ctx.member_id is None:
        ctx.reply(texts.NOT_JOINED)
        return
    today = ctx.local_now.date()
    year_start = date(today.year, 1, 1)
    lines: list[str] = []

    recent = await reports.recent(ctx.session, ctx.member_id, RECENT)
    if recent:
        total = await reports.count_of(ctx.session, ctx.member_id, year_start)
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
    if ratings:
        lines.append("Đánh giá, xếp loại:")
        by_period: dict[str, dict[str, assessments.Assessment]] = {}
        for rating in ratings:
            by_period.setdefault(rating.period, {})[rating.stage] = rating
        for period, stages in by_period.items():
            lines.append(f"{period_label(period).capitalize()}:")
            for stage in STAGES:
                found = stages.get(stage)
                if found is None:
                    shown = "chưa có"
                elif stage == Stage.SELF:
                    shown = self_line(found)
                else:
                    shown = level_text(found.level)
                lines.append(f"- {STAGE_NAMES[stage].capitalize()}: {shown}")
    else:
        lines.append(f"Đồng chí chưa tự đánh giá năm {today.year}. Gõ /danhgia để tự đánh giá.")

    start = datetime(today.year, 1, 1, tzinfo=ctx.settings.tz)
    end = datetime(today.year + 1, 1, 1, tzinfo=ctx.settings.tz)
    counts = await attendance_counts(ctx.session, ctx.member_id, start, end)
    if counts:
        lines.append("")
        lines.append(f"Sinh hoạt chi bộ năm {today.year}: có mặt {counts[Presence.PRESENT]}, "
                     f"vắng có lý do {counts[Presence.EXCUSED]}, vắng không lý do {counts[Presence.ABSENT]}.")
    ctx.reply("\n".join(lines))


COMMANDS = [
    Command("cuatoi", "Xem báo cáo, tự đánh giá, xếp loại của tôi", mine, Audience.MEMBER, private=True,
            details="Mười báo cáo gần nhất của đồng chí, mỗi báo cáo với số riêng của mình (dùng cho "
                    "/xoabaocao), các lần tự đánh giá, chi bộ đề xuất và cấp ủy quyết định xếp loại, và số buổi "
                    "sinh hoạt chi bộ đã dự trong năm. Chỉ đồng chí xem được.\nVí dụ: /cuatoi"),
]
