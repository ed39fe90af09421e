"""The two value types the core speaks, and the protocol a messenger implements to send.

Nothing here knows a messenger: a channel turns a platform event into `Incoming`, and
turns `Reply` into whatever its platform shows (buttons, numbered lines, a photo...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message from one person, as the core sees it."""

    platform: str
    user_id: str
    text: str
    chat_id: str = ""
    is_private: bool = True
    display_name: str = ""
    update_key: str | None = None  # the platform's id of this delivery, for de-duplication
    photo: str | None = None  # a platform file id or a URL
    # A file sent as a document (Telegram: its file id, kept on Telegram's servers and re-sent by
    # it), with the name and size the platform reported: plain values, for the inbox keeps asdict().
    document: str | None = None
    document_name: str | None = None
    document_size: int | None = None

    @property
    def reply_chat(self) -> str:
        return self.chat_id or self.user_id


@dataclass(frozen=True, slots=True)
class Choice:
    """An option offered with a reply. `value` is what choosing it sends (≤ 64 bytes)."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says: text, optional choices, an optional file (a chart, a workbook).

    `file_ref` is a file already on a platform, "<platform>:<its file id>" (a document a secretary
    sent): that platform's channel re-sends it without uploading; any other shows the text only.
    """

    text: str
    choices: tuple[Choice, ...] = ()
    photo: Path | None = None
    document: Path | None = None
    file_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    """Where a message goes: a platform and a chat on it."""

    platform: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A reply bound for an address; `account_id` lets the core remember offered choices."""

    to: Address
    reply: Reply
    account_id: int | None = None


@dataclass(frozen=True, slots=True)
class PlatformCaps:
    """What a platform can show; handlers shape their answers with it."""

    name: str
    max_text: int = 4096
    buttons: bool = False
    deep_link_base: str | None = None  # e.g. "https://t.me/chibo_bot?start="
    username: str | None = None  # the bot's own name: in a group, "/cmd@other_bot" is not for us
    files_as_paths: bool = False  # console: files are written to disk and their paths printed
    receives_files: bool = False  # a person can send a file as a document (Telegram): /tailieu takes it


class SendError(Exception):
    """A send that failed; subclasses say whether to retry."""


@dataclass
class RetryLater(SendError):
    """The platform asked us to slow down (429) or failed transiently (5xx)."""

    seconds: float = 1.0


@dataclass
class Unreachable(SendError):
    """The person cannot be reached: never started the bot, blocked it, unknown chat."""

    reason: str = ""


@dataclass(slots=True)
class Sent:
    """A record of what a test channel delivered."""

    to: Address
    reply: Reply
    extra: dict[str, str] = field(default_factory=dict)
