"""Meetings: /lichhop (schedule, list), /doihop (move), /huyhop (cancel), /lich (members), /caidat
(its dues settings in handlers.dues_settings).

Handlers only write meetings and notices; the planner (schedules/) derives the reminders from
them on its next pass, and the dispatcher sends them. A move or a cancellation is told at once
to those who were already told of the meeting; the others get the invitation with the new time.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from domain import dates
from domain import meeting_rules as rules
from domain.errors import UserError
from domain.text import clean_name, fold, has_control
from domain.vocabulary import Answer, MeetingKind, MeetingStatus, Presence
from handlers import dues_settings
from handlers.context import Audience, Ctx
from handlers.registry import Command
from storage import org, outbox, unit_settings
from storage.meetings import (
    Meeting,
    MeetingSeries,
    active_series,
    attendance_of,
    duration_for,
    ensure_series_meetings,
    expected_members,
    meeting_in,
    on_day,
    title,
    upcoming,
)
from storage.types import id_of

SCHEDULE_HELP = (
    "Gõ một trong các dạng:\n"
    "/lichhop 05/12/2026 19:30 [chuyên đề: <chủ đề>] [tại <địa điểm>] [nội dung: <…>]\n"
    "/lichhop hangthang <ngày> <giờ> [tại <địa điểm>] (họp thường kỳ hằng tháng)\n"
    "/lichhop để xem các buổi sắp tới."
)
MOVE_HELP = "Gõ /doihop <số buổi> <dd/mm/yyyy> <hh:mm>, ví dụ: /doihop 3 07/12/2026 19:30."
CANCEL_HELP = "Gõ /huyhop <số buổi> [lý do], ví dụ: /huyhop 3 trùng lịch họp của phường."
MAX_AHEAD = timedelta(days=400)
LIMITS = {"topic": 300, "place": 200, "content": 1000}
_KEYWORD = re.compile(r"(?<![\w])(chuyen de|dia diem|noi dung|tai)(?![\w])\s*:?\s*")
_NAMES = {"chuyen de": "topic", "dia diem": "place", "tai": "place", "noi dung": "content"}
WHAT = {"topic": "Chủ đề", "place": "Địa điểm", "content": "Nội dung"}


def is_number(text: str) -> bool:
    """ASCII digits only: `int()` would also take "²" or "٣" and then fail."""
    return bool(re.fullmatch(r"[0-9]{1,12}", text))


async def led_cell(ctx: Ctx) -> int | None:
    """The cell this leader acts for: their own when they lead it, else the first they lead."""
    cells = await ctx.leader_cells()
    if not cells:
        return None
    return ctx.account.cell_id if ctx.account.cell_id in cells else cells[0]


async def own_cells(ctx: Ctx) -> list[int]:
    """The cells this leader leads, the one they act for first: a meeting number is a cell's own,
    so "buổi số 3" means the third of that cell (then of another they lead, if it has none)."""
    cells = await ctx.leader_cells()
    first = await led_cell(ctx)
    return sorted(set(cells), key=lambda cell: (cell != first, cell))


def split_details(text: str) -> dict[str, str]:
    """`chuyên đề: …`, `tại …` (or `địa điểm: …`), `nội dung: …`, in any order; what follows
    `nội dung:` is all content. Without diacritics `tai` also means `tại`; with them only `tại`
    does (so "tài liệu" is not a place)."""
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        return {}
    folded = "".join(" " if ch.isspace() else (fold(ch) or " ")[0] for ch in text)
    plain = fold(text) == " ".join(text.lower().split())
    found: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    for match in _KEYWORD.finditer(folded):
        word = match.group(1)
        if word == "tai" and not plain and text[match.start(1):match.end(1)].lower() != "tại":
            continue
        name = _NAMES[word]
        if name in seen or (found and found[-1][2] == "content"):
            continue
        seen.add(name)
        found.append((match.start(), match.end(), name))
    if not found or text[:found[0][0]].strip(" [],;"):
        raise UserError(f"Không hiểu «{text[:40]}». " + SCHEDULE_HELP)
    details: dict[str, str] = {}
    for index, (_start, end, name) in enumerate(found):
        stop = found[index + 1][0] if index + 1 < len(found) else len(text)
        value = clean_name(text[end:stop].strip(" []"))
        value = value.rstrip(" ,;")
        if not value:
            raise UserError(f"{WHAT[name]} đang để trống. " + SCHEDULE_HELP)
        if has_control(value):
            raise UserError(f"{WHAT[name]} có ký tự không hợp lệ.")
        if len(value) > LIMITS[name]:
            raise UserError(f"{WHAT[name]} dài quá {LIMITS[name]} ký tự. Vui lòng gõ ngắn gọn hơn.")
        details[name] = value
    return details


def describe(meeting: Meeting, ctx: Ctx) -> str:
    """`Buổi số 3: sinh hoạt thường kỳ tháng 12/2026 — 19:30 Thứ Bảy, 05/12/2026, tại …`."""
    tz = ctx.settings.tz
    place = f", tại {meeting.place}" if meeting.place else ""
    return f"buổi số {meeting.number}: {title(meeting, tz)} — {rules.format_when(meeting.starts_at, tz)}{place}"


def capital(text: str) -> str:
    """A sentence that starts with a phrase written for the middle of one ("buổi số 1: …")."""
    return text[:1].upper() + text[1:]


async def _plan(ctx: Ctx, cell_id: int) -> list[rules.Step]:
    return rules.plan_from_setting(await unit_settings.get(ctx.session, cell_id, "reminder_plan"))


async def _invitation_note(ctx: Ctx, meeting: Meeting) -> str:
    """When the invitation will go out, from the cell's reminder plan."""
    steps = await _plan(ctx, meeting.cell_id)
    due = steps[0].due(meeting.starts_at, ctx.settings.tz)
    if due <= ctx.now:
        return "Lời mời sẽ gửi ngay."
    return f"Lời mời sẽ gửi lúc {rules.format_when(due, ctx.settings.tz)}."


