"""/dubi: probationary members (đảng viên dự bị), their 12 months and what is due; a committee member
records the recognition as official (công nhận đảng viên chính thức), an event in the member's history.

Official membership counts from the end of the 12 months even when the decision comes later
(domain.md): the decision's date is kept, the event is dated at the 12-month mark.
"""

from __future__ import annotations

from datetime import date

from domain import dates
from domain.errors import UserError
from domain.membership import probation_end
from domain.text import fold
from handlers import candidates_text as text
from handlers.context import Audience, Ctx
from handlers.development_scope import Scope, scope_of
from handlers.registry import Command
from storage import candidates, roster
from storage.roster import Entry
from storage.tables import Member

HELP = "Gõ /dubi để xem đảng viên dự bị; cấp ủy viên ghi công nhận chính thức: /dubi <số|tên> congnhan <dd/mm/yyyy>."


def _today(ctx: Ctx) -> date:
    return ctx.local_now.date()


async def _members(ctx: Ctx, scope: Scope) -> list[Member]:
    return await candidates.probationary(ctx.session, sorted(scope.cells))


async def probation(ctx: Ctx, args: str) -> None:
    scope = await scope_of(ctx)
    members = await _members(ctx, scope)
    words = args.split()
    if not words:
        await _show(ctx, scope, members)
        return
    folded = [fold(word) for word in words]
    for i in range(len(words) - 1, 0, -1):  # «công nhận» typed as two words is one
        if folded[i] == "nhan" and folded[i - 1] == "cong":
            words[i - 1:i + 1] = ["congnhan"]
            break
    index = next((i for i, word in enumerate(words) if i and fold(word) == "congnhan"), None)
    if index is None:
        raise UserError(f"Không hiểu «{args.strip()[:40]}». {HELP}")
    entries = [Entry(number, member.id or 0, member.cell_id or 0, member.full_name, member.name_key, member.status)
               for number, member in enumerate(members, 1)]
    found = roster.find(entries, " ".join(words[:index]))
    if len(found) != 1:
        what = "khớp nhiều người, gõ đủ họ tên" if found else "không có trong danh sách đảng viên dự bị"
        raise UserError(f"«{' '.join(words[:index])[:40]}» {what}. {HELP}")
    member = next(m for m in members if m.id == found[0].member_id)
    if not scope.decides_for(member.cell_id or 0):
        raise UserError("Công nhận đảng viên chính thức do cấp ủy viên đảng bộ ghi.")
    rest = words[index + 1:]
    if len(rest) != 1 or not dates.looks_like_date(rest[0]):
        raise UserError(f"Thiếu ngày quyết định công nhận (dd/mm/yyyy). {HELP}")
    today = _today(ctx)
    decided = dates.parse_date(rest[0], today, dates.Direction.PAST)
    if decided > today:
        raise UserError(f"Ngày {decided:%d/%m/%Y} chưa tới: chỉ ghi quyết định đã có (đến hôm nay {today:%d/%m/%Y}).")
    assert member.admitted_on is not None
    end = probation_end(member.admitted_on)
    if decided < end:
        raise UserError(f"{member.full_name} kết nạp ngày {member.admitted_on:%d/%m/%Y}, đủ 12 tháng dự bị ngày "
                        f"{end:%d/%m/%Y}: chỉ công nhận chính thức từ ngày đó.")
    official = await candidates.recognise(ctx.session, member, decided, today=today, by=ctx.member_id, now=ctx.now)
    ctx.reply(f"Đã ghi: {member.full_name} được công nhận đảng viên chính thức (quyết định ngày {decided:%d/%m/%Y}); "
              f"tuổi đảng tính từ ngày kết nạp {member.admitted_on:%d/%m/%Y}, chính thức từ ngày {official:%d/%m/%Y}.")


async def _show(ctx: Ctx, scope: Scope, members: list[Member]) -> None:
    today = _today(ctx)
    if not members:
        ctx.reply("Chưa có đảng viên dự bị nào. " + HELP)
        return
    helper_of = await candidates.helpers(ctx.session, [m.id or 0 for m in members])
    names = {ref.cell_id: ref.name for ref in scope.cells.values()}
    several = len({m.cell_id for m in members}) > 1 or bool(scope.committees)
    lines = [f"Đảng viên dự bị ({len(members)}), ngày {today:%d/%m/%Y}:"]
    for number, member in enumerate(members, 1):
        helper = await ctx.session.get(Member, helper_of[member.id]) if member.id in helper_of else None
        cell_name = names.get(member.cell_id or 0) if several else None
        lines += text.probation_line(number, member, today, cell_name=cell_name,
                                     helper=helper.full_name if helper else None)
    lines.append(HELP)
    ctx.reply("\n".join(lines))


COMMANDS = [
    Command("dubi", "Đảng viên dự bị: 12 tháng dự bị, hạn xét và công nhận chính thức", probation,
            Audience.LEADER_OR_COMMITTEE, private=True, usage="/dubi [<số|tên> congnhan <dd/mm/yyyy>]",
            details=("Không kèm gì: đảng viên dự bị, ngày kết nạp, ngày đủ 12 tháng, hạn chi bộ xét (30 ngày làm việc "
                     "sau 12 tháng; bỏ thứ Bảy, Chủ nhật, ngày lễ, Tết), người giúp đỡ.\nCấp ủy viên ghi quyết định "
                     "công nhận chính thức: /dubi <số|tên> congnhan <dd/mm/yyyy>; đảng viên tính là chính thức từ ngày "
                     "đủ 12 tháng.\nVí dụ: /dubi 1 congnhan 20/04/2027")),
]
