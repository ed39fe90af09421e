"""Keeping the roster from the chat: /chuyen (transfer), /mien (exemption and its end), /roi (died,
removed, expelled), and for committee members /chibo doiten|giaithe (a cell renamed, dissolved).

A cell's secretary or deputy keeps their own cell; a committee member any cell of the committee.
Each command first shows exactly what will change — who, from which cell to which, from which
date, which roles end — and records nothing until the person confirms (Đồng ý / Hủy, or a typed
"có" / "không"). The change is then one dated event through `storage.membership.record`, with
who confirmed it, so past summaries keep counting the member where they were; the secretaries
of the cells concerned are told through the outbox.

`plan_change`, `plan_rename`, `plan_dissolve` and `carry_out` take a session, not a chat, so that
the operator's command line (`chibo member …`, `chibo cell …`) makes the same checks and writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from domain import dates
from domain.errors import UserError
from domain.history import Event, EventKind, standing_at
from domain.messages import Choice
from domain.roster_changes import LEAVE_NAMES, Change, check, exemption_text, gone_text, leave_kind
from domain.spreadsheet import STARTS_LIKE_FORMULA, starts_like_formula
from domain.text import clean_name, fold, has_control, whole_number, yes_or_no
from domain.vocabulary import Position, Status, UnitKind
from handlers.context import Audience, Ctx
from handlers.registry import Command
from storage import membership, org, outbox, roster
from storage import roster_changes as changes
from storage.roster import CellRef, Entry
from storage.tables import Member, OrgUnit
from storage.types import id_of

FLOW = "roster"
PICK, CONFIRM = "pick", "confirm"
CONFIRM_CHOICES = (Choice("Đồng ý", "dong y"), Choice("Hủy", "huy"))
CANCEL_WORDS = frozenset({"huy", "huy bo", "thoi", "bo"})
KEEPERS = (Position.SECRETARY, Position.DEPUTY)  # who keeps a cell's roster from the chat
TOLD = (Position.SECRETARY,)  # who is told of a change to their cell
MAX_CHOICES = 10
TEXT_MAX = 200  # a unit outside the committee, a reason (the event table keeps 200 and 500)
REASON_MAX = 500
OPERATOR = "quản trị viên hệ thống"

TRANSFER_HELP = (
    "Gõ /chuyen <số|tên> <tên chi bộ> [dd/mm/yyyy] để chuyển sang chi bộ khác trong đảng bộ, "
    "hoặc /chuyen <số|tên> di <nơi đến> [dd/mm/yyyy] để chuyển ra khỏi đảng bộ. Chuyển tạm thời: thêm "
    "«tạm thời đến dd/mm/yyyy». Ví dụ: /chuyen 3 Chi bộ khu phố 2 05/02/2027"
)
EXEMPT_HELP = (
    "Gõ /mien <số|tên> [từ dd/mm/yyyy] [đến dd/mm/yyyy] <lý do>, ví dụ: /mien 4 từ 01/02/2027 đến 30/06/2027 "
    "ốm dài ngày. Kết thúc miễn: /mien <số|tên> het [dd/mm/yyyy]."
)
LEAVE_HELP = (
    "Gõ /roi <số|tên> tutran|xoaten|khaitru [dd/mm/yyyy] [lý do], ví dụ: /roi 5 tutran 02/02/2027 "
    "(từ trần), /roi 5 xoaten (xóa tên), /roi 5 khaitru (khai trừ)."
)
CELL_HELP = (
    "Gõ /chibo doiten <tên cũ> <tên mới> để đổi tên một chi bộ, ví dụ: /chibo doiten khu phố 7 Chi bộ khu phố 7A; "
    "/chibo giaithe <tên chi bộ> [dd/mm/yyyy] để giải thể một chi bộ không còn đảng viên."
)
NOT_A_KEEPER = ("Việc chuyển sinh hoạt, miễn sinh hoạt, ra khỏi danh sách do bí thư, phó bí thư chi bộ hoặc cấp ủy "
                "viên đảng bộ ghi.")


# -- what will change, checked and worded -----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Plan:
    """A change that passed every check, worded: `details` for the confirmation, `sentence` for
    the reply and the notices, `tell` the units whose secretaries are told. `data` (JSON) is
    what the conversation keeps until the confirmation: the plan is made again from it then,
    since the roster may have changed in between."""

    data: dict[str, Any]
    details: list[str]
    sentence: str
    tell: list[int] = field(default_factory=list)
    roles: list[changes.HeldRole] = field(default_factory=list)

    @property
    def confirmation(self) -> str:
        return "\n".join(["Đồng chí xác nhận ghi thay đổi sau?", *self.details])


async def plan_change(session: AsyncSession, change: Change, today: date) -> Plan:
    """A member's transfer, exemption or leaving, checked against their history (UserError if refused)."""
    member = await session.get(Member, change.member_id)
    if member is None:
        raise UserError("Không tìm thấy đảng viên này nữa. Gõ lại lệnh.")
    events = await membership.events_of(session, change.member_id)
    event = change.event
    standing = standing_at(events, event.on)
    home = await session.get(OrgUnit, standing.cell_id) if standing and standing.cell_id else None
    target = await session.get(OrgUnit, event.cell_id) if event.cell_id is not None else None
    names = {unit.id: unit.name for unit in (home, target) if unit is not None}
    check(change, events, today, name=member.full_name, cell_name=lambda cell_id: names.get(cell_id, "chi bộ này"))
    assert home is not None  # check() refused anyone not in a cell of the committee that day
    if target is not None and (target.parent_id != home.parent_id or target.dissolved_on):
        raise UserError(f"{target.name} không phải chi bộ đang hoạt động của đảng bộ: chọn chi bộ khác.")
    roles: list[changes.HeldRole] = []
    if change.out_of_committee:  # every role in the committee and its cells ends
        roles = await changes.roles_ending(session, change.member_id, cell_id=home.id, whole_committee=True)
    elif event.kind is EventKind.TRANSFERRED and not event.temporary:  # the roles in the cell left behind
        roles = await changes.roles_ending(session, change.member_id, cell_id=home.id, whole_committee=False)
    who = f"- Đảng viên: {member.full_name} ({home.name})"
    since = f"- Từ ngày: {event.on:%d/%m/%Y}"
    tell = [id_of(home)]
    name, day = member.full_name, f"{event.on:%d/%m/%Y}"
    if event.kind is EventKind.TRANSFERRED:
        where = target.name if target is not None else change.other_unit or "ngoài đảng bộ"
        if event.temporary:
            what = [f"- Thay đổi: chuyển sinh hoạt tạm thời sang {where} (vẫn tính trong đảng số của {home.name}, "
                    "không tính dự họp ở đó)", since, f"- Đến hết ngày: {event.until:%d/%m/%Y}"]
            sentence = (f"{name} chuyển sinh hoạt tạm thời từ {home.name} sang {where} từ ngày {day} "
                        f"đến hết ngày {event.until:%d/%m/%Y}")
        else:
            outside = "" if target is not None else " (ra khỏi đảng bộ)"
            what = [f"- Thay đổi: chuyển sinh hoạt từ {home.name} sang {where}{outside}", since]
            sentence = f"{name} chuyển sinh hoạt từ {home.name} sang {where}{outside} từ ngày {day}"
        if target is not None:
            tell.append(id_of(target))
    elif event.kind is EventKind.EXEMPTED:
        until = f"{event.until:%d/%m/%Y}" if event.until else "chưa định (ghi /mien <số|tên> het khi kết thúc)"
        what = ["- Thay đổi: miễn công tác và sinh hoạt đảng (vẫn tính trong đảng số; không tính dự họp, "
                "không xếp loại)", f"- Lý do: {change.reason}", since, f"- Đến hết ngày: {until}"]
        ending = f" đến hết ngày {event.until:%d/%m/%Y}" if event.until else ""
        sentence = f"{name} ({home.name}) được miễn công tác và sinh hoạt đảng từ ngày {day}{ending}"
    elif event.kind is EventKind.EXEMPTION_ENDED:
        what = [f"- Thay đổi: thôi miễn công tác và sinh hoạt đảng (đang miễn{exemption_text(events)}); "
                "sinh hoạt, xếp loại trở lại như mọi đảng viên", since]
        sentence = f"{name} ({home.name}) thôi miễn công tác và sinh hoạt đảng từ ngày {day}"
    else:
        words = {EventKind.DIED: "từ trần", EventKind.REMOVED: "xóa tên khỏi danh sách đảng viên",
                 EventKind.EXPELLED: "khai trừ khỏi Đảng"}[event.kind]
        what = [f"- Thay đổi: {words} (ra khỏi danh sách của {home.name}; số liệu các kỳ trước giữ nguyên)",
                f"- Ngày: {day}"]
        if change.reason:
            what.append(f"- Lý do: {change.reason}")
        verb = "từ trần" if event.kind is EventKind.DIED else f"bị {LEAVE_NAMES[event.kind]}"
        sentence = f"{name} ({home.name}) {verb} ngày {day}"
    details = [who, *what]
    if roles:
        details.append("- Thôi giữ chức vụ: " + ", ".join(role.text for role in roles))
    return Plan({"op": "member", "change": change.as_data()}, details, sentence, tell, roles)


