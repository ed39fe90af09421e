"""A meeting's documents (tài liệu) and agenda, sent ahead (Hướng dẫn 42-HD/BTCTW: at least a day
before the meeting): when they go, what the message says, and what may be attached.

Pure: the handler checks the file or the link it was given against these rules, storage keeps
the message in the outbox, the dispatcher sends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain import meeting_rules as rules
from domain.errors import UserError

MAX_BYTES = 20 * 1024 * 1024  # what a Telegram bot may receive; the same limit for every messenger
AHEAD = timedelta(days=1)
DOCUMENTS_MAX = 10
_URL = re.compile(r"https?://[^\s<>\"']{3,900}")


FILE_PLATFORMS = ("telegram",)  # where a person sends a file itself, kept there and re-sent by its id


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    ref: str  # a link, (the console) a path on this machine, or "telegram:<file id>"
    size: int | None = None

    @property
    def platform(self) -> str | None:
        """The messenger keeping the file when it was sent as one (the ref is "<platform>:<id>")."""
        head, _, rest = self.ref.partition(":")
        return head if head in FILE_PLATFORMS and rest else None


def size_text(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",") + " MB"


def check_size(name: str, size: int) -> None:
    if size > MAX_BYTES:
        raise UserError(f"Tệp «{name}» nặng {size_text(size)}, quá giới hạn {size_text(MAX_BYTES)}: chưa gắn. "
                        "Đồng chí nén nhỏ, chia tệp, hoặc gửi một liên kết (Google Drive, Zalo Cloud…).")


def link_in(text: str) -> str | None:
    found = _URL.search(text)
    return found.group(0).rstrip(".,;)") if found else None


def send_at(start: datetime, plan: list[rules.Step], now: datetime, tz: ZoneInfo) -> datetime:
    """With the reminder of the cell's plan that falls at least a day before the meeting (the latest
    such); without one, a day before at 08:00; at once when that moment has passed."""
    ahead = [step.due(start, tz) for step in plan if step.due(start, tz) <= start - AHEAD]
    moment = max(ahead) if ahead else rules.local_start((start - AHEAD).astimezone(tz).date(), rules.REMINDER_TIME,
                                                        tz)
    return max(moment, now)


def message(what: str, agenda: str | None, documents: list[Document]) -> str:
    lines = [f"Tài liệu {what}:"]
    if agenda:
        lines.append(f"Nội dung: {agenda}")
    lines += [f"{number}. {_line(doc)}" for number, doc in enumerate(documents, 1)]
    lines.append("Đồng chí vui lòng đọc trước khi họp.")
    return "\n".join(lines)


def _line(doc: Document) -> str:
    if doc.platform is None:
        return f"{doc.name}: {doc.ref}"
    return f"{doc.name} (tệp gửi kèm trên {doc.platform.capitalize()})"


def file_caption(what: str, doc: Document) -> str:
    """The words with a file re-sent to a member."""
    return f"Tài liệu {what}: {doc.name}"