# -- /lichhop -------------------------------------------------------------------------------------------

async def schedule(ctx: Ctx, args: str) -> None:
    cell_id = await led_cell(ctx)
    assert cell_id is not None  # the audience guarantees a led cell
    if not args:
        await _list_for_leader(ctx, cell_id)
        return
    first, _, rest = args.partition(" ")
    try:
        if fold(first) in ("hangthang", "hang thang", "thuongky"):
            await _set_series(ctx, cell_id, rest.strip())
        else:
            await _schedule_one(ctx, cell_id, args)
    except UserError as error:
        ctx.reply(str(error))


async def _set_series(ctx: Ctx, cell_id: int, args: str) -> None:
    day_text, _, rest = args.partition(" ")
    time_text, _, rest = rest.strip().partition(" ")
    at = dates.parse_time(time_text)
    if not is_number(day_text) or not 1 <= int(day_text) <= 31 or at is None:
        raise UserError("Gõ /lichhop hangthang <ngày> <giờ> [tại <địa điểm>], ví dụ: "
                              "/lichhop hangthang 5 19:30 tại Hội trường khu phố.")
    details = split_details(rest)
    if set(details) - {"place"}:
        raise UserError("Lịch hằng tháng chỉ nhận ngày, giờ và địa điểm. Chủ đề, nội dung của từng buổi: "
                              "gõ /lichhop <dd/mm/yyyy> <hh:mm> chuyên đề: … hoặc nội dung: ….")
    tz = ctx.settings.tz
    old = await active_series(ctx.session, cell_id)
    kept: list[Meeting] = []
    if old is not None:
        old.active = False
        ctx.session.add(old)
        kept = await _retire_series_meetings(ctx, old)
    series = MeetingSeries(cell_id=cell_id, day=int(day_text), local_time=f"{at:%H:%M}",
                           place=details.get("place"), created_at=ctx.now)
    ctx.session.add(series)
    await ctx.session.flush()
    created = await ensure_series_meetings(ctx.session, [series], ctx.now, tz)
    place = f", tại {series.place}" if series.place else ""
    lines = [f"Đã đặt lịch sinh hoạt thường kỳ hằng tháng: ngày {series.day}, lúc {series.local_time}{place}."]
    if series.day > 28:
        lines.append(f"Tháng không có ngày {series.day} thì họp vào ngày cuối tháng.")
    lines.append("Các buổi sắp tới:")
    lines += [f"Buổi số {m.number}: {rules.format_when(m.starts_at, tz)}" for m in kept + created]
    if kept:
        lines.append("Các buổi của lịch cũ đã báo cho đảng viên được giữ nguyên; muốn đổi, gõ /doihop.")
    steps = await _plan(ctx, cell_id)
    lines.append(f"Nhắc lịch: {rules.describe_plan(steps)} (đổi bằng /caidat nhacnho).")
    ctx.reply("\n".join(lines))