async def plan_rename(session: AsyncSession, cell: OrgUnit, typed: str) -> Plan:
    """A cell's new name: a real name, not another cell's; "Chi bộ" is kept in front when the old
    name had it and the new one was typed without it."""
    try:
        name = org.validate_name(typed, "Tên chi bộ mới")
    except org.OrgError as error:
        raise UserError(str(error)) from None
    if fold(cell.name).startswith("chi bo ") and not fold(name).startswith("chi bo "):
        name = f"Chi bộ {name}"
    if fold(name) == cell.name_key:
        raise UserError(f"{cell.name} đã mang tên này. Gõ tên mới khác tên cũ.")
    committee_id = cell.parent_id or 0
    other = await changes.name_taken(session, committee_id, name, id_of(cell))
    if other is not None:
        gone = f" (đã giải thể ngày {other.dissolved_on:%d/%m/%Y})" if other.dissolved_on else ""
        raise UserError(f"Đảng bộ đã có chi bộ tên «{other.name}»{gone}. Chọn tên khác.")
    size = (await roster.sizes(session, [id_of(cell)])).get(id_of(cell), 0)
    details = [f"- Chi bộ: {cell.name} ({size} đảng viên)", f"- Tên mới: {name}",
               "- Lịch sử và số liệu các kỳ trước giữ nguyên, hiện theo tên mới."]
    return Plan({"op": "rename", "cell_id": cell.id, "name": name}, details,
                f"{cell.name} đổi tên thành {name}", [id_of(cell)])


