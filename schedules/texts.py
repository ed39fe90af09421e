"""What scheduled messages say. Rendered at send time, from the meeting as it is then, so that a
moved meeting's later reminders state the new time.

Pure functions of plain values: the dispatcher loads the values, tests read the words.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain import meeting_rules as rules
from domain.messages import Choice, Reply
from domain.vocabulary import Answer, Presence
from storage.meetings import Meeting, title


def answer_choices(meeting: Meeting) -> tuple[Choice, ...]:
    """Tham dự / Xin vắng: the values are commands with the cell's meeting number, so typing them
    works on every platform (and so does "có" / "không": see handlers.router)."""
    return (Choice("Tham dự", f"/thamdu {meeting.number}"), Choice("Xin vắng", f"/vang {meeting.number}"))


def _place(meeting: Meeting) -> str:
    return f", tại {meeting.place}" if meeting.place else ""


def _named(meeting: Meeting, tz: ZoneInfo) -> str:
    return f"{title(meeting, tz)} (buổi số {meeting.number})"


def invitation(meeting: Meeting, cell_name: str, tz: ZoneInfo) -> Reply:
    lines = [
        f"{cell_name} kính mời đồng chí dự {_named(meeting, tz)}.",
        f"Thời gian: {rules.format_when(meeting.starts_at, tz)} ({meeting.duration_minutes} phút).",
    ]
    if meeting.place:
        lines.append(f"Địa điểm: {meeting.place}.")
    if meeting.content:
        lines.append(f"Nội dung: {meeting.content}")
    lines.append("Đồng chí dự được không?")
    return Reply("\n".join(lines), answer_choices(meeting))


def followup(meeting: Meeting, tz: ZoneInfo) -> Reply:
    return Reply(
        f"Nhắc lịch: đồng chí chưa trả lời lời mời dự {_named(meeting, tz)}, "
        f"{rules.format_when(meeting.starts_at, tz)}{_place(meeting)}.\nĐồng chí dự được không?",
        answer_choices(meeting),
    )


def _relative_day(start: datetime, now: datetime, tz: ZoneInfo) -> str:
    """`19:30 hôm nay`, `19:30 ngày mai`, or the full date."""
    day: date = start.astimezone(tz).date()
    today = now.astimezone(tz).date()
    clock = rules.format_time(start, tz)
    if day == today:
        return f"{clock} hôm nay"
    if (day - today).days == 1:
        return f"{clock} ngày mai"
    return rules.format_when(start, tz)


def last_call(meeting: Meeting, rsvp: str | None, now: datetime, tz: ZoneInfo) -> Reply:
    text = (f"Nhắc lịch: {_named(meeting, tz)} bắt đầu lúc {_relative_day(meeting.starts_at, now, tz)}"
            f"{_place(meeting)}.")
    if rsvp is None:
        return Reply(text + "\nĐồng chí chưa trả lời: đồng chí dự được không?",
                     answer_choices(meeting))
    return Reply(text)


# What a moved meeting's notice asks, by the answer the member had given (keyed by the stored text).
_ASK_AFTER_MOVE: dict[str, str] = {
    Answer.YES: "Đồng chí đã báo tham dự; nếu giờ mới không dự được, chọn Xin vắng.",
    Presence.EXCUSED: "Đồng chí đã xin vắng; nếu giờ mới dự được, chọn Tham dự.",
}


def moved(meeting: Meeting, old_start: datetime, rsvp: str | None, tz: ZoneInfo) -> Reply:
    ask = _ASK_AFTER_MOVE.get(rsvp or "", "Đồng chí dự được không?")
    return Reply(
        f"Đổi lịch: {_named(meeting, tz)} chuyển từ {rules.format_when(old_start, tz)} sang "
        f"{rules.format_when(meeting.starts_at, tz)}{_place(meeting)}.\n{ask}",
        answer_choices(meeting),
    )


def cancelled(meeting: Meeting, reason: str, tz: ZoneInfo) -> Reply:
    text = f"Hủy lịch: {_named(meeting, tz)} lúc {rules.format_when(meeting.starts_at, tz)} không diễn ra nữa."
    return Reply(text + (f"\nLý do: {reason}" if reason else ""))


def result(meeting: Meeting, present: int, expected: int, excused: list[tuple[str, str]], absent: list[str],
           exempt: int, tz: ZoneInfo) -> Reply:
    """The attendance result for the secretary: the minutes' numbers and the quality bar."""
    lines = [
        f"Kết quả điểm danh {_named(meeting, tz)}, {rules.format_when(meeting.starts_at, tz)}:",
        *rules.attendance_lines(present, expected, excused, absent, exempt),
        f"Sửa điểm danh: /diemdanh {meeting.number} <số|tên> comat|vangcoly|vangkhongly",
    ]
    return Reply("\n".join(lines))


def roll_call_missing(meeting: Meeting, tz: ZoneInfo) -> Reply:
    """The morning after a meeting that ended without a roll call: it has no attendance yet."""
    number = meeting.number
    return Reply(
        f"Nhắc việc: {_named(meeting, tz)}, {rules.format_when(meeting.starts_at, tz)}, chưa điểm danh nên "
        "chưa có số liệu tham dự (không ai bị tính vắng).\n"
        f"Nếu buổi họp đã diễn ra, đồng chí nhập điểm danh trên giấy trong một tin, ai không kể tên là có mặt:\n"
        f"/diemdanh {number} giấy vắng có lý do: <tên> (<lý do>), …; vắng không lý do: <tên>, …\n"
        f"Ví dụ: /diemdanh {number} giay coly: Binh (om); khongly: Em\n"
        f"Mọi người đều có mặt: /diemdanh {number} giấy đủ. Xem thêm: /trogiup diemdanh"
    )


def unreachable(meeting: Meeting, names: list[str], tz: ZoneInfo) -> Reply:
    return Reply(
        f"Chưa gửi được lời mời {_named(meeting, tz)} tới: {', '.join(names)} "
        "(chưa nhắn tin cho bot, hoặc đã chặn bot). Đồng chí vui lòng báo trực tiếp và nhờ các đồng chí này "
        "nhắn /start cho bot."
    )


def absence_warning(name: str, year: int, months: list[int]) -> Reply:
    listed = ", ".join(str(month) for month in months)
    return Reply(
        f"Cảnh báo: đồng chí {name} đã vắng sinh hoạt không lý do {len(months)} tháng trong năm {year} "
        f"(tháng {listed}). Theo Điều lệ Đảng, chi bộ xem xét, đề nghị xóa tên đảng viên bỏ sinh hoạt "
        "3 tháng trong năm không có lý do chính đáng. Bot chỉ nhắc, không tự xóa tên ai."
    )


def excused_warning(name: str, meeting_ids: list[int]) -> Reply:
    listed = ", ".join(str(number) for number in meeting_ids)
    return Reply(
        f"Lưu ý: đồng chí {name} đã vắng có lý do {len(meeting_ids)} buổi liền (buổi số {listed}). "
        "Vắng có lý do quá 3 lần liên tiếp trong năm ảnh hưởng đến xếp loại chất lượng sinh hoạt; "
        "đồng chí nên trao đổi với đảng viên này."
    )


def deadline(year: int, deadline_day: date, days_left: int) -> Reply:
    left = "hôm nay là hạn cuối" if days_left <= 0 else f"còn {days_left} ngày"
    return Reply(
        f"Nhắc việc: hạn tự đánh giá, xếp loại chất lượng đảng viên năm {year} là ngày "
        f"{deadline_day:%d/%m/%Y} ({left}). Đồng chí chưa gửi bản tự đánh giá; gõ /danhgia để làm."
    )
