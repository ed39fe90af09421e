"""Activity reports: /baocao (guided or in one line), a photo sent with it or right after, /xoabaocao.

The one-line report is the busiest message the bot handles. Its path costs one statement
beyond the router's: the report's insert (Core, storage.reports.add). A photo that follows is
handed over by the router (`ON_PHOTO`); whether it still belongs to the report is decided from
the report row itself (its age and whether it has a photo), so a restart loses nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.dates import looks_like_date, parse_done_on, reports_open_from
from domain.errors import UserError
from domain.figures import thousands
from domain.messages import Choice
from domain.report_kinds import kind_list, split_kind
from domain.text import fold, whole_number
from domain.vocabulary import REPORT_KINDS
from handlers import texts
from handlers.context import Audience, Ctx
from handlers.registry import Command
from storage import reports, unit_settings
from storage.reports import KIND_NAMES, PHOTO_MAX, PHOTO_WINDOW, TEXT_MAX

FLOW = "report"
EXAMPLE = "/baocao 2 Vận động 5 hộ đóng góp làm đường"
NO_CELL = "Đồng chí chưa sinh hoạt ở chi bộ nào nên chưa báo cáo hoạt động được."
KIND_QUESTION = "Đồng chí báo cáo loại hoạt động nào? Chọn hoặc gõ số:\n" + kind_list()


def _kind_choices() -> list[Choice]:
    """Plain numbers, answered inside the flow: a photo sent with a bare /baocao stays with it."""
    return [Choice(KIND_NAMES[kind], str(number)) for number, kind in enumerate(REPORT_KINDS, 1)]


def _not_a_kind(typed: str) -> str:
    """What was wrong with the kind typed, and what to type instead."""
    what = f"«{typed[:20]}» không phải loại hoạt động." if typed else "Đồng chí chưa chọn loại hoạt động."
    return f"{what} Gõ số từ 1 đến {len(REPORT_KINDS)} hoặc tên loại (ví dụ: học tập):\n{kind_list()}"


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


async def _close_day(ctx: Ctx) -> int:
    """The day last month's reports stop being taken (a setting of the cell or its committee).
    Read only when a date is typed: a report of today, the usual case, needs no setting."""
    assert ctx.account.cell_id is not None
    return await unit_settings.report_close_day(ctx.session, ctx.account.cell_id)


async def _date_and_text(ctx: Ctx, rest: str) -> tuple[date, str]:
    """`[ngày] <nội dung>` after the kind: the date is today unless the text starts with one."""
    first, after = _first_word(rest)
    if looks_like_date(first) and after:
        return parse_done_on(first, _today(ctx), await _close_day(ctx)), _text(after)
    return _today(ctx), _text(rest)


async def report(ctx: Ctx, args: str) -> None:
    """`/baocao`: guided; `/baocao <loại> [ngày] <nội dung>`: in one line. The kind is a number
    (1–5) or words ("học tập", "hoc tap", "nhiệm vụ", "cư trú", "giúp đỡ", "khác")."""
    if ctx.account.cell_id is None or ctx.member_id is None:
        ctx.reply(NO_CELL)
        return
    photo = _photo(ctx)
    if not args.strip():
        ctx.ask(KIND_QUESTION, FLOW, "kind", {"photo": photo}, _kind_choices())
        return
    kind, typed, rest = split_kind(args)
    if kind is None:
        raise UserError(f"{_not_a_kind(typed)}\nVí dụ: {EXAMPLE}")
    if not rest:
        _ask_text(ctx, {"kind": kind, "photo": photo})
        return
    try:
        done_on, text = await _date_and_text(ctx, rest)
    except UserError as error:
        raise UserError(f"{error}\nChưa lưu báo cáo.") from None
    await _save(ctx, kind, text, done_on, photo)


def _ask_kind(ctx: Ctx, data: dict[str, Any], prefix: str) -> None:
    ctx.ask(prefix, FLOW, "kind", data, _kind_choices())


def _ask_text(ctx: Ctx, data: dict[str, Any], prefix: str = "") -> None:
    kind = data["kind"]
    ctx.ask(f"{prefix}{KIND_NAMES[kind]}. Đồng chí gõ việc đã làm (tối đa 2.000 ký tự), "
            "ví dụ: Vận động 5 hộ đóng góp làm đường.", FLOW, "text", data)


async def _ask_date(ctx: Ctx, data: dict[str, Any], prefix: str = "") -> None:
    today = _today(ctx)
    yesterday = date.fromordinal(today.toordinal() - 1)
    choices = [Choice(f"Hôm nay ({today:%d/%m})", "hom nay")]
    if yesterday >= reports_open_from(today, await _close_day(ctx)):  # never offer what would be refused
        choices.append(Choice(f"Hôm qua ({yesterday:%d/%m})", "hom qua"))
    ctx.ask(f"{prefix}Việc này làm ngày nào? Chọn hoặc gõ ngày/tháng, ví dụ {today:%d/%m}.",
            FLOW, "date", data, choices)


async def _flow(ctx: Ctx, text: str) -> None:
    """The guided report, one answer at a time. A wrong answer asks the same step again, says
    what was wrong and what to type; the answers given before it are kept."""
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
        if received:
            _ask_kind(ctx, data, received + KIND_QUESTION)
            return
        kind, _typed, rest = split_kind(text)
        if kind is None:
            _ask_kind(ctx, data, _not_a_kind(" ".join(text.split())))
            return
        data["kind"] = kind
        if not rest:
            _ask_text(ctx, data)
            return
        # The kind and the activity in one answer ("học tập Học nghị quyết 57"): keep both.
        try:
            done_on, report_text = await _date_and_text(ctx, rest)
        except UserError as error:
            _ask_text(ctx, data, f"{error}\n")
            return
        ctx.finish()
        await _save(ctx, kind, report_text, done_on, data.get("photo"))
    elif step == "text":
        if received:
            _ask_text(ctx, data, received)
            return
        try:
            data["text"] = _text(text)
        except UserError as error:
            ctx.ask(str(error), FLOW, "text", data)
            return
        await _ask_date(ctx, data)
    elif step == "date":
        if received:
            await _ask_date(ctx, data, received)
            return
        try:
            done_on = parse_done_on(text, _today(ctx), await _close_day(ctx))
        except UserError as error:
            await _ask_date(ctx, data, f"{error}\n")
            return
        ctx.finish()
        await _save(ctx, data["kind"], data["text"], done_on, data.get("photo"))
    else:
        ctx.finish()
        ctx.reply(texts.NOT_UNDERSTOOD)


async def _save(ctx: Ctx, kind: str, text: str, done_on: date, photo: str | None) -> None:
    assert ctx.member_id is not None and ctx.account.cell_id is not None
    saved = await reports.add(ctx.session, member_id=ctx.member_id, cell_id=ctx.account.cell_id, kind=kind,
                              text=text, done_on=done_on, photo=photo, now=ctx.now)
    what = f"{KIND_NAMES[kind]}, ngày {done_on:%d/%m/%Y}"
    if saved.duplicate:
        ctx.reply(f"Báo cáo này đã được ghi lúc nãy (số {saved.number}: {what}) nên tôi không ghi thêm lần nữa.")
        return
    receipt = f"Đã ghi báo cáo số {saved.number}: {what}"
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
        ctx.reply(f"Báo cáo số {latest.number} đã có ảnh; mỗi báo cáo gắn một ảnh. "
                  "Ảnh khác thì gửi kèm một báo cáo mới.")
    else:
        ctx.reply(f"Đã gắn ảnh vào báo cáo số {latest.number}.")


async def delete_report(ctx: Ctx, args: str) -> None:
    """`/xoabaocao <số>`: a member removes one of their own reports of the current month.

    "Of the current month" is read from the activity's date (done_on): the tallies of a month
    that has ended do not change behind the secretary's back.
    """
    typed = fold(args).lstrip("#").removeprefix("so").strip()
    number = whole_number(typed)
    if number is None:
        ctx.reply("Gõ /xoabaocao <số>, ví dụ: /xoabaocao 2. Số báo cáo có trong tin xác nhận và trong /cuatoi.")
        return
    assert ctx.member_id is not None
    found = await reports.owned(ctx.session, number, ctx.member_id)
    if found is None:
        ctx.reply(f"Đồng chí không có báo cáo số {number}. Gõ /cuatoi để xem các báo cáo của mình.")
        return
    today = _today(ctx)
    if (found.done_on.year, found.done_on.month) != (today.year, today.month):
        ctx.reply(f"Báo cáo số {found.number} (ngày {found.done_on:%d/%m/%Y}) thuộc tháng {found.done_on:%m/%Y} "
                  "đã qua nên không xóa được; chỉ xóa được báo cáo của tháng này.")
        return
    await reports.remove(ctx.session, found, ctx.member_id)
    ctx.reply(f"Đã xóa báo cáo số {found.number}: {KIND_NAMES[found.kind]}, ngày {found.done_on:%d/%m/%Y}.")


COMMANDS = [
    Command("baocao", "Báo cáo hoạt động (kèm ảnh nếu có)", report, Audience.MEMBER, private=True,
            usage="/baocao [<loại> [ngày] <nội dung>]",
            details="Loại là số hoặc tên loại (có dấu hay không dấu đều được): 1 hoặc «học tập» — học tập, "
                    "quán triệt nghị quyết; 2 hoặc «nhiệm vụ» — nhiệm vụ được phân công; 3 hoặc «cư trú» — hoạt "
                    "động ở nơi cư trú, đoàn thể; 4 hoặc «giúp đỡ» — giúp đỡ quần chúng, tạo nguồn phát triển "
                    "đảng viên; 5 hoặc «khác». Ngày (ngày/tháng) bỏ trống là hôm nay; việc của tháng trước "
                    "báo cáo được đến ngày khóa sổ (thường là hết ngày 5 tháng này). Gõ /baocao không kèm gì để "
                    "bot hỏi từng bước. Ảnh minh chứng: gửi kèm lệnh hoặc ngay sau đó, trong 10 phút. "
                    "Mỗi báo cáo có số riêng của đồng chí (1, 2, 3…), dùng để xóa.\n"
                    f"Ví dụ: {EXAMPLE}\nhoặc: /baocao hoc tap 18/11 Học Nghị quyết Đại hội XIV"),
    Command("xoabaocao", "Xóa một báo cáo của tháng này", delete_report, Audience.MEMBER, private=True,
            usage="/xoabaocao <số>",
            details="Số là số báo cáo của đồng chí, có trong tin xác nhận và trong /cuatoi. Chỉ xóa được báo "
                    "cáo của tháng này (báo cáo tháng đã qua đã vào số liệu tổng hợp).\nVí dụ: /xoabaocao 2"),
]
FLOWS = {FLOW: _flow}
FLOW_TITLES = {FLOW: "báo cáo hoạt động"}
ON_PHOTO = photo_after
