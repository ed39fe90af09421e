"""Answers and attendance: /thamdu, /vang (asks the reason), /dukien, /diemdanh (the code,
corrections, a paper roll call entered afterwards), /comat.

The invitation's choices are "/thamdu 3" and "/vang 3" (the cell's meeting number): typing them,
the choice's number, or a plain "có" / "không" works on every platform. Exempt members (miễn sinh
hoạt) are not expected: the three member commands tell them so politely and record nothing.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlmodel import col, select

from domain import meeting_rules as rules
from domain import roll_call as paper
from domain.errors import UserError
from domain.spreadsheet import STARTS_LIKE_FORMULA, starts_like_formula
from domain.text import clean_name, fold, has_control
from domain.vocabulary import Answer, MeetingStatus, Presence
from handlers.context import Audience, Ctx
from handlers.meetings import capital, describe, is_number, led_cell, own_cells
from handlers.registry import Command
from storage import attendance, org, outbox
from storage.meetings import (
    Meeting,
    Person,
    answer,
    attendance_of,
    cell_members,
    expected_members,
    is_exempt,
    meeting_in,
    record,
    secretaries,
    title,
    upcoming,
)
from storage.tables import ChatAccount, CodeAttempt
from storage.types import id_of

FLOW = "absence"
REASON_MAX = 500
STATUS_WORDS = {
    "comat": Presence.PRESENT, "co mat": Presence.PRESENT, "present": Presence.PRESENT,
    "vangcoly": Presence.EXCUSED, "vang co ly": Presence.EXCUSED, "vang co ly do": Presence.EXCUSED,
        "coly": Presence.EXCUSED, "co ly do": Presence.EXCUSED,
    "vangkhongly": Presence.ABSENT, "vang khong ly": Presence.ABSENT, "vang khong ly do": Presence.ABSENT,
        "khongly": Presence.ABSENT,
    "vang": Presence.ABSENT, "khong ly do": Presence.ABSENT,
}
STATUS_NAMES: dict[str, str] = {
    Presence.PRESENT: "có mặt", Presence.EXCUSED: "vắng có lý do", Presence.ABSENT: "vắng không lý do"}
CORRECT_HELP = "Gõ /diemdanh <số buổi> <số|tên> comat|vangcoly|vangkhongly, ví dụ: /diemdanh 3 5 comat."
EXEMPT_ANSWER = ("Đồng chí được miễn sinh hoạt nên không cần báo tham dự hay xin vắng; nếu đồng chí đến dự, "
                 "chi bộ luôn hoan nghênh.")
EXEMPT_CHECK_IN = "Đồng chí được miễn sinh hoạt nên không cần điểm danh. Cảm ơn đồng chí đã đến dự."
ROLL_CALL_DETAILS = (
    "Điểm danh buổi sinh hoạt. Chỉ tính tham dự cho buổi đã điểm danh; buổi chưa điểm danh không ai bị tính vắng.\n"
    "• Trong giờ họp (từ 60 phút trước giờ họp): /diemdanh — bot cho mã 4 số; bí thư đọc mã, đảng viên có mặt "
    "gõ /comat <mã>. Hết giờ họp, ai chưa điểm danh là vắng (có lý do nếu đã xin vắng).\n"
    "• Sửa cho một người: /diemdanh <số buổi> <số|tên> comat|vangcoly|vangkhongly\n"
    "  Ví dụ: /diemdanh 3 Dung vangcoly\n"
    "• " + paper.SYNTAX.replace("\n", "\n  ") + "\n"
    "  Tên gõ có dấu hay không dấu đều được: cả họ tên, tên gọi (Bình) hoặc số thứ tự trong /dukien <số buổi>.\n"
    "  Nhập lại thì lần sau thay lần trước."
)


async def _meeting_for_member(ctx: Ctx, number: str | None) -> Meeting | None:
    """The meeting a member answers about: the number given, or the next one of their cell."""
    cell_id = ctx.account.cell_id
    if cell_id is None:
        ctx.reply("Đồng chí chưa thuộc chi bộ nào.")
        return None
    if number is None:
        coming = await upcoming(ctx.session, cell_id, ctx.now, limit=1)
        if not coming:
            ctx.reply("Chi bộ chưa có buổi sinh hoạt nào sắp tới.")
            return None
        return coming[0]
    meeting = await meeting_in(ctx.session, int(number), [cell_id])
    if meeting is None:
        ctx.reply(f"Không có buổi số {number} của chi bộ đồng chí. Gõ /lich để xem các buổi sắp tới.")
        return None
    return meeting


async def _answerable(ctx: Ctx, meeting: Meeting) -> bool:
    if meeting.status != MeetingStatus.SCHEDULED or meeting.ends_at <= ctx.now:
        state = "đã hủy" if meeting.status == MeetingStatus.CANCELLED else "đã kết thúc"
        ctx.reply(f"Buổi số {meeting.number} {state}.")
        return False
    if ctx.member_id not in {p.id for p in await expected_members(ctx.session, meeting.cell_id)}:
        ctx.reply(EXEMPT_ANSWER)
        return False
    return True


def _when(ctx: Ctx, meeting: Meeting) -> str:
    tz = ctx.settings.tz
    place = f", tại {meeting.place}" if meeting.place else ""
    return f"buổi số {meeting.number} ({title(meeting, tz)}), {rules.format_when(meeting.starts_at, tz)}{place}"


# -- /thamdu and /vang ------------------------------------------------------------------------------------

async def attend(ctx: Ctx, args: str) -> None:
    if await is_exempt(ctx.session, ctx.member_id):
        ctx.reply(EXEMPT_ANSWER)
        return
    number = args.split()[0] if args.split() and is_number(args.split()[0]) else None
    meeting = await _meeting_for_member(ctx, number)
    if meeting is None or not await _answerable(ctx, meeting):
        return
    await answer(ctx.session, id_of(meeting), ctx.joined_member_id, Answer.YES, None, ctx.now)
    ctx.reply(f"Đã ghi nhận: đồng chí tham dự {_when(ctx, meeting)}.")


async def excuse(ctx: Ctx, args: str) -> None:
    """`/vang <số> <lý do>`; without a reason the bot asks for it."""
    if await is_exempt(ctx.session, ctx.member_id):
        ctx.reply(EXEMPT_ANSWER)
        return
    first, _, rest = args.partition(" ")
    number = first if is_number(first) else None
    reason = rest if number is not None else args
    meeting = await _meeting_for_member(ctx, number)
    if meeting is None or not await _answerable(ctx, meeting):
        return
    if not reason.strip():
        ctx.ask(f"Đồng chí vui lòng gõ lý do xin vắng {_when(ctx, meeting)}:", FLOW, "reason",
                {"meeting": meeting.id})
        return
    await _save_excuse(ctx, meeting, reason)


async def _reason_flow(ctx: Ctx, text: str) -> None:
    meeting = await ctx.session.get(Meeting, int(ctx.conversation.data.get("meeting", 0)))
    if meeting is None or meeting.cell_id != ctx.account.cell_id:
        ctx.finish()
        ctx.reply("Không tìm thấy buổi sinh hoạt này nữa. Gõ /lich để xem các buổi sắp tới.")
        return
    if not text.strip():
        ctx.ask("Lý do không được để trống. Ví dụ: Đi công tác tỉnh.", FLOW, "reason")
        return
    ctx.finish()
    if await _answerable(ctx, meeting):
        await _save_excuse(ctx, meeting, text)


async def _save_excuse(ctx: Ctx, meeting: Meeting, raw: str) -> None:
    reason = clean_name(raw)
    if has_control(reason) or len(reason) > REASON_MAX:
        ctx.ask(f"Lý do phải là chữ thường, không quá {REASON_MAX} ký tự. Vui lòng gõ lại lý do:", FLOW, "reason",
                {"meeting": meeting.id})
        return
    if starts_like_formula(reason):  # a spreadsheet would run it (domain.spreadsheet)
        ctx.ask(f"Lý do {STARTS_LIKE_FORMULA}. Vui lòng gõ lại lý do bắt đầu bằng chữ, ví dụ: Đi công tác tỉnh.",
                FLOW, "reason", {"meeting": meeting.id})
        return
    await answer(ctx.session, id_of(meeting), ctx.joined_member_id, Presence.EXCUSED, reason, ctx.now)
    ctx.reply(f"Đã ghi nhận đồng chí xin vắng {_when(ctx, meeting)}. Lý do: {reason}.\n"
              "Bot sẽ không nhắc đồng chí về buổi này nữa.")


# -- /dukien --------------------------------------------------------------------------------------------

def _numbered(people: list[tuple[int, str]]) -> str:
    return "; ".join(f"{number}. {text}" for number, text in people) + "." if people else "không có."


def _counted(meeting: Meeting) -> bool:
    """Whether the meeting's attendance is settled: ended, with its roll call taken."""
    return meeting.status == MeetingStatus.ENDED and meeting.has_roll_call