async def plan_dissolve(session: AsyncSession, cell: OrgUnit, on: date, today: date) -> Plan:
    """Giải thể: only a cell nobody is active in any more, from a day not before its last member left."""
    if cell.dissolved_on is not None:
        raise UserError(f"{cell.name} đã giải thể từ ngày {cell.dissolved_on:%d/%m/%Y}.")
    if on > today:
        raise UserError(f"Ngày {on:%d/%m/%Y} chưa tới: chỉ ghi thay đổi đã có hiệu lực (đến hôm nay "
                        f"{today:%d/%m/%Y}). Đến ngày đó, đồng chí gõ lại lệnh.")
    active = await roster.cell_roster(session, [id_of(cell)])
    if active:
        shown = ", ".join(entry.full_name for entry in active[:5]) + (", …" if len(active) > 5 else "")
        raise UserError(f"{cell.name} còn {len(active)} đảng viên đang sinh hoạt ({shown}). Chỉ giải thể được chi bộ "
                        "không còn đảng viên: chuyển sinh hoạt họ trước (/chuyen <tên> <chi bộ mới>).")
    left = await changes.last_member_left(session, id_of(cell))
    if left is not None and on < left:
        raise UserError(f"Đảng viên cuối cùng rời {cell.name} ngày {left:%d/%m/%Y}: ngày giải thể phải từ "
                        f"{left:%d/%m/%Y} trở đi.")
    details = [f"- Chi bộ: {cell.name} (không còn đảng viên đang sinh hoạt)", f"- Giải thể từ ngày: {on:%d/%m/%Y}",
               "- Lịch sử và số liệu các kỳ trước giữ nguyên; chi bộ không còn trong danh sách các kỳ sau, "
               "mã mời của chi bộ hết hiệu lực."]
    return Plan({"op": "dissolve", "cell_id": cell.id, "on": on.isoformat()}, details,
                f"{cell.name} giải thể từ ngày {on:%d/%m/%Y}")


async def plan_from(session: AsyncSession, data: dict[str, Any], today: date) -> Plan:
    """The plan a pending confirmation stands for, made again (and checked again) now."""
    if data.get("op") == "member":
        return await plan_change(session, Change.from_data(data["change"]), today)
    cell = await session.get(OrgUnit, int(data.get("cell_id") or 0))
    if cell is None:
        raise UserError("Không tìm thấy chi bộ này nữa. Gõ lại lệnh.")
    if data.get("op") == "rename":
        return await plan_rename(session, cell, str(data["name"]))
    return await plan_dissolve(session, cell, date.fromisoformat(data["on"]), today)


