"""The demo organisation of the console: where it may live, and loading it.

`make run` without a messenger token opens the console on a demo committee, so anyone can try the
bot. It once loaded the demo into whatever DATABASE_URL named, a real committee's included, and
crashed where console accounts clashed (issue 9, item 7). Now the demo goes into the configured
database only when that database is empty or already the demo; a database holding any other
organisation is never touched, and the demo lives in its own file (`DEMO_DATABASE_URL`,
`./data/demo.db`) instead. Talking on the console to a real database is a separate, explicit
command: `chibo chat --as <tên>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import Chibo

DEMO_FILE = Path(__file__).resolve().parent.parent / "examples" / "demo.csv"
DEMO_USER = "an"


class DemoRefused(Exception):
    """The demo cannot be opened; the message (Vietnamese) tells the operator what to do instead."""


@dataclass(frozen=True, slots=True)
class DemoPlace:
    url: str
    note: str | None = None  # one line for stderr when the demo moved away from the configured database


async def choose_database(settings: Settings) -> DemoPlace:
    """The configured database when the demo may live there; otherwise the demo's own file."""
    from storage.demo_guard import demo_shape, describe, survey

    shape = demo_shape(DEMO_FILE)
    configured = await survey(settings.database_url, shape)
    if configured.demo_may_live_here:
        return DemoPlace(settings.database_url)
    where = describe(settings.database_url)
    if configured.unreadable is not None:
        why = f"không đọc được cơ sở dữ liệu {where} ({configured.unreadable})"
    else:
        why = f"cơ sở dữ liệu {where} đang chứa {_organisations(configured.organisations)}"
    own = settings.demo_database_url
    if _same_database(own, settings.database_url):
        raise DemoRefused(f"Không mở dữ liệu mẫu: {why}, không phải dữ liệu mẫu, và DEMO_DATABASE_URL cũng trỏ tới "
                          "đó. Đặt DEMO_DATABASE_URL là một tệp khác, hoặc trò chuyện trên chính cơ sở dữ liệu ấy "
                          "bằng: chibo chat --as <tên>")
    demo_home = await survey(own, shape)
    if not demo_home.demo_may_live_here:
        raise DemoRefused(f"Không mở dữ liệu mẫu: {why}, và {describe(own)} (DEMO_DATABASE_URL) cũng không phải "
                          "dữ liệu mẫu. Xóa hoặc đổi DEMO_DATABASE_URL sang một tệp mới.")
    return DemoPlace(own, f"Dữ liệu mẫu mở trên {describe(own)}, không đụng tới dữ liệu thật: {why}. "
                          "Muốn trò chuyện trên chính cơ sở dữ liệu ấy: chibo chat --as <tên>")


async def load(app: Chibo) -> None:
    """Import the demo file (idempotent) and mark its committee as the demo."""
    from storage.demo_guard import demo_shape, describe, mark_demo
    from storage.importer import ImportFailed, import_file

    try:
        await import_file(app.db, DEMO_FILE)
    except ImportFailed as failure:
        raise DemoRefused(f"Không nạp được dữ liệu mẫu vào {describe(app.db.url)}, chưa ghi gì vào đó: thường là "
                          "tài khoản console của dữ liệu mẫu đã gán cho người khác. Xóa cơ sở dữ liệu mẫu này để "
                          f"bắt đầu lại, hoặc đặt DEMO_DATABASE_URL khác.\n{failure}") from failure
    async with app.db.session() as session:
        await mark_demo(session, demo_shape(DEMO_FILE))
        await session.commit()


def _organisations(names: tuple[str, ...]) -> str:
    if not names:
        return "dữ liệu khác (đảng viên hoặc tài khoản Telegram, Zalo)"
    shown = ", ".join(names[:3]) + (f" và {len(names) - 3} đảng bộ khác" if len(names) > 3 else "")
    return shown


def _same_database(one: str, other: str) -> bool:
    first, second = make_url(one), make_url(other)
    if first.get_backend_name() == second.get_backend_name() == "sqlite":
        return Path(first.database or "").resolve() == Path(second.database or "").resolve()
    return first.render_as_string(hide_password=False) == second.render_as_string(hide_password=False)