async def _retire_series_meetings(ctx: Ctx, series: MeetingSeries) -> list[Meeting]:
    """A replaced series: its future meetings nobody has heard of are withdrawn; the others stay."""
    kept = []
    for meeting in await upcoming(ctx.session, series.cell_id, ctx.now, limit=50):
        if meeting.series_id != series.id or meeting.starts_at <= ctx.now:
            continue
        if await outbox.told_about(ctx.session, id_of(meeting)):
            kept.append(meeting)
            continue
        meeting.status = MeetingStatus.CANCELLED
        meeting.updated_at = ctx.now
        ctx.session.add(meeting)
        await outbox.drop_meeting_reminders(ctx.session, id_of(meeting), "the monthly schedule was replaced")
    return kept


def _parse_start(ctx: Ctx, date_text: str, time_text: str) -> datetime:
    tz = ctx.settings.tz
    day = dates.parse_optional_date(date_text, ctx.local_now.date(), dates.Direction.FUTURE)
    at = dates.parse_time(time_text)
    if day is None or at is None:
        raise UserError(f"Không hiểu ngày giờ «{date_text} {time_text}». Ngày gõ dd/mm/yyyy, giờ gõ hh:mm, "
                        "ví dụ: 05/12/2026 19:30.")
    start = rules.local_start(day, at, tz)
    if start <= ctx.now:
        raise UserError(f"{rules.format_when(start, tz)} đã qua. Vui lòng chọn thời gian sắp tới.")
    if start > ctx.now + MAX_AHEAD:
        raise UserError("Chỉ đặt lịch trong vòng một năm tới.")
    return start