async def carry_out(session: AsyncSession, plan: Plan, *, today: date, now: datetime, by: int | None) -> str:
    """Record a confirmed plan and tell the secretaries concerned; returns the answer to who did it."""
    data = plan.data
    key: str
    if data["op"] == "member":
        change = Change.from_data(data["change"])
        await membership.record(session, change.member_id, change.event, today=today, by=by, now=now,
                                other_unit=change.other_unit, reason=change.reason)
        await changes.end_roles(session, change.member_id, plan.roles)
        key = f"roster:e{await changes.last_event_id(session, change.member_id)}"
    elif data["op"] == "rename":
        await changes.rename_cell(session, int(data["cell_id"]), str(data["name"]))
        key = f"roster:c{data['cell_id']}:name@{int(now.timestamp())}"
    else:
        await changes.dissolve_cell(session, int(data["cell_id"]), date.fromisoformat(data["on"]), now)
        key = f"roster:c{data['cell_id']}:dissolved"
    answer = f"Đã ghi: {plan.sentence}."
    if plan.roles:
        answer += " Thôi giữ chức vụ: " + ", ".join(role.text for role in plan.roles) + "."
    told = [member for member in await changes.holders(session, plan.tell, TOLD) if member != by]
    if told:
        actor = OPERATOR
        if by is not None:
            found = await session.get(Member, by)
            actor = f"đồng chí {found.full_name}" if found else actor
        text = f"Thông báo: {plan.sentence} ({actor} ghi)."
        await outbox.enqueue(session, [outbox.New(f"{key}:{member}", member, outbox.NOTICE, now, None, {"text": text})
                                       for member in told], now)
        answer += f"\nĐã báo cho {len(told)} bí thư chi bộ liên quan."
    return answer


# -- who may change whom ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Reach:
    """What one person may change: the cells they keep as secretary or deputy (`numbered`, their
    members numbered as in the cell's list), every cell whose members they may change (`members`,
    for names) and the committees above them (whose cells are destinations). Loaded once per
    message: a name is tried at several lengths against the same lists."""

    kept: list[int]
    cells: list[int]
    committees: list[int]
    numbered: list[Entry]
    members: list[Entry]

    def lookup(self, text: str) -> list[Entry]:
        """The active members a typed number (in the list of the cell kept) or name means."""
        number = whole_number(text)
        if number is None:
            return roster.find(self.members, text)
        if not self.kept:
            raise UserError("Số thứ tự là số trong danh sách của một chi bộ; cấp ủy viên vui lòng gõ họ tên đảng "
                            "viên, ví dụ: Trần Thị Bình.")
        return [entry for entry in self.numbered if entry.number == number]


async def _reach(ctx: Ctx) -> Reach:
    roles = await ctx.roles()
    kept = sorted({r.unit_id for r in roles if r.role in KEEPERS and r.unit_kind == UnitKind.CELL})
    sits = await ctx.committees()
    cells = set(kept) | {cell.cell_id for cell in await roster.cells_of(ctx.session, sits)} if sits else set(kept)
    if not cells:
        raise UserError(NOT_A_KEEPER)
    above = {r.parent_id for r in roles if r.unit_id in kept and r.parent_id is not None}
    numbered = await roster.cell_roster(ctx.session, kept) if kept else []
    members = await roster.cell_roster(ctx.session, sorted(cells))
    return Reach(kept, sorted(cells), sorted(above | set(sits)), numbered, members)


async def _explain_missing(ctx: Ctx, reach: Reach, words: list[str]) -> UserError:
    """Why nobody answers to the words typed for a member: they left (and how), or there is no
    such member in the cells this person keeps."""
    former = [Entry(0, f.member_id, f.cell_id, f.full_name, f.name_key, "")
              for f in await changes.former_members(ctx.session, reach.cells)]
    if whole_number(words[0]) is None:
        for size in range(len(words), 0, -1):
            found = roster.find(former, " ".join(words[:size]))
            if len(found) == 1:
                person = found[0]
                return UserError(gone_text(await membership.events_of(ctx.session, person.member_id),
                                           person.full_name))
    where = ", ".join([(await org.unit(ctx.session, cell_id)).name for cell_id in reach.kept]) or "đảng bộ"
    hint = " Gõ lệnh không kèm gì để xem danh sách và số thứ tự." if reach.kept else ""
    typed = " ".join(words)
    return UserError(f"Không tìm thấy đảng viên «{typed[:60]}» trong danh sách {where}.{hint}")


async def _cell_names(ctx: Ctx, cell_ids: list[int]) -> dict[int, str]:
    return {cell_id: (await org.unit(ctx.session, cell_id)).name for cell_id in set(cell_ids)}


async def _show_list(ctx: Ctx, reach: Reach, usage: str, *, exempt: bool = False) -> None:
    """The command without anything after it: how to type it, and the numbered list of the cell
    the person keeps (the numbers the command takes)."""
    lines = [usage]
    if reach.kept:
        entries = await roster.cell_roster(ctx.session, reach.kept)
        names = await _cell_names(ctx, reach.kept)
        for cell_id in reach.kept:
            lines.append(f"Danh sách {names[cell_id]}:")
            for entry in (e for e in entries if e.cell_id == cell_id):
                mark = " — miễn sinh hoạt" if entry.status == Status.EXEMPT else ""
                if exempt and mark:
                    events = await membership.events_of(ctx.session, entry.member_id)
                    mark += exemption_text(events)
                lines.append(f"{entry.number}. {entry.full_name}{mark}")
    ctx.reply("\n".join(lines))