async def _roster(ctx: Ctx, meeting: Meeting) -> list[Person]:
    """Whom the meeting's numbers refer to: those counted (ended with a roll call), or those expected."""
    if _counted(meeting):
        tally = await attendance.tally(ctx.session, meeting)
        return tally.expected
    return await expected_members(ctx.session, meeting.cell_id)


async def _unreachable_names(ctx: Ctx, people: list[Person]) -> list[str]:
    ids = [p.id for p in people]
    rows = (await ctx.session.exec(
        select(ChatAccount.member_id, ChatAccount.unreachable_since).where(col(ChatAccount.member_id).in_(ids))
    )).all()
    reachable = {member for member, since in rows if since is None}
    return [p.full_name for p in people if p.id not in reachable]


async def expected(ctx: Ctx, args: str) -> None:
    cells = await own_cells(ctx)
    number = args.split()[0] if args.split() else ""
    if number and not is_number(number):
        ctx.reply("Gõ /dukien <số buổi>, ví dụ: /dukien 3. Gõ /lichhop để xem số các buổi.")
        return
    if number:
        meeting = await meeting_in(ctx.session, int(number), cells)
    else:
        coming = await upcoming(ctx.session, await led_cell(ctx) or 0, ctx.now, limit=1)
        meeting = coming[0] if coming else None
    if meeting is None:
        ctx.reply("Không tìm thấy buổi sinh hoạt này của chi bộ đồng chí. Gõ /lichhop để xem các buổi sắp tới.")
        return
    counted = _counted(meeting)
    roster = await _roster(ctx, meeting)
    rows = await attendance_of(ctx.session, id_of(meeting))
    lines = [f"{capital(describe(meeting, ctx))}:"]
    groups: dict[str, list[tuple[int, str]]] = {}
    for number_in_list, person in enumerate(roster, 1):
        row = rows.get(person.id)
        recorded = row.status if counted and row else row.rsvp if row else None
        state = recorded or (Presence.ABSENT if counted else "none")
        text = person.full_name
        if state == Presence.EXCUSED and row is not None and row.reason:
            text += f" ({row.reason})"
        groups.setdefault(state, []).append((number_in_list, text))
    if counted:
        tally = await attendance.tally(ctx.session, meeting)
        lines.append(f"Đã kết thúc. Có mặt: {tally.ratio}.")
        labels: tuple[tuple[str, str], ...] = (
            (Presence.PRESENT, "Có mặt"), (Presence.EXCUSED, "Vắng có lý do"), (Presence.ABSENT, "Vắng không lý do"))
    else:
        if meeting.status == MeetingStatus.ENDED:
            lines.append("Đã kết thúc nhưng chưa điểm danh: chưa có số liệu tham dự. Các đồng chí đã báo trước:")
        labels = ((Answer.YES, "Tham dự"), (Presence.EXCUSED, "Xin vắng"), ("none", "Chưa trả lời"))
    for key, label in labels:
        found = groups.get(key, [])
        lines.append(f"{label} ({len(found)}): {_numbered(found)}")
    exempt = [p.full_name for p in await cell_members(ctx.session, meeting.cell_id) if p.exempt]
    if exempt:
        lines.append(f"Miễn sinh hoạt, không tính: {', '.join(exempt)}.")
    if meeting.status == MeetingStatus.ENDED and not counted:
        lines.append(f"Nhập điểm danh trên giấy (ai không kể tên là có mặt): /diemdanh {meeting.number} giấy "
                     "vắng có lý do: <số|tên> (<lý do>), …; vắng không lý do: <số|tên>, …")
    elif meeting.status != MeetingStatus.ENDED:
        unreachable = await _unreachable_names(ctx, roster)
        if unreachable:
            lines.append(f"Bot chưa liên lạc được: {', '.join(unreachable)}.")
    ctx.reply("\n".join(lines))


