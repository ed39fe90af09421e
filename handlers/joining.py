"""Joining: /start and /thamgia with a code, /duyet for the secretary, /moi and /doima, /taochibo."""

from __future__ import annotations

from domain.messages import Choice, Reply
from domain.text import fold, whole_number
from domain.vocabulary import LEADER_ROLES, Position, UnitKind
from handlers.context import Audience, Ctx
from handlers.registry import Command
from storage import accounts, org
from storage.tables import JoinRequest, Member

APPROVE_WORDS = {"dong y", "dongy", "duyet", "co", "ok", "chap nhan", "y"}
REFUSE_WORDS = {"tu choi", "tuchoi", "khong", "khong dong y", "bac", "huy"}
FLOW = "join"


async def start(ctx: Ctx, args: str) -> None:
    """Deep links arrive as `/start <code>`; a bare /start greets."""
    if args:
        await join(ctx, args)
        return
    if ctx.member_id is not None:
        ctx.reply(f"Chào đồng chí {ctx.account.full_name}. Gõ /trogiup để xem các lệnh.")
        return
    ctx.reply(
        "Chào đồng chí! Tôi là chibo, trợ lý sinh hoạt chi bộ.\n"
        "Để tham gia, gõ /thamgia <mã> <Họ và tên> với mã do bí thư chi bộ gửi, "
        "ví dụ: /thamgia ABCD23EFGH Nguyễn Văn An.\nGõ /trogiup để xem các lệnh."
    )


async def join(ctx: Ctx, args: str) -> None:
    """`/thamgia <mã> [Họ và tên]`."""
    code_text, _, name = args.partition(" ")
    if not code_text:
        ctx.reply("Gõ /thamgia <mã> <Họ và tên>, ví dụ: /thamgia ABCD23EFGH Nguyễn Văn An. "
                  "Mã do bí thư chi bộ gửi cho đồng chí.")
        return
    try:
        code = await org.lookup_code(ctx.session, ctx.account.id, code_text, ctx.now)
    except org.OrgError as error:
        ctx.reply(str(error))
        return
    await _continue(ctx, code.id, name)


async def _continue(ctx: Ctx, code_id: int, name: str) -> None:
    code = await ctx.session.get(org.JoinCode, code_id)
    if code is None or code.revoked_at is not None:
        ctx.reply("Mã đã hết hiệu lực trong lúc chờ. Vui lòng xin mã mới từ bí thư.")
        return
    unit = await org.unit(ctx.session, code.unit_id)
    if ctx.member_id is None and not name.strip():
        ctx.ask(f"Mã hợp lệ: {unit.name}. Đồng chí vui lòng gõ họ và tên đầy đủ (có dấu), "
                "ví dụ: Nguyễn Văn An.", FLOW, "name", {"code_id": code_id})
        return
    try:
        full_name = org.validate_name(name) if ctx.member_id is None else ""
        if code.purpose == org.SECRETARY_CODE:
            await _become_secretary(ctx, code, unit, full_name)
        else:
            await _request_membership(ctx, unit, full_name)
    except org.OrgError as error:
        ctx.reply(str(error))


async def _ask_name_flow(ctx: Ctx, text: str) -> None:
    """The name typed after a code."""
    code_id = int(ctx.conversation.data.get("code_id", 0))
    try:
        org.validate_name(text)
    except org.OrgError as error:
        ctx.ask(str(error), FLOW, "name")
        return
    ctx.finish()
    await _continue(ctx, code_id, text)


async def _become_secretary(ctx: Ctx, code: org.JoinCode, unit: org.OrgUnit, full_name: str) -> None:
    session = ctx.session
    member: Member | None
    if ctx.member_id is not None:
        member = await session.get(Member, ctx.member_id)
        assert member is not None
        if unit.kind == UnitKind.CELL and member.cell_id not in (None, unit.id):
            raise org.OrgError("Đồng chí đang sinh hoạt ở một chi bộ khác, không nhận mã bí thư của chi bộ này.")
        if unit.kind == UnitKind.CELL and member.cell_id is None:
            member.cell_id = unit.id
            session.add(member)
    else:
        cell_id = unit.id if unit.kind == UnitKind.CELL else None
        member = await org.member_by_name(session, unit.id, full_name) if cell_id else None
        member = member or await org.add_member(session, cell_id, full_name)
        await accounts.link(session, ctx.account.id, member.id)  # type: ignore[arg-type]
    await org.grant_role(session, member.id, unit.id, Position.SECRETARY)  # type: ignore[arg-type]
    code.used_at = ctx.now
    session.add(code)
    if unit.kind == UnitKind.COMMITTEE:
        ctx.reply(f"Đồng chí {member.full_name} đã là bí thư {unit.name}.\n"
                  "Gõ /taochibo <tên chi bộ> để tạo chi bộ và nhận mã cho bí thư chi bộ. Gõ /trogiup để xem các lệnh.")
    else:
        ctx.reply(f"Đồng chí {member.full_name} đã là bí thư {unit.name}.\n"
                  "Gõ /moi để lấy mã mời đảng viên, /duyet để duyệt yêu cầu tham gia, /trogiup để xem các lệnh.")