# -- reading the words --------------------------------------------------------------------------------

def _today(ctx: Ctx) -> date:
    return ctx.local_now.date()


def _take_date(words: list[str], keyword: str, today: date, direction: dates.Direction, *,
               start: int = 1) -> tuple[list[str], date | None]:
    """Remove «<keyword> dd/mm/yyyy» (`keyword` folded: "tu", "den") from the words, looking from
    `start` on (the first words name the member); the date it gave."""
    for index in range(start, len(words) - 1):
        if fold(words[index]) == keyword and dates.looks_like_date(words[index + 1]):
            return words[:index] + words[index + 2:], dates.parse_date(words[index + 1], today, direction)
    return words, None


def _take_last_date(words: list[str], today: date) -> tuple[list[str], date | None]:
    if len(words) > 1 and dates.looks_like_date(words[-1]):
        return words[:-1], dates.parse_date(words[-1], today, dates.Direction.PAST)
    return words, None


def _take_temporary(words: list[str]) -> tuple[list[str], bool]:
    folded = [fold(word) for word in words]
    for index in range(1, len(words)):
        if folded[index] == "tamthoi":
            return words[:index] + words[index + 1:], True
        if folded[index] == "tam" and index + 1 < len(words) and folded[index + 1] == "thoi":
            return words[:index] + words[index + 2:], True
    return words, False


def word_is_name(word: str) -> bool:
    """A word that folds to «tu» or «den» but was typed otherwise than «từ» / «đến» (Tú, Đến...)
    may be the last word of a name."""
    return word.lower() not in ("từ", "đến")


def _free_text(text: str, what: str, limit: int) -> str:
    cleaned = clean_name(text)
    if has_control(cleaned):
        raise UserError(f"{what} có ký tự không hợp lệ. Vui lòng gõ lại.")
    if len(cleaned) > limit:
        raise UserError(f"{what} dài quá {limit} ký tự. Vui lòng gõ ngắn gọn hơn.")
    if starts_like_formula(cleaned):  # a spreadsheet would run it (domain.spreadsheet)
        raise UserError(f"{what} {STARTS_LIKE_FORMULA}. Vui lòng gõ lại bắt đầu bằng chữ.")
    return cleaned


async def _member_then(ctx: Ctx, reach: Reach, words: list[str],
                       rest_ok: Callable[[list[str]], Any]) -> tuple[list[Entry], Any, list[str]]:
    """Split the words into who (the first ones) and the rest, longest name first: the first
    split where the name matches someone and `rest_ok` accepts the rest (not None) wins. When a
    name matches but no rest is accepted: no one, None and that rest (for the caller to explain)."""
    for size in range(len(words) - 1, 0, -1):
        parsed = rest_ok(words[size:])
        if parsed is not None and (found := reach.lookup(" ".join(words[:size]))):
            return found, parsed, words[size:]
    for size in range(len(words) - 1, 0, -1):
        if reach.lookup(" ".join(words[:size])):
            return [], None, words[size:]
    raise await _explain_missing(ctx, reach, words[:1] if whole_number(words[0]) is not None else words)


# -- the commands -------------------------------------------------------------------------------------

async def transfer(ctx: Ctx, args: str) -> None:
    """`/chuyen <số|tên> <tên chi bộ> [dd/mm/yyyy]`, `/chuyen <số|tên> di <nơi đến> [dd/mm/yyyy]`,
    with «tạm thời đến dd/mm/yyyy» for a temporary transfer."""
    reach = await _reach(ctx)
    words = args.split()
    if not words:
        await _show_list(ctx, reach, TRANSFER_HELP)
        return
    today = _today(ctx)
    words, temporary = _take_temporary(words)
    words, until = _take_date(words, "den", today, dates.Direction.FUTURE)
    words, on = _take_date(words, "tu", today, dates.Direction.PAST)
    if on is None:
        words, on = _take_last_date(words, today)
    if len(words) < 2:
        raise UserError("Thiếu nơi chuyển đến. " + TRANSFER_HELP)
    destinations = await roster.cells_of(ctx.session, reach.committees)

    def destination(rest: list[str]) -> tuple[CellRef | None, str | None] | None:
        if fold(rest[0]) == "di":
            if len(rest) == 1:
                raise UserError("Thiếu nơi chuyển đến sau «di». " + TRANSFER_HELP)
            return None, _free_text(" ".join(rest[1:]), "Nơi chuyển đến", TEXT_MAX)
        cell, left = roster.split_cell(destinations, " ".join(rest))
        return (cell, None) if cell is not None and not left else None

    found, target, rest = await _member_then(ctx, reach, words, destination)
    if not found:
        known = "; ".join(cell.name for cell in destinations[:20])
        raise UserError(f"Không tìm thấy nơi chuyển đến trong «{' '.join(rest)[:60]}». Gõ tên một chi bộ của "
                        f"đảng bộ ({known}), hoặc «di <nơi đến>» khi chuyển ra khỏi đảng bộ.")
    cell, other_unit = target
    event = Event(EventKind.TRANSFERRED, on or today, cell_id=cell.cell_id if cell else None, until=until,
                  temporary=temporary)
    await _propose(ctx, found, Change(0, event, other_unit=other_unit))


