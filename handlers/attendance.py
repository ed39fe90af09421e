"""Answers and attendance: /thamdu, /vang (asks the reason), /dukien, /diemdanh (the code, corrections), /comat.

The invitation's choices are "/thamdu 12" and "/vang 12": typing them, or the choice's number,
works on every platform.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlmodel import col, select

from domain import meeting_rules as rules
from domain.text import clean_name, fold, has_control
from domain.vocabulary import Answer, MeetingStatus, Presence
from handlers.context import Audience, Ctx
from handlers.meetings import describe, is_number, led_cell
from handlers.registry import Command
from storage import attendance, org, outbox
from storage.meetings import (
    Meeting,
    Person,
    answer,
    attendance_of,
    cell_members,
    expected_members,
    meeting_in,
    record,
    secretaries,
    title,
    upcoming,
)
from storage.tables import ChatAccount, CodeAttempt

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
STATUS_NAMES = {Presence.PRESENT: "có mặt", Presence.EXCUSED: "vắng có lý do", Presence.ABSENT: "vắng không lý do"}
CORRECT_HELP = "Gõ /diemdanh <số buổi> <số|tên> comat|vangcoly|vangkhongly, ví dụ: /diemdanh 12 5 comat."


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
        ctx.reply(f"Buổi số {meeting.id} {state}.")
        return False
    if ctx.member_id not in {p.id for p in await expected_members(ctx.session, meeting.cell_id)}:
        ctx.reply("Đồng chí được miễn sinh hoạt nên không cần báo tham dự hay xin vắng. "
                  "Nếu đến dự, đồng chí vẫn điểm danh được bằng /comat.")
        return False
    return True


def _when(ctx: Ctx, meeting: Meeting) -> str:
    tz = ctx.settings.tz
    place = f", tại {meeting.place}" if meeting.place else ""
    return f"buổi số {meeting.id} ({title(meeting, tz)}), {rules.format_when(meeting.starts_at, tz)}{place}"


# -- /thamdu and /vang ------------------------------------------------------------------------------------

async def attend(ctx: Ctx, args: str) -> None:
    number = args.split()[0] if args.split() and is_number(args.split()[0]) else None
    meeting = await _meeting_for_member(ctx, number)
    if meeting is None or not await _answerable(ctx, meeting):
        return
    await answer(ctx.session, meeting.id, ctx.member_id, Answer.YES, None, ctx.now)  # type: ignore[arg-type]
    ctx.reply(f"Đã ghi nhận: đồng chí tham dự {_when(ctx, meeting)}.")


async def excuse(ctx: Ctx, args: str) -> None:
    """`/vang <số> <lý do>`; without a reason the bot asks for it."""
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
    await answer(ctx.session, meeting.id, ctx.member_id, Presence.EXCUSED, reason, ctx.now)  # type: ignore[arg-type]
    ctx.reply(f"Đã ghi nhận đồng chí xin vắng {_when(ctx, meeting)}. Lý do: {reason}.\n"
              "Bot sẽ không nhắc đồng chí về buổi này nữa.")


# -- /dukien --------------------------------------------------------------------------------------------

def _numbered(people: list[tuple[int, str]]) -> str:
    return "; ".join(f"{number}. {text}" for number, text in people) + "." if people else "không có."


async def _roster(ctx: Ctx, meeting: Meeting) -> list[Person]:
    """Whom the meeting's numbers refer to: those counted (ended), or those expected (coming)."""
    if meeting.status == MeetingStatus.ENDED:
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
    cells = await ctx.leader_cells()
    number = args.split()[0] if args.split() else ""
    if number and not is_number(number):
        ctx.reply("Gõ /dukien <số buổi>, ví dụ: /dukien 12. Gõ /lichhop để xem số các buổi.")
        return
    if number:
        meeting = await meeting_in(ctx.session, int(number), cells)
    else:
        coming = await upcoming(ctx.session, await led_cell(ctx) or 0, ctx.now, limit=1)
        meeting = coming[0] if coming else None
    if meeting is None:
        ctx.reply("Không tìm thấy buổi sinh hoạt này của chi bộ đồng chí. Gõ /lichhop để xem các buổi sắp tới.")
        return
    roster = await _roster(ctx, meeting)
    rows = await attendance_of(ctx.session, meeting.id)  # type: ignore[arg-type]
    lines = [f"{describe(meeting, ctx)}:"]
    groups: dict[str, list[tuple[int, str]]] = {}
    for number_in_list, person in enumerate(roster, 1):
        row = rows.get(person.id)
        if meeting.status == MeetingStatus.ENDED:
            state = (row.status if row else None) or Presence.ABSENT
        else:
            state = (row.rsvp if row else None) or "none"
        text = person.full_name
        if state == Presence.EXCUSED and row is not None and row.reason:
            text += f" ({row.reason})"
        groups.setdefault(state, []).append((number_in_list, text))
    if meeting.status == MeetingStatus.ENDED:
        tally = await attendance.tally(ctx.session, meeting)
        lines.append(f"Đã kết thúc. Có mặt: {tally.ratio}.")
        labels = ((Presence.PRESENT, "Có mặt"), (Presence.EXCUSED, "Vắng có lý do"), (Presence.ABSENT,
            "Vắng không lý do"))
    else:
        labels = ((Answer.YES, "Tham dự"), (Presence.EXCUSED, "Xin vắng"), ("none", "Chưa trả lời"))
    for key, label in labels:
        found = groups.get(key, [])
        lines.append(f"{label} ({len(found)}): {_numbered(found)}")
    exempt = [p.full_name for p in await cell_members(ctx.session, meeting.cell_id) if p.exempt]
    if exempt:
        lines.append(f"Miễn sinh hoạt, không tính: {', '.join(exempt)}.")
    if meeting.status != MeetingStatus.ENDED:
        unreachable = await _unreachable_names(ctx, roster)
        if unreachable:
            lines.append(f"Bot chưa liên lạc được: {', '.join(unreachable)}.")
    ctx.reply("\n".join(lines))


