"""/dangphi: the dues book (sổ thu đảng phí) kept in chat.

- `/dangphi` — a member: their own amount, standing and payments; the secretary, deputy or the
  cell's treasurer (thủ quỹ): the month's collection of their cell; a committee member: one line
  per cell (`/dangphi <tên chi bộ>` opens one). `/dangphi toi` is always one's own statement,
  `/dangphi tháng 10/2026` another month.
- `/dangphi muc <số|tên> <số tiền>|<loại>` declares an amount (the bot never asks for a salary).
- `/dangphi thu …` records a meeting's collection in one message: `Bình 45000; 5 30000 3 tháng;
  Cường tháng 11/2026`, or `cả chi bộ tháng 11/2026 trừ Em, Dung`. Money fills the oldest unpaid
  months first (domain.dues); each entry is answered with the member's standing.
- `/dangphi sua <số|tên> <±số tiền> <lý do>` corrects with a new entry; nothing is ever edited.
- `/dangphi thuquy <số|tên>`: the secretary names the cell's treasurer.

Every entry of a message is checked before anything is written, so a message is recorded whole
or not at all; an amount above 10,000,000đ a month is recorded only once confirmed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete

from domain import dues
from domain.dues import Basis, Rate, money
from domain.errors import UserError
from domain.figures import share_text
from domain.messages import Choice
from domain.spreadsheet import STARTS_LIKE_FORMULA, starts_like_formula
from domain.text import clean_name, fold, has_control, whole_number, yes_or_no
from domain.vocabulary import Position, UnitKind
from handlers import dues_text
from handlers.context import Audience, Ctx
from handlers.registry import Command
from storage import dues as book
from storage import org, roster
from storage.dues_figures import cell_dues, reference_day
from storage.roster import Entry
from storage.tables import Member, Role
from storage.types import table_of

FLOW = "dues"
CONFIRM = "confirm"
CONFIRM_CHOICES = (Choice("Đồng ý", "dong y"), Choice("Hủy", "huy"))
KEEPERS = (Position.SECRETARY, Position.DEPUTY, Position.TREASURER)  # who records a cell's dues
NAMERS = (Position.SECRETARY, Position.DEPUTY)  # who names the treasurer
NOTE_MAX = 200
NOT_A_KEEPER = ("Việc ghi sổ đảng phí do bí thư, phó bí thư hoặc thủ quỹ chi bộ làm. Gõ /dangphi để xem đảng phí "
                "của mình.")
COLLECT_HELP = (
    "Gõ /dangphi thu <số|tên> [<số tiền>] [tháng mm/yyyy | <N> tháng]; nhiều người cách nhau bằng dấu «;», ví dụ: "
    "/dangphi thu Bình 45000; 5 30000 3 tháng; Cường tháng 11/2026. Cả chi bộ một tháng: /dangphi thu cả chi bộ "
    "tháng 11/2026 trừ Em, Dung. Không ghi số tiền: thu đúng mức phải nộp."
)
CORRECT_HELP = "Gõ /dangphi sua <số|tên> <số tiền, thêm dấu - khi bớt> <lý do>, ví dụ: /dangphi sua 5 -15000 ghi nhầm."
_ROLE = table_of(Role)
_UNITS = re.compile(r"^(k|d|đ|dong|đồng|vnd|nghin|nghìn|ngan|ngàn)$", re.IGNORECASE)
_NEGATIVE = re.compile(r"^[-−–]\s*\d")
_SPLIT = re.compile(r"[;\n]+")


# -- who keeps which cell ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Kept:
    """The cell whose book this person keeps, with its numbered roster."""

    cell_id: int
    name: str
    committee_id: int | None
    roster: list[Entry]


async def _kept(ctx: Ctx, roles: tuple[str, ...] = KEEPERS) -> Kept | None:
    mine = sorted({r.unit_id for r in await ctx.roles() if r.role in roles and r.unit_kind == UnitKind.CELL})
    if not mine:
        return None
    cell_id = ctx.account.cell_id if ctx.account.cell_id in mine else mine[0]
    unit = await org.unit(ctx.session, cell_id)
    return Kept(cell_id, unit.name, unit.parent_id, await roster.cell_roster(ctx.session, [cell_id]))


async def _keeper(ctx: Ctx) -> Kept:
    kept = await _kept(ctx)
    if kept is None:
        raise UserError(NOT_A_KEEPER)
    return kept


async def _one(ctx: Ctx, kept: Kept, ref: str) -> Entry:
    """The member of the kept cell a number or name means; a member of another cell is refused."""
    found = roster.find(kept.roster, ref)
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(f"{entry.number}. {entry.full_name}" for entry in found[:10])
        raise UserError(f"Có nhiều đồng chí khớp «{ref}»: {names}. Vui lòng gõ số thứ tự hoặc họ tên đầy đủ.")
    if whole_number(ref) is None and kept.committee_id is not None:
        others = [cell.cell_id for cell in await roster.cells_of(ctx.session, [kept.committee_id])
                  if cell.cell_id != kept.cell_id]
        elsewhere = roster.find(await roster.cell_roster(ctx.session, others), ref) if others else []
        if elsewhere:
            cell = await org.unit(ctx.session, elsewhere[0].cell_id)
            raise UserError(f"Đồng chí {elsewhere[0].full_name} sinh hoạt ở {cell.name}, không thuộc {kept.name}: "
                            "đảng phí do chi bộ của đồng chí ấy thu. Không ghi gì.")
    raise UserError(f"Không tìm thấy «{ref[:60]}» trong danh sách {kept.name}. Gõ /dangphi muc để xem số thứ tự.")


def _today(ctx: Ctx) -> date:
    return ctx.local_now.date()


def _amount(word: str) -> int:
    if _NEGATIVE.match(word.strip()):
        raise UserError(f"Số tiền «{word}» âm: đảng phí thu vào luôn là số dương. Ghi nhầm thì sửa bằng "
                        "/dangphi sua <số|tên> -<số tiền> <lý do>.")
    amount = dues.parse_amount(word)
    if amount is None:
        raise UserError(f"Không hiểu số tiền «{word[:20]}». Gõ số đồng, ví dụ 45000 hoặc 45.000.")
    return amount


def _split_amount(words: list[str]) -> tuple[list[str], int | None]:
    """The words before an amount at the end (`45000`, `45.000đ`, `45 nghìn`), and the amount."""
    if len(words) >= 3 and _UNITS.match(words[-1]) and dues.parse_amount(words[-2] + words[-1]) is not None:
        return words[:-2], dues.parse_amount(words[-2] + words[-1])
    if len(words) >= 2 and (dues.parse_amount(words[-1]) is not None or _NEGATIVE.match(words[-1])):
        return words[:-1], _amount(words[-1])
    return words, None


def _take_month(words: list[str], keyword: str, today: date) -> tuple[list[str], date | None]:
    """Remove «<keyword> [tháng] mm/yyyy» (keyword folded: "tu", "den", "thang") from the words."""
    folded = [fold(word) for word in words]
    for index in range(len(words) - 1):
        if folded[index] != keyword:
            continue
        at = index + 1
        if folded[at] == "thang" and at + 1 < len(words):
            at += 1
        month = dues.parse_month(words[at], today)
        if month is None:
            raise UserError(f"Không hiểu tháng «{words[at][:12]}». Gõ tháng/năm, ví dụ {today.month}/{today.year}.")
        return words[:index] + words[at + 1:], month
    return words, None


def _not_too_far(month: date, today: date) -> None:
    limit = dues.add_months(dues.month_of(today), dues.MONTHS_AHEAD)
    if month > limit:
        raise UserError(f"Tháng {dues.month_text(month)} còn quá xa: chỉ ghi trước tối đa {dues.MONTHS_AHEAD} tháng "
                        f"(đến tháng {dues.month_text(limit)}). Không ghi gì.")


# -- /dangphi muc ------------------------------------------------------------------------------------

def _spec(words: list[str], current: Rate | None, starts: date, until: date | None) -> Rate | None:
    """The declaration the words after a member's name describe; None when they describe none."""
    folded = " ".join(fold(word) for word in words)
    if not folded:
        return None
    first = fold(words[0])
    if first == "mien":
        ground_words = " ".join(fold(word) for word in words[1:])
        ground = next((dues.EXEMPTION_WORDS[key] for key in sorted(dues.EXEMPTION_WORDS, key=len, reverse=True)
                       if ground_words == key or ground_words.startswith(key + " ")), None)
        if ground is None:
            raise UserError("Ghi lý do miễn đảng phí: 50 năm (tuổi đảng), bảo trợ (xã hội), hộ nghèo (cận nghèo) "
                            "hoặc bệnh (hiểm nghèo). Ví dụ: /dangphi muc 4 mien 50 nam")
        basis, amount = (current.basis, current.amount) if current else (Basis.DECLARED, 0)
        return Rate(starts, basis, amount, exemption=ground, exemption_until=until)
    if first == "giam":
        percent = whole_number(" ".join(words[1:]).replace("%", "").strip())
        if current is None or current.exemption is not None:
            raise UserError("Đồng chí này chưa có mức đóng để giảm: ghi mức trước, ví dụ /dangphi muc 4 45000.")
        problem = dues.check_reduction(percent or 0, starts, until)
        if problem:
            raise UserError(problem + " Ví dụ: /dangphi muc 4 giam 50% đến 6/2027.")
        return Rate(starts, current.basis, current.amount, reduction=percent or 0,
                    reduction_until=dues.reduction_end(starts, until))
    if folded in dues.BASIS_WORDS and dues.BASIS_WORDS[folded] in (Basis.STUDENT, Basis.OTHER, Basis.OTHER_RETIRED):
        return Rate(starts, dues.BASIS_WORDS[folded], 0)
    rest, found = _split_amount(words)
    if found is None and words and (dues.parse_amount(words[0]) is not None or _NEGATIVE.match(words[0])):
        rest, found = words[1:], _amount(words[0])
    if found is None:
        return None
    amount = found
    basis_words = " ".join(fold(word) for word in rest)
    if not basis_words:
        basis = Basis.DECLARED
    elif dues.BASIS_WORDS.get(basis_words) in (Basis.SALARY, Basis.PENSION):
        basis = dues.BASIS_WORDS[basis_words]
    else:
        return None
    if amount <= 0:
        raise UserError("Mức đảng phí phải lớn hơn 0. Đảng viên được miễn: /dangphi muc <số|tên> mien <lý do>.")
    return Rate(starts, basis, amount)


