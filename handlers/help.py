"""/trogiup lists what this person may do; /huy abandons a half-finished conversation."""

from __future__ import annotations

from handlers import texts
from handlers.context import Ctx
from handlers.registry import Command


async def help_(ctx: Ctx, args: str) -> None:
    assert ctx.catalog is not None
    lines = ["Các lệnh đồng chí dùng được:"]
    for command in ctx.catalog.order:
        if command.menu and await ctx.allows(command.audience):
            lines.append(f"/{command.name} — {command.summary}")
    if ctx.member_id is None:
        lines.append("\nĐồng chí chưa tham gia chi bộ: gõ /thamgia <mã> <Họ và tên> với mã do bí thư gửi.")
    else:
        lines.append("\nKhi bot đưa ra các lựa chọn đánh số, đồng chí có thể gõ số hoặc gõ chữ.")
    ctx.reply("\n".join(lines))


async def cancel(ctx: Ctx, args: str) -> None:
    # The router already cleared the conversation for any command; say what happened.
    ctx.reply(texts.CANCELLED)


COMMANDS = [
    Command("trogiup", "Danh sách lệnh và cách dùng", help_, aliases=("help", "huongdan")),
    Command("huy", "Hủy thao tác đang làm dở", cancel, aliases=("cancel",)),
]
