"""/kenh: the messenger a member is reached on, when they have linked both Telegram and Zalo.

Without a choice, reminders and notices go to the messenger the member used last (never to
both); `/kenh telegram` or `/kenh zalo` fixes one, `/kenh tudong` goes back to "used last".
"""

from __future__ import annotations

from domain.messages import Choice
from domain.text import fold
from handlers.context import Audience, Ctx
from handlers.profile import PLATFORM_WORDS
from handlers.registry import Command
from storage import messengers

MESSENGERS = ("telegram", "zalo")
AUTOMATIC = "tudong"
WORDS = {
    "telegram": "telegram", "tele": "telegram", "tg": "telegram",
    "zalo": "zalo",
    "tudong": AUTOMATIC, "tu dong": AUTOMATIC, "auto": AUTOMATIC, "gan nhat": AUTOMATIC,
}
USAGE = "Gõ /kenh telegram, /kenh zalo, hoặc /kenh tudong (kênh đồng chí dùng gần nhất)."


async def choose(ctx: Ctx, args: str) -> None:
    assert ctx.member_id is not None
    linked = await messengers.linked_platforms(ctx.session, ctx.member_id)
    if not args:
        await _show(ctx, linked)
        return
    choice = WORDS.get(fold(args))
    if choice is None:
        ctx.reply(f"Không có kênh «{args[:40]}». {USAGE}")
        return
    if choice == AUTOMATIC:
        await messengers.set_preferred_platform(ctx.session, ctx.member_id, None)
        last = PLATFORM_WORDS.get(linked[0], linked[0]) if linked else "—"
        ctx.reply(f"Từ nay tin nhắc gửi qua kênh đồng chí dùng gần nhất (hiện là {last}).")
        return
    name = PLATFORM_WORDS[choice]
    if choice not in linked:
        ctx.reply(
            f"Đồng chí chưa liên kết tài khoản {name}. Hãy nhắn cho bot trên {name}: "
            "/thamgia <mã> <Họ và tên> với mã do bí thư gửi (cùng họ tên như đã đăng ký); "
            f"khi bí thư duyệt, tài khoản {name} sẽ được gắn với hồ sơ của đồng chí."
        )
        return
    await messengers.set_preferred_platform(ctx.session, ctx.member_id, choice)
    ctx.reply(f"Từ nay tin nhắc và thông báo gửi cho đồng chí qua {name}.")


async def _show(ctx: Ctx, linked: list[str]) -> None:
    assert ctx.member_id is not None
    chosen = await messengers.preferred_platform(ctx.session, ctx.member_id)
    names = ", ".join(PLATFORM_WORDS.get(p, p) for p in linked)
    if chosen in linked:
        now = f"{PLATFORM_WORDS.get(chosen, chosen)} (do đồng chí chọn)"
    else:
        now = f"{PLATFORM_WORDS.get(linked[0], linked[0])} (kênh dùng gần nhất)" if linked else "—"
    options = [Choice(PLATFORM_WORDS[p], f"/kenh {p}") for p in MESSENGERS if p in linked]
    options.append(Choice("Tự động", f"/kenh {AUTOMATIC}"))
    ctx.reply(f"Tài khoản đã liên kết: {names}.\nTin nhắc đang gửi qua: {now}.\n{USAGE}", options)


COMMANDS = [
    Command("kenh", "Chọn kênh nhận tin nhắc (Telegram hoặc Zalo)", choose, Audience.MEMBER, private=True,
            usage="/kenh [telegram|zalo|tudong]",
            details="Không kèm gì: các tài khoản đã liên kết và kênh đang nhận tin nhắc. Kèm «telegram» hoặc "
                    "«zalo»: tin nhắc và thông báo chỉ gửi qua kênh đó; «tudong» (tự động): gửi qua kênh đồng chí "
                    "dùng gần nhất. Không bao giờ gửi cả hai.\nVí dụ: /kenh zalo"),
]