async def declare(ctx: Ctx, args: str) -> None:
    kept = await _keeper(ctx)
    words = args.split()
    today = _today(ctx)
    wage = await book.minimum_wage(ctx.session, kept.cell_id)
    if not words:
        rates = await book.rates_of(ctx.session, [entry.member_id for entry in kept.roster])
        month = dues.month_of(today)
        lines = [dues_text.BASIS_HINT, f"Danh sách {kept.name}:"]
        for entry in kept.roster:
            rate = dues.rate_on(rates.get(entry.member_id, []), month)
            shown = dues_text.rate_text(rate, month, wage) if rate else "chưa khai mức"
            lines.append(f"{entry.number}. {entry.full_name} — {shown}")
        ctx.reply("\n".join(lines))
        return
    words, starts = _take_month(words, "tu", today)
    words, until = _take_month(words, "den", today)
    starts = starts or dues.month_of(today)
    _not_too_far(starts, today)
    for size in range(len(words) - 1, 0, -1):
        found = roster.find(kept.roster, " ".join(words[:size]))
        if len(found) != 1:
            continue
        rates = await book.rates_of(ctx.session, [found[0].member_id])
        rate = _spec(words[size:], dues.rate_on(rates.get(found[0].member_id, []), starts), starts, until)
        if rate is not None:
            await _declare_checked(ctx, kept, found[0], rate, wage)
            return
    if len(words) > 1:
        await _one(ctx, kept, words[0] if whole_number(words[0]) is not None else " ".join(words[:-1]))
    raise UserError("Thiếu mức đóng. " + dues_text.BASIS_HINT)


