"""/bienban: the minutes of a meeting (biên bản), step by step or in one message, then its papers.

`/bienban <số buổi>` opens the minutes of a meeting whose roll call is taken: the bot fills in
what it knows (time, place, totals, who came, who was excused and why) and asks for the rest,
one step at a time: chair and minute-taker (chosen among those present), guests, the agenda
items, for each item the speakers' views and the chair's conclusion, the vote (checked against
those present), the closing time. `bỏ qua` leaves a step empty, `xong` ends the questions and
draws the papers with what is filled in. Each answer is kept as it is given (storage/minutes.py),
so `/bienban <số>` resumes after a restart or another command; `/bienban <số> sua <mục>`
corrects one step later; `/bienban <số> chủ trì: …; thư ký: …; …` fills everything at once
(all of it, or nothing if one part is wrong). `/bienban` lists the cell's minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain import meeting_rules as rules
from domain import minutes as rules_of
from domain.errors import UserError
from domain.minutes import AgendaItem, Speech
from domain.text import fold
from domain.vocabulary import MeetingStatus
from handlers import minutes_paper
from handlers.attendance import find_person
from handlers.context import Audience, Ctx
from handlers.meetings import capital, describe, is_number, own_cells
from handlers.registry import Command
from storage import minutes as stored
from storage import org
from storage.meetings import Meeting, Person, meeting_in, title
from storage.types import id_of

FLOW = "minutes"
USAGE = "/bienban [<số buổi> [sua <mục> | chủ trì: …; thư ký: …; nội dung: …; ý kiến: …; kết luận: …; " \
        "biểu quyết: …; kết thúc: …]]"
AS_SCHEDULED = frozenset({"nhu lich", "theo lich"})
DETAILS = (
    "Lập biên bản buổi sinh hoạt đã điểm danh. Bot tự điền thời gian, địa điểm, số có mặt, ai vắng (kèm lý do), "
    "rồi hỏi từng bước: chủ trì, thư ký, khách mời, các nội dung, ý kiến phát biểu và kết luận từng nội dung, "
    "biểu quyết, giờ kết thúc. «bỏ qua» để trống một mục; «xong» lập biên bản ngay với những gì đã có. Bot gửi "
    "tệp Word (sửa được) và PDF (để in, ký).\n"
    "• /bienban 3 — lập (hoặc tiếp tục, hoặc nhận lại) biên bản buổi số 3\n"
    "• /bienban 3 sua bieuquyet — sửa một mục: chutri, thuky, khach, noidung, ykien <số>, ketluan <số>, "
    "bieuquyet, ketthuc\n"
    "• Một tin: /bienban 3 chủ trì: An; thư ký: Bình; nội dung: Kiểm điểm tháng 11; ý kiến: Cường: nhất trí; "
    "kết luận: Thông qua báo cáo; biểu quyết: 12 0 0; kết thúc: 21:00\n"
    "• /bienban — các biên bản của chi bộ; cấp ủy: chi bộ nào đã có biên bản từng tháng, tải bằng "
    "/bienban <tên chi bộ> <số buổi>"
)


# -- finding the meeting --------------------------------------------------------------------------------

async def held_meeting(ctx: Ctx, number: str) -> Meeting:
    """A meeting of the leader's cells that took place and has its roll call."""
    meeting = await meeting_in(ctx.session, int(number), await own_cells(ctx))
    if meeting is None:
        raise UserError(f"Không có buổi số {number} của chi bộ đồng chí. Gõ /lichhop để xem các buổi.")
    if meeting.status == MeetingStatus.CANCELLED:
        raise UserError(f"Buổi số {meeting.number} đã hủy, không có biên bản.")
    if ctx.now < meeting.starts_at:
        when = rules.format_when(meeting.starts_at, ctx.settings.tz)
        raise UserError(f"Buổi số {meeting.number} chưa diễn ra ({when}): biên bản lập trong hoặc sau buổi họp.")
    if not meeting.has_roll_call:
        raise UserError(f"Buổi số {meeting.number} chưa điểm danh nên chưa lập biên bản được: biên bản ghi ai có mặt, "
                        f"ai vắng và lý do. Nhập điểm danh trước, ví dụ: /diemdanh {meeting.number} giấy đủ, hoặc "
                        f"/diemdanh {meeting.number} giay coly: Binh (om); khongly: Em. Xem /trogiup diemdanh.")
    return meeting