async def _schedule_one(ctx: Ctx, cell_id: int, args: str) -> None:
    parts = args.split(" ", 2)
    if len(parts) < 2:
        raise UserError(SCHEDULE_HELP)
    start = _parse_start(ctx, parts[0], parts[1])
    details = split_details(parts[2] if len(parts) > 2 else "")
    tz = ctx.settings.tz
    same_day = await on_day(ctx.session, cell_id, start, tz)
    if same_day is not None:
        if "topic" in details and same_day.kind == MeetingKind.REGULAR and same_day.starts_at == start:
            await _combine(ctx, same_day, details)
            return
        raise UserError(
            f"Ngày này chi bộ đã có {describe(same_day, ctx)}. Muốn ghép sinh hoạt chuyên đề vào buổi đó, gõ lại "
            f"với giờ {rules.format_time(same_day.starts_at, tz)}; muốn đổi giờ, gõ /doihop {same_day.number} "
            f"{same_day.starts_at.astimezone(tz):%d/%m/%Y} <giờ>.")
    kind = MeetingKind.THEMATIC if "topic" in details else MeetingKind.REGULAR
    meeting = Meeting(cell_id=cell_id, kind=kind, starts_at=start, duration_minutes=duration_for(kind),
                      place=details.get("place"), topic=details.get("topic"), content=details.get("content"),
                      created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(meeting)
    await ctx.session.flush()
    ctx.reply(f"Đã đặt {describe(meeting, ctx)} ({meeting.duration_minutes} phút).\n"
              + await _invitation_note(ctx, meeting))


async def _combine(ctx: Ctx, meeting: Meeting, details: dict[str, str]) -> None:
    """A thematic meeting on the regular meeting's day and time: one sitting of 120 minutes."""
    meeting.kind = MeetingKind.COMBINED
    meeting.topic = details["topic"]
    meeting.duration_minutes = duration_for(MeetingKind.COMBINED)
    meeting.place = details.get("place", meeting.place)
    meeting.content = details.get("content", meeting.content)
    meeting.updated_at = ctx.now
    ctx.session.add(meeting)
    ctx.reply(f"Đã ghép sinh hoạt chuyên đề vào buổi thường kỳ.\n{capital(describe(meeting, ctx))} "
              f"({meeting.duration_minutes} phút).")


async def _counts(ctx: Ctx, meeting: Meeting) -> str:
    expected = {p.id for p in await expected_members(ctx.session, meeting.cell_id)}
    rows = await attendance_of(ctx.session, id_of(meeting))
    yes = sum(1 for m, r in rows.items() if m in expected and r.rsvp == Answer.YES)
    excused = sum(1 for m, r in rows.items() if m in expected and r.rsvp == Presence.EXCUSED)
    return f"tham dự {yes}, xin vắng {excused}, chưa trả lời {len(expected) - yes - excused}"


async def _list_for_leader(ctx: Ctx, cell_id: int) -> None:
    cell = await org.unit(ctx.session, cell_id)
    meetings = await upcoming(ctx.session, cell_id, ctx.now)
    series = await active_series(ctx.session, cell_id)
    lines = []
    if meetings:
        lines.append(f"Lịch sinh hoạt sắp tới của {cell.name}:")
        lines += [f"{capital(describe(m, ctx))} ({await _counts(ctx, m)})" for m in meetings]
    else:
        lines.append(f"{cell.name} chưa có buổi sinh hoạt nào sắp tới.")
    if series is not None:
        place = f", tại {series.place}" if series.place else ""
        lines.append(f"Lịch hằng tháng: ngày {series.day}, lúc {series.local_time}{place}.")
    if meetings:
        lines.append("Gõ /dukien <số> để xem ai dự, /doihop <số> <dd/mm/yyyy> <hh:mm> để đổi, /huyhop <số> để hủy.")
    else:
        lines.append(SCHEDULE_HELP)
    ctx.reply("\n".join(lines))


# -- /doihop and /huyhop ------------------------------------------------------------------------------------

async def _own_meeting(ctx: Ctx, number: str, usage: str) -> Meeting | None:
    if not is_number(number):
        ctx.reply(usage)
        return None
    meeting = await meeting_in(ctx.session, int(number), await own_cells(ctx))
    if meeting is None:
        ctx.reply(f"Không có buổi số {number} của chi bộ đồng chí. Gõ /lichhop để xem các buổi sắp tới.")
        return None
    if meeting.status != MeetingStatus.SCHEDULED or meeting.starts_at <= ctx.now:
        state = "đã hủy" if meeting.status == MeetingStatus.CANCELLED else "đã bắt đầu hoặc đã kết thúc"
        ctx.reply(f"Buổi số {meeting.number} {state}, không thay đổi được nữa.")
        return None
    return meeting


async def _tell(ctx: Ctx, meeting: Meeting, kind: str, key_part: str, payload: dict[str, object]) -> int:
    """Notify, through the outbox, everyone who knows of this meeting (invited, or answered
    already) except who acts; the others will get the invitation with the new details."""
    answered = {member for member, row in (await attendance_of(ctx.session, id_of(meeting))).items()
                if row.rsvp}
    told = sorted((await outbox.told_about(ctx.session, id_of(meeting)) | answered) - {ctx.member_id})
    await outbox.enqueue(ctx.session, [
        outbox.New(f"m{meeting.id}:{key_part}:{member_id}", member_id, kind, ctx.now, meeting.id, payload)
        for member_id in told
    ], ctx.now)
    return len(told)


def _told_text(count: int) -> str:
    if count:
        return f"Đã báo cho {count} đồng chí đã biết về buổi này (đã nhận lời mời hoặc đã trả lời)."
    return "Chưa ai nhận lời mời hay trả lời về buổi này nên không cần báo lại."


async def move(ctx: Ctx, args: str) -> None:
    parts = args.split()
    if len(parts) != 3:
        ctx.reply(MOVE_HELP)
        return
    meeting = await _own_meeting(ctx, parts[0], MOVE_HELP)
    if meeting is None:
        return
    tz = ctx.settings.tz
    try:
        start = _parse_start(ctx, parts[1], parts[2])
    except UserError as error:
        ctx.reply(str(error))
        return
    if start == meeting.starts_at:
        ctx.reply(f"Buổi số {meeting.number} đã ở đúng thời gian này: {rules.format_when(start, tz)}.")
        return
    clash = await on_day(ctx.session, meeting.cell_id, start, tz)
    if clash is not None and clash.id != meeting.id:
        ctx.reply(f"Ngày này chi bộ đã có {describe(clash, ctx)}. Vui lòng chọn ngày khác.")
        return
    old = meeting.starts_at
    meeting.starts_at = start
    meeting.updated_at = ctx.now
    ctx.session.add(meeting)
    # The key names the new time and the moment of the move: moving back and forth tells each time.
    count = await _tell(ctx, meeting, outbox.MOVED, f"move{int(start.timestamp())}@{int(ctx.now.timestamp())}",
                        {"old": old.isoformat(), "new": start.isoformat()})
    ctx.reply(f"Đã dời buổi số {meeting.number} từ {rules.format_when(old, tz)} sang {rules.format_when(start, tz)}.\n"
              f"{_told_text(count)} Các lời nhắc sau sẽ theo giờ mới.")


async def cancel(ctx: Ctx, args: str) -> None:
    number, _, reason = args.partition(" ")
    meeting = await _own_meeting(ctx, number, CANCEL_HELP)
    if meeting is None:
        return
    reason = clean_name(reason)[:300]
    if has_control(reason):
        ctx.reply("Lý do có ký tự không hợp lệ. " + CANCEL_HELP)
        return
    meeting.status = MeetingStatus.CANCELLED
    meeting.updated_at = ctx.now
    ctx.session.add(meeting)
    await outbox.drop_meeting_reminders(ctx.session, id_of(meeting), "the meeting was cancelled")
    count = await _tell(ctx, meeting, outbox.CANCELLED, "cancel", {"reason": reason})
    ctx.reply(f"Đã hủy buổi số {meeting.number} ({title(meeting, ctx.settings.tz)}, "
              f"{rules.format_when(meeting.starts_at, ctx.settings.tz)}).\n{_told_text(count)}")


# -- /lich (any member) ------------------------------------------------------------------------------------

ANSWER_WORDS: dict[str, str] = {Answer.YES: "tham dự", Presence.EXCUSED: "xin vắng"}


async def calendar(ctx: Ctx, args: str) -> None:
    cell_id = ctx.account.cell_id
    if cell_id is None:
        ctx.reply("Đồng chí chưa thuộc chi bộ nào nên chưa có lịch sinh hoạt.")
        return
    cell = await org.unit(ctx.session, cell_id)
    meetings = await upcoming(ctx.session, cell_id, ctx.now)
    if not meetings:
        ctx.reply(f"{cell.name} chưa có buổi sinh hoạt nào sắp tới.")
        return
    exempt = ctx.member_id not in {p.id for p in await expected_members(ctx.session, cell_id)}
    lines = [f"Lịch sinh hoạt sắp tới của {cell.name}:"]
    for meeting in meetings:
        row = (await attendance_of(ctx.session, id_of(meeting))).get(ctx.member_id or 0)
        answer = ANSWER_WORDS.get(row.rsvp if row and row.rsvp else "", "chưa trả lời")
        lines.append(f"{capital(describe(meeting, ctx))}." + ("" if exempt else f" Đồng chí: {answer}."))
    if exempt:
        lines.append("Đồng chí được miễn sinh hoạt nên không cần báo tham dự.")
    else:
        lines.append("Gõ /thamdu <số> hoặc /vang <số> <lý do> để trả lời.")
    ctx.reply("\n".join(lines))


# -- /caidat ----------------------------------------------------------------------------------------------

SETTINGS_HELP = ("Gõ /caidat nhacnho <các mốc>, ví dụ /caidat nhacnho 3n 1n 2g (n = ngày, g = giờ); "
                 f"{dues_settings.CELL_HELP}.\nCấp ủy đảng bộ gõ /caidat handanhgia <dd/mm>, ví dụ /caidat "
                 f"handanhgia 10/12; {dues_settings.COMMITTEE_HELP}.")


async def settings(ctx: Ctx, args: str) -> None:
    word, _, rest = args.partition(" ")
    key = fold(word)
    cell_id = await led_cell(ctx)
    committees = await ctx.committees()
    unit_id = cell_id if cell_id is not None else committees[0]
    if not key:
        steps = rules.plan_from_setting(await unit_settings.get(ctx.session, unit_id, "reminder_plan"))
        deadline = await unit_settings.get(ctx.session, unit_id, "self_assessment_deadline")
        unit = await org.unit(ctx.session, unit_id)
        ctx.reply(f"Cài đặt của {unit.name}:\n"
                  f"Nhắc lịch họp: {' '.join(s.code() for s in steps)} ({rules.describe_plan(steps)}).\n"
                  f"Hạn tự đánh giá, xếp loại: {deadline}.\n"
                  + "\n".join(await dues_settings.shown(ctx, unit_id)) + "\n" + SETTINGS_HELP)
        return
    if key in ("nhacnho", "nhac nho", "nhaclich"):
        try:
            steps = rules.parse_plan(rest)
        except UserError as error:
            ctx.reply(str(error))
            return
        await unit_settings.put(ctx.session, unit_id, "reminder_plan", [s.code() for s in steps])
        unit = await org.unit(ctx.session, unit_id)
        scope = "" if cell_id is not None else " (áp dụng cho các chi bộ chưa có cài đặt riêng)"
        ctx.reply(f"Đã đổi lịch nhắc của {unit.name}{scope}: {rules.describe_plan(steps)}.\n"
                  "Áp dụng cho các lời nhắc chưa gửi của các buổi sắp tới.")
        return
    if key in ("handanhgia", "han danh gia", "hantudanhgia"):
        if not committees:
            ctx.reply("Hạn tự đánh giá do cấp ủy đảng bộ đặt.")
            return
        found = dates.parse_day_month(rest)
        if found is None:
            ctx.reply("Gõ /caidat handanhgia <dd/mm>, ví dụ: /caidat handanhgia 10/12.")
            return
        value = f"{found[0]:02d}/{found[1]:02d}"
        await unit_settings.put(ctx.session, committees[0], "self_assessment_deadline", value)
        unit = await org.unit(ctx.session, committees[0])
        ctx.reply(f"Đã đặt hạn tự đánh giá, xếp loại của {unit.name}: ngày {value} hằng năm. "
                  "Đảng viên chưa tự đánh giá sẽ được nhắc trước 7 ngày và 2 ngày, lúc 08:00.")
        return
    if await dues_settings.change(ctx, args, cell_id, committees):
        return
    ctx.reply(f"Không có cài đặt «{word[:30]}». " + SETTINGS_HELP)


COMMANDS = [
    Command("lichhop", "Đặt lịch, xem lịch sinh hoạt chi bộ", schedule, Audience.LEADER,
            usage="/lichhop [<dd/mm/yyyy> <hh:mm> …|hangthang <ngày> <giờ> …]",
            details=SCHEDULE_HELP + "\nVí dụ: /lichhop 12/12/2026 19:30 chuyên đề: Học tập Nghị quyết tại Hội trường\n"
                    "Các buổi được đánh số riêng của chi bộ (buổi số 1, 2, 3…): dùng số này với /doihop, /huyhop, "
                    "/dukien, /diemdanh."),
    Command("doihop", "Dời một buổi sinh hoạt", move, Audience.LEADER, usage="/doihop <số> <dd/mm/yyyy> <hh:mm>",
            details=MOVE_HELP + "\nNhững đồng chí đã nhận lời mời hoặc đã trả lời được báo giờ mới."),
    Command("huyhop", "Hủy một buổi sinh hoạt", cancel, Audience.LEADER, usage="/huyhop <số> [lý do]",
            details=CANCEL_HELP + "\nNhững đồng chí đã nhận lời mời hoặc đã trả lời được báo, kèm lý do."),
    Command("lich", "Xem lịch sinh hoạt sắp tới của chi bộ", calendar, Audience.MEMBER,
            details="Các buổi sinh hoạt sắp tới của chi bộ, với số buổi và câu trả lời của đồng chí.\n"
                    "Trả lời: /thamdu <số> hoặc /vang <số> <lý do>."),
    Command("caidat", "Cài đặt nhắc lịch họp, nhắc đảng phí, hạn tự đánh giá", settings,
            Audience.LEADER_OR_COMMITTEE,
            usage="/caidat [nhacnho <mốc>|nhacdangphi <ngày|tắt>|handanhgia <dd/mm>|luongtoithieu <số tiền>|"
                  "dangphidelai <phần trăm>]", details=SETTINGS_HELP),
]