async def _declare_checked(ctx: Ctx, kept: Kept, entry: Entry, rate: Rate, wage: int) -> None:
    data = {"op": "declare", "cell": kept.cell_id, "member": entry.member_id, "rate": _rate_data(rate)}
    if dues.monthly_amount(rate, rate.starts, wage) > dues.CONFIRM_ABOVE:
        ctx.ask(f"Mức {money(rate.amount)}/tháng của đồng chí {entry.full_name} lớn hơn {money(dues.CONFIRM_ABOVE)} "
                "một tháng. Đồng chí kiểm tra lại: ghi đúng mức này?", FLOW, CONFIRM, data, CONFIRM_CHOICES)
        return
    await _carry_out(ctx, data)


def _rate_data(rate: Rate) -> dict[str, Any]:
    return {"starts": rate.starts.isoformat(), "basis": rate.basis, "amount": rate.amount,
            "exemption": rate.exemption, "exemption_until": _iso(rate.exemption_until),
            "reduction": rate.reduction, "reduction_until": _iso(rate.reduction_until)}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _rate_from(data: dict[str, Any]) -> Rate:
    def day(key: str) -> date | None:
        return date.fromisoformat(data[key]) if data.get(key) else None
    return Rate(date.fromisoformat(data["starts"]), data["basis"], int(data["amount"]), data.get("exemption"),
                day("exemption_until"), int(data.get("reduction") or 0), day("reduction_until"))


