"""A candidate's own view: the code the secretary hands them, `/thamgia <mã>` that links their chat
account, and `/nguon` showing their own path and deadlines — nothing else (issue 15).

A candidate is not a member: their account stays linked to no member, so every member command
refuses them as it refuses a stranger, and /nguon (Audience.KEEPER_OR_CANDIDATE) reads their own row
only. Their view names no member and no other candidate: not their helper, not their introducers,
not the cell's vote count. The code is the joining codes' kind (storage.org: alphabet, length, the
wrong-code limit) and is used up by the account it links.
"""

from __future__ import annotations

from datetime import date

from domain import development as dev
from domain.development import CandidateStage, DeadlineKind, DeadlineState
from domain.errors import UserError
from domain.membership import probation_end
from domain.messages import Reply
from domain.text import fold
from handlers.context import Ctx
from storage import candidates, org
from storage.candidates import Candidate, progress_of

# What comes next, said to the candidate (the secretary's wording names commands: dev.NEXT_STEP).
NEXT_FOR_THEM = {
    CandidateStage.SOURCE: "học lớp bồi dưỡng nhận thức về Đảng",
    CandidateStage.CLASS: "nộp đơn xin vào Đảng và lý lịch",
    CandidateStage.APPLICATION: "có hai người giới thiệu",
    CandidateStage.INTRODUCED: "chi bộ xét, biểu quyết đề nghị kết nạp",
    CandidateStage.VOTED: "đảng ủy xét, ra quyết định kết nạp",
    CandidateStage.DECIDED: "lễ kết nạp",
}
STEP_LINES = (  # (stage, how the step reads to the candidate)
    (CandidateStage.SOURCE, "Vào danh sách quần chúng ưu tú"),
    (CandidateStage.CLASS, "Học lớp bồi dưỡng nhận thức về Đảng (ngày cấp giấy chứng nhận)"),
    (CandidateStage.APPLICATION, "Nộp đơn, lý lịch"),
    (CandidateStage.INTRODUCED, "Có hai người giới thiệu"),
    (CandidateStage.VOTED, "Chi bộ biểu quyết đề nghị kết nạp"),
    (CandidateStage.DECIDED, "Đảng ủy quyết định kết nạp"),
    (CandidateStage.ADMITTED, "Lễ kết nạp"),
)
ONLY_OWN = "Bạn chỉ xem được quá trình phấn đấu của mình: gõ /nguon (không kèm gì)."
NEW_WORDS = frozenset({"moi", "doi", "doima"})


# -- the secretary: /nguon <số> ma [mới] ------------------------------------------------------------------

def code_text(ctx: Ctx, candidate: Candidate, code: str, *, fresh: bool) -> str:
    lines = [f"Mã quần chúng của {candidate.full_name} (số {candidate.number}): {code}"
             + ("" if fresh else " (mã đã cấp, chưa dùng)"),
             f"Gửi riêng mã này cho {candidate.full_name}; bạn ấy nhắn riêng cho bot: /thamgia {code}",
             "Với mã này, bạn ấy chỉ xem được quá trình phấn đấu và các hạn của chính mình (/nguon), không xem "
             "được thông tin đảng viên hay quần chúng khác. Mã dùng một lần."]
    if ctx.caps.deep_link_base:
        lines.append(f"Hoặc mở liên kết: {ctx.caps.deep_link_base}{code}")
    if candidate.account_id is not None:
        lines.append("Bạn ấy đã liên kết một tài khoản: khi dùng mã này, tài khoản cũ thôi xem được.")
    lines.append(f"Đổi mã (mã cũ hết hiệu lực): /nguon {candidate.number} ma moi")
    return "\n".join(lines)


async def give_code(ctx: Ctx, candidate: Candidate, rest: str) -> None:
    """`/nguon <số> ma`: the candidate's code (the unused one again); `ma moi` replaces it."""
    if candidate.admitted_on is not None:
        raise UserError(f"{candidate.full_name} đã được kết nạp ngày {candidate.admitted_on:%d/%m/%Y}, là đảng "
                        "viên dự bị: gửi mã mời đảng viên (/moi) thay cho mã quần chúng.")
    words = {fold(word) for word in rest.split()}
    if words - NEW_WORDS:
        raise UserError(f"Gõ /nguon {candidate.number} ma để lấy mã quần chúng, /nguon {candidate.number} ma moi "
                        "để đổi mã.")
    fresh = bool(words) or candidate.code is None
    code = await candidates.new_code(ctx.session, candidate) if fresh else candidate.code
    assert code is not None
    ctx.reply(code_text(ctx, candidate, code, fresh=fresh))


# -- the candidate: /thamgia <mã>, /nguon ---------------------------------------------------------------