# -- /diemdanh (the secretary) ----------------------------------------------------------------------------

def _open_now(meeting: Meeting, now: datetime) -> bool:
    opens = meeting.starts_at - rules.CHECKIN_OPENS
    return meeting.status == MeetingStatus.SCHEDULED and opens <= now < meeting.ends_at


async def roll_call(ctx: Ctx, args: str) -> None:
    parts = args.split()
    cells = await ctx.leader_cells()
    if parts and not is_number(parts[0]):
        ctx.reply(CORRECT_HELP)
        return
    if len(parts) >= 2:
        await _correct(ctx, cells, parts[0], " ".join(parts[1:]))
        return
    meeting = await _current(ctx, cells, parts[0] if parts else None)
    if meeting is None:
        return
    if meeting.checkin_code is None:
        meeting.checkin_code = f"{secrets.randbelow(10_000):04d}"
        meeting.updated_at = ctx.now
        ctx.session.add(meeting)
    note = ""
    if ctx.member_id in {p.id for p in await expected_members(ctx.session, meeting.cell_id)}:
        await record(ctx.session, meeting.id, ctx.member_id, Presence.PRESENT, ctx.now)  # type: ignore[arg-type]
        note = " Đồng chí đã được ghi có mặt."
    ends = rules.format_time(meeting.ends_at, ctx.settings.tz)
    ctx.reply(f"Mã điểm danh buổi số {meeting.id}: {meeting.checkin_code}\n"
              f"Đọc mã này tại buổi họp; đảng viên có mặt gõ /comat {meeting.checkin_code} trước {ends}.{note}\n"
              f"Sửa điểm danh: /diemdanh {meeting.id} <số|tên> comat|vangcoly|vangkhongly")


async def _current(ctx: Ctx, cells: list[int], number: str | None) -> Meeting | None:
    """The meeting whose roll call is open now (from an hour before its start to its end)."""
    tz = ctx.settings.tz
    if number is not None:
        meeting = await meeting_in(ctx.session, int(number), cells)
        if meeting is None:
            ctx.reply(f"Không có buổi số {number} của chi bộ đồng chí.")
            return None
        if not _open_now(meeting, ctx.now):
            ctx.reply(f"Buổi số {meeting.id} không diễn ra lúc này ({rules.format_when(meeting.starts_at, tz)}). "
                      "Điểm danh mở từ 60 phút trước giờ họp đến khi kết thúc.")
            return None
        return meeting
    for cell_id in cells:
        for meeting in await upcoming(ctx.session, cell_id, ctx.now, limit=3):
            if _open_now(meeting, ctx.now):
                return meeting
    coming = await upcoming(ctx.session, await led_cell(ctx) or 0, ctx.now, limit=1)
    nearest = f" Buổi gần nhất: số {coming[0].id}, {rules.format_when(coming[0].starts_at, tz)}." if coming else ""
    ctx.reply("Chưa đến giờ buổi sinh hoạt nào: điểm danh mở từ 60 phút trước giờ họp đến khi kết thúc." + nearest)
    return None


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


