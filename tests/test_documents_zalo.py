"""A meeting document sent on Telegram reaches Zalo members as a download link (issue 13): the
channels are built as the service builds them (bot/service.py `messengers`), both polling their fake
servers; the file is fetched once through the Telegram bot into files_dir/documents and published
under /files/<token>, its bytes those the secretary sent; Telegram members still get it by its id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Chibo
from bot.channels.zalo import ZaloChannel
from bot.clock import ManualClock
from bot.file_refs import documents_directory
from bot.files import FileShelf
from bot.service import messengers
from bot.settings import Settings
from bot.web import WebServer
from domain.messages import Address, Reply
from domain.vocabulary import Position
from storage import org
from storage.tables import ChatAccount
from storage.types import id_of
from tests.cell_setup import local
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.test_reports_telegram import Chat

SECRETARY = 101
ON_TELEGRAM = {101: "Nguyễn Văn An", 201: "Trần Thị Bình"}
ON_ZALO = {FakeZalo.user_id(3): "Lê Văn Cường", FakeZalo.user_id(4): "Phạm Thị Dung"}
PDF = b"%PDF-1.4 Bao cao thang 11 \x00\x01\x02" + bytes(range(256)) * 40
REPORT: dict[str, Any] = {"file_id": "BQACAgUAAxkBAAIBbmV4", "file_name": "Báo cáo tháng 11.pdf", "file_size": len(PDF)}
WHAT = "Tài liệu buổi số 1 (sinh hoạt thường kỳ tháng 12/2026), 19:30 Thứ Bảy, 05/12/2026"
LINK = "Tải tệp (liên kết dùng được trong 24 giờ): "


@pytest.fixture
async def shelf(app: Chibo) -> AsyncIterator[FileShelf]:
    """File links served by the web server, as with PUBLIC_URL."""
    shelf = FileShelf(app.db, Path(app.settings.files_dir) / "links", "http://127.0.0.1", app.clock)
    server = WebServer(app, secret="unused-secret", files=shelf)
    await server.start("127.0.0.1", 0)
    shelf.public_url = f"http://127.0.0.1:{server.port}"
    yield shelf
    await server.stop()


async def _cell(app: Chibo) -> None:
    async with app.db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        cell, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 1")
        for platform, people in (("telegram", ON_TELEGRAM), ("zalo", ON_ZALO)):
            for user_id, name in people.items():
                member = await org.add_member(session, cell.id, name)
                session.add(ChatAccount(platform=platform, platform_user_id=str(user_id), chat_id=str(user_id),
                                        member_id=member.id))
                if user_id == SECRETARY:
                    await org.grant_role(session, id_of(member), id_of(cell), Position.SECRETARY)
        await session.commit()


async def _running(app: Chibo, telegram: FakeTelegram, zalo: FakeZalo, shelf: FileShelf) -> list[asyncio.Task[None]]:
    settings = Settings(_env_file=None, telegram_bot_token=telegram.token, telegram_base_url=telegram.base_url,
                        zalo_bot_token=zalo.token, zalo_base_url=zalo.base_url, files_dir=app.settings.files_dir)
    channels = [c for c in messengers(app, settings, shelf, polling=True) if c is not None]
    tasks = [asyncio.create_task(channel.run(app.handle)) for channel in channels]
    for _ in range(200):
        if telegram.called("getUpdates") and zalo.called("getUpdates"):
            break
        await asyncio.sleep(0.02)
    return tasks


async def test_a_telegram_file_reaches_zalo_members_as_a_link_once(
        app: Chibo, clock: ManualClock, fakes: tuple[FakeTelegram, FakeZalo], shelf: FileShelf) -> None:
    telegram, zalo = fakes
    telegram.files[REPORT["file_id"]] = (REPORT["file_name"], PDF)
    clock.set(local("2026-11-20 09:00"))
    await _cell(app)
    tasks = await _running(app, telegram, zalo, shelf)
    try:
        chat = Chat(telegram)
        await chat.say(SECRETARY, "/lichhop 05/12/2026 19:30 tại Nhà văn hóa khu phố 1")
        [attached] = await chat.say(SECRETARY, "/tailieu 1", document=REPORT)
        assert attached.text.startswith("Đã gắn tài liệu «Báo cáo tháng 11.pdf» vào buổi số 1.\n"
                                        "Tài liệu sẽ gửi lúc 08:00 Thứ Sáu, 04/12/2026 tới 4 đảng viên phải dự")
        assert telegram.downloads == []  # nothing fetched before it goes

        clock.set(local("2026-12-04 08:00"))
        await app.tick()
        for user_id in ON_ZALO:
            message, file = [m for m in zalo.sent_to(user_id) if m.text.startswith("Tài liệu")]
            assert message.text.startswith(WHAT + ":\n1. Báo cáo tháng 11.pdf (tệp gửi kèm trên Telegram)\n")
            caption, link_line = file.text.split("\n")
            assert caption == f"{WHAT}: Báo cáo tháng 11.pdf"
            assert link_line.startswith(LINK + f"{shelf.public_url}/files/")
            assert await zalo.fetch(link_line.removeprefix(LINK)) == (200, PDF)
        assert len(telegram.downloads) == 1  # fetched once for both Zalo members
        [cached] = documents_directory(app.settings.files_dir).iterdir()
        assert cached.suffix == ".pdf" and cached.read_bytes() == PDF
        # Telegram members: still by its id, nothing uploaded.
        to_binh = [m for m in telegram.sent_to(201) if m.text.startswith("Tài liệu")]
        assert [(m.method, m.file_id) for m in to_binh] == [("sendMessage", None), ("sendDocument", REPORT["file_id"])]

        # Never twice.
        sent = len(zalo.sent)
        clock.set(local("2026-12-05 08:00"))
        await app.tick()
        assert [m for m in zalo.sent[sent:] if m.text.startswith("Tài liệu")] == []
        sent = len(zalo.sent)

        # On request, on Zalo: the list and the link again, from the cache.
        cuong = next(iter(ON_ZALO))
        zalo.push_message(cuong, "/tailieu 1")
        *_, again = (await zalo.wait_sent(sent + 2))[sent:]
        assert again.text.startswith(f"{WHAT}: Báo cáo tháng 11.pdf\n{LINK}")
        assert await zalo.fetch(again.text.split(LINK)[1]) == (200, PDF)
        assert len(telegram.downloads) == 1
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_without_telegram_running_zalo_says_where_the_file_is(
        app: Chibo, fakes: tuple[FakeTelegram, FakeZalo], shelf: FileShelf) -> None:
    _, zalo = fakes
    settings = Settings(_env_file=None, zalo_bot_token=zalo.token, zalo_base_url=zalo.base_url,
                        files_dir=app.settings.files_dir)
    no_telegram, channel = messengers(app, settings, shelf, polling=True)
    assert no_telegram is None and isinstance(channel, ZaloChannel) and channel.resolve is None
    try:
        await channel.send(Address("zalo", "u1"), Reply(f"{WHAT}: Báo cáo", file_ref="telegram:" + REPORT["file_id"]))
        [told] = zalo.sent_to("u1")
        assert told.text == (f"{WHAT}: Báo cáo\n(Tệp này được gửi kèm trên Telegram, chưa tải được qua Zalo; "
                             "vui lòng xem trên Telegram.)")
    finally:
        await channel.stop()