# -- /bienban ---------------------------------------------------------------------------------------------------

async def minutes_command(ctx: Ctx, args: str) -> None:
    first, _, rest = args.strip().partition(" ")
    first, _, more = first.partition("\n")  # "/bienban 3\nchủ trì: …": the form may start on the next line
    rest = (more + " " + rest).strip()
    if not await ctx.leader_cells():  # a committee member: the cells' minutes, read only
        await committee_view(ctx, args.strip())
        return
    if not first:
        await _list(ctx)
        return
    if not is_number(first):
        raise UserError(f"Gõ {USAGE}, ví dụ: /bienban 3. Xem /trogiup bienban.")
    meeting = await held_meeting(ctx, first)
    word, _, what = rest.partition(" ")
    if fold(word) in {"sua", "sửa"}:
        await _fix(ctx, meeting, what)
    elif rest and rules_of.is_one_message(rest):
        await _one_message(ctx, meeting, rest)
    elif rest:
        raise UserError(f"Không hiểu «{rest[:40]}». Gõ {USAGE}. Xem /trogiup bienban.")
    else:
        await _open(ctx, meeting)


async def _open(ctx: Ctx, meeting: Meeting) -> None:
    minutes = await stored.open_for(ctx.session, meeting, ctx.member_id, ctx.now)
    if minutes.finished_at is not None and minutes.step is None:
        await _send_papers(ctx, minutes, meeting, again=True)
        return
    begun = minutes.step is not None
    step = minutes.step or rules_of.steps(0)[0]
    minutes.step = step
    _touch(ctx, minutes)
    facts = await minutes_paper.facts(ctx, meeting)
    if begun and step != rules_of.steps(0)[0]:
        intro = f"Tiếp tục biên bản {describe(meeting, ctx)}.\n"
    else:
        intro = await _known(ctx, minutes, meeting)
    _ask(ctx, minutes, meeting, facts, step, prefix=intro)


async def _known(ctx: Ctx, minutes: stored.Minutes, meeting: Meeting) -> str:
    """What the bot fills in by itself, said once when the minutes begin."""
    paper = await minutes_paper.paper(ctx, minutes, meeting)
    excused = "; ".join(f"{name} ({reason})" if reason else name for name, reason in paper.excused) or "không có"
    return (f"Biên bản {describe(meeting, ctx)}.\n"
            f"Bot đã điền: có mặt {paper.present}/{paper.expected}; vắng có lý do: {excused}; "
            f"vắng không lý do: {', '.join(paper.absent) or 'không có'}.\n"
            "Trả lời từng bước; «bỏ qua» để trống một mục, «xong» để lập biên bản ngay với những gì đã có.\n")


def _touch(ctx: Ctx, minutes: stored.Minutes) -> None:
    minutes.updated_at = ctx.now
    ctx.session.add(minutes)


# -- asking -------------------------------------------------------------------------------------------------------

def _present_list(facts: minutes_paper.Facts) -> str:
    return "; ".join(f"{n}. {person.full_name}" for n, person in enumerate(facts.present, 1)) or "(chưa ai có mặt)"