async def _correct(ctx: Ctx, cells: list[int], number: str, rest: str) -> None:
    meeting = await meeting_in(ctx.session, int(number), cells)
    if meeting is None:
        ctx.reply(f"Không có buổi số {number} của chi bộ đồng chí.")
        return
    if meeting.status not in (MeetingStatus.SCHEDULED,
        MeetingStatus.ENDED) or ctx.now < meeting.starts_at - rules.CHECKIN_OPENS:
        ctx.reply(f"Buổi số {meeting.id} chưa diễn ra hoặc đã hủy, chưa điểm danh được.")
        return
    split = _status_of(rest)
    if split is None or not split[0]:
        ctx.reply(CORRECT_HELP)
        return
    ref, status = split
    roster = await _roster(ctx, meeting)
    found = find_person(roster, ref)
    if found is None:
        ctx.reply(f"Không tìm thấy «{ref}» trong danh sách buổi số {meeting.id}. Gõ /dukien {meeting.id} để xem số "
                  "thứ tự.")
        return
    if isinstance(found, list):
        names = ", ".join(f"{roster.index(p) + 1}. {p.full_name}" for p in found)
        ctx.reply(f"Có nhiều đồng chí khớp «{ref}»: {names}. Vui lòng gõ số thứ tự.")
        return
    row = await record(ctx.session, meeting.id, found.id, status, ctx.now)  # type: ignore[arg-type]
    if status == Presence.EXCUSED and not row.reason:
        row.reason = "bí thư ghi nhận"
        ctx.session.add(row)
    lines = [f"Đã ghi: {found.full_name} — {STATUS_NAMES[status]} (buổi số {meeting.id})."]
    if meeting.status == MeetingStatus.ENDED:
        tally = await attendance.tally(ctx.session, meeting)
        verdict = "đạt yêu cầu" if tally.meets_quality else (
            "chưa đạt yêu cầu (cần trên 85% có mặt, không ai vắng không lý do)")
        lines.append(f"Buổi số {meeting.id} nay: có mặt {tally.ratio}; {verdict}.")
        await _warn(ctx, meeting, found.id)
    ctx.reply("\n".join(lines))


async def _warn(ctx: Ctx, meeting: Meeting, member_id: int) -> None:
    """A correction after the meeting may complete three months of absence: tell the secretary."""
    kinds = {"absence": outbox.WARN_ABSENCE, "excused": outbox.WARN_EXCUSED}
    leaders = await secretaries(ctx.session, meeting.cell_id)
    items = []
    for warning in await attendance.warnings_after(ctx.session, meeting, ctx.settings.tz, [member_id]):
        items += [outbox.New(f"{warning.key}:to{s}", s, kinds[warning.kind], ctx.now, meeting.id,
                             {"member": warning.member_id, **warning.detail}) for s in leaders]
    await outbox.enqueue(ctx.session, items, ctx.now)


# -- /comat (members) --------------------------------------------------------------------------------------

async def check_in(ctx: Ctx, args: str) -> None:
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
        ctx.reply("Đồng chí được miễn sinh hoạt nên không cần điểm danh. Cảm ơn đồng chí đã đến dự.")
        return
    row = (await attendance_of(ctx.session, meeting.id)).get(ctx.member_id)  # type: ignore[arg-type, arg-type]
    local = ctx.settings.tz
    if row is not None and row.status == Presence.PRESENT and row.checked_in_at is not None:
        ctx.reply(f"Đồng chí đã điểm danh lúc {rules.format_time(row.checked_in_at, local)}.")
        return
    await record(ctx.session, meeting.id, ctx.member_id, Presence.PRESENT, ctx.now)  # type: ignore[arg-type]
    ctx.reply(f"Đã điểm danh: đồng chí có mặt tại buổi số {meeting.id} lúc {rules.format_time(ctx.now, local)}.")


COMMANDS = [
    Command("thamdu", "Báo tham dự buổi sinh hoạt", attend, Audience.MEMBER, usage="/thamdu [<số buổi>]"),
    Command("vang", "Xin vắng buổi sinh hoạt (kèm lý do)", excuse, Audience.MEMBER, private=True,
            usage="/vang [<số buổi>] <lý do>"),
    Command("dukien", "Xem ai dự, ai xin vắng, ai chưa trả lời", expected, Audience.LEADER, private=True,
            usage="/dukien [<số buổi>]"),
    Command("diemdanh", "Mở điểm danh (mã 4 số) hoặc sửa điểm danh", roll_call, Audience.LEADER, private=True,
            usage="/diemdanh [<số buổi> <số|tên> comat|vangcoly|vangkhongly]"),
    Command("comat", "Điểm danh có mặt bằng mã bí thư đọc", check_in, Audience.MEMBER, usage="/comat <mã>"),
]
FLOWS = {FLOW: _reason_flow}