async def join(ctx: Ctx, typed: str) -> bool:
    """`/thamgia <mã quần chúng>`: links this account to the candidate; False when the code is not a
    candidate's (the member codes' path then answers it, counting a wrong code). Checked after the
    wrong-code limit, so a candidate's code is no easier to guess than a member's."""
    code = org.normalise_code(typed)
    if not code or await org.too_many_wrong_codes(ctx.session, ctx.account.id, ctx.now):
        return False
    candidate = await candidates.by_code(ctx.session, code)
    if candidate is None:
        return False
    if ctx.member_id is not None:
        raise UserError("Mã này là mã quần chúng ưu tú, còn tài khoản của đồng chí đã là của một đảng viên: "
                        "mã phải được gửi cho đúng quần chúng đó, nhắn từ tài khoản của họ.")
    if candidate.admitted_on is not None:
        raise UserError(f"Hồ sơ này đã được kết nạp ngày {candidate.admitted_on:%d/%m/%Y}. Để dùng bot như đảng "
                        "viên, xin bí thư chi bộ mã mời rồi gõ /thamgia <mã> <Họ và tên>.")
    await candidates.link(ctx.session, candidate, ctx.account.id)
    cell = await org.unit(ctx.session, candidate.cell_id)
    ctx.reply(f"Chào bạn {candidate.full_name}! Tài khoản này đã liên kết với hồ sơ quần chúng ưu tú của bạn ở "
              f"{cell.name}. Gõ /nguon để xem quá trình phấn đấu vào Đảng của bạn và các hạn; bot cũng báo "
              "bạn khi chi bộ ghi thêm một bước.\n\n" + await path_text(ctx, candidate))
    return True


async def own_path(ctx: Ctx, args: str) -> None:
    """`/nguon` typed by a linked candidate: their own path; anything after it is refused."""
    candidate = await candidates.of_account(ctx.session, ctx.account.id)
    if candidate is None:  # the audience let only a linked candidate through
        raise UserError(ONLY_OWN)
    if args.strip():
        raise UserError(ONLY_OWN)
    ctx.reply(await path_text(ctx, candidate))


async def path_text(ctx: Ctx, candidate: Candidate) -> str:
    today = ctx.local_now.date()
    cell = await org.unit(ctx.session, candidate.cell_id)
    progress = progress_of(candidate)
    if candidate.admitted_on is not None:
        end = probation_end(candidate.admitted_on)
        return (f"Bạn {candidate.full_name} đã được kết nạp vào Đảng ngày {candidate.admitted_on:%d/%m/%Y}, là "
                f"đảng viên dự bị của {cell.name}; đủ 12 tháng dự bị ngày {end:%d/%m/%Y}. Để dùng bot như đảng "
                "viên, xin bí thư chi bộ mã mời rồi gõ /thamgia <mã> <Họ và tên>.")
    lines = [f"Quá trình phấn đấu vào Đảng của bạn {candidate.full_name} — {cell.name}, ngày {today:%d/%m/%Y}:"]
    for stage, words in STEP_LINES:
        day = progress.dated(stage)
        lines.append(f"- {words}: {day:%d/%m/%Y}" if day else f"- {words}: chưa")
    lines.append(f"Bước tiếp theo: {NEXT_FOR_THEM[progress.stage]}.")
    lines += deadline_lines(progress, today)
    return "\n".join(lines)


def deadline_lines(progress: dev.Progress, today: date) -> list[str]:
    """The candidate's own deadlines, in their words: the certificate's validity, the ceremony's day."""
    lines = []
    for deadline in dev.candidate_deadlines(progress):
        state = deadline.state(today)
        if deadline.kind is DeadlineKind.CERTIFICATE:
            if state is DeadlineState.MISSED:
                lines.append(f"Giấy chứng nhận lớp nhận thức về Đảng đã hết hiệu lực từ "
                             f"{deadline.due:%d/%m/%Y}: bạn cần học lại lớp.")
            else:
                soon = "sắp hết hiệu lực, " if state is DeadlineState.NEAR else ""
                lines.append(f"Giấy chứng nhận lớp nhận thức về Đảng {soon}có hiệu lực đến {deadline.due:%d/%m/%Y} "
                             "(5 năm): hồ sơ cần xong trước ngày đó.")
        else:
            late = "đã quá hạn, " if state is DeadlineState.MISSED else ""
            lines.append(f"Lễ kết nạp: {late}chậm nhất ngày {deadline.due:%d/%m/%Y} ({dev.CEREMONY_WORKING_DAYS} "
                         "ngày làm việc từ quyết định kết nạp).")
    return lines


async def tell(ctx: Ctx, candidate: Candidate) -> None:
    """A step was recorded: the linked candidate is told, with their path as it now reads."""
    if candidate.account_id is not None:
        await ctx.notify_account(candidate.account_id, Reply("Chi bộ vừa cập nhật hồ sơ của bạn.\n"
                                                             + await path_text(ctx, candidate)))