def _question(ctx: Ctx, minutes: stored.Minutes, meeting: Meeting, facts: minutes_paper.Facts, step: str,
              fix: bool) -> str:
    kind, _, number = step.partition(":")
    items = minutes.items
    order = rules_of.steps(len(items))
    where = f"Bước {order.index(step) + 1}/{len(order)}" if step in order and not fix else "Sửa"
    if kind == rules_of.CHAIR:
        return (f"{where}: chủ trì buổi họp là đồng chí nào? Gõ số hoặc tên trong danh sách có mặt: "
                f"{_present_list(facts)}.")
    if kind == rules_of.RECORDER:
        return f"{where}: thư ký (người ghi biên bản) là đồng chí nào? Gõ số hoặc tên: {_present_list(facts)}."
    if kind == rules_of.GUESTS:
        return f"{where}: khách mời (họ tên, chức vụ), cách nhau bằng dấu phẩy; không có thì gõ «bỏ qua»."
    if kind == rules_of.AGENDA:
        scheduled = f" Nội dung theo lịch: «{meeting.content}»; gõ «như lịch» để dùng." if meeting.content else ""
        return f"{where}: các nội dung của buổi họp, mỗi nội dung một dòng hoặc cách nhau bằng dấu «;».{scheduled}"
    if kind in (rules_of.VIEWS, rules_of.CONCLUSION):
        index = int(number)
        item = items[index - 1] if index <= len(items) else AgendaItem("")
        head = f"{where}: nội dung {index}/{len(items)} «{item.title}»."
        if kind == rules_of.VIEWS:
            return (f"{head} Ý kiến phát biểu, mỗi ý kiến «<số hoặc tên>: <tóm tắt>», cách nhau bằng dấu «;». "
                    "Ví dụ: 2: nhất trí với báo cáo; Cường: đề nghị bổ sung chỉ tiêu. Có mặt: "
                    f"{_present_list(facts)}.")
        return f"{head} Kết luận của chủ trì về nội dung này:"
    if kind == rules_of.VOTE:
        present = len(facts.present)
        return (f"{where}: biểu quyết thông qua (có mặt {present} đồng chí): gõ số tán thành, không tán thành, "
                f"không biểu quyết, ví dụ: {present} 0 0.")
    return (f"{where}: buổi họp kết thúc lúc mấy giờ? Ví dụ: 21:15. «bỏ qua» thì ghi giờ dự kiến "
            f"{rules.format_time(meeting.ends_at, ctx.settings.tz)}.")


def _ask(ctx: Ctx, minutes: stored.Minutes, meeting: Meeting, facts: minutes_paper.Facts, step: str, *,
         fix: bool = False, prefix: str = "") -> None:
    ctx.ask(prefix + _question(ctx, minutes, meeting, facts, step, fix), FLOW, step,
            {"minutes": minutes.id, "fix": fix})


# -- answering ---------------------------------------------------------------------------------------------------

def _member(facts: minutes_paper.Facts, ref: str, role: str) -> Person:
    """A member present at the meeting, by their number in the list shown or their name."""
    found = find_person(facts.present, ref)
    if isinstance(found, Person):
        return found
    if isinstance(found, list):
        names = ", ".join(f"{facts.present.index(p) + 1}. {p.full_name}" for p in found)
        raise UserError(f"Có nhiều đồng chí khớp «{ref}»: {names}. Vui lòng gõ số thứ tự.")
    member = find_person(facts.members, ref) if not is_number(ref) else None
    if isinstance(member, Person):
        raise UserError(f"Đồng chí {member.full_name} không có mặt ở buổi họp (theo điểm danh), không làm {role} "
                        f"được. Chọn trong danh sách có mặt: {_present_list(facts)}.")
    raise UserError(f"«{ref[:40]}» không phải đảng viên có mặt của chi bộ. {capital(role)} chọn trong danh sách "
                    f"có mặt (gõ số hoặc tên): {_present_list(facts)}.")


def _speaker(facts: minutes_paper.Facts, guests: str, ref: str) -> str:
    """A speaker: a member present (their full name), or a guest named in the minutes (as typed there)."""
    wanted = fold(ref).split()
    for guest in guests.split(","):
        words = guest.split()
        folded = [fold(word) for word in words]
        for start in range(len(words) - len(wanted) + 1):
            if wanted and folded[start:start + len(wanted)] == wanted:
                return " ".join(words[start:start + len(wanted)])  # as the guest list writes it
    return _member(facts, ref, "người phát biểu").full_name


