"""Joining: /start and /thamgia with a code, /duyet for the secretary, /moi and /doima, /taochibo.

Approving a request keeps one person one person (issue 10): the name is looked up on the cell's
list, and the answer says whether it matched someone there (whose record the account is linked
to) or a new member was added. A matched member who already has an account on the same messenger
is either on a new account or being impersonated: the secretary is warned and must choose.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from domain.messages import Choice, Reply
from domain.text import fold, whole_number
from domain.vocabulary import LEADER_ROLES, Position, UnitKind
from handlers import candidates_own
from handlers.context import Audience, Ctx
from handlers.profile import PLATFORM_WORDS
from handlers.registry import Command
from storage import accounts, org
from storage.tables import ChatAccount, JoinRequest, Member
from storage.types import id_of

APPROVE_WORDS = {"dong y", "dongy", "duyet", "co", "ok", "chap nhan", "y"}
REFUSE_WORDS = {"tu choi", "tuchoi", "khong", "khong dong y", "bac", "huy"}
# Approve although the member on the list already has an account on this messenger.
LINK_WORDS = {"lien ket", "lienket", "van lien ket", "vanlienket"}
_YEAR = re.compile(r"^(.*?)\s*\b(\d{4})$")  # "đồng ý 1968": which of two members of one name
SEEN_BEFORE = datetime(2001, 1, 1, tzinfo=UTC)  # accounts typed into a member list have never written
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
    if await candidates_own.join(ctx, code_text):  # a candidate's own code (issue 15)
        return
    try:
        code = await org.lookup_code(ctx.session, ctx.account.id, code_text, ctx.now)
    except org.OrgError as error:
        ctx.reply(str(error))
        return
    await _continue(ctx, id_of(code), name)


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
            await org.enter_cell(session, member, id_of(unit), today=ctx.local_now.date(), by=id_of(member),
                                 now=ctx.now)
    else:
        cell_id = unit.id if unit.kind == UnitKind.CELL else None
        member = await org.member_by_name(session, id_of(unit), full_name) if cell_id else None
        member = member or await org.add_member(session, cell_id, full_name, today=ctx.local_now.date(),
                                                now=ctx.now)
        await accounts.link(session, ctx.account.id, id_of(member))
    await org.grant_role(session, id_of(member), id_of(unit), Position.SECRETARY)
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
    if await org.pending_request(ctx.session, id_of(unit), ctx.account.id):
        raise org.OrgError(f"Yêu cầu tham gia {unit.name} của đồng chí đang chờ bí thư duyệt.")
    request = await org.add_request(ctx.session, id_of(unit), ctx.account.id, full_name)
    ctx.reply(f"Đã gửi yêu cầu tham gia {unit.name} với tên {full_name}. "
              "Tôi sẽ báo ngay khi bí thư chi bộ duyệt.")
    notice = Reply(
        f"Yêu cầu tham gia số {request.number}: {full_name} xin tham gia {unit.name}.",
        _decision_choices(request.number),
    )
    for leader in await org.leaders_of(ctx.session, id_of(unit), LEADER_ROLES):
        await ctx.notify(leader, notice)


def _decision_choices(number: int) -> tuple[Choice, ...]:
    return (Choice("Đồng ý", f"/duyet {number} dongy"), Choice("Từ chối", f"/duyet {number} tuchoi"))


USAGE = "Gõ /duyet <số> đồng ý hoặc /duyet <số> từ chối, ví dụ: /duyet 1 đồng ý."
CHOICES_MAX = 10


async def approve(ctx: Ctx, args: str) -> None:
    """`/duyet` lists pending requests; `/duyet <số> đồng ý|từ chối` decides one.

    The number is the request's number in its cell (storage.tables.JoinRequest): it never
    changes, so a list shown before another request was decided still reads right.
    """
    cells = await ctx.leader_cells()
    number_text, _, word = args.partition(" ")
    if not number_text:
        await _list(ctx, cells)
        return
    number = whole_number(number_text.lstrip("#").removeprefix("số"))
    if number is None:
        ctx.reply(f"«{number_text[:20]}» không phải số yêu cầu. {USAGE} Gõ /duyet để xem các yêu cầu đang chờ.")
        return
    found = await org.requests_numbered(ctx.session, cells, number)
    pending = [r for r in found if r.status == "pending"]
    if len(found) > 1 and len(pending) != 1:
        where = "; ".join([f"{(await org.unit(ctx.session, r.unit_id)).name}: {r.full_name}" for r in found])
        ctx.reply(f"Số {number} có ở nhiều chi bộ đồng chí phụ trách ({where}). "
                  "Vui lòng nhờ bí thư từng chi bộ duyệt yêu cầu của chi bộ mình.")
        return
    request = pending[0] if len(found) > 1 else (found[0] if found else None)
    if request is None:
        ctx.reply(f"Chi bộ của đồng chí không có yêu cầu tham gia số {number}. "
                  "Gõ /duyet để xem các yêu cầu đang chờ.")
        return
    if request.status != "pending":
        verdict = "đồng ý" if request.status == "approved" else "từ chối"
        ctx.reply(f"Yêu cầu số {request.number} ({request.full_name}) đã được {verdict} trước đó.")
        return
    decision, year = _decision(word)
    if not decision:
        ctx.reply(f"Yêu cầu số {request.number}: {request.full_name}. Đồng chí đồng ý hay từ chối?",
                  _decision_choices(request.number))
        return
    if decision not in APPROVE_WORDS | REFUSE_WORDS | LINK_WORDS:
        ctx.reply(f"Chưa rõ «{word[:20]}» là đồng ý hay từ chối. Gõ /duyet {request.number} đồng ý "
                  f"hoặc /duyet {request.number} từ chối, hoặc chọn:", _decision_choices(request.number))
        return
    unit = await org.unit(ctx.session, request.unit_id)
    if decision in REFUSE_WORDS:
        await _refuse(ctx, request, unit)
        return
    named = await org.members_named(ctx.session, id_of(unit), request.full_name)
    if year is not None:
        named = [member for member in named if member.birth_year == year]
        if not named:
            ctx.reply(f"Danh sách {unit.name} không có đồng chí {request.full_name} sinh năm {year}. "
                      f"Gõ /duyet {request.number} để xem lại.")
            return
    if len(named) > 1:
        _ask_which(ctx, request, unit, named)
        return
    member = named[0] if named else None
    requester = await ctx.session.get(ChatAccount, request.account_id)
    if requester is not None and requester.member_id is not None and (
            member is None or requester.member_id != member.id):
        owner = await ctx.session.get(Member, requester.member_id)
        ctx.reply(f"Tài khoản xin tham gia (yêu cầu số {request.number}) đã liên kết với đồng chí "
                  f"{owner.full_name if owner else 'khác'}, nên không duyệt được. Gõ /duyet {request.number} "
                  "từ chối để đóng yêu cầu.")
        return
    others: list[ChatAccount] = []
    if member is not None and requester is not None:
        others = await org.same_platform_accounts(ctx.session, id_of(member), requester.platform, id_of(requester))
    if others and decision not in LINK_WORDS:
        assert member is not None and requester is not None
        _warn(ctx, request, unit, member, requester.platform, others[0])
        return
    if member is None:
        member = await org.add_member(ctx.session, unit.id, request.full_name, today=ctx.local_now.date(),
                                      by=ctx.member_id, now=ctx.now)
        note = "tên chưa có trong danh sách chi bộ: đã thêm vào danh sách"
        answer = f"Đã duyệt: {member.full_name} là đảng viên của {unit.name} ({note})."
    else:
        kept = (f" (tài khoản {PLATFORM_WORDS.get(requester.platform, requester.platform)} cũ vẫn giữ)"
                if others and requester is not None else "")
        who = _named(member) if request.full_name == member.full_name \
            else f"{request.full_name} là đồng chí {_named(member)}"
        answer = f"Đã duyệt: {who} có trong danh sách {unit.name}; đã liên kết tài khoản{kept}."
    await accounts.link(ctx.session, request.account_id, id_of(member))
    request.status = "approved"
    request.member_id = member.id
    request.decided_by = ctx.member_id
    request.decided_at = ctx.now
    ctx.session.add(request)
    ctx.reply(answer)
    await ctx.notify_account(request.account_id, Reply(
        f"Chào mừng đồng chí {member.full_name}! Bí thư đã duyệt, đồng chí đã tham gia {unit.name}.\n"
        "Gõ /trogiup để xem các lệnh."))


def _decision(word: str) -> tuple[str, int | None]:
    """The folded decision and the birth year typed after it, if any ("đồng ý 1968")."""
    decision = fold(word)
    match = _YEAR.match(decision)
    if match is None:
        return decision, None
    return match.group(1), int(match.group(2))


def _named(member: Member) -> str:
    return f"{member.full_name} (sinh {member.birth_year})" if member.birth_year else member.full_name


async def _refuse(ctx: Ctx, request: JoinRequest, unit: org.OrgUnit) -> None:
    request.status = "refused"
    request.decided_by = ctx.member_id
    request.decided_at = ctx.now
    ctx.session.add(request)
    ctx.reply(f"Đã từ chối yêu cầu số {request.number} của {request.full_name}.")
    await ctx.notify_account(request.account_id, Reply(
        f"Bí thư {unit.name} chưa đồng ý yêu cầu tham gia của đồng chí. "
        "Nếu có nhầm lẫn, vui lòng liên hệ trực tiếp bí thư chi bộ."))


def _ask_which(ctx: Ctx, request: JoinRequest, unit: org.OrgUnit, named: list[Member]) -> None:
    """Several members of the name: the secretary says which by birth year (or refuses)."""
    years = [member.birth_year for member in named]
    who = ", ".join(_named(member) for member in named)
    if None in years or len(set(years)) < len(years):
        ctx.reply(f"Danh sách {unit.name} có {len(named)} đồng chí tên {request.full_name} ({who}) mà năm sinh "
                  "không phân biệt được ai với ai. Vui lòng nhập lại danh sách có năm sinh của từng người rồi "
                  f"duyệt lại, hoặc gõ /duyet {request.number} từ chối.")
        return
    ctx.reply(f"Danh sách {unit.name} có {len(named)} đồng chí tên {request.full_name}: {who}. Người xin là ai? "
              f"Chọn, hoặc gõ /duyet {request.number} đồng ý <năm sinh>, ví dụ: /duyet {request.number} đồng ý "
              f"{years[0]}.",
              [Choice(_named(member), f"/duyet {request.number} dongy {member.birth_year}") for member in named]
              + [Choice("Từ chối", f"/duyet {request.number} tuchoi")])


def _warn(ctx: Ctx, request: JoinRequest, unit: org.OrgUnit, member: Member, platform: str,
          other: ChatAccount) -> None:
    """The impersonation guard: the member on the list already has an account on this messenger."""
    messenger = PLATFORM_WORDS.get(platform, platform)
    if other.last_seen_at < SEEN_BEFORE:
        used = "chưa nhắn cho bot lần nào"
    else:
        used = f"nhắn cho bot lần cuối ngày {other.last_seen_at.astimezone(ctx.settings.tz):%d/%m/%Y}"
    shown = f"tên hiển thị «{other.display_name}», " if other.display_name else ""
    year = f" {member.birth_year}" if member.birth_year else ""
    ctx.reply(f"Cảnh báo: yêu cầu số {request.number} ({request.full_name}) khớp với đồng chí {_named(member)} "
              f"trong danh sách {unit.name}, nhưng đồng chí này đã có tài khoản {messenger} khác ({shown}{used}). "
              f"Có thể có người mạo danh: nên hỏi trực tiếp đồng chí {member.full_name} trước khi duyệt.\n"
              f"Vẫn liên kết tài khoản xin tham gia với đồng chí {member.full_name}? Chọn Không để từ chối yêu cầu.",
              [Choice("Có", f"/duyet {request.number} lienket{year}"),
               Choice("Không", f"/duyet {request.number} tuchoi")])


async def _list(ctx: Ctx, cells: list[int]) -> None:
    """The pending requests, each under its number in the cell. Up to ten are offered as options
    that name the person and that number ("Lê Văn Cường (số 3)"), so that the option's place in
    the list ("[1]") and the request's number are never two bare numbers side by side."""
    pending = await org.pending_requests(ctx.session, cells)
    if not pending:
        ctx.reply("Không có yêu cầu tham gia nào đang chờ duyệt.")
        return
    if len(pending) <= CHOICES_MAX:
        ctx.reply(f"Có {len(pending)} yêu cầu tham gia đang chờ duyệt. Chọn một yêu cầu, hoặc gõ /duyet <số> "
                  f"đồng ý (hoặc từ chối), ví dụ: /duyet {pending[0].number} đồng ý.",
                  [Choice(f"{r.full_name} (số {r.number})", f"/duyet {r.number}") for r in pending])
        return
    lines = [f"Có {len(pending)} yêu cầu tham gia đang chờ duyệt:"]
    lines += [f"Số {r.number}: {r.full_name}" for r in pending]
    lines.append(USAGE)
    ctx.reply("\n".join(lines))


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
    Command("start", "Bắt đầu trò chuyện với bot", start, menu=False, private=True,
            details="Lời chào. Liên kết mời do bí thư gửi mở /start kèm mã; bot nhận mã đó như /thamgia.\n"
                    "Ví dụ: /start"),
    Command("thamgia", "Tham gia chi bộ bằng mã do bí thư gửi", join, usage="/thamgia <mã> [Họ và tên]", private=True,
            details="Mã do bí thư chi bộ gửi (mã đảng viên), hoặc do cấp ủy gửi (mã bí thư, dùng một lần). "
                    "Thiếu họ tên thì bot sẽ hỏi. Với mã đảng viên, bí thư duyệt xong đồng chí mới tham gia.\n"
                    "Ví dụ: /thamgia ABCD23EFGH Nguyễn Văn An"),
    Command("duyet", "Duyệt yêu cầu tham gia chi bộ", approve, Audience.LEADER, private=True,
            usage="/duyet [<số> đồng ý|từ chối]",
            details="Không kèm gì: các yêu cầu đang chờ, mỗi yêu cầu có số riêng trong chi bộ (1, 2, 3…; "
                    "số không đổi khi yêu cầu khác được duyệt). Kèm số và «đồng ý» hoặc «từ chối» "
                    "(có dấu hay không dấu đều được) để quyết định; người xin được báo ngay. Tên có trong danh "
                    "sách chi bộ thì tài khoản được gắn với đảng viên đó (hai người cùng tên: thêm năm sinh, ví dụ "
                    "/duyet 1 đồng ý 1968); đảng viên đó đã có tài khoản khác trên cùng ứng dụng thì bot cảnh báo "
                    "và hỏi đồng chí có vẫn liên kết không.\n"
                    "Ví dụ: /duyet 1 đồng ý"),
    Command("moi", "Lấy mã mời và liên kết mời đảng viên", invite, Audience.LEADER, private=True,
            details="Gửi mã này cho đảng viên của chi bộ; họ gõ /thamgia <mã> <Họ và tên>, rồi đồng chí duyệt "
                    "bằng /duyet.\nVí dụ: /moi"),
    Command("doima", "Đổi mã mời (mã cũ hết hiệu lực)", replace_code, Audience.LEADER, private=True,
            details="Dùng khi mã mời lọt ra ngoài: mã cũ thôi dùng được ngay, yêu cầu đã gửi vẫn còn.\n"
                    "Ví dụ: /doima"),
    Command("taochibo", "Tạo chi bộ mới trong đảng bộ", create_cell, Audience.COMMITTEE, private=True,
            usage="/taochibo <tên chi bộ>",
            details="Tạo chi bộ trong đảng bộ của đồng chí và nhận hai mã: mã bí thư (dùng một lần) để gửi "
                    "bí thư chi bộ, và mã đảng viên.\nVí dụ: /taochibo Chi bộ khu phố 3"),
]
FLOWS = {FLOW: _ask_name_flow}
FLOW_TITLES = {FLOW: "tham gia chi bộ"}