async def _request_membership(ctx: Ctx, unit: org.OrgUnit, full_name: str) -> None:
    if unit.kind != UnitKind.CELL:
        raise org.OrgError("Mã này không phải mã của chi bộ.")
    if ctx.member_id is not None:
        own = "chi bộ này" if ctx.account.cell_id == unit.id else "một chi bộ khác"
        raise org.OrgError(f"Đồng chí đã là đảng viên của {own}. Gõ /toi để xem thông tin của mình.")
    if await org.pending_request(ctx.session, unit.id, ctx.account.id):  # type: ignore[arg-type]
        raise org.OrgError(f"Yêu cầu tham gia {unit.name} của đồng chí đang chờ bí thư duyệt.")
    request = JoinRequest(unit_id=unit.id, account_id=ctx.account.id, full_name=full_name)  # type: ignore[arg-type]
    ctx.session.add(request)
    await ctx.session.flush()
    ctx.reply(f"Đã gửi yêu cầu tham gia {unit.name} với tên {full_name}. "
              "Tôi sẽ báo ngay khi bí thư chi bộ duyệt.")
    notice = Reply(
        f"Yêu cầu tham gia số {request.id}: {full_name} xin tham gia {unit.name}.",
        _decision_choices(request.id),  # type: ignore[arg-type]
    )
    for leader in await org.leaders_of(ctx.session, unit.id, LEADER_ROLES):  # type: ignore[arg-type]
        await ctx.notify(leader, notice)


def _decision_choices(request_id: int) -> tuple[Choice, ...]:
    return (Choice("Đồng ý", f"/duyet {request_id} dongy"), Choice("Từ chối", f"/duyet {request_id} tuchoi"))


async def approve(ctx: Ctx, args: str) -> None:
    """`/duyet` lists pending requests; `/duyet <số> đồng ý|từ chối` decides one."""
    cells = await ctx.leader_cells()
    number, _, word = args.partition(" ")
    if not number:
        pending = await org.pending_requests(ctx.session, cells)
        if not pending:
            ctx.reply("Không có yêu cầu tham gia nào đang chờ duyệt.")
            return
        lines = ["Yêu cầu tham gia đang chờ duyệt:"]
        lines += [f"{r.id}. {r.full_name}" for r in pending]
        lines.append("Gõ /duyet <số> đồng ý hoặc /duyet <số> từ chối, hoặc chọn một yêu cầu:")
        ctx.reply("\n".join(lines), [Choice(f"{r.id}. {r.full_name}", f"/duyet {r.id}") for r in pending[:10]])
        return
    request_id = whole_number(number)
    if request_id is None:
        ctx.reply("Gõ /duyet <số> đồng ý hoặc /duyet <số> từ chối, ví dụ: /duyet 3 đồng ý.")
        return
    request = await ctx.session.get(JoinRequest, request_id)
    if request is None or request.unit_id not in cells:
        ctx.reply(f"Yêu cầu số {number} không thuộc chi bộ của đồng chí. Gõ /duyet để xem các yêu cầu đang chờ.")
        return
    if request.status != "pending":
        verdict = "đồng ý" if request.status == "approved" else "từ chối"
        ctx.reply(f"Yêu cầu số {request.id} ({request.full_name}) đã được {verdict} trước đó.")
        return
    decision = fold(word)
    if not decision:
        ctx.reply(f"Yêu cầu số {request.id}: {request.full_name}. Đồng chí đồng ý hay từ chối?",
                  _decision_choices(request.id))  # type: ignore[arg-type]
        return
    if decision not in APPROVE_WORDS | REFUSE_WORDS:
        ctx.reply("Chỉ nhận «đồng ý» hoặc «từ chối», ví dụ: /duyet 3 đồng ý.")
        return
    unit = await org.unit(ctx.session, request.unit_id)
    request.decided_by = ctx.member_id
    request.decided_at = ctx.now
    if decision in REFUSE_WORDS:
        request.status = "refused"
        ctx.session.add(request)
        ctx.reply(f"Đã từ chối yêu cầu số {request.id} của {request.full_name}.")
        await ctx.notify_account(request.account_id, Reply(
            f"Bí thư {unit.name} chưa đồng ý yêu cầu tham gia của đồng chí. "
            "Nếu có nhầm lẫn, vui lòng liên hệ trực tiếp bí thư chi bộ."))
        return
    member = await org.member_by_name(ctx.session, unit.id, request.full_name)  # type: ignore[arg-type]
    member = member or await org.add_member(ctx.session, unit.id, request.full_name)
    await accounts.link(ctx.session, request.account_id, member.id)  # type: ignore[arg-type]
    request.status = "approved"
    request.member_id = member.id
    ctx.session.add(request)
    ctx.reply(f"Đã duyệt: {member.full_name} là đảng viên của {unit.name}.")
    await ctx.notify_account(request.account_id, Reply(
        f"Chào mừng đồng chí {member.full_name}! Bí thư đã duyệt, đồng chí đã tham gia {unit.name}.\n"
        "Gõ /trogiup để xem các lệnh."))