# -- /dangphi thu and /dangphi sua ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Payment:
    entry: Entry
    amount: int
    months: int  # how many months the amount is for (the per-month check)
    note: str | None


async def collect(ctx: Ctx, args: str) -> None:
    kept = await _keeper(ctx)
    if not args.strip():
        raise UserError(COLLECT_HELP)
    today = _today(ctx)
    wage = await book.minimum_wage(ctx.session, kept.cell_id)
    known = await book.book(ctx.session, [entry.member_id for entry in kept.roster], kept.cell_id,
                            dues.month_of(today), today)
    folded = fold(args)
    whole = next((lead for lead in ("ca chi bo", "tat ca", "ca chibo") if folded.startswith(lead)), None)
    skipped: list[str] = []
    if whole is not None:
        payments, skipped = _whole_cell(args.split()[len(whole.split()):], kept, known, today)
    else:
        payments = [await _payment(ctx, part, kept, known, today, wage) for part in _SPLIT.split(args)
                    if part.strip()]
    checked = payments
    twice = {p.entry.full_name for p in checked if sum(q.entry.member_id == p.entry.member_id for q in checked) > 1}
    if twice:
        raise UserError(f"Đồng chí {', '.join(sorted(twice))} được ghi hai lần trong một tin. Gộp thành một khoản "
                        "rồi gõ lại. Không ghi gì.")
    if not checked:
        raise UserError("Không có khoản nào để ghi. " + COLLECT_HELP)
    data = {"op": "collect", "cell": kept.cell_id, "skipped": skipped,
            "payments": [{"member": p.entry.member_id, "amount": p.amount, "note": p.note} for p in checked]}
    large = [p for p in checked if p.amount > dues.CONFIRM_ABOVE * max(p.months, 1)]
    if large:
        shown = "; ".join(f"{p.entry.full_name} {money(p.amount)}" for p in large)
        ctx.ask(f"Số tiền lớn hơn {money(dues.CONFIRM_ABOVE)} một tháng: {shown}. Đồng chí kiểm tra lại: ghi đúng "
                f"{len(checked)} khoản này?", FLOW, CONFIRM, data, CONFIRM_CHOICES)
        return
    await _carry_out(ctx, data)


