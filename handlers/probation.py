"""/dubi: probationary members (đảng viên dự bị), their 12 months and what is due; a committee member
records the recognition as official (công nhận đảng viên chính thức), an event in the member's history.

Official membership counts from the end of the 12 months even when the decision comes later
(domain.md): the decision's date is kept, the event is dated at the 12-month mark.
"""

from __future__ import annotations

from datetime import date

from domain import dates
from domain import development as dev
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

HELP = ("Gõ /dubi để xem đảng viên dự bị; chi bộ xét sau 12 tháng: /dubi <số|tên> danhgia <dd/mm/yyyy>; cấp ủy viên "
        "ghi công nhận chính thức: /dubi <số|tên> congnhan <dd/mm/yyyy>, hoặc xóa tên khỏi danh sách đảng viên dự bị: "
        "/dubi <số|tên> chamdut <dd/mm/yyyy>.")


def _today(ctx: Ctx) -> date:
    return ctx.local_now.date()


async def _members(ctx: Ctx, scope: Scope) -> list[Member]:
    return await candidates.probationary(ctx.session, sorted(scope.cells))


ACTIONS = {"congnhan": "recognise", "danhgia": "review", "xet": "review", "chamdut": "end", "xoaten": "end",
           "giahan": "extend"}
TWO_WORDS = {("cong", "nhan"): "congnhan", ("danh", "gia"): "danhgia", ("cham", "dut"): "chamdut",
             ("xoa", "ten"): "xoaten", ("gia", "han"): "giahan"}


def _action(words: list[str]) -> tuple[int, str] | None:
    """Where the action word is (after the name or number) and which; «công nhận» typed as two words is one."""
    folded = [fold(word) for word in words]
    for i in range(len(words) - 1, 0, -1):
        joined = TWO_WORDS.get((folded[i - 1], folded[i])) if i > 1 else None
        if joined:
            words[i - 1:i + 1] = [joined]
            return i - 1, ACTIONS[joined]
        if folded[i] in ACTIONS:
            return i, ACTIONS[folded[i]]
    return None


async def probation(ctx: Ctx, args: str) -> None:
    scope = await scope_of(ctx)
    members = await _members(ctx, scope)
    words = args.split()
    if not words:
        await _show(ctx, scope, members)
        return
    found_action = _action(words)
    if found_action is None:
        raise UserError(f"Không hiểu «{args.strip()[:40]}». {HELP}")
    index, action = found_action
    if action == "extend":
        raise UserError("Bot chưa ghi việc gia hạn thời gian dự bị. Cấp ủy viên ghi công nhận chính thức "
                        "(/dubi <số|tên> congnhan dd/mm/yyyy) hoặc xóa tên khỏi danh sách đảng viên dự bị "
                        "(/dubi <số|tên> chamdut dd/mm/yyyy).")
    entries = [Entry(number, member.id or 0, member.cell_id or 0, member.full_name, member.name_key, member.status)
               for number, member in enumerate(members, 1)]
    found = roster.find(entries, " ".join(words[:index]))
    if len(found) != 1:
        what = "khớp nhiều người, gõ đủ họ tên" if found else "không có trong danh sách đảng viên dự bị"
        raise UserError(f"«{' '.join(words[:index])[:40]}» {what}. {HELP}")
    member = next(m for m in members if m.id == found[0].member_id)
    if action != "review" and not scope.decides_for(member.cell_id or 0):
        raise UserError("Công nhận đảng viên chính thức do cấp ủy viên đảng bộ ghi." if action == "recognise" else
                        "Xóa tên khỏi danh sách đảng viên dự bị do cấp ủy viên đảng bộ ghi.")
    rest = words[index + 1:]
    what = {"recognise": "quyết định công nhận", "review": "chi bộ xét", "end": "quyết định xóa tên"}[action]
    if len(rest) != 1 or not dates.looks_like_date(rest[0]):
        raise UserError(f"Thiếu ngày {what} (dd/mm/yyyy). {HELP}")
    today = _today(ctx)
    decided = dates.parse_date(rest[0], today, dates.Direction.PAST)
    if decided > today:
        raise UserError(f"Ngày {decided:%d/%m/%Y} chưa tới: chỉ ghi việc đã có (đến hôm nay {today:%d/%m/%Y}).")
    assert member.admitted_on is not None
    end = probation_end(member.admitted_on)
    if action == "end":
        await _end(ctx, scope, member, decided, today)
        return
    if decided < end:
        since = "chỉ công nhận chính thức" if action == "recognise" else "chi bộ xét"
        raise UserError(f"{member.full_name} kết nạp ngày {member.admitted_on:%d/%m/%Y}, đủ 12 tháng dự bị ngày "
                        f"{end:%d/%m/%Y}: {since} từ ngày đó.")
    if action == "review":
        await _review(ctx, member, decided, today)
        return
    official = await candidates.recognise(ctx.session, member, decided, today=today, by=ctx.member_id, now=ctx.now)
    ctx.reply(f"Đã ghi: {member.full_name} được công nhận đảng viên chính thức (quyết định ngày {decided:%d/%m/%Y}); "
              f"tuổi đảng tính từ ngày kết nạp {member.admitted_on:%d/%m/%Y}, chính thức từ ngày {official:%d/%m/%Y}.")