async def exempt(ctx: Ctx, args: str) -> None:
    """`/mien <số|tên> [từ dd/mm/yyyy] [đến dd/mm/yyyy] <lý do>`, `/mien <số|tên> het [dd/mm/yyyy]`."""
    reach = await _reach(ctx)
    words = args.split()
    if not words:
        await _show_list(ctx, reach, EXEMPT_HELP, exempt=True)
        return
    today = _today(ctx)
    # «het» right after the member's name ends their exemption (a reason may say «hết» later on).
    ending = next((i for i, word in enumerate(words)
                   if i and fold(word) == "het" and reach.lookup(" ".join(words[:i]))), None)
    if ending is not None:
        after = words[ending + 1:]
        if len(after) > 1 or (after and not dates.looks_like_date(after[0])):
            raise UserError("Sau «het» chỉ gõ ngày kết thúc (nếu có). " + EXEMPT_HELP)
        on = dates.parse_date(after[0], today, dates.Direction.PAST) if after else today
        await _propose(ctx, reach.lookup(" ".join(words[:ending])), Change(0, Event(EventKind.EXEMPTION_ENDED, on)))
        return
    marks = [i for i, word in enumerate(words) if i and (dates.looks_like_date(word) or (
        fold(word) in ("tu", "den") and i + 1 < len(words) and dates.looks_like_date(words[i + 1])))]
    if marks:
        mark = marks[0]
        if word_is_name(words[mark]) and reach.lookup(" ".join(words[:mark + 1])):
            mark += 1  # "Nguyễn Văn Tú 01/02/2027": Tú is the name, not «từ»
        who, rest = words[:mark], words[mark:]
        found = reach.lookup(" ".join(who))
        if not found:
            raise await _explain_missing(ctx, reach, who)
        rest, until = _take_date(rest, "den", today, dates.Direction.FUTURE, start=0)
        rest, start = _take_date(rest, "tu", today, dates.Direction.PAST, start=0)
        if start is None and rest and dates.looks_like_date(rest[0]):
            start, rest = dates.parse_date(rest[0], today, dates.Direction.PAST), rest[1:]
        reason = " ".join(rest)
    elif len(words) == 1:
        found = reach.lookup(words[0])
        if not found:
            raise await _explain_missing(ctx, reach, words)
        reason, start, until = "", None, None
    else:
        found, reason, _rest = await _member_then(ctx, reach, words, " ".join)
        start, until = None, None
    if not reason:
        raise UserError("Ghi kèm lý do miễn công tác và sinh hoạt đảng. " + EXEMPT_HELP)
    reason = _free_text(reason, "Lý do", REASON_MAX)
    event = Event(EventKind.EXEMPTED, start or today, until=until)
    await _propose(ctx, found, Change(0, event, reason=reason))


async def leave(ctx: Ctx, args: str) -> None:
    """`/roi <số|tên> tutran|xoaten|khaitru [dd/mm/yyyy] [lý do]`."""
    reach = await _reach(ctx)
    words = args.split()
    if not words:
        await _show_list(ctx, reach, LEAVE_HELP)
        return
    found_at: tuple[int, int, EventKind] | None = None
    for index in range(1, len(words)):
        for size in (1, 2):
            kind = leave_kind(" ".join(words[index:index + size])) if index + size <= len(words) else None
            if kind is not None:
                found_at = (index, size, kind)
                break
        if found_at:
            break
    if found_at is None:
        if leave_kind(args) is not None:
            raise UserError("Thiếu số thứ tự hoặc họ tên đảng viên. " + LEAVE_HELP)
        raise UserError("Thiếu cách ra khỏi danh sách: tutran, xoaten hoặc khaitru. " + LEAVE_HELP)
    index, size, kind = found_at
    who, rest = " ".join(words[:index]), words[index + size:]
    today = _today(ctx)
    on = today
    if rest and dates.looks_like_date(rest[0]):
        on, rest = dates.parse_date(rest[0], today, dates.Direction.PAST), rest[1:]
    reason = _free_text(" ".join(rest), "Lý do", REASON_MAX) or None
    found = reach.lookup(who)
    if not found:
        raise await _explain_missing(ctx, reach, words[:index])
    await _propose(ctx, found, Change(0, Event(kind, on), reason=reason))


