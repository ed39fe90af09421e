"""Shared Vietnamese wording: hints, refusals and errors that many handlers use."""

from __future__ import annotations

from domain.messages import PlatformCaps, Reply
from handlers.context import Audience

INTERNAL_ERROR = "Xin lỗi, hệ thống vừa gặp lỗi nên chưa lưu được yêu cầu của đồng chí. Vui lòng thử lại sau ít phút."
UNKNOWN_COMMAND = "Không có lệnh {command}. Gõ /trogiup để xem các lệnh đồng chí dùng được."
NOT_UNDERSTOOD = "Tôi chưa hiểu tin nhắn này. Gõ /trogiup để xem các lệnh, hoặc /thamgia <mã> để tham gia chi bộ."
PHOTO_WITHOUT_CONTEXT = "Tôi đã nhận ảnh nhưng chưa biết gắn vào đâu. Gửi ảnh kèm /baocao hoặc ngay sau khi báo cáo."
CANCELLED = "Đã hủy thao tác đang làm dở."
# Said with the answer to a command typed in the middle of a guided flow (the flow is dropped).
ABANDONED = "(Việc đang làm dở — {title} — đã hủy.)"
ABANDONED_UNNAMED = "(Việc đang làm dở đã hủy.)"
NOT_JOINED = "Đồng chí chưa tham gia chi bộ nào. Gõ /thamgia <mã> với mã do bí thư chi bộ gửi."


def reply(text: str) -> Reply:
    return Reply(text)


def refusal(audience: Audience, *, joined: bool) -> str:
    """Why a command is refused, in words the person can act on."""
    if not joined:
        return NOT_JOINED
    return {
        Audience.LEADER: "Lệnh này dành cho bí thư, phó bí thư và chi ủy viên của chi bộ.",
        Audience.COMMITTEE: "Lệnh này dành cho cấp ủy viên đảng bộ.",
        Audience.LEADER_OR_COMMITTEE: "Lệnh này dành cho bí thư chi bộ hoặc cấp ủy viên đảng bộ.",
        Audience.KEEPER_OR_CANDIDATE: "Lệnh này dành cho bí thư chi bộ hoặc cấp ủy viên đảng bộ.",
    }.get(audience, NOT_JOINED)


def private_only(caps: PlatformCaps) -> str:
    """Personal data never goes to a group: point the person to a private chat."""
    text = "Lệnh này có thông tin cá nhân nên chỉ dùng trong tin nhắn riêng với bot."
    if caps.deep_link_base:
        text += f" Nhắn riêng cho tôi tại: {caps.deep_link_base.rstrip('=?').split('?')[0]}"
    return text