async def invite(ctx: Ctx, args: str) -> None:
    """`/moi`: the member code and the deep link to hand out."""
    for cell_id in await ctx.leader_cells():
        unit = await org.unit(ctx.session, cell_id)
        code = await org.member_code(ctx.session, cell_id)
        ctx.reply(_invite_text(ctx, unit.name, code.code))


async def replace_code(ctx: Ctx, args: str) -> None:
    """`/doima`: a leaked code is replaced; the old one stops working at once."""
    for cell_id in await ctx.leader_cells():
        unit = await org.unit(ctx.session, cell_id)
        code = await org.replace_member_code(ctx.session, cell_id, ctx.now)
        ctx.reply("Đã thay mã mời; mã cũ không còn dùng được.\n" + _invite_text(ctx, unit.name, code.code))


def _invite_text(ctx: Ctx, unit_name: str, code: str) -> str:
    text = f"Mã mời đảng viên vào {unit_name}: {code}\nĐảng viên gõ: /thamgia {code} <Họ và tên>"
    if ctx.caps.deep_link_base:
        text += f"\nHoặc mở liên kết: {ctx.caps.deep_link_base}{code}"
    return text


async def create_cell(ctx: Ctx, args: str) -> None:
    """`/taochibo <tên>`: a committee member adds a cell and gets its codes."""
    if not args:
        ctx.reply("Gõ /taochibo <tên chi bộ>, ví dụ: /taochibo Chi bộ khu phố 3.")
        return
    committee = await org.unit(ctx.session, (await ctx.committees())[0])
    try:
        cell, secretary, member = await org.create_cell(ctx.session, committee, args)
    except org.OrgError as error:
        ctx.reply(str(error))
        return
    ctx.reply(f"Đã tạo {cell.name} thuộc {committee.name}.\n"
              f"Mã bí thư (dùng một lần): {secretary.code}\n"
              f"Mã đảng viên: {member.code}\n"
              f"Bí thư chi bộ gõ: /thamgia {secretary.code} <Họ và tên>")


COMMANDS = [
    Command("start", "Bắt đầu trò chuyện với bot", start, menu=False),
    Command("thamgia", "Tham gia chi bộ bằng mã do bí thư gửi", join, usage="/thamgia <mã> [Họ và tên]"),
    Command("duyet", "Duyệt yêu cầu tham gia chi bộ", approve, Audience.LEADER, private=True,
            usage="/duyet [<số> đồng ý|từ chối]"),
    Command("moi", "Lấy mã mời và liên kết mời đảng viên", invite, Audience.LEADER, private=True),
    Command("doima", "Đổi mã mời (mã cũ hết hiệu lực)", replace_code, Audience.LEADER, private=True),
    Command("taochibo", "Tạo chi bộ mới trong đảng bộ", create_cell, Audience.COMMITTEE, private=True,
            usage="/taochibo <tên chi bộ>"),
]
FLOWS = {FLOW: _ask_name_flow}