# -- /diemdanh (the secretary) ----------------------------------------------------------------------------

def _open_now(meeting: Meeting, now: datetime) -> bool:
    opens = meeting.starts_at - rules.CHECKIN_OPENS
    return meeting.status == MeetingStatus.SCHEDULED and opens <= now < meeting.ends_at


async def roll_call(ctx: Ctx, args: str) -> None:
    """`/diemdanh` opens the roll call of the meeting under way; `/diemdanh <số> <số|tên> <trạng thái>`
    corrects one member; `/diemdanh <số> giấy …` enters a paper roll call (see `domain.roll_call`)."""
    cells = await own_cells(ctx)
    first, _, rest = args.strip().partition(" ")
    rest = rest.strip()
    if first and not is_number(first):
        raise UserError(CORRECT_HELP + "\n" + paper.SYNTAX)
    if rest and paper.is_paper(rest):
        await _paper(ctx, cells, int(first), rest)
        return
    if rest:
        await _correct(ctx, cells, first, " ".join(rest.split()))
        return
    meeting = await _current(ctx, cells, first or None)
    if meeting is None:
        return
    if meeting.checkin_code is None:
        meeting.checkin_code = f"{secrets.randbelow(10_000):04d}"
        meeting.updated_at = ctx.now
    meeting.start_roll_call(ctx.now)
    ctx.session.add(meeting)
    note = ""
    if ctx.member_id in {p.id for p in await expected_members(ctx.session, meeting.cell_id)}:
        await record(ctx.session, meeting, ctx.member_id, Presence.PRESENT, ctx.now)
        note = " Đồng chí đã được ghi có mặt."
    ends = rules.format_time(meeting.ends_at, ctx.settings.tz)
    ctx.reply(f"Mã điểm danh buổi số {meeting.number}: {meeting.checkin_code}\n"
              f"Đọc mã này tại buổi họp; đảng viên có mặt gõ /comat {meeting.checkin_code} trước {ends}.{note}\n"
              f"Sửa điểm danh: /diemdanh {meeting.number} <số|tên> comat|vangcoly|vangkhongly")