async def _payment(ctx: Ctx, part: str, kept: Kept, known: book.Book, today: date, wage: int) -> Payment:
    """One entry of `/dangphi thu`; every problem raises before anything of the message is written."""
    words = part.split()
    months = 1
    words, month = _take_month(words, "thang", today)
    if month is None and len(words) >= 3 and fold(words[-1]) == "thang" and whole_number(words[-2]) is not None:
        months = whole_number(words[-2]) or 0
        if not 1 <= months <= dues.MONTHS_AHEAD:
            raise UserError(f"Thu trước tối đa {dues.MONTHS_AHEAD} tháng một lần. Không ghi gì.")
        words = words[:-2]
    if month is not None:
        _not_too_far(month, today)
    words, amount = _split_amount(words)
    if not words:
        raise UserError("Thiếu số thứ tự hoặc tên đảng viên. " + COLLECT_HELP)
    entry = await _one(ctx, kept, " ".join(words))
    rates = known.rates.get(entry.member_id, [])
    current = dues.month_of(today)
    note = f"tháng {dues.month_text(month)}" if month else (f"{months} tháng" if months > 1 else None)
    if amount is None:
        if not rates:
            raise UserError(f"Đồng chí {entry.full_name} chưa khai mức đảng phí: ghi số tiền, hoặc khai mức trước "
                            f"(/dangphi muc {entry.number} <số tiền>). Không ghi gì.")
        if month is not None:
            due = dues.due_in(rates, month, wage)
            if due is None or due.exempt:
                raise UserError(f"Đồng chí {entry.full_name} không phải nộp đảng phí tháng "
                                f"{dues.month_text(month)}. Không ghi gì.")
            amount = due.amount
        else:
            ahead = dues.schedule(rates, dues.add_months(current, dues.MONTHS_AHEAD), wage,
                                  first=dues.add_months(current, 1))
            amount, _covered = dues.to_cover(known.allocations[entry.member_id], ahead, months)
            if amount == 0:
                raise UserError(f"Đồng chí {entry.full_name} đã nộp trước đủ {months} tháng tới. Không ghi gì.")
    if amount <= 0:
        raise UserError(f"Số tiền của đồng chí {entry.full_name} phải lớn hơn 0. Không ghi gì.")
    return Payment(entry, amount, months, note)


def _whole_cell(words: list[str], kept: Kept, known: book.Book, today: date) -> tuple[list[Payment], list[str]]:
    """`cả chi bộ [tháng mm/yyyy] [trừ <tên>, <tên>]`: everyone who owes the month pays its amount."""
    folded = [fold(word) for word in words]
    cut = next((i for i, word in enumerate(folded) if word in ("tru", "ngoai", "tru:")), len(words))
    head, tail = words[:cut], words[cut + 1:]
    head, month = _take_month(["thang", *head] if head and fold(head[0]) != "thang" else head, "thang", today)
    if head:
        raise UserError(f"Không hiểu «{' '.join(head)[:40]}». " + COLLECT_HELP)
    month = month or dues.month_of(today)
    _not_too_far(month, today)
    excepted: set[int] = set()
    for ref in re.split(r"[,;]", " ".join(tail)):
        if ref.strip():
            found = roster.find(kept.roster, ref.strip())
            if len(found) != 1:
                raise UserError(f"«{ref.strip()[:60]}» sau «trừ»: " + (
                    "có nhiều đồng chí khớp, vui lòng gõ số thứ tự." if found else "không có trong danh sách.")
                    + " Không ghi gì.")
            excepted.add(found[0].member_id)
    payments: list[Payment] = []
    skipped: list[str] = []
    for entry in kept.roster:
        if entry.member_id in excepted:
            continue
        due = known.due(entry.member_id, month)
        if due is None:
            skipped.append(f"{entry.full_name} (chưa khai mức)")
        elif due.exempt:
            skipped.append(f"{entry.full_name} (miễn đóng)")
        elif (state := known.allocations[entry.member_id].state(month)) is not None and state.settled:
            skipped.append(f"{entry.full_name} (đã nộp trước)")
        else:
            payments.append(Payment(entry, due.amount, 1, f"tháng {dues.month_text(month)}"))
    return payments, skipped


