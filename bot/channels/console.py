"""The console channel: chat with the bot in a terminal, as a named console user.

Hubot's shell adapter and Errbot's text backend show the point: anyone can try the bot
before a token exists. Each console user is one private chat, account `console:<name>`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from bot.channels.base import Dispatch, numbered_choices
from domain.messages import Address, Incoming, PlatformCaps, Reply
from storage.faults import is_transient

PLATFORM = "console"
NOT_NOW = "Cơ sở dữ liệu tạm thời không trả lời: tin vừa gõ chưa được lưu. Đồng chí gõ lại sau ít phút."


def render(chat_id: str, reply: Reply) -> list[str]:
    """`bot -> NAME: first line`, further lines indented by two spaces, then the choices."""
    lines = reply.text.split("\n")
    out = [f"bot -> {chat_id}: {lines[0]}"]
    out += [f"  {line}" for line in lines[1:]]
    for label, path in (("ảnh", reply.photo), ("tệp", reply.document)):
        if path is not None:
            out.append(f"  ({label}: {path})")
    if reply.choices:
        out.append(f"  {numbered_choices(reply)}")
    return out


class ConsoleChannel:
    caps = PlatformCaps(PLATFORM, max_text=1_000_000, buttons=False, files_as_paths=True)

    def __init__(self, user: str = "an", write: Callable[[str], None] | None = None) -> None:
        self.user = user
        self.write = write or (lambda line: print(line, flush=True))

    async def send(self, to: Address, reply: Reply) -> None:
        for line in render(to.chat_id, reply):
            self.write(line)

    def incoming(self, user: str, text: str) -> Incoming:
        return Incoming(PLATFORM, user, text, chat_id=user, display_name=user)

    async def run(self, dispatch: Dispatch) -> None:
        """Read lines from standard input (typed or piped) until it ends."""
        interactive = sys.stdin.isatty()
        while True:
            if interactive:
                self.write_prompt()
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                return
            text = line.rstrip("\n")
            if not text.strip():
                continue
            try:
                await dispatch(self.incoming(self.user, text))
            except Exception as error:  # the console has no inbox: say so, and keep the session
                if not is_transient(error):
                    raise
                self.write(f"bot -> {self.user}: {NOT_NOW}")

    def write_prompt(self) -> None:
        sys.stdout.write(f"{self.user}> ")
        sys.stdout.flush()
