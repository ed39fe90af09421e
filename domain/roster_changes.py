"""Changes to the roster a leader or an operator asks for — a transfer, an exemption and its end,
leaving by death, removal or expulsion — and the rules that refuse a change history cannot take.

Every change is one dated event (domain.history); it is checked against the member's events
before anything is written, so that the chat (handlers.roster) and the command line (bot.cli)
refuse the same things with the same words: a member who already left, a transfer to the cell
they are in, an exemption of someone exempt, a date still to come (the roster records what has
happened: a future date would change today's figures before it is true), or a date before the
member's latest event (history is appended, never rewritten underneath).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from domain.errors import UserError
from domain.history import LEAVING, Event, EventKind, standing_at
from domain.text import fold
from domain.vocabulary import Status

# What `/roi` takes, folded and without spaces ("từ trần", "tu tran", "tutran" are one word).
LEAVE_WORDS: dict[str, EventKind] = {
    "tutran": EventKind.DIED, "xoaten": EventKind.REMOVED, "khaitru": EventKind.EXPELLED,
}
LEAVE_NAMES: dict[EventKind, str] = {
    EventKind.DIED: "từ trần", EventKind.REMOVED: "xóa tên", EventKind.EXPELLED: "khai trừ",
}
# The kinds of change a leader records; a transfer in or out, permanent or temporary, is one kind.
CHANGE_KINDS = (EventKind.TRANSFERRED, EventKind.EXEMPTED, EventKind.EXEMPTION_ENDED, *LEAVING)


def leave_kind(word: str) -> EventKind | None:
    """The way of leaving a typed word names (any case, with or without diacritics or spaces)."""
    return LEAVE_WORDS.get(fold(word).replace(" ", ""))


@dataclass(frozen=True, slots=True)
class Change:
    """One change asked for: the event to record for `member_id`, and what the event table keeps
    beside it (the unit outside the committee, the reason)."""

    member_id: int
    event: Event
    other_unit: str | None = None
    reason: str | None = None

    @property
    def out_of_committee(self) -> bool:
        """A permanent transfer to no cell of the committee, or leaving the Party."""
        kind = self.event.kind
        return kind in LEAVING or (kind is EventKind.TRANSFERRED and self.event.cell_id is None
                                   and not self.event.temporary)

    def for_member(self, member_id: int) -> Change:
        return replace(self, member_id=member_id)

    def as_data(self) -> dict[str, Any]:
        """JSON for a conversation waiting for the confirmation."""
        event = self.event
        return {"member_id": self.member_id, "kind": str(event.kind), "on": event.on.isoformat(),
                "cell_id": event.cell_id, "until": event.until.isoformat() if event.until else None,
                "temporary": event.temporary, "other_unit": self.other_unit, "reason": self.reason}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Change:
        until = data.get("until")
        event = Event(EventKind(data["kind"]), date.fromisoformat(data["on"]), cell_id=data.get("cell_id"),
                      until=date.fromisoformat(until) if until else None, temporary=bool(data.get("temporary")))
        return cls(int(data["member_id"]), event, data.get("other_unit"), data.get("reason"))


def check(change: Change, events: Sequence[Event], today: date, *, name: str,
          cell_name: Callable[[int | None], str]) -> None:
    """Refuse, with a `UserError` saying why and what to do instead, a change the member's
    history cannot take; `name` is the member's, `cell_name` names a cell by its id."""
    event = change.event
    if event.kind not in CHANGE_KINDS:
        raise ValueError(f"not a roster change: {event.kind}")
    if event.on > today:
        raise UserError(f"Ngày {event.on:%d/%m/%Y} chưa tới: chỉ ghi thay đổi đã có hiệu lực (đến hôm nay "
                        f"{today:%d/%m/%Y}). Đến ngày đó, đồng chí gõ lại lệnh.")
    latest = max((e.on for e in events), default=event.on)
    final = standing_at(events, max(event.on, latest))
    if final is None or not final.active:
        raise UserError(gone_text(events, name))
    if event.on < latest:
        raise UserError(f"Ngày {event.on:%d/%m/%Y} trước thay đổi gần nhất của đồng chí {name} "
                        f"({latest:%d/%m/%Y}): chọn ngày từ {latest:%d/%m/%Y} trở đi.")
    standing = standing_at(events, event.on)
    assert standing is not None  # on or after the latest event, which found them active
    if event.until is not None and event.until < event.on:
        raise UserError(f"Ngày kết thúc {event.until:%d/%m/%Y} trước ngày bắt đầu {event.on:%d/%m/%Y}. "
                        "Vui lòng gõ lại.")
    if event.kind is EventKind.TRANSFERRED:
        if event.cell_id is not None and event.cell_id == standing.cell_id:
            raise UserError(f"Đồng chí {name} đang sinh hoạt ở {cell_name(event.cell_id)}: không cần chuyển.")
        if event.temporary:
            if event.until is None:
                raise UserError("Chuyển sinh hoạt tạm thời cần ngày kết thúc: thêm «đến dd/mm/yyyy», "
                                "ví dụ: tạm thời đến 30/06/2027.")
            if standing.away:
                away = _last(events, lambda e: e.kind is EventKind.TRANSFERRED and e.temporary)
                until = f" đến ngày {away.until:%d/%m/%Y}" if away and away.until else ""
                raise UserError(f"Đồng chí {name} đang chuyển sinh hoạt tạm thời{until}: không chuyển tạm thời "
                                "thêm lần nữa được.")
        elif event.until is not None:
            raise UserError("«đến dd/mm/yyyy» chỉ dùng khi chuyển sinh hoạt tạm thời (thêm chữ «tạm thời»).")
    elif event.kind is EventKind.EXEMPTED and standing.status == Status.EXEMPT:
        raise UserError(f"Đồng chí {name} đang được miễn công tác và sinh hoạt đảng{exemption_text(events)}. "
                        "Muốn đổi, gõ «het» để kết thúc lần miễn này rồi ghi lần miễn mới.")
    elif event.kind is EventKind.EXEMPTION_ENDED and standing.status != Status.EXEMPT:
        raise UserError(f"Đồng chí {name} không được miễn công tác và sinh hoạt đảng vào ngày {event.on:%d/%m/%Y}: "
                        "không có gì để kết thúc.")