async def _current(ctx: Ctx, cells: list[int], number: str | None) -> Meeting | None:
    """The meeting whose roll call is open now (from an hour before its start to its end)."""
    tz = ctx.settings.tz
    if number is not None:
        meeting = await meeting_in(ctx.session, int(number), cells)
        if meeting is None:
            ctx.reply(f"Không có buổi số {number} của chi bộ đồng chí.")
            return None
        if not _open_now(meeting, ctx.now):
            if meeting.status == MeetingStatus.ENDED and not meeting.has_roll_call:
                raise UserError(f"Buổi số {meeting.number} đã kết thúc mà chưa điểm danh. " + _paper_hint(meeting))
            ctx.reply(f"Buổi số {meeting.number} không diễn ra lúc này ({rules.format_when(meeting.starts_at, tz)}). "
                      "Điểm danh mở từ 60 phút trước giờ họp đến khi kết thúc.")
            return None
        return meeting
    for cell_id in cells:
        for meeting in await upcoming(ctx.session, cell_id, ctx.now, limit=3):
            if _open_now(meeting, ctx.now):
                return meeting
    coming = await upcoming(ctx.session, await led_cell(ctx) or 0, ctx.now, limit=1)
    nearest = (f" Buổi gần nhất: số {coming[0].number}, {rules.format_when(coming[0].starts_at, tz)}."
               if coming else "")
    ctx.reply("Chưa đến giờ buổi sinh hoạt nào: điểm danh mở từ 60 phút trước giờ họp đến khi kết thúc." + nearest)
    return None


