"""The dues settings of /caidat (issue 14): when members with arrears are reminded, and the two
committee figures the dues book reads.

- `/caidat nhacdangphi <ngày 1–28|tắt>`: the cell's secretary for the cell, a committee member as
  the default of its cells (as `/caidat nhacnho`). Off by default: a cell that does not keep its
  book in chibo must not have its members told they owe.
- `/caidat luongtoithieu <số tiền>`: the regional minimum wage the dues of members without salary or
  pension follow; the committee's, as every rule it applies to all its cells.
- `/caidat dangphidelai <phần trăm>`: the share of the dues a cell keeps (the rest is remitted).

Words are read without diacritics too; a value that does not parse is answered with what to type,
and nothing is changed.
"""

from __future__ import annotations

import re
from fractions import Fraction

from domain import dues
from domain.dues import Basis, Rate, money
from domain.figures import share_text
from domain.text import fold
from handlers.context import Ctx
from storage import dues as book
from storage import org, unit_settings

# Folded, spaces removed: `nhắc đảng phí`, `nhacdangphi` and `nhac dang phi` are one word.
REMINDER_WORDS = ("nhacdangphi", "nhacphi")
WAGE_WORDS = ("luongtoithieuvung", "luongtoithieu")
SHARE_WORDS = ("dangphidelai", "chibodelai", "delai")
OFF_WORDS = ("tat", "off", "khong", "0")
WAGE_LOWEST, WAGE_HIGHEST = 1_000_000, 100_000_000  # đồng a month: outside this, surely a typing slip

REMINDER_HELP = ("Gõ /caidat nhacdangphi <ngày 1–28>, ví dụ /caidat nhacdangphi 5: lúc 08:00 ngày đó hằng tháng, "
                 "đảng viên còn nợ đảng phí các tháng trước được nhắc riêng; /caidat nhacdangphi tắt để thôi nhắc.")
WAGE_HELP = ("Gõ /caidat luongtoithieu <số tiền>, ví dụ /caidat luongtoithieu 5310000 (lương tối thiểu vùng, "
             "đồng/tháng).")
SHARE_HELP = "Gõ /caidat dangphidelai <phần trăm>, ví dụ /caidat dangphidelai 30% (phần chi bộ giữ lại)."
CELL_HELP = "/caidat nhacdangphi <ngày 1–28|tắt>, ví dụ /caidat nhacdangphi 5 (nhắc đảng viên còn nợ đảng phí)"
COMMITTEE_HELP = ("/caidat luongtoithieu <số tiền>, ví dụ /caidat luongtoithieu 5310000; /caidat dangphidelai "
                  "<phần trăm>, ví dụ /caidat dangphidelai 30% (phần đảng phí chi bộ giữ lại)")
_PERCENT = re.compile(r"^(\d{1,3})(?:[.,](\d{1,2}))?\s*%?$")


def reminder_text(day: int) -> str:
    return f"ngày {day} hằng tháng, lúc 08:00" if day else "tắt"


async def shown(ctx: Ctx, unit_id: int) -> list[str]:
    """The dues lines of `/caidat`."""
    day = await unit_settings.dues_reminder_day(ctx.session, unit_id)
    wage = await book.minimum_wage(ctx.session, unit_id)
    share = await book.cell_share(ctx.session, unit_id)
    return [f"Nhắc đảng phí: {reminder_text(day)}.",
            f"Lương tối thiểu vùng (tính đảng phí): {money(wage)}/tháng; chi bộ giữ lại {share_text(share)} "
            "đảng phí."]


def _named(args: str) -> tuple[str, str] | None:
    """The setting `args` starts with (its first word, or its first words run together) and the rest."""
    words = fold(args).split(" ")
    for count in range(min(len(words), 4), 0, -1):
        key = "".join(words[:count])
        if key in REMINDER_WORDS + WAGE_WORDS + SHARE_WORDS:
            return key, " ".join(words[count:])
    return None


