"""/trogiup lists what this person may do, or explains one command; /huy abandons a half-finished
conversation; a mistyped command is answered with the closest ones this person may use.

Older members do not remember command names: the list shows only what they can use (an exempt
member is not shown the meeting commands), and a near miss ("/tonhop", "/danh gia") is met with
the command they probably meant rather than a bare "no such command".
"""

from __future__ import annotations

import difflib

from handlers import texts
from handlers.context import Ctx
from handlers.registry import Command, command_key

SUGGESTIONS = 3
CLOSE_ENOUGH = 0.6  # difflib's ratio: "tonhop" ~ "tonghop" 0.92, "danh" ~ "danhgia" 0.73


async def usable(ctx: Ctx) -> list[Command]:
    """Commands shown to this person, in the catalog's order."""
    assert ctx.catalog is not None
    return [command for command in ctx.catalog.order
            if command.menu and await ctx.allows(command.audience) and (command.for_exempt or not ctx.exempt)]


async def closest(ctx: Ctx, typed: str, rest: str = "") -> list[Command]:
    """The commands this person may use whose names (or aliases) are nearest to what was typed.

    "/danh gia" splits into the word "danh" and the rest "gia": the two joined name /danhgia
    exactly, which comes first.
    """
    names: dict[str, Command] = {}
    for command in await usable(ctx):
        for name in (command.name, *command.aliases):
            names.setdefault(command_key(name), command)
    word = command_key(typed)
    found: list[Command] = []
    joined = word + command_key(rest.split(maxsplit=1)[0]) if rest.strip() else ""
    if joined in names:
        found.append(names[joined])
    for name in difflib.get_close_matches(word, list(names), n=SUGGESTIONS + 2, cutoff=CLOSE_ENOUGH):
        if names[name] not in found:
            found.append(names[name])
    return found[:SUGGESTIONS]


async def unknown_command(ctx: Ctx, typed: str, rest: str = "") -> str:
    """What to answer to a command that does not exist: the closest ones, and how to see all."""
    shown = "/" + typed[:40]
    suggestions = await closest(ctx, typed, rest)
    if not suggestions:
        return texts.UNKNOWN_COMMAND.format(command=shown)
    lines = [f"Không có lệnh {shown}. Có phải đồng chí muốn gõ:"]
    lines += [f"/{command.name} — {command.summary}" for command in suggestions]
    lines.append("Gõ /trogiup để xem tất cả các lệnh đồng chí dùng được.")
    return "\n".join(lines)


async def help_(ctx: Ctx, args: str) -> None:
    """`/trogiup`: the commands this person may use; `/trogiup <lệnh>`: how to use one."""
    if args.strip():
        await _explain(ctx, args.strip())
        return
    lines = ["Các lệnh đồng chí dùng được:"]
    lines += [f"/{command.name} — {command.summary}" for command in await usable(ctx)]
    if ctx.member_id is None:
        lines.append("\nĐồng chí chưa tham gia chi bộ: gõ /thamgia <mã> <Họ và tên> với mã do bí thư gửi.")
        example = "thamgia"
    else:
        lines.append("\nKhi bot đưa ra các lựa chọn đánh số, đồng chí có thể gõ số hoặc gõ chữ.")
        example = "baocao"
    lines.append(f"Gõ /trogiup <lệnh> để xem cách dùng một lệnh, ví dụ: /trogiup {example}")
    ctx.reply("\n".join(lines))


async def _explain(ctx: Ctx, typed: str) -> None:
    assert ctx.catalog is not None
    word, _, rest = typed.lstrip("/").partition(" ")
    command = ctx.catalog.find(typed.lstrip("/").replace(" ", "")) or ctx.catalog.find(word)
    if command is None:
        ctx.reply(await unknown_command(ctx, word, rest))
        return
    lines = [f"/{command.name} — {command.summary}"]
    if command.usage:
        lines.append(f"Cách gõ: {command.usage}")
    if command.details:
        lines.append(command.details)
    if command.aliases:
        lines.append("Gõ cách khác cũng được: " + ", ".join(f"/{alias}" for alias in command.aliases))
    if command.private:
        lines.append("Lệnh này chỉ dùng trong tin nhắn riêng với bot.")
    if not await ctx.allows(command.audience):
        lines.append(texts.refusal(command.audience, joined=ctx.member_id is not None))
    elif ctx.exempt and not command.for_exempt:
        lines.append("Đồng chí đang được miễn công tác và sinh hoạt đảng nên không cần dùng lệnh này.")
    ctx.reply("\n".join(lines))


async def cancel(ctx: Ctx, args: str) -> None:
    # The router already cleared the conversation for any command; say what happened.
    ctx.reply(texts.CANCELLED)


COMMANDS = [
    Command("trogiup", "Danh sách lệnh và cách dùng", help_, aliases=("help", "huongdan"),
            usage="/trogiup [<lệnh>]",
            details="Không kèm gì: danh sách các lệnh đồng chí dùng được. Kèm tên một lệnh (có hay không có "
                    "dấu /, có dấu hay không dấu đều được): cách gõ lệnh đó và ví dụ.\n"
                    "Ví dụ: /trogiup baocao"),
    Command("huy", "Hủy thao tác đang làm dở", cancel, aliases=("cancel",), private=True,
            details="Bỏ việc đang làm dở (một báo cáo đang điền dở, một câu hỏi bot đang chờ trả lời); "
                    "những gì đã lưu trước đó vẫn giữ nguyên. Gõ một lệnh khác giữa chừng cũng bỏ việc đang làm dở, "
                    "và bot sẽ báo điều đó.\nVí dụ: /huy"),
]