async def cells(ctx: Ctx, args: str) -> None:
    """`/chibo` lists the committee's cells; `/chibo doiten <tên cũ> <tên mới>`, `/chibo giaithe <tên> [ngày]`."""
    committees = await ctx.committees()
    listed = await roster.cells_of(ctx.session, committees)
    word, _, rest = args.strip().partition(" ")
    key = fold(word).replace(" ", "")
    if not key:
        sizes = await roster.sizes(ctx.session, [cell.cell_id for cell in listed])
        lines = ["Các chi bộ của đảng bộ:"]
        lines += [f"{cell.number}. {cell.name}: {sizes.get(cell.cell_id, 0)} đảng viên" for cell in listed]
        lines.append(CELL_HELP)
        ctx.reply("\n".join(lines))
        return
    if key not in ("doiten", "giaithe"):
        raise UserError(f"Không có việc «{word[:20]}» với chi bộ. " + CELL_HELP)
    cell_ref, left = roster.split_cell(listed, rest)
    if key == "giaithe":
        today = _today(ctx)
        on = today
        if cell_ref is not None and left and dates.looks_like_date(left):
            on, left = dates.parse_date(left, today, dates.Direction.PAST), ""
        if cell_ref is None or left:
            raise await _missing_cell(ctx, committees, rest, listed)
        cell = await org.unit(ctx.session, cell_ref.cell_id)
        plan = await plan_dissolve(ctx.session, cell, on, today)
    else:
        if cell_ref is None:
            raise await _missing_cell(ctx, committees, rest, listed)
        if not left:
            raise UserError(f"Thiếu tên mới của {cell_ref.name}. " + CELL_HELP)
        cell = await org.unit(ctx.session, cell_ref.cell_id)
        plan = await plan_rename(ctx.session, cell, left)
    ctx.ask(plan.confirmation, FLOW, CONFIRM, {"plan": plan.data}, CONFIRM_CHOICES)


async def _missing_cell(ctx: Ctx, committees: list[int], typed: str, listed: list[CellRef]) -> UserError:
    key = fold(typed)
    for gone in await changes.dissolved_cells(ctx.session, committees):
        if key.startswith(gone.name_key) or key.startswith(gone.name_key.removeprefix("chi bo ")):
            return UserError(f"{gone.name} đã giải thể từ ngày {gone.dissolved_on:%d/%m/%Y}.")
    known = "; ".join(cell.name for cell in listed[:20])
    return UserError(f"Không tìm thấy chi bộ «{typed[:60]}» trong đảng bộ. Các chi bộ: {known}. " + CELL_HELP)


# -- the conversation: which member, then yes or no ---------------------------------------------------

async def _propose(ctx: Ctx, found: list[Entry], change: Change) -> None:
    """One member: show what will change and ask; several: ask which one first."""
    if len(found) == 1:
        plan = await plan_change(ctx.session, change.for_member(found[0].member_id), _today(ctx))
        ctx.ask(plan.confirmation, FLOW, CONFIRM, {"plan": plan.data}, CONFIRM_CHOICES)
        return
    names = await _cell_names(ctx, [entry.cell_id for entry in found])
    shown = found[:MAX_CHOICES]
    ctx.ask(f"Có {len(found)} đảng viên khớp: đồng chí muốn ghi cho ai?", FLOW, PICK,
            {"change": change.as_data(), "candidates": [entry.member_id for entry in shown]},
            [Choice(f"{entry.full_name} ({names[entry.cell_id]})", str(index)) for index, entry in enumerate(shown, 1)])


async def _flow(ctx: Ctx, text: str) -> None:
    data = ctx.conversation.data
    if ctx.conversation.step == PICK:
        candidates = [int(member) for member in data.get("candidates", [])]
        number = whole_number(text)
        if number is None or not 1 <= number <= len(candidates):
            ctx.ask(f"Gõ số từ 1 đến {len(candidates)} để chọn, hoặc /huy để thôi.", FLOW, PICK,
                    choices=[Choice(label, value) for label, value in ctx.conversation.choices])
            return
        change = Change.from_data(data["change"]).for_member(candidates[number - 1])
        try:
            plan = await plan_change(ctx.session, change, _today(ctx))
        except UserError as error:
            ctx.finish()
            ctx.reply(str(error))
            return
        ctx.ask(plan.confirmation, FLOW, CONFIRM, {"plan": plan.data}, CONFIRM_CHOICES)
        return
    answer = False if fold(text) in CANCEL_WORDS else yes_or_no(text)
    if answer is None:
        ctx.ask("Gõ «đồng ý» để ghi thay đổi, hoặc «hủy» để thôi.", FLOW, CONFIRM, choices=CONFIRM_CHOICES)
        return
    ctx.finish()
    if not answer:
        ctx.reply("Đã hủy: không ghi thay đổi nào.")
        return
    try:  # the roster may have changed since the question: every check runs again
        plan = await plan_from(ctx.session, data["plan"], _today(ctx))
        await _still_theirs(ctx, plan)
    except UserError as error:
        ctx.reply(f"{error} Không ghi thay đổi nào.")
        return
    ctx.reply(await carry_out(ctx.session, plan, today=_today(ctx), now=ctx.now, by=ctx.member_id))


