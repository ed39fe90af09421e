"""/danhgia: a member assesses themselves for the open review (the year; with "quý", the open quarter;
or the period typed right after the command: "/danhgia năm 2026", "/danhgia quý 4/2026").

Guided: general criteria (0–30), task results (0–70), any disciplinary violation; the bot
shows the total and the level it implies, then takes the written self-review and a
confirmation. One line: `/danhgia [quý] <điểm chung> <điểm nhiệm vụ> <tự nhận xét>` (declares
no violation; a member with one uses the guided form). A self-assessment may be replaced until
the cell has proposed a level for that period; then it is locked. Outside the period's window
(domain.review_window) nothing is asked nor saved: the answer gives the dates it is open.
"""

from __future__ import annotations

from typing import Any

from domain.errors import UserError
from domain.figures import thousands
from domain.messages import Choice
from domain.periods import ReviewPeriod, period_label
from domain.review import GENERAL_MAX, TASK_MAX, NotReviewed, not_reviewed_reason, parse_score
from domain.review_window import ReviewClosed
from domain.text import fold
from domain.vocabulary import Stage
from handlers import review_periods
from handlers.context import Audience, Ctx
from handlers.rating_text import NO_WORDS, YES_WORDS, implied, level_text, score_line
from handlers.registry import Command
from storage import assessments
from storage.tables import Member

FLOW = "assess"
REVIEW_MAX = 2000
GENERAL = ("Điểm tiêu chí chung", 27)
TASK = ("Điểm kết quả thực hiện nhiệm vụ", 62)
SAVE_WORDS = frozenset({"luu", "co", "dong y", "xac nhan", "ok", "y"})
ONE_LINE = "/danhgia 27 62 Ưu điểm: …; Khuyết điểm: …; Hướng khắc phục: …"
NO_CELL = "Đồng chí chưa sinh hoạt ở chi bộ nào nên chưa tự đánh giá được."


def _review(raw: str) -> str:
    text = raw.strip()
    if not text:
        raise UserError("Bản tự nhận xét không được để trống: ghi ưu điểm, khuyết điểm, hướng khắc phục. "
                        "Ví dụ: Ưu điểm: hoàn thành nhiệm vụ được giao; Khuyết điểm: còn chậm báo cáo; "
                        "Hướng khắc phục: báo cáo đúng hạn.")
    if len(text) > REVIEW_MAX:
        raise UserError(f"Bản tự nhận xét dài {thousands(len(text))} ký tự, tối đa {thousands(REVIEW_MAX)} ký tự. "
                        "Vui lòng rút gọn rồi gửi lại.")
    return text


async def _check_reviewed(ctx: Ctx, period: str) -> None:
    """The exempt, the suspended and the newly admitted are not rated this period (domain.review):
    told so politely, before they type any score."""
    assert ctx.member_id is not None
    member = await ctx.session.get(Member, ctx.member_id)
    assert member is not None
    review = ReviewPeriod.from_key(period)
    reason = not_reviewed_reason(member.status, member.admitted_on, review.last_day)
    if reason is not None:
        raise NotReviewed(f"Đồng chí không thuộc diện đánh giá, xếp loại {review.label} ({reason}), nên không cần "
                          "tự đánh giá kỳ này. Nếu thông tin này chưa đúng, đồng chí báo bí thư chi bộ.")


async def _locked(ctx: Ctx, period: str) -> bool:
    assert ctx.member_id is not None
    stages = await assessments.stages_of(ctx.session, ctx.member_id, period)
    if Stage.CELL_PROPOSED in stages:
        ctx.reply(f"Chi bộ đã đề xuất mức xếp loại {period_label(period)} cho đồng chí: "
                  f"{level_text(stages[Stage.CELL_PROPOSED].level)}. Bản tự đánh giá đã khóa, không sửa được nữa; "
                  "có ý kiến thì đồng chí trao đổi với bí thư chi bộ.")
        return True
    return False


async def assess(ctx: Ctx, args: str) -> None:
    if ctx.account.cell_id is None:
        ctx.reply(NO_CELL)
        return
    chosen = await review_periods.choose(ctx, args, ctx.account.cell_id, "/danhgia")
    period, year, args = chosen.review.key, chosen.review.year, chosen.rest
    await review_periods.check_open(ctx, chosen, ctx.account.cell_id)
    await _check_reviewed(ctx, period)
    if await _locked(ctx, period):
        return
    data: dict[str, Any] = {"period": period, "year": year}
    if not args:
        _ask_general(ctx, data, f"Tự đánh giá {period_label(period)}.\n")
        return
    parts = args.split(maxsplit=2)
    try:
        data["general"] = parse_score(parts[0], GENERAL_MAX, *GENERAL)
        if len(parts) > 1:
            data["task"] = parse_score(parts[1], TASK_MAX, *TASK)
        if len(parts) > 2:
            data["review"] = _review(parts[2])
    except UserError as error:
        ctx.reply(f"{error}\nChưa lưu gì. Gõ /danhgia để tự đánh giá từng bước, hoặc một dòng: {ONE_LINE}")
        return
    if len(parts) == 1:
        _ask_task(ctx, data)
    elif len(parts) == 2:
        _ask_violation(ctx, data)
    else:
        data["violation"] = False
        await _save(ctx, data, one_line=True)


def _ask_general(ctx: Ctx, data: dict[str, Any], prefix: str = "") -> None:
    ctx.ask(f"{prefix}Bước 1/4: điểm tiêu chí chung (chính trị tư tưởng, đạo đức, lối sống, ý thức tổ chức kỷ luật…), "
            f"từ 0 đến {GENERAL_MAX}. Gõ một số, ví dụ: {GENERAL[1]}.", FLOW, "general", data)