def _closing(ctx: Ctx, meeting: Meeting, text: str) -> datetime:
    at = rules_of.parse_closing(text)
    tz = ctx.settings.tz
    start = meeting.starts_at.astimezone(tz)
    closed = rules.local_start(start.date(), at, tz)
    if closed <= meeting.starts_at:
        closed += timedelta(days=1)  # past midnight
    if closed - meeting.starts_at > timedelta(hours=12):
        raise UserError(f"Giờ kết thúc {at:%H:%M} không hợp với giờ bắt đầu {start:%H:%M}. Gõ lại, ví dụ: 21:15.")
    return closed


def _apply(ctx: Ctx, minutes: stored.Minutes, meeting: Meeting, facts: minutes_paper.Facts, step: str,
           text: str) -> None:
    """Read one answer and keep it; raises UserError, before changing anything, when it is wrong."""
    kind, _, number = step.partition(":")
    items = minutes.items
    if kind == rules_of.CHAIR:
        minutes.chair_id = _member(facts, text.strip(), "chủ trì").id
    elif kind == rules_of.RECORDER:
        minutes.recorder_id = _member(facts, text.strip(), "thư ký").id
    elif kind == rules_of.GUESTS:
        minutes.guests = rules_of.clean_text(text, "Khách mời", rules_of.NAMES_MAX).replace("\n", ", ")
    elif kind == rules_of.AGENDA:
        source = meeting.content if fold(text).strip(" .") in AS_SCHEDULED and meeting.content else text
        titles = rules_of.parse_agenda(source)
        kept = [AgendaItem(t, items[i].speeches if i < len(items) else [], items[i].conclusion if i < len(items)
                           else "") for i, t in enumerate(titles)]
        minutes.set_items(kept)
    elif kind == rules_of.VIEWS:
        speeches = [Speech(_speaker(facts, minutes.guests or "", who), view)
                    for who, view in rules_of.parse_speeches(text)]
        items[int(number) - 1].speeches = speeches
        minutes.set_items(items)
    elif kind == rules_of.CONCLUSION:
        items[int(number) - 1].conclusion = rules_of.clean_text(text, "Kết luận")
        minutes.set_items(items)
    elif kind == rules_of.VOTE:
        minutes.set_vote(rules_of.parse_vote(text, len(facts.present)))
    elif kind == rules_of.CLOSED:
        minutes.closed_at = _closing(ctx, meeting, text)
    _touch(ctx, minutes)


async def _flow(ctx: Ctx, text: str) -> None:
    data: dict[str, Any] = dict(ctx.conversation.data)
    step = ctx.conversation.step or ""
    minutes = await ctx.session.get(stored.Minutes, int(data.get("minutes") or 0))
    meeting = await ctx.session.get(Meeting, minutes.meeting_id) if minutes is not None else None
    if minutes is None or meeting is None or minutes.cell_id not in await own_cells(ctx):
        ctx.finish()
        ctx.reply("Không tìm thấy biên bản này nữa. Gõ /bienban để xem các biên bản.")
        return
    facts = await minutes_paper.facts(ctx, meeting)
    if rules_of.is_done(text):
        ctx.finish()
        await _send_papers(ctx, minutes, meeting)
        return
    if not rules_of.is_skip(text):
        try:
            _apply(ctx, minutes, meeting, facts, step, text)
        except UserError as error:
            _ask(ctx, minutes, meeting, facts, step, fix=bool(data.get("fix")), prefix=f"{error}\n")
            return
    await _after(ctx, minutes, meeting, facts, step, fix=bool(data.get("fix")))


async def _after(ctx: Ctx, minutes: stored.Minutes, meeting: Meeting, facts: minutes_paper.Facts, step: str, *,
                 fix: bool) -> None:
    """The next question, or the papers once there is none."""
    if fix:
        pending = minutes.step
        if pending is None:
            ctx.finish()
            await _send_papers(ctx, minutes, meeting, fixed=step)
            return
        _ask(ctx, minutes, meeting, facts, pending, prefix=f"Đã sửa mục {rules_of.step_label(step)}.\n")
        return
    following = rules_of.next_step(step, len(minutes.items))
    minutes.step = following
    _touch(ctx, minutes)
    if following is None:
        ctx.finish()
        await _send_papers(ctx, minutes, meeting)
        return
    _ask(ctx, minutes, meeting, facts, following)