async def correct(ctx: Ctx, args: str) -> None:
    kept = await _keeper(ctx)
    words = args.split()
    index = next((i for i, word in enumerate(words) if i and (
        _NEGATIVE.match(word) or word.startswith("+") or dues.parse_amount(word) is not None)), None)
    if index is None:
        raise UserError(CORRECT_HELP)
    entry = await _one(ctx, kept, " ".join(words[:index]))
    typed = words[index]
    sign = -1 if _NEGATIVE.match(typed) else 1
    amount = dues.parse_amount(typed.lstrip("+-−–").strip())
    if not amount:
        raise UserError(f"Không hiểu số tiền «{typed[:20]}». " + CORRECT_HELP)
    reason = clean_name(" ".join(words[index + 1:]))
    if not reason:
        raise UserError("Ghi kèm lý do điều chỉnh. " + CORRECT_HELP)
    if has_control(reason) or len(reason) > NOTE_MAX or starts_like_formula(reason):
        raise UserError(f"Lý do phải là chữ, không quá {NOTE_MAX} ký tự, {STARTS_LIKE_FORMULA}.")
    today = _today(ctx)
    paid = (await book.paid_by(ctx.session, [entry.member_id], today)).get(entry.member_id, 0)
    if paid + sign * amount < 0:
        raise UserError(f"Đồng chí {entry.full_name} mới nộp tổng cộng {money(paid)}: không bớt được {money(amount)}. "
                        "Không ghi gì.")
    await _carry_out(ctx, {"op": "correct", "cell": kept.cell_id, "member": entry.member_id,
                           "amount": sign * amount, "note": reason})


# -- recording (at once, or after the confirmation) ------------------------------------------------

async def _carry_out(ctx: Ctx, data: dict[str, Any]) -> None:
    kept = await _keeper(ctx)
    if kept.cell_id != int(data["cell"]):
        raise UserError(NOT_A_KEEPER)
    members = {entry.member_id: entry for entry in kept.roster}
    today, by = _today(ctx), ctx.member_id
    if data["op"] == "declare":
        entry = members.get(int(data["member"]))
        if entry is None:
            raise UserError("Đồng chí này không còn trong danh sách chi bộ. Không ghi gì.")
        rate = _rate_from(data["rate"])
        await book.declare(ctx.session, entry.member_id, kept.cell_id, rate, by=by, now=ctx.now)
        wage = await book.minimum_wage(ctx.session, kept.cell_id)
        ctx.reply(f"Đã ghi mức đảng phí của đồng chí {entry.full_name} từ tháng {dues.month_text(rate.starts)}: "
                  f"{dues_text.rate_text(rate, rate.starts, wage)}.")
        return
    payments = data["payments"] if data["op"] == "collect" else [data]
    gone = [p for p in payments if int(p["member"]) not in members]
    if gone:
        raise UserError("Có đồng chí không còn trong danh sách chi bộ. Không ghi gì.")
    kind = book.PAYMENT if data["op"] == "collect" else book.CORRECTION
    for payment in payments:
        await book.record(ctx.session, int(payment["member"]), kept.cell_id, kind, int(payment["amount"]), today,
                          payment.get("note"), by=by, now=ctx.now)
    ids = [int(p["member"]) for p in payments]
    current = dues.month_of(today)
    known = await book.book(ctx.session, ids, kept.cell_id, current, today)
    total = sum(int(p["amount"]) for p in payments)
    if kind == book.CORRECTION:
        lines = [f"Đã ghi điều chỉnh {'+' if total > 0 else ''}{money(total)} ({data['note']}) ngày {today:%d/%m/%Y}, "
                 f"{kept.name}:"]
    else:
        lines = [f"Đã ghi {len(payments)} khoản, tổng {money(total)}, ngày {today:%d/%m/%Y}, {kept.name}:"]
    for payment in payments:
        entry = members[int(payment["member"])]
        note = f" ({payment['note']})" if payment.get("note") and kind == book.PAYMENT else ""
        standing = dues_text.standing_text(known.allocations[entry.member_id], current)
        lines.append(f"- {entry.full_name}: {money(int(payment['amount']))}{note} — {standing}")
    if data.get("skipped"):
        lines.append("Không thu: " + ", ".join(data["skipped"]) + ".")
    lines.append("Ghi nhầm thì sửa bằng /dangphi sua <số|tên> <số tiền> <lý do> (ghi thêm, không xóa).")
    ctx.reply("\n".join(lines))