def gone_text(events: Sequence[Event], name: str) -> str:
    """Why a member is no longer on the committee's roll, from their last leaving event."""
    last = _last(events, lambda e: e.kind in LEAVING or (e.kind is EventKind.TRANSFERRED and e.cell_id is None
                                                          and not e.temporary))
    if last is None:
        how = "không còn trong danh sách đảng viên của đảng bộ"
    elif last.kind is EventKind.TRANSFERRED:
        how = f"đã chuyển sinh hoạt ra khỏi đảng bộ từ ngày {last.on:%d/%m/%Y}"
    elif last.kind is EventKind.DIED:
        how = f"đã từ trần (ngày {last.on:%d/%m/%Y})"
    else:
        how = f"đã bị {LEAVE_NAMES[last.kind]} (ngày {last.on:%d/%m/%Y})"
    return f"Đồng chí {name} {how}: không ghi thay đổi nào được nữa."


def exemption_text(events: Sequence[Event]) -> str:
    """« từ 01/02/2027 đến 30/06/2027» for the member's current exemption (empty if unknown)."""
    last = _last(events, lambda e: e.kind is EventKind.EXEMPTED)
    if last is None:
        return ""
    return f" từ ngày {last.on:%d/%m/%Y}" + (f" đến ngày {last.until:%d/%m/%Y}" if last.until else "")


def _last(events: Sequence[Event], wanted: Callable[[Event], bool]) -> Event | None:
    """The latest event that is `wanted` (of one day, the one recorded last)."""
    found = sorted((event for event in events if wanted(event)), key=lambda event: event.on)
    return found[-1] if found else None