# -- corrections and the one-message form ----------------------------------------------------------------------------

async def _fix(ctx: Ctx, meeting: Meeting, what: str) -> None:
    minutes = await stored.of_meeting(ctx.session, id_of(meeting))
    if minutes is None:
        raise UserError(f"Buổi số {meeting.number} chưa có biên bản. Gõ /bienban {meeting.number} để lập.")
    if not what.strip():
        raise UserError(f"Gõ /bienban {meeting.number} sua <mục>, ví dụ: /bienban {meeting.number} sua bieuquyet. "
                        "Các mục: chutri, thuky, khach, noidung, ykien <số>, ketluan <số>, bieuquyet, ketthuc.")
    step = rules_of.parse_step(what, len(minutes.items))
    _ask(ctx, minutes, meeting, await minutes_paper.facts(ctx, meeting), step, fix=True)


async def _one_message(ctx: Ctx, meeting: Meeting, text: str) -> None:
    """Everything in one message: applied in order; one wrong part and nothing is kept (the router
    rolls the message back on the UserError)."""
    minutes = await stored.open_for(ctx.session, meeting, ctx.member_id, ctx.now)
    facts = await minutes_paper.facts(ctx, meeting)
    item = 0
    for kind, value in rules_of.split_one_message(text):
        if kind in (rules_of.VIEWS, rules_of.CONCLUSION):
            if item == 0:
                raise UserError(f"«{rules_of.STEP_NAMES[kind]}:» phải đứng sau «nội dung:» mà nó thuộc về.")
            step = f"{kind}:{item}"
        else:
            step = kind
        if kind == rules_of.AGENDA:
            titles = minutes.items if item else []
            if len(titles) >= rules_of.ITEMS_MAX:
                raise UserError(f"Tối đa {rules_of.ITEMS_MAX} nội dung trong một biên bản.")
            minutes.set_items([*titles, AgendaItem(rules_of.clean_text(value, "Nội dung", 300))])
            item += 1
            continue
        try:
            _apply(ctx, minutes, meeting, facts, step, value)
        except UserError as error:
            raise UserError(f"Mục «{rules_of.step_label(step)}»: {error}\nChưa lưu gì; gõ lại cả tin.") from error
    minutes.step = None
    _touch(ctx, minutes)
    await _send_papers(ctx, minutes, meeting)


# -- the papers ------------------------------------------------------------------------------------------------------

def _missing(minutes: stored.Minutes) -> list[str]:
    missing = [name for value, name in ((minutes.chair_id, "chủ trì"), (minutes.recorder_id, "thư ký"),
                                        (minutes.agenda, "nội dung"), (minutes.votes_for is not None, "biểu quyết"))
               if not value]
    for number, item in enumerate(minutes.items, 1):
        if not item.conclusion:
            missing.append(f"kết luận nội dung {number}")
    return missing


async def _send_papers(ctx: Ctx, minutes: stored.Minutes, meeting: Meeting, *, again: bool = False,
                       fixed: str | None = None, read_only: bool = False) -> None:
    if not read_only:
        minutes.step = None
        if minutes.finished_at is None:
            minutes.finished_at = ctx.now
        _touch(ctx, minutes)
    docx, pdf = await minutes_paper.draw(ctx, minutes, meeting)
    what = f"buổi số {meeting.number} ({title(meeting, ctx.settings.tz)})"
    head = (f"Đã sửa mục {rules_of.step_label(fixed)}. Biên bản {what}" if fixed
            else f"Biên bản {what}" + (" (bản đã lập)" if again else ""))
    lines = [f"{head}: tệp Word để sửa nếu cần, tệp PDF để in và ký."]
    missing = _missing(minutes)
    if missing:
        lines.append(f"Còn để trống: {', '.join(missing)}.")
    if not read_only:
        lines.append(f"Sửa một mục: /bienban {meeting.number} sua <mục> (chutri, thuky, khach, noidung, ykien <số>, "
                     "ketluan <số>, bieuquyet, ketthuc).")
    ctx.reply("\n".join(lines), document=docx)
    ctx.reply(f"Biên bản {what}, bản PDF.", document=pdf)