def _paper_hint(meeting: Meeting) -> str:
    return (f"Nhập điểm danh trên giấy trong một tin, ai không kể tên là có mặt, ví dụ: /diemdanh {meeting.number} "
            "giay coly: Binh (om); khongly: Em. Mọi người đều có mặt: "
            f"/diemdanh {meeting.number} giấy đủ. Xem /trogiup diemdanh.")


def _status_of(text: str) -> tuple[str, str] | None:
    """Split `<số|tên> <trạng thái>`: the status words are at the end."""
    folded = fold(text)
    for words in sorted(STATUS_WORDS, key=len, reverse=True):
        if folded == words or folded.endswith(" " + words):
            return folded[: len(folded) - len(words)].strip(), STATUS_WORDS[words]
    return None


def find_person(roster: list[Person], ref: str) -> Person | list[Person] | None:
    """A member by their number in the list, full name, or the end of their name ("Dung", "thi dung")."""
    if is_number(ref):
        index = int(ref) - 1
        return roster[index] if 0 <= index < len(roster) else None
    key = fold(ref)
    exact = [p for p in roster if p.name_key == key]
    if exact:
        return exact[0]
    ending = [p for p in roster if p.name_key.endswith(" " + key)]
    if len(ending) == 1:
        return ending[0]
    return ending or None


async def _taken_place(ctx: Ctx, cells: list[int], number: int) -> Meeting:
    """A meeting of these cells that has begun and was not cancelled (its roll call can be entered)."""
    meeting = await meeting_in(ctx.session, number, cells)
    if meeting is None:
        raise UserError(f"Không có buổi số {number} của chi bộ đồng chí. Gõ /lichhop để xem các buổi.")
    if meeting.status == MeetingStatus.CANCELLED:
        raise UserError(f"Buổi số {meeting.number} đã hủy, không điểm danh được.")
    return meeting


async def _correct(ctx: Ctx, cells: list[int], number: str, rest: str) -> None:
    meeting = await _taken_place(ctx, cells, int(number))
    if ctx.now < meeting.starts_at - rules.CHECKIN_OPENS:
        raise UserError(f"Buổi số {meeting.number} chưa diễn ra, chưa điểm danh được.")
    if meeting.status == MeetingStatus.ENDED and not meeting.has_roll_call:
        raise UserError(f"Buổi số {meeting.number} chưa điểm danh nên chưa sửa từng người được. "
                        + _paper_hint(meeting))
    split = _status_of(rest)
    if split is None or not split[0]:
        raise UserError(CORRECT_HELP)
    ref, status = split
    roster = await _roster(ctx, meeting)
    found = find_person(roster, ref)
    if found is None:
        raise UserError(f"Không tìm thấy «{ref}» trong danh sách buổi số {meeting.number}. Gõ /dukien "
                        f"{meeting.number} để xem số thứ tự.")
    if isinstance(found, list):
        names = ", ".join(f"{roster.index(p) + 1}. {p.full_name}" for p in found)
        raise UserError(f"Có nhiều đồng chí khớp «{ref}»: {names}. Vui lòng gõ số thứ tự.")
    row = await record(ctx.session, meeting, found.id, status, ctx.now)
    if status == Presence.EXCUSED and not row.reason:
        row.reason = "bí thư ghi nhận"
        ctx.session.add(row)
    lines = [f"Đã ghi: {found.full_name} — {STATUS_NAMES[status]} (buổi số {meeting.number})."]
    if meeting.status == MeetingStatus.ENDED:
        tally = await attendance.tally(ctx.session, meeting)
        verdict = "đạt yêu cầu" if tally.meets_quality else (
            "chưa đạt yêu cầu (cần trên 85% có mặt, không ai vắng không lý do)")
        lines.append(f"Buổi số {meeting.number} nay: có mặt {tally.ratio}; {verdict}.")
        await _warn(ctx, meeting, [found.id])
    ctx.reply("\n".join(lines))


