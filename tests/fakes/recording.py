"""What both fake Bot API servers share: the log of calls and sent messages, and waiting on it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

from bot.app import Chibo
from bot.channels.base import Channel


class Sent(Protocol):
    chat_id: str
    text: str


class Recording:
    """Mixed into a fake server that appends to `sent` and `calls`."""

    sent: list[Any]
    calls: list[tuple[str, dict[str, Any]]]

    def sent_to(self, chat_id: int | str) -> list[Any]:
        return [m for m in self.sent if m.chat_id == str(chat_id)]

    async def wait_sent(self, count: int, within: float = 10.0) -> list[Any]:
        """Wait until at least `count` messages were sent in all; returns them all."""
        deadline = time.monotonic() + within
        while len(self.sent) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} messages, got {len(self.sent)}: "
                                     + "; ".join(m.text[:60] for m in self.sent))
            await asyncio.sleep(0.01)
        return self.sent

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]


@contextlib.asynccontextmanager
async def polling(app: Chibo, channel: Channel, fake: Recording) -> AsyncIterator[None]:
    """The bot polls `fake` through the real `channel` for the duration of the block."""
    app.add_channel(channel)
    task = asyncio.create_task(channel.run(app.handle))
    for _ in range(200):
        if fake.called("getUpdates"):
            break
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
