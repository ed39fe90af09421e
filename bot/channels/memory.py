"""An in-memory channel for tests and benchmarks: records what is sent, fails on request."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.channels.base import Dispatch, split_text
from domain.messages import Address, PlatformCaps, Reply, Sent, Unreachable


@dataclass
class MemoryChannel:
    platform: str = "memory"
    max_text: int = 4096
    buttons: bool = False
    sent: list[Sent] = field(default_factory=list)
    unreachable: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.caps = PlatformCaps(self.platform, max_text=self.max_text, buttons=self.buttons)

    async def send(self, to: Address, reply: Reply) -> None:
        """Record the reply as the platform would receive it: split within `max_text`."""
        if to.chat_id in self.unreachable:
            raise Unreachable("blocked")
        parts = split_text(reply.text, self.max_text)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            self.sent.append(Sent(to, Reply(part, reply.choices if last else (), reply.photo, reply.document)))

    async def run(self, dispatch: Dispatch) -> None:  # messages are pushed by the test
        return None

    def texts_to(self, chat_id: str) -> list[str]:
        return [s.reply.text for s in self.sent if s.to.chat_id == chat_id]

    def take(self) -> list[Sent]:
        sent, self.sent = self.sent, []
        return sent