def _ask_task(ctx: Ctx, data: dict[str, Any], prefix: str = "") -> None:
    ctx.ask(f"{prefix}Bước 2/4: điểm kết quả thực hiện nhiệm vụ, từ 0 đến {TASK_MAX}. Ví dụ: {TASK[1]}.",
            FLOW, "task", data)


def _ask_violation(ctx: Ctx, data: dict[str, Any], prefix: str = "") -> None:
    ctx.ask(f"{prefix}Bước 3/4: trong {period_label(data['period'])} đồng chí có vi phạm kỷ luật Đảng không?",
            FLOW, "violation", data, [Choice("Không", "khong"), Choice("Có", "co")])


def _ask_review(ctx: Ctx, data: dict[str, Any], prefix: str = "") -> None:
    level = implied(data["general"], data["task"], data["violation"])
    ctx.ask(f"{prefix}Tổng: {score_line(data['general'], data['task'], data['violation'])} → {level_text(level)}.\n"
            "Bước 4/4: gõ bản tự nhận xét: ưu điểm, khuyết điểm, hướng khắc phục (tối đa 2.000 ký tự).",
            FLOW, "review", data)


def _ask_confirm(ctx: Ctx, data: dict[str, Any], prefix: str = "") -> None:
    level = implied(data["general"], data["task"], data["violation"])
    ctx.ask(f"{prefix}Lưu bản tự đánh giá {period_label(data['period'])}: "
            f"{score_line(data['general'], data['task'], data['violation'])} → {level_text(level)}?",
            FLOW, "confirm", data, [Choice("Lưu", "luu"), Choice("Hủy", "/huy")])


async def _flow(ctx: Ctx, text: str) -> None:
    data = dict(ctx.conversation.data)
    step = ctx.conversation.step
    try:
        if step == "general":
            data["general"] = parse_score(text, GENERAL_MAX, *GENERAL)
            _ask_task(ctx, data)
        elif step == "task":
            data["task"] = parse_score(text, TASK_MAX, *TASK)
            _ask_violation(ctx, data)
        elif step == "violation":
            answer = fold(text)
            if answer not in YES_WORDS | NO_WORDS:
                raise UserError("Trả lời «có» hoặc «không».")
            data["violation"] = answer in YES_WORDS
            _ask_review(ctx, data)
        elif step == "review":
            data["review"] = _review(text)
            _ask_confirm(ctx, data)
        elif step == "confirm":
            if fold(text) not in SAVE_WORDS:
                raise UserError("Chọn «Lưu» để lưu, hoặc gõ /huy để bỏ.")
            ctx.finish()
            await _save(ctx, data, one_line=False)
    except (NotReviewed, ReviewClosed) as error:  # closed, or not rated any more, while typing: the flow ends
        ctx.finish()
        ctx.reply(str(error))
    except UserError as error:
        ask = {"general": _ask_general, "task": _ask_task, "violation": _ask_violation,
               "review": _ask_review, "confirm": _ask_confirm}[step or "general"]
        ask(ctx, data, f"{error}\n")


async def _save(ctx: Ctx, data: dict[str, Any], *, one_line: bool) -> None:
    assert ctx.member_id is not None and ctx.account.cell_id is not None
    period = data["period"]
    await review_periods.check_period_open(ctx, ReviewPeriod.from_key(period), ctx.account.cell_id)  # closed since?
    await _check_reviewed(ctx, period)  # the member may have been exempted while typing
    if await _locked(ctx, period):  # the cell may have proposed while the member was typing
        return
    level = implied(data["general"], data["task"], data["violation"])
    scores = assessments.Scores(data["general"], data["task"], data["violation"], data["review"])
    old = await assessments.record(
        ctx.session, member_id=ctx.member_id, cell_id=ctx.account.cell_id, period=period, year=data["year"],
        stage=Stage.SELF, level=level, by=ctx.member_id, now=ctx.now, scores=scores,
    )
    replaced = " (thay bản trước)" if old is not None else ""
    text = (f"Đã lưu bản tự đánh giá {period_label(period)}{replaced}: "
            f"{score_line(data['general'], data['task'], data['violation'])} → {level_text(level)}.")
    if one_line:
        text += "\nNếu có vi phạm kỷ luật, gõ /danhgia để khai từng bước."
    text += "\nChi bộ sẽ xem xét và đề xuất mức xếp loại; trước lúc đó đồng chí có thể gõ /danhgia để làm lại."
    ctx.reply(text)


COMMANDS = [
    Command("danhgia", "Tự đánh giá, xếp loại (năm; «quý» cho quý này)", assess, Audience.MEMBER, private=True,
            usage="/danhgia [quý | <kỳ>] [<điểm chung> <điểm nhiệm vụ> <tự nhận xét>]",
            details="Gõ /danhgia để làm từng bước: điểm tiêu chí chung (0–30), điểm kết quả thực hiện nhiệm vụ "
                    "(0–70), có vi phạm kỷ luật không, rồi bản tự nhận xét. Hoặc một dòng: /danhgia 27 62 Ưu điểm: …; "
                    "Khuyết điểm: …; Hướng khắc phục: …. Tổng từ 90 là xuất sắc, từ 70 là tốt, từ 50 là hoàn thành. "
                    "Làm lại được cho đến khi chi bộ đề xuất mức. Kỳ khác: /danhgia năm 2026 hoặc /danhgia quý."),
]
FLOWS = {FLOW: _flow}
FLOW_TITLES = {FLOW: "tự đánh giá, xếp loại"}