async def _paper(ctx: Ctx, cells: list[int], number: int, text: str) -> None:
    """A roll call held on paper, entered afterwards in one message; a later entry replaces it."""
    meeting = await _taken_place(ctx, cells, number)
    if ctx.now < meeting.starts_at:
        raise UserError(f"Buổi số {meeting.number} chưa bắt đầu: điểm danh trên giấy nhập sau khi họp.")
    entries = paper.parse(text)
    roster = await expected_members(ctx.session, meeting.cell_id)
    named: dict[int, tuple[str, str | None]] = {}
    for entry in entries:
        person = await _named_person(ctx, meeting, roster, entry.ref)
        if person.id in named:
            raise UserError(f"Đồng chí {person.full_name} được kể tên hai lần. Vui lòng gõ lại, mỗi người một lần.")
        named[person.id] = (entry.status, entry.reason)
    replaced = meeting.has_roll_call
    tally = await attendance.enter_paper(ctx.session, meeting, roster, named, ctx.now)
    exempt = sum(1 for person in await cell_members(ctx.session, meeting.cell_id) if person.exempt)
    tz = ctx.settings.tz
    lines = [
        f"Đã nhập điểm danh trên giấy buổi số {meeting.number} ({title(meeting, tz)}), "
        f"{rules.format_when(meeting.starts_at, tz)}:",
        *rules.attendance_lines(len(tally.present), len(tally.expected),
                                [(person.full_name, reason) for person, reason in tally.excused],
                                [person.full_name for person in tally.absent], exempt),
    ]
    if replaced:
        lines.append("Lần nhập này thay cho điểm danh đã ghi trước đó.")
    lines.append(f"Nhập sai thì gõ lại cả lệnh /diemdanh {meeting.number} giấy …: lần sau thay lần trước.")
    if meeting.status == MeetingStatus.ENDED:
        await _warn(ctx, meeting, None)
    ctx.reply("\n".join(lines))


async def _named_person(ctx: Ctx, meeting: Meeting, roster: list[Person], ref: str) -> Person:
    found = find_person(roster, ref)
    if isinstance(found, Person):
        return found
    if isinstance(found, list):
        names = ", ".join(f"{roster.index(p) + 1}. {p.full_name}" for p in found)
        raise UserError(f"Có nhiều đồng chí khớp «{ref}»: {names}. Vui lòng gõ số thứ tự hoặc tên đầy đủ.")
    exempt = [p for p in await cell_members(ctx.session, meeting.cell_id) if p.exempt]
    if isinstance(find_person(exempt, ref), Person) and not is_number(ref):
        raise UserError(f"Đồng chí «{ref}» được miễn sinh hoạt, không tính trong điểm danh: xin bỏ tên này ra.")
    raise UserError(f"Không tìm thấy «{ref}» trong danh sách buổi số {meeting.number}. Gõ /dukien {meeting.number} "
                    "để xem số thứ tự.")


async def _warn(ctx: Ctx, meeting: Meeting, member_ids: list[int] | None) -> None:
    """Attendance entered after the meeting may complete three months of absence, or a fourth excuse
    in a row: tell the secretary, as the end of a meeting would (each warning once)."""
    kinds = {"absence": outbox.WARN_ABSENCE, "excused": outbox.WARN_EXCUSED}
    leaders = await secretaries(ctx.session, meeting.cell_id)
    items = []
    for warning in await attendance.warnings_after(ctx.session, meeting, ctx.settings.tz, member_ids):
        items += [outbox.New(f"{warning.key}:to{s}", s, kinds[warning.kind], ctx.now, meeting.id,
                             {"member": warning.member_id, **warning.detail}) for s in leaders]
    await outbox.enqueue(ctx.session, items, ctx.now)


# -- /comat (members) --------------------------------------------------------------------------------------

