"""Activity reports: /baocao (guided or in one line), a photo sent with it or right after, /xoabaocao.

The one-line report is the busiest message the bot handles. Its path costs one statement
beyond the router's: the report's insert (Core, storage.reports.add). A photo that follows is
handed over by the router (`ON_PHOTO`); whether it still belongs to the report is decided from
the report row itself (its age and whether it has a photo), so a restart loses nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.dates import looks_like_date, parse_done_on
from domain.errors import UserError
from domain.figures import thousands
from domain.messages import Choice
from domain.text import fold, whole_number
from domain.vocabulary import REPORT_KINDS
from handlers import texts
from handlers.context import Audience, Ctx
from handlers.registry import Command
from storage import reports
from storage.reports import KIND_NAMES, PHOTO_MAX, PHOTO_WINDOW, TEXT_MAX

FLOW = "report"
EXAMPLE = "/baocao 2 Vận động 5 hộ đóng góp làm đường"
NO_CELL = "Đồng chí chưa sinh hoạt ở chi bộ nào nên chưa báo cáo hoạt động được."
_KIND_KEYS = {fold(name): kind for kind, name in KIND_NAMES.items()}


def kind_list() -> str:
    return "\n".join(f"{number}. {KIND_NAMES[kind]}" for number, kind in enumerate(REPORT_KINDS, 1))


def _kind_choices() -> list[Choice]:
    """Plain numbers, answered inside the flow: a photo sent with a bare /baocao stays with it."""
    return [Choice(KIND_NAMES[kind], str(number)) for number, kind in enumerate(REPORT_KINDS, 1)]


def _kind(word: str) -> str | None:
    """A kind typed as its number (1–5) or its full name."""
    number = whole_number(word)
    if number is not None:
        return REPORT_KINDS[number - 1] if 1 <= number <= len(REPORT_KINDS) else None
    return _KIND_KEYS.get(fold(word))


def _text(raw: str) -> str:
    """The activity as typed, or a `UserError` saying what to type."""
    text = raw.strip()
    if not text:
        raise UserError(f"Nội dung báo cáo không được để trống. Gõ việc đã làm, ví dụ: {EXAMPLE}")
    if len(text) > TEXT_MAX:
        raise UserError(f"Nội dung báo cáo dài {thousands(len(text))} ký tự, tối đa {thousands(TEXT_MAX)} ký tự. "
                        "Vui lòng rút gọn rồi gửi lại.")
    return text


def _photo(ctx: Ctx) -> str | None:
    photo = ctx.incoming.photo
    if photo is not None and len(photo) > PHOTO_MAX:
        raise UserError("Liên kết ảnh dài quá nên không lưu được. Vui lòng gửi ảnh khác hoặc báo cáo không kèm ảnh.")
    return photo


def _first_word(text: str) -> tuple[str, str]:
    """The first word and the rest; any whitespace separates (a phone may put a line break there)."""
    parts = text.strip().split(maxsplit=1)
    return (parts[0], parts[1].strip()) if len(parts) == 2 else ((parts[0], "") if parts else ("", ""))


def _today(ctx: Ctx) -> date:
    return ctx.local_now.date()


async def report(ctx: Ctx, args: str) -> None:
    """`/baocao`: guided; `/baocao <loại> [ngày] <nội dung>`: in one line."""
    if ctx.account.cell_id is None or ctx.member_id is None:
        ctx.reply(NO_CELL)
        return
    try:
        photo = _photo(ctx)
    except UserError as error:
        ctx.reply(str(error))
        return
    kind_word, rest = _first_word(args)
    if not kind_word:
        ctx.ask("Đồng chí báo cáo loại hoạt động nào? Chọn hoặc gõ số:\n" + kind_list(), FLOW, "kind",
                {"photo": photo}, _kind_choices())
        return
    kind = _kind(kind_word)
    if kind is None:
        ctx.reply(f"Loại hoạt động phải là số từ 1 đến {len(REPORT_KINDS)}:\n{kind_list()}\nVí dụ: {EXAMPLE}")
        return
    if not rest:
        _ask_text(ctx, {"kind": kind, "photo": photo})
        return
    first, after = _first_word(rest)
    try:
        if looks_like_date(first) and after:
            done_on, text = parse_done_on(first, _today(ctx)), _text(after)
        else:
            done_on, text = _today(ctx), _text(rest)
    except UserError as error:
        ctx.reply(f"{error}\nChưa lưu báo cáo.")
        return
    await _save(ctx, kind, text, done_on, photo)


def _ask_text(ctx: Ctx, data: dict[str, Any], prefix: str = "") -> None:
    kind = data["kind"]
    ctx.ask(f"{prefix}{KIND_NAMES[kind]}. Đồng chí gõ việc đã làm (tối đa 2.000 ký tự), "
            "ví dụ: Vận động 5 hộ đóng góp làm đường.", FLOW, "text", data)


def _ask_date(ctx: Ctx, data: dict[str, Any], prefix: str = "") -> None:
    today = _today(ctx)
    yesterday = date.fromordinal(today.toordinal() - 1)
    choices = [Choice(f"Hôm nay ({today:%d/%m})", "hom nay")]
    if yesterday.year == today.year:
        choices.append(Choice(f"Hôm qua ({yesterday:%d/%m})", "hom qua"))
    ctx.ask(f"{prefix}Việc này làm ngày nào? Chọn hoặc gõ ngày/tháng, ví dụ {today:%d/%m}.",
            FLOW, "date", data, choices)


async def _flow(ctx: Ctx, text: str) -> None:
    """The guided report, one answer at a time."""
    data = dict(ctx.conversation.data)
    if ctx.incoming.photo:
        try:
            data["photo"] = _photo(ctx)
        except UserError as error:
            ctx.ask(str(error), FLOW, ctx.conversation.step or "kind", data)
            return
    step = ctx.conversation.step
    received = "Đã nhận ảnh. " if ctx.incoming.photo and not text else ""
    if step == "kind":
        kind = _kind(text)
        if kind is None:
            ctx.ask(f"{received}Chọn một loại từ 1 đến {len(REPORT_KINDS)}:\n{kind_list()}", FLOW, "kind", data,
                    _kind_choices())
            return
        data["kind"] = kind
        _ask_text(ctx, data)
    elif step == "text":
        if received:
            _ask_text(ctx, data, received)
            return
        try:
            data["text"] = _text(text)
        except UserError as error:
            ctx.ask(str(error), FLOW, "text", data)
            return
        _ask_date(ctx, data)
    elif step == "date":
        if received:
            _ask_date(ctx, data, received)
            return
        try:
            done_on = parse_done_on(text, _today(ctx))
        except UserError as error:
            _ask_date(ctx, data, f"{error}\n")
            return
        ctx.finish()
        await _save(ctx, data["kind"], data["text"], done_on, data.get("photo"))
    else:
        ctx.finish()
        ctx.reply(texts.NOT_UNDERSTOOD)


async def _save(ctx: Ctx, kind: str, text: str, done_on: date, photo: str | None) -> None:
    assert ctx.member_id is not None and ctx.account.cell_id is not None
    number = await reports.add(ctx.session, member_id=ctx.member_id, cell_id=ctx.account.cell_id, kind=kind,
                               text=text, done_on=done_on, photo=photo, now=ctx.now)
    receipt = f"Đã ghi báo cáo số {number}: {KIND_NAMES[kind]}, ngày {done_on:%d/%m/%Y}"
    if photo:
        ctx.reply(receipt + ", có ảnh.")
        return
    minutes = int(PHOTO_WINDOW.total_seconds() // 60)
    ctx.reply(f"{receipt}.\nCó ảnh minh chứng thì gửi ngay trong {minutes} phút tới.")


async def photo_after(ctx: Ctx) -> None:
    """A bare photo (no command, nothing pending) joins the member's latest report if it is fresh.

    Decided from the report row alone (its age, whether it has a photo): nothing to remember
    between the report and the photo, so a restart or another command in between loses nothing.
    """
    if ctx.member_id is None:
        ctx.reply(texts.PHOTO_WITHOUT_CONTEXT)
        return
    try:
        photo = _photo(ctx)
    except UserError as error:
        ctx.reply(str(error))
        return
    assert photo is not None
    latest = await reports.latest(ctx.session, ctx.member_id, ctx.now)
    if latest is None or not latest.fresh:
        ctx.reply("Ảnh đến sau hơn 10 phút kể từ báo cáo gần nhất nên chưa gắn vào báo cáo nào. "
                  "Gửi ảnh kèm lệnh, ví dụ chú thích ảnh: " + EXAMPLE)
    elif latest.has_photo or not await reports.attach_photo(ctx.session, latest.report_id, photo):
        ctx.reply(f"Báo cáo số {latest.report_id} đã có ảnh; mỗi báo cáo gắn một ảnh. "
                  "Ảnh khác thì gửi kèm một báo cáo mới.")
    else:
        ctx.reply(f"Đã gắn ảnh vào báo cáo số {latest.report_id}.")


async def delete_report(ctx: Ctx, args: str) -> None:
    """`/xoabaocao <số>`: a member removes one of their own reports of the current month.

    "Of the current month" is read from the activity's date (done_on): the tallies of a month
    that has ended do not change behind the secretary's back.
    """
    typed = args.strip().lstrip("#").removeprefix("số").strip()
    number = whole_number(typed)
    if number is None:
        ctx.reply("Gõ /xoabaocao <số>, ví dụ: /xoabaocao 12. Số báo cáo có trong tin xác nhận và trong /cuatoi.")
        return
    assert ctx.member_id is not None
    found = await reports.owned(ctx.session, number, ctx.member_id)
    if found is None:
        ctx.reply(f"Đồng chí không có báo cáo số {number}. Gõ /cuatoi để xem các báo cáo của mình.")
        return
    today = _today(ctx)
    if (found.done_on.year, found.done_on.month) != (today.year, today.month):
        ctx.reply(f"Báo cáo số {found.id} (ngày {found.done_on:%d/%m/%Y}) thuộc tháng {found.done_on:%m/%Y} "
                  "đã qua nên không xóa được; chỉ xóa được báo cáo của tháng này.")
        return
    await reports.remove(ctx.session, found.id)
    ctx.reply(f"Đã xóa báo cáo số {found.id}: {KIND_NAMES[found.kind]}, ngày {found.done_on:%d/%m/%Y}.")


COMMANDS = [
    Command("baocao", "Báo cáo hoạt động (kèm ảnh nếu có)", report, Audience.MEMBER, private=True,
            usage="/baocao [<loại 1–5> [ngày] <nội dung>]"),
    Command("xoabaocao", "Xóa một báo cáo của tháng này", delete_report, Audience.MEMBER, private=True,
            usage="/xoabaocao <số>"),
]
FLOWS = {FLOW: _flow}
ON_PHOTO = photo_after