async def _flow(ctx: Ctx, text: str) -> None:
    answer = False if fold(text) in ("huy", "thoi", "bo") else yes_or_no(text)
    if answer is None:
        ctx.ask("Gõ «đồng ý» để ghi, hoặc «hủy» để thôi.", FLOW, CONFIRM, choices=CONFIRM_CHOICES)
        return
    data = dict(ctx.conversation.data)
    ctx.finish()
    if not answer:
        ctx.reply("Đã hủy: không ghi gì.")
        return
    await _carry_out(ctx, data)


# -- /dangphi thuquy ----------------------------------------------------------------------------------

async def name_treasurer(ctx: Ctx, args: str) -> None:
    kept = await _kept(ctx, NAMERS)
    if kept is None:
        raise UserError("Thủ quỹ chi bộ do bí thư hoặc phó bí thư chỉ định.")
    if not args.strip():
        raise UserError("Gõ /dangphi thuquy <số|tên>, ví dụ: /dangphi thuquy 6.")
    entry = await _one(ctx, kept, args.strip())
    await ctx.session.execute(delete(_ROLE).where(_ROLE.c.unit_id == kept.cell_id,
                                                  _ROLE.c.role == Position.TREASURER))
    await org.grant_role(ctx.session, entry.member_id, kept.cell_id, Position.TREASURER)
    ctx.reply(f"Đồng chí {entry.full_name} là thủ quỹ {kept.name}: ghi mức và thu đảng phí bằng /dangphi muc, "
              "/dangphi thu, /dangphi sua.")


# -- what people see ----------------------------------------------------------------------------------

async def own(ctx: Ctx) -> None:
    member_id = ctx.joined_member_id
    member = await ctx.session.get(Member, member_id)
    cell_id = ctx.account.cell_id
    if member is None or cell_id is None:
        raise UserError("Đồng chí chưa thuộc chi bộ nào nên chưa có sổ đảng phí.")
    today = _today(ctx)
    current = dues.month_of(today)
    known = await book.book(ctx.session, [member_id], cell_id, current, today)
    cell = await org.unit(ctx.session, cell_id)
    ctx.reply(dues_text.own_statement(member.full_name, cell.name, known.rates.get(member_id, []),
                                      known.allocations[member_id], await book.entries_of(ctx.session, member_id),
                                      current, known.minimum_wage))


async def _cell_month(ctx: Ctx, cell_id: int, name: str, month: date) -> None:
    today = _today(ctx)
    figures = (await cell_dues(ctx.session, [cell_id], cell_id, month, month, today))[cell_id]
    share = share_text(await book.cell_share(ctx.session, cell_id))
    ctx.reply(dues_text.cell_month(name, month, reference_day(month, today), figures, share))


def _month_asked(words: list[str], today: date) -> tuple[list[str], date]:
    rest, month = _take_month(words, "thang", today)
    month = month or dues.month_of(today)
    if month > dues.month_of(today):
        raise UserError(f"Tháng {dues.month_text(month)} chưa tới nên chưa có số liệu.")
    return rest, month