async def _review(ctx: Ctx, member: Member, on: date, today: date) -> None:
    """The cell's review, by its secretary or deputy or a committee member: the review's reminders stop."""
    assert member.admitted_on is not None
    await candidates.review(ctx.session, member, on, today=today, by=ctx.member_id, now=ctx.now)
    due = dev.review_due(member.admitted_on)
    late = f", quá hạn {dev.REVIEW_WORKING_DAYS} ngày làm việc (hạn {due:%d/%m/%Y})" if on > due else ""
    ctx.reply(f"Đã ghi: chi bộ xét, đề nghị công nhận đảng viên chính thức {member.full_name} ngày {on:%d/%m/%Y}"
              f"{late}. Không nhắc hạn chi bộ xét nữa. Cấp ủy viên ghi quyết định: /dubi {member.full_name} "
              "congnhan dd/mm/yyyy.")


async def _end(ctx: Ctx, scope: Scope, member: Member, decided: date, today: date) -> None:
    """The committee ends probation: xóa tên khỏi danh sách đảng viên dự bị, the membership ends that day."""
    assert member.admitted_on is not None
    if decided < member.admitted_on:
        raise UserError(f"Ngày {decided:%d/%m/%Y} trước ngày kết nạp {member.admitted_on:%d/%m/%Y}. Vui lòng kiểm "
                        "tra lại ngày.")
    cell = scope.cells[member.cell_id].name if member.cell_id in scope.cells else "chi bộ"
    await candidates.end_probation(ctx.session, member, decided, today=today, by=ctx.member_id, now=ctx.now)
    ctx.reply(f"Đã ghi: {member.full_name} bị xóa tên khỏi danh sách đảng viên dự bị (quyết định ngày "
              f"{decided:%d/%m/%Y}); thôi là đảng viên của {cell} từ ngày đó. Không nhắc hạn xét nữa.")


async def _show(ctx: Ctx, scope: Scope, members: list[Member]) -> None:
    today = _today(ctx)
    if not members:
        ctx.reply("Chưa có đảng viên dự bị nào. " + HELP)
        return
    helper_of = await candidates.helpers(ctx.session, [m.id or 0 for m in members])
    reviewed = await candidates.reviewed(ctx.session, [m.id or 0 for m in members])
    names = {ref.cell_id: ref.name for ref in scope.cells.values()}
    several = len({m.cell_id for m in members}) > 1 or bool(scope.committees)
    lines = [f"Đảng viên dự bị ({len(members)}), ngày {today:%d/%m/%Y}:"]
    for number, member in enumerate(members, 1):
        helper = await ctx.session.get(Member, helper_of[member.id]) if member.id in helper_of else None
        cell_name = names.get(member.cell_id or 0) if several else None
        lines += text.probation_line(number, member, today, cell_name=cell_name,
                                     helper=helper.full_name if helper else None, reviewed=reviewed.get(member.id or 0))
    lines.append(HELP)
    ctx.reply("\n".join(lines))


COMMANDS = [
    Command("dubi", "Đảng viên dự bị: 12 tháng dự bị, hạn xét và công nhận chính thức", probation,
            Audience.LEADER_OR_COMMITTEE, private=True,
            usage="/dubi [<số|tên> danhgia|congnhan|chamdut <dd/mm/yyyy>]",
            details=("Không kèm gì: đảng viên dự bị, ngày kết nạp, ngày đủ 12 tháng, hạn chi bộ xét (30 ngày làm việc "
                     "sau 12 tháng; bỏ thứ Bảy, Chủ nhật, ngày lễ, Tết), người giúp đỡ.\n"
                     "Chi bộ xét, đề nghị công nhận chính thức (từ ngày đủ 12 tháng; thôi nhắc hạn xét): "
                     "/dubi <số|tên> danhgia <dd/mm/yyyy>.\n"
                     "Cấp ủy viên ghi quyết định công nhận chính thức: /dubi <số|tên> congnhan <dd/mm/yyyy> (đảng "
                     "viên tính là chính thức từ ngày đủ 12 tháng), hoặc xóa tên khỏi danh sách đảng viên dự bị: "
                     "/dubi <số|tên> chamdut <dd/mm/yyyy> (thôi là đảng viên từ ngày quyết định).\n"
                     "Ví dụ: /dubi 1 danhgia 10/12/2027")),
]
