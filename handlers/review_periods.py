"""Which review a rating command works on, and /kydanhgia: the committee's review periods.

Every rating command (/danhgia, /xeploai, /quyetdinh, /lichsu, /cuatoi) takes an optional period
right after its word ("năm 2026", "quý 4/2026", "quý" for the open quarter) and otherwise works
on the open review of the committee's calendar (domain.review_window). Recording is refused
outside the period's window; the committee reopens a period, closes it early, or turns quarterly
reviews on with /kydanhgia. The settings live on the committee (storage.unit_settings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from domain import periods
from domain.dates import Direction, parse_date, parse_day_month
from domain.errors import UserError
from domain.periods import ReviewPeriod
from domain.review_window import STATE_WORDS, ReviewCalendar, State, Window, typed_key
from domain.text import fold
from handlers.context import Ctx
from storage import org, unit_settings

REOPEN_DAYS = 14  # a period reopened without an end date stays open this many days, today included
SHOWN = 6  # periods listed by /kydanhgia: the next to open, those open, the latest closed


@dataclass(frozen=True, slots=True)
class Chosen:
    """The review a command works on, how the person typed it, and the rest of their words."""

    review: ReviewPeriod
    calendar: ReviewCalendar  # of `unit_id`
    unit_id: int
    rest: str
    typed: str  # "" (the default), "quý" or "năm 2026" / "quý 4/2026": repeated in the hints given

    def command(self, word: str) -> str:
        """ "/xeploai", "/xeploai quý" or "/xeploai năm 2026": what to type for the same period
        (a choice's value is its `fold`: "/xeploai nam 2026", as a Zalo user types it back)."""
        return f"{word} {self.typed}" if self.typed else word


async def choose(ctx: Ctx, args: str, unit_id: int, command: str) -> Chosen:
    """The period typed right after `command` (or the open one) and the words after it."""
    today = ctx.local_now.date()
    try:
        typed = periods.split_review(args, today)
    except UserError as error:
        raise UserError(f"{error} Kỳ gõ ngay sau lệnh, ví dụ: {command} năm {today.year} "
                        f"hoặc {command} quý 1/{today.year}.") from None
    calendar = await unit_settings.review_calendar(ctx.session, unit_id)
    if typed.period is not None:
        return Chosen(typed.period, calendar, unit_id, typed.rest, typed_key(typed.period))
    review = calendar.default(today, quarter=typed.quarter)
    return Chosen(review, calendar, unit_id, typed.rest, "quý" if typed.quarter else "")


def refuse_trailing_period(rest: str, command: str) -> None:
    """A period typed after a name ("… tatca năm 2026") is not read as part of the name: the
    person is told to put it first, where it is read."""
    name, period_text = periods.split(rest)
    if period_text and name:
        raise UserError(f"Kỳ đánh giá gõ ngay sau lệnh, trước các phần khác: {command} {period_text} {name}. "
                        "Chưa lưu gì.")


async def check_open(ctx: Ctx, chosen: Chosen, unit_id: int) -> None:
    """Refuse a recording into `unit_id` outside the period's window (`ReviewClosed`, with the
    dates). The calendar already read serves when the unit is the one it was read for."""
    calendar = (chosen.calendar if unit_id == chosen.unit_id
                else await unit_settings.review_calendar(ctx.session, unit_id))
    calendar.check_open(chosen.review, ctx.local_now.date())


async def check_period_open(ctx: Ctx, review: ReviewPeriod, unit_id: int) -> None:
    """`check_open` for a period carried over from an earlier message (a guided flow's last step)."""
    calendar = await unit_settings.review_calendar(ctx.session, unit_id)
    calendar.check_open(review, ctx.local_now.date())


def closed_note(chosen: Chosen, today: date) -> str | None:
    """A line for a list or a detail shown while the period takes no ratings, else None."""
    if not chosen.calendar.takes(chosen.review):
        return (f"Đảng bộ chưa bật đánh giá, xếp loại theo quý: kỳ {chosen.review.label} chỉ xem, không ghi được. "
                "Cấp ủy gõ /kydanhgia quy bat để bật.")
    state = chosen.calendar.state(chosen.review, today)
    if state is State.OPEN:
        return None
    window = chosen.calendar.window(chosen.review)
    again = "mở sớm" if state is State.NOT_YET else "mở lại"
    return (f"Kỳ đánh giá {chosen.review.label} {STATE_WORDS[state]} ({window.text}): chỉ xem, không ghi được. "
            f"Cấp ủy {again} bằng /kydanhgia mo {typed_key(chosen.review)}.")


# -- /kydanhgia ----------------------------------------------------------------------------------

HELP = ("Gõ /kydanhgia mo <kỳ> [đến dd/mm/yyyy] để mở (lại) một kỳ; /kydanhgia dong <kỳ> để khóa sớm; "
        "/kydanhgia quy bat (hoặc tat) để đánh giá cả theo quý; /kydanhgia lich <ngày mở> <ngày khóa> để đổi "
        "ngày mở, khóa kỳ năm (ví dụ /kydanhgia lich 01/12 28/02). Kỳ là năm 2026 hoặc quý 4/2026.")
OPEN_WORDS = frozenset({"mo", "molai"})
CLOSE_WORDS = frozenset({"dong", "khoa"})
ON_WORDS = frozenset({"bat", "co", "on"})
OFF_WORDS = frozenset({"tat", "khong", "off"})


def _yearly_text(calendar: ReviewCalendar) -> str:
    opens = f"{calendar.opens[0]:02d}/{calendar.opens[1]:02d}"
    day, month = calendar.closes
    closes = "tháng 2" if (month, day) in ((2, 28), (2, 29)) else f"ngày {day:02d}/{month:02d}"
    following = " năm sau" if (month, day) < (calendar.opens[1], calendar.opens[0]) else ""
    quarterly = ("có (mỗi quý mở từ ngày 1 tháng cuối quý đến hết tháng sau đó)" if calendar.quarterly
                 else "không")
    return f"Kỳ năm: mở từ ngày {opens} đến hết {closes}{following}. Theo quý: {quarterly}."


async def manage(ctx: Ctx, args: str) -> None:
    """`/kydanhgia [mo <kỳ> [đến <ngày>] | dong <kỳ> | quy bat|tat | lich <mở> <khóa>]`."""
    committee_id = (await ctx.committees())[0]
    committee = await org.unit(ctx.session, committee_id)
    today = ctx.local_now.date()
    calendar = await unit_settings.review_calendar(ctx.session, committee_id)
    words = args.split()
    action = fold(words[0]) if words else ""
    if action == "mo" and len(words) > 1 and fold(words[1]) == "lai":  # "mở lại năm 2026"
        words = words[1:]
    rest = " ".join(words[1:])
    if not action:
        _list(ctx, committee.name, calendar, today)
    elif action in OPEN_WORDS:
        await _open(ctx, committee_id, calendar, rest, today)
    elif action in CLOSE_WORDS:
        await _close(ctx, committee_id, calendar, rest, today)
    elif action in ("quy", "q"):
        setting = fold(rest)
        if setting not in ON_WORDS | OFF_WORDS:
            raise UserError("Gõ /kydanhgia quy bat để đánh giá cả theo quý, /kydanhgia quy tat để thôi.")
        await unit_settings.put(ctx.session, committee_id, "quarterly_reviews", setting in ON_WORDS)
        if setting in ON_WORDS:
            ctx.reply(f"Đã bật đánh giá, xếp loại theo quý cho {committee.name}: mỗi quý mở từ ngày 1 tháng cuối "
                      "quý đến hết tháng sau đó (quý 4: 01/12 đến 31/01 năm sau). Đảng viên gõ /danhgia quý.")
        else:
            ctx.reply(f"Đã tắt đánh giá, xếp loại theo quý cho {committee.name}; kỳ năm không đổi.")
    elif action == "lich":
        await _set_days(ctx, committee_id, committee.name, rest, today)
    else:
        raise UserError(f"Không hiểu «{words[0][:20]}». {HELP}")


def _list(ctx: Ctx, name: str, calendar: ReviewCalendar, today: date) -> None:
    shown = [p for p in calendar.candidates(today, quarters=calendar.quarterly)
             if calendar.state(p, today) is not State.NOT_YET and calendar.takes(p)]
    for upcoming in {calendar.next_opening(today, quarter=quarter) for quarter in (False, calendar.quarterly)}:
        if upcoming not in shown:
            shown.append(upcoming)
    shown.sort(key=lambda p: (calendar.window(p).first, -p.quarter), reverse=True)  # a year before its quarter
    lines = [f"Kỳ đánh giá, xếp loại của {name}:", _yearly_text(calendar)]
    for review in shown[:SHOWN]:
        state = calendar.state(review, today)
        by_hand = " (cấp ủy đặt)" if review.key in calendar.set_windows else ""
        lines.append(f"- {review.label.capitalize()}: {STATE_WORDS[state]}, {calendar.window(review).text}{by_hand}.")
    lines.append(HELP)
    ctx.reply("\n".join(lines))


def _period_and_date(text: str, today: date, usage: str) -> tuple[ReviewPeriod, str]:
    """The period (required) and what follows it."""
    typed = periods.split_review(text, today)
    if typed.period is None:
        raise UserError(f"Gõ kỳ: {usage}, ví dụ năm {today.year} hoặc quý 1/{today.year}.")
    return typed.period, typed.rest


async def _open(ctx: Ctx, committee_id: int, calendar: ReviewCalendar, text: str, today: date) -> None:
    review, rest = _period_and_date(text, today, "/kydanhgia mo <kỳ> [đến dd/mm/yyyy]")
    usual = calendar.usual(review)
    words = rest.split()
    while words and fold(words[0]) in ("den", "toi", "ngay", "het"):  # "đến hết ngày 15/03/2027"
        words = words[1:]
    if words:
        last = parse_date(" ".join(words), today, Direction.FUTURE)
        if last < today:
            raise UserError(f"Ngày {last:%d/%m/%Y} đã qua: gõ một ngày từ hôm nay ({today:%d/%m/%Y}) trở đi.")
    else:
        last = usual.last if usual.last >= today else today + timedelta(days=REOPEN_DAYS - 1)
    window = Window(min(usual.first, calendar.window(review).first, today), last)
    await unit_settings.set_review_window(ctx.session, committee_id, review, window)
    ctx.reply(f"Đã mở kỳ đánh giá {review.label} {window.text}: đảng viên tự đánh giá, chi bộ đề xuất và cấp ủy "
              f"quyết định được đến hết ngày {last:%d/%m/%Y}.")


async def _close(ctx: Ctx, committee_id: int, calendar: ReviewCalendar, text: str, today: date) -> None:
    review, _rest = _period_and_date(text, today, "/kydanhgia dong <kỳ>")
    window = calendar.window(review)
    state = calendar.state(review, today)
    if state is not State.OPEN:
        raise UserError(f"Kỳ đánh giá {review.label} không đang mở ({STATE_WORDS[state]}, {window.text}).")
    closed = Window(window.first, today - timedelta(days=1))
    await unit_settings.set_review_window(ctx.session, committee_id, review, closed)
    ctx.reply(f"Đã khóa kỳ đánh giá {review.label} từ hôm nay ({today:%d/%m/%Y}). "
              f"Mở lại bằng /kydanhgia mo {typed_key(review)} đến <ngày>.")


async def _set_days(ctx: Ctx, committee_id: int, name: str, text: str, today: date) -> None:
    words = text.split()
    found = [parse_day_month(word) for word in words]
    if len(found) != 2 or found[0] is None or found[1] is None:
        raise UserError("Gõ /kydanhgia lich <ngày mở> <ngày khóa> (ngày/tháng), ví dụ /kydanhgia lich 01/12 28/02: "
                        "mở từ 01/12, khóa sau cuối tháng 2 năm sau.")
    opens, closes = found[0], found[1]
    await unit_settings.put(ctx.session, committee_id, "review_opens", f"{opens[0]:02d}/{opens[1]:02d}")
    await unit_settings.put(ctx.session, committee_id, "review_closes", f"{closes[0]:02d}/{closes[1]:02d}")
    calendar = await unit_settings.review_calendar(ctx.session, committee_id)
    upcoming = calendar.default(today)
    ctx.reply(f"Đã đổi lịch kỳ đánh giá năm của {name}. {_yearly_text(calendar)}\n"
              f"Kỳ {upcoming.label}: {STATE_WORDS[calendar.state(upcoming, today)]}, {calendar.window(upcoming).text}.")