async def show(ctx: Ctx, args: str) -> None:
    """`/dangphi [tháng mm/yyyy]` and its sub-commands."""
    word, _, rest = args.strip().partition(" ")
    key = fold(word)
    sub = {"muc": declare, "thu": collect, "sua": correct, "thuquy": name_treasurer}.get(key)
    if sub is not None:
        await sub(ctx, rest)
        return
    if key == "toi":
        await own(ctx)
        return
    today = _today(ctx)
    words, month = _month_asked(args.split(), today)
    committees = await ctx.committees()
    if committees:
        cells = await roster.cells_of(ctx.session, committees)
        if words:
            cell, left = roster.split_cell(cells, " ".join(words))
            if cell is None or left:
                known = "; ".join(c.name for c in cells[:20])
                raise UserError(f"Không tìm thấy chi bộ «{' '.join(words)[:60]}». Các chi bộ: {known}.")
            await _cell_month(ctx, cell.cell_id, cell.name, month)
            return
        kept = await _kept(ctx)
        if kept is None:
            figures = await cell_dues(ctx.session, [c.cell_id for c in cells], committees[0], month, month, today)
            committee = await org.unit(ctx.session, committees[0])
            ctx.reply(dues_text.committee_month(committee.name, month, reference_day(month, today),
                                                [(c.name, figures[c.cell_id]) for c in cells]))
            return
    if words:
        raise UserError("Gõ /dangphi, /dangphi tháng 10/2026, /dangphi toi, hoặc xem /trogiup dangphi.")
    kept = await _kept(ctx)
    if kept is not None:
        await _cell_month(ctx, kept.cell_id, kept.name, month)
        return
    await own(ctx)


DETAILS = (
    "Sổ thu đảng phí (Quy định 01-QĐ/TW). Chỉ xem trong tin nhắn riêng.\n"
    "• Đảng viên: /dangphi — mức đóng, đã nộp đến tháng nào, các lần nộp.\n"
    "• Bí thư, phó bí thư, thủ quỹ: /dangphi [tháng 10/2026] — ai đã nộp, chưa nộp, miễn; nợ đọng; số nộp lên "
    "đảng ủy. /dangphi toi — đảng phí của mình.\n"
    "• Khai mức (bot không hỏi lương): /dangphi muc <số|tên> <số tiền> [lương|hưu] | hocsinh | khac [trên tuổi] | "
    "mien <50 năm|bảo trợ|hộ nghèo|bệnh> [đến mm/yyyy] | giam <30|50|70>% [đến mm/yyyy]; thêm «từ mm/yyyy». "
    "/dangphi muc — danh sách và số thứ tự.\n"
    "• Thu trong buổi họp, một tin cho nhiều người: /dangphi thu Bình 45000; 5 30000 3 tháng; Cường tháng 11/2026. "
    "Cả chi bộ: /dangphi thu cả chi bộ tháng 11/2026 trừ Em, Dung. Tiền nộp trừ vào tháng cũ nhất chưa nộp; "
    "nộp thừa giữ lại cho các tháng sau.\n"
    "• Sửa: /dangphi sua <số|tên> -15000 ghi nhầm (ghi thêm một dòng, không xóa).\n"
    "• Bí thư chỉ định thủ quỹ: /dangphi thuquy <số|tên>.\n"
    "• Cấp ủy viên: /dangphi — mỗi chi bộ một dòng; /dangphi <tên chi bộ> — từng đảng viên."
)

COMMANDS = [
    Command("dangphi", "Sổ đảng phí: mức đóng, thu, nợ đọng", show, Audience.MEMBER, private=True,
            usage="/dangphi [toi | tháng mm/yyyy | muc … | thu … | sua … | thuquy …]", details=DETAILS),
]
FLOWS = {FLOW: _flow}
FLOW_TITLES = {FLOW: "ghi sổ đảng phí"}