async def _still_theirs(ctx: Ctx, plan: Plan) -> None:
    """The person confirming may still change this member or cell (roles may have ended since)."""
    if plan.data["op"] == "member":
        reach = await _reach(ctx)
        member = await ctx.session.get(Member, int(plan.data["change"]["member_id"]))
        if member is None or member.cell_id not in reach.cells:
            raise UserError(NOT_A_KEEPER)
        return
    cell = await org.unit(ctx.session, int(plan.data["cell_id"]))
    if cell.parent_id not in await ctx.committees():
        raise UserError("Việc đổi tên, giải thể chi bộ do cấp ủy viên đảng bộ ghi.")


def _member_details(example: str, more: str) -> str:
    return (f"{more}\nBot hiện đúng những gì sẽ thay đổi và chỉ ghi khi đồng chí chọn «Đồng ý». Ngày không ghi: hôm "
            f"nay; không ghi được ngày chưa tới. Số thứ tự là số trong danh sách chi bộ (gõ lệnh không kèm gì để xem); "
            f"cấp ủy viên gõ họ tên.\nVí dụ: {example}")


COMMANDS = [
    Command("chuyen", "Chuyển sinh hoạt đảng của một đảng viên", transfer, Audience.LEADER_OR_COMMITTEE, private=True,
            usage="/chuyen <số|tên> <tên chi bộ>|di <nơi đến> [dd/mm/yyyy] [tạm thời đến dd/mm/yyyy]",
            details=_member_details(
                "/chuyen 3 Chi bộ khu phố 2 05/02/2027",
                "Sang chi bộ khác trong đảng bộ: gõ tên chi bộ (bí thư hai chi bộ được báo). Ra khỏi đảng bộ: «di» "
                "và nơi đến, ví dụ /chuyen Trần Thị Bình di Đảng bộ phường Tân Định. Tạm thời: thêm «tạm thời đến "
                "dd/mm/yyyy» (vẫn tính trong đảng số của chi bộ nhà). Các số liệu kỳ trước không đổi.")),
    Command("mien", "Miễn công tác và sinh hoạt đảng, hoặc kết thúc miễn", exempt, Audience.LEADER_OR_COMMITTEE,
            private=True, usage="/mien <số|tên> [từ dd/mm/yyyy] [đến dd/mm/yyyy] <lý do> | /mien <số|tên> het",
            details=_member_details(
                "/mien 4 từ 01/02/2027 đến 30/06/2027 ốm dài ngày",
                "Đảng viên được miễn vẫn tính trong đảng số, nhưng không tính dự họp và không xếp loại. Không ghi "
                "«đến»: miễn đến khi gõ /mien <số|tên> het [dd/mm/yyyy].")),
    Command("roi", "Ghi đảng viên từ trần, bị xóa tên hoặc khai trừ", leave, Audience.LEADER_OR_COMMITTEE, private=True,
            usage="/roi <số|tên> tutran|xoaten|khaitru [dd/mm/yyyy] [lý do]",
            details=_member_details(
                "/roi 5 tutran 02/02/2027",
                "tutran: từ trần; xoaten: xóa tên khỏi danh sách đảng viên; khaitru: khai trừ (có dấu hay không "
                "dấu đều được). Đảng viên ra khỏi danh sách từ ngày đó; các kỳ trước vẫn tính họ.")),
    Command("chibo", "Xem, đổi tên, giải thể chi bộ của đảng bộ", cells, Audience.COMMITTEE, private=True,
            usage="/chibo [doiten <tên cũ> <tên mới> | giaithe <tên chi bộ> [dd/mm/yyyy]]",
            details="Không kèm gì: các chi bộ và số đảng viên. " + CELL_HELP + "\nChỉ giải thể được chi bộ không "
                    "còn đảng viên đang sinh hoạt; lịch sử của chi bộ giữ nguyên. Bot hỏi lại trước khi ghi.\n"
                    "Ví dụ: /chibo doiten khu phố 7 Chi bộ khu phố 7A"),
]
FLOWS = {FLOW: _flow}
FLOW_TITLES = {FLOW: "thay đổi danh sách đảng viên"}