async def check_in(ctx: Ctx, args: str) -> None:
    if await is_exempt(ctx.session, ctx.member_id):
        ctx.reply(EXEMPT_CHECK_IN)
        return
    code = "".join(ch for ch in args if ch in "0123456789")
    if not code:
        ctx.reply("Gõ /comat <mã> với mã 4 chữ số bí thư đọc tại buổi họp, ví dụ: /comat 4821.")
        return
    cell_id = ctx.account.cell_id
    open_meetings = [m for m in await upcoming(ctx.session, cell_id or 0, ctx.now, limit=3) if _open_now(m, ctx.now)]
    if not open_meetings:
        ctx.reply("Chi bộ không có buổi sinh hoạt nào đang diễn ra.")
        return
    if not any(m.checkin_code for m in open_meetings):
        ctx.reply("Buổi họp chưa mở điểm danh. Chờ bí thư đọc mã rồi gõ /comat <mã>.")
        return
    if await org.too_many_wrong_codes(ctx.session, ctx.account.id, ctx.now):
        ctx.reply("Đồng chí đã nhập sai mã quá nhiều lần. Vui lòng chờ 10 phút, hoặc nhờ bí thư ghi có mặt.")
        return
    meeting = next((m for m in open_meetings if m.checkin_code == code), None)
    if meeting is None:
        ctx.session.add(CodeAttempt(account_id=ctx.account.id, at=ctx.now))
        ctx.reply("Mã điểm danh không đúng. Vui lòng nghe lại mã bí thư đọc và gõ /comat <mã>.")
        return
    if ctx.member_id not in {p.id for p in await expected_members(ctx.session, meeting.cell_id)}:
        ctx.reply(EXEMPT_CHECK_IN)
        return
    row = (await attendance_of(ctx.session, id_of(meeting))).get(ctx.member_id)
    local = ctx.settings.tz
    if row is not None and row.status == Presence.PRESENT and row.checked_in_at is not None:
        ctx.reply(f"Đồng chí đã điểm danh lúc {rules.format_time(row.checked_in_at, local)}.")
        return
    await record(ctx.session, meeting, ctx.member_id, Presence.PRESENT, ctx.now)
    ctx.reply(f"Đã điểm danh: đồng chí có mặt tại buổi số {meeting.number} lúc {rules.format_time(ctx.now, local)}.")


COMMANDS = [
    Command("thamdu", "Báo tham dự buổi sinh hoạt", attend, Audience.MEMBER, usage="/thamdu [<số buổi>]",
            for_exempt=False,
            details="Báo chi bộ là đồng chí sẽ dự buổi sinh hoạt. Không gõ số buổi thì là buổi sắp tới.\n"
                    "Ví dụ: /thamdu 3. Trả lời lời mời: bấm Tham dự, hoặc gõ «có», «được», «dự»."),
    Command("vang", "Xin vắng buổi sinh hoạt (kèm lý do)", excuse, Audience.MEMBER, private=True,
            usage="/vang [<số buổi>] <lý do>", for_exempt=False,
            details="Xin vắng buổi sinh hoạt, kèm lý do (bot hỏi nếu chưa gõ). Không gõ số buổi thì là buổi sắp "
                    "tới.\nVí dụ: /vang 3 Đi công tác tỉnh. Trả lời lời mời: bấm Xin vắng, hoặc gõ «không», «vắng»."),
    Command("dukien", "Xem ai dự, ai xin vắng, ai chưa trả lời", expected, Audience.LEADER, private=True,
            usage="/dukien [<số buổi>]",
            details="Danh sách đảng viên của một buổi, đánh số thứ tự (dùng số này khi điểm danh): trước buổi họp "
                    "là ai báo dự, ai xin vắng, ai chưa trả lời; sau buổi họp là kết quả điểm danh.\n"
                    "Ví dụ: /dukien 3"),
    Command("diemdanh", "Mở điểm danh (mã 4 số), sửa điểm danh, nhập điểm danh trên giấy", roll_call,
            Audience.LEADER, private=True,
            usage="/diemdanh [<số buổi> [<số|tên> comat|vangcoly|vangkhongly | giấy vắng có lý do: … ; "
                  "vắng không lý do: …]]",
            details=ROLL_CALL_DETAILS),
    Command("comat", "Điểm danh có mặt bằng mã bí thư đọc", check_in, Audience.MEMBER, usage="/comat <mã>",
            for_exempt=False,
            details="Tại buổi họp, bí thư đọc mã 4 số; đồng chí có mặt gõ /comat <mã>, ví dụ: /comat 4821."),
]
FLOWS = {FLOW: _reason_flow}
FLOW_TITLES = {FLOW: "xin vắng"}