async def change(ctx: Ctx, args: str, cell_id: int | None, committees: list[int]) -> bool:
    """Apply the dues setting `args` names; False when it names none of them."""
    named = _named(args)
    if named is None:
        return False
    key, rest = named
    if key in REMINDER_WORDS:
        await _reminder(ctx, rest, cell_id if cell_id is not None else committees[0], cell_id is None)
        return True
    if key in WAGE_WORDS or key in SHARE_WORDS:
        if not committees:
            what = "Lương tối thiểu vùng" if key in WAGE_WORDS else "Phần đảng phí chi bộ giữ lại"
            ctx.reply(f"{what} do cấp ủy đảng bộ đặt, áp dụng cho mọi chi bộ.")
            return True
        await (_wage if key in WAGE_WORDS else _share)(ctx, rest, committees[0])
        return True
    return False


async def _reminder(ctx: Ctx, rest: str, unit_id: int, for_cells: bool) -> None:
    typed = fold(rest)
    day = 0 if typed in OFF_WORDS else int(typed) if re.fullmatch(r"[0-9]{1,2}", typed) else None
    if day is None or day > unit_settings.DUES_REMINDER_LAST_DAY:
        ctx.reply(REMINDER_HELP)
        return
    await unit_settings.put(ctx.session, unit_id, unit_settings.DUES_REMINDER_DAY, day)
    unit = await org.unit(ctx.session, unit_id)
    scope = " (áp dụng cho các chi bộ chưa có cài đặt riêng)" if for_cells else ""
    if not day:
        ctx.reply(f"Đã tắt nhắc đảng phí của {unit.name}{scope}.")
        return
    ctx.reply(f"Đã đặt nhắc đảng phí của {unit.name}{scope}: {reminder_text(day)}. Đảng viên còn nợ đảng phí "
              "các tháng trước được nhắc riêng, mỗi tháng một lần; ai đã nộp đủ thì không nhận.")


async def _wage(ctx: Ctx, rest: str, committee_id: int) -> None:
    amount = dues.parse_amount(rest) if rest.strip() else None
    if amount is None:
        ctx.reply(WAGE_HELP)
        return
    if not WAGE_LOWEST <= amount <= WAGE_HIGHEST:
        ctx.reply(f"Mức {money(amount)} không giống lương tối thiểu vùng (từ {money(WAGE_LOWEST)} đến "
                  f"{money(WAGE_HIGHEST)} một tháng): chưa đổi gì. " + WAGE_HELP)
        return
    await unit_settings.put(ctx.session, committee_id, book.MINIMUM_WAGE, amount)
    unit = await org.unit(ctx.session, committee_id)
    month = dues.month_of(ctx.local_now.date())
    below, above = (dues.minimum_wage_share(month, retired) for retired in (False, True))
    owed = [dues.monthly_amount(Rate(month, basis, 0), month, amount) for basis in (Basis.OTHER, Basis.OTHER_RETIRED)]
    ctx.reply(f"Đã đặt lương tối thiểu vùng của {unit.name}: {money(amount)}/tháng. Đảng viên không có lương, "
              f"lương hưu đóng {share_text(below)} mức này ({money(owed[0])}/tháng), từ tuổi nghỉ hưu "
              f"{share_text(above)} ({money(owed[1])}/tháng); mức mới áp dụng cho cả các tháng đã ghi trong sổ.")


async def _share(ctx: Ctx, rest: str, committee_id: int) -> None:
    match = _PERCENT.match(rest.strip())
    percent = Fraction(f"{match.group(1)}.{match.group(2) or 0}") if match else None
    if percent is None or percent > 100:
        ctx.reply(SHARE_HELP)
        return
    share = percent / 100
    await unit_settings.put(ctx.session, committee_id, book.CELL_SHARE, float(share))
    unit = await org.unit(ctx.session, committee_id)
    ctx.reply(f"Đã đặt phần đảng phí chi bộ giữ lại của {unit.name}: {share_text(share)}; phần còn lại "
              f"({share_text(1 - share)}) nộp lên đảng ủy.")
