"""What every channel shares: the protocol, and splitting long text at line boundaries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from domain.messages import Address, Incoming, PlatformCaps, Reply

# What a channel hands each incoming message to; it awaits the call and ignores what it returns
# (the app's handler returns what it sent, for tests and the console).
Dispatch = Callable[[Incoming], Awaitable[object]]


class Channel(Protocol):
    """A messenger: receives (`run`) and sends (`send`)."""

    caps: PlatformCaps

    async def send(self, to: Address, reply: Reply) -> None: ...

    async def run(self, dispatch: Dispatch) -> None:
        """Receive until cancelled or the input ends, passing each message to `dispatch`."""
        ...


def split_text(text: str, limit: int) -> list[str]:
    """Split at line boundaries into parts of at most `limit` characters.

    Lines are never cut unless a single line is longer than the limit (then at a space,
    or hard as a last resort): a summary arrives whole and in order.
    """
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        pieces = [line] if len(line) <= limit else _cut_line(line, limit)
        for piece in pieces:
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts


def _cut_line(line: str, limit: int) -> list[str]:
    pieces = []
    while len(line) > limit:
        cut = line.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    pieces.append(line)
    return pieces


def numbered_choices(reply: Reply) -> str:
    """Choices as text for platforms without buttons: `[1] label  [2] label`."""
    return "  ".join(f"[{i}] {choice.label}" for i, choice in enumerate(reply.choices, 1))