# -- the list ---------------------------------------------------------------------------------------------------------

async def _list(ctx: Ctx) -> None:
    found = await stored.of_cells(ctx.session, await own_cells(ctx))
    if not found:
        ctx.reply("Chi bộ chưa có biên bản nào. Sau buổi họp đã điểm danh, gõ /bienban <số buổi> để lập.")
        return
    tz = ctx.settings.tz
    lines = ["Biên bản các buổi sinh hoạt:"]
    for minutes, meeting in found:
        when = f"{meeting.starts_at.astimezone(tz):%d/%m/%Y}"
        if minutes.step is None:
            state = f"đã lập; nhận lại tệp: /bienban {meeting.number}"
        else:
            state = (f"đang ghi (đến mục {rules_of.step_label(minutes.step)}); tiếp tục: /bienban {meeting.number}")
        lines.append(f"• Buổi số {meeting.number}, {title(meeting, tz)} ({when}): {state}.")
    ctx.reply("\n".join(lines))


# -- the committee ------------------------------------------------------------------------------------------------

COMMITTEE_MONTHS = 3


async def committee_view(ctx: Ctx, args: str) -> None:
    """`/bienban`: which cells have minutes for each of the last months; `/bienban <chi bộ> <số buổi>`:
    that meeting's papers (a committee reads the minutes, the cell writes them)."""
    cells = [cell for committee in await ctx.committees() for cell in await org.cells_of(ctx.session, committee)]
    if not args:
        today = ctx.local_now.date()
        months = []
        for back in range(COMMITTEE_MONTHS - 1, -1, -1):
            index = today.year * 12 + today.month - 1 - back
            months.append((index // 12, index % 12 + 1))
        done = await stored.finished_months(ctx.session, [id_of(c) for c in cells], ctx.settings.tz)
        lines = ["Biên bản sinh hoạt của các chi bộ (✓ đã lập, ✗ chưa có):"]
        for cell in cells:
            marks = ", ".join(f"{month}/{year} {'✓' if (year, month) in done.get(id_of(cell), set()) else '✗'}"
                              for year, month in months)
            lines.append(f"• {cell.name}: {marks}")
        lines.append("Tải biên bản: /bienban <tên chi bộ> <số buổi>, ví dụ: /bienban khu phố 7 1.")
        ctx.reply("\n".join(lines))
        return
    name, _, number = args.rpartition(" ")
    wanted = fold(name).removeprefix("chi bo ").strip()
    found = [c for c in cells if fold(c.name) == fold(name) or fold(c.name).endswith(" " + wanted)]
    if not is_number(number) or len(found) != 1:
        raise UserError("Gõ /bienban <tên chi bộ> <số buổi>, ví dụ: /bienban khu phố 7 1; /bienban để xem các chi bộ.")
    meeting = await meeting_in(ctx.session, int(number), [id_of(found[0])])
    minutes = await stored.of_meeting(ctx.session, id_of(meeting)) if meeting else None
    if meeting is None or minutes is None or minutes.finished_at is None:
        raise UserError(f"{found[0].name} chưa lập biên bản buổi số {number}.")
    await _send_papers(ctx, minutes, meeting, again=True, read_only=True)


COMMANDS = [
    Command("bienban", "Lập biên bản buổi sinh hoạt (Word, PDF)", minutes_command, Audience.LEADER_OR_COMMITTEE,
            private=True, usage=USAGE, details=DETAILS),
]
FLOWS = {FLOW: _flow}
FLOW_TITLES = {FLOW: "biên bản"}
