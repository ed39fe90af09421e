"""/toi: who the bot thinks I am — name, cell, committee, status, roles, linked messengers."""

from __future__ import annotations

from sqlmodel import col, select

from handlers import texts
from handlers.context import Audience, Ctx
from handlers.registry import Command
from storage import org
from storage.tables import ChatAccount, Member

STATUS_WORDS = {"official": "chính thức", "probationary": "dự bị", "exempt": "miễn sinh hoạt"}
ROLE_WORDS = {
    "secretary": "bí thư", "deputy": "phó bí thư", "cell_committee": "chi ủy viên",
    "committee_member": "cấp ủy viên", "treasurer": "thủ quỹ",
}
PLATFORM_WORDS = {"telegram": "Telegram", "zalo": "Zalo", "console": "Bảng điều khiển", "memory": "Thử nghiệm"}


async def me(ctx: Ctx, args: str) -> None:
    if ctx.member_id is None:
        ctx.reply(texts.NOT_JOINED)
        return
    member = await ctx.session.get(Member, ctx.member_id)
    assert member is not None
    lines = [f"Họ và tên: {member.full_name}"]
    if member.cell_id is not None:
        cell = await org.unit(ctx.session, member.cell_id)
        lines.append(f"Chi bộ: {cell.name}")
        if cell.parent_id is not None:
            lines.append(f"Đảng bộ: {(await org.unit(ctx.session, cell.parent_id)).name}")
        lines.append(f"Tình trạng: đảng viên {STATUS_WORDS.get(member.status, member.status)}")
    for role in await ctx.roles():
        unit = await org.unit(ctx.session, role.unit_id)
        lines.append(f"Chức vụ: {ROLE_WORDS.get(role.role, role.role)} {unit.name}")
    platforms = (await ctx.session.exec(
        select(ChatAccount.platform).where(ChatAccount.member_id == member.id).order_by(col(ChatAccount.id))
    )).all()
    lines.append("Tài khoản liên kết: " + ", ".join(PLATFORM_WORDS.get(p, p) for p in platforms))
    ctx.reply("\n".join(lines))


COMMANDS = [
    Command("toi", "Xem thông tin của tôi", me, Audience.MEMBER, private=True,
            details="Họ tên, chi bộ, đảng bộ, tình trạng đảng viên, chức vụ và các tài khoản (Telegram, Zalo) "
                    "đã liên kết, như bot đang ghi. Thấy sai thì báo bí thư chi bộ.\nVí dụ: /toi"),
]
