"""Zalo over real HTTP: the channel polls a fake Zalo Bot Platform server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import Chibo
from bot.channels import zalo as zalo_api
from bot.channels.zalo import ZaloApiError, ZaloChannel, ZaloClient
from bot.clock import ManualClock
from bot.files import FileShelf
from bot.scheduling import attach_scheduler
from bot.settings import Settings
from bot.web import WebServer
from domain.messages import Address, Choice, Incoming, Outgoing, Reply, RetryLater, Unreachable
from domain.vocabulary import Answer
from storage import accounts, org
from storage.meetings import Attendance
from storage.reports import Report
from storage.tables import ChatAccount, JoinRequest, Member, ProcessedUpdate
from storage.types import id_of, table_of
from tests.conftest import TZ
from tests.fakes.recording import polling
from tests.fakes.zalo_api import MAX_TEXT, FakeZalo

SECRETARY = FakeZalo.user_id(1)
NEWCOMER = FakeZalo.user_id(2)


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    server = FakeZalo()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def zalo(app: Chibo, fake: FakeZalo) -> AsyncIterator[FakeZalo]:
    """The bot polling the fake server through the real Zalo channel."""
    async with polling(app, ZaloChannel(fake.token, base_url=fake.base_url, poll_timeout=1), fake):
        yield fake


async def _cell_with_zalo_secretary(app: Chibo) -> str:
    """A committee, a cell, its secretary on Zalo; returns the cell's member code."""
    async with app.db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        cell, _, member_code = await org.create_cell(session, committee, "Chi bộ khu phố 1")
        secretary = await org.add_member(session, cell.id, "Trần Thị Bình")
        await org.grant_role(session, id_of(secretary), id_of(cell), "secretary")
        loaded = await accounts.load_or_create(session, "zalo", SECRETARY, SECRETARY, "Bình", app.clock.now())
        await accounts.link(session, loaded.account.id, id_of(secretary))
        await session.commit()
        return member_code.code


async def test_join_and_approve_by_typed_number(app: Chibo, zalo: FakeZalo) -> None:
    code = await _cell_with_zalo_secretary(app)
    zalo.push_message(NEWCOMER, f"/thamgia {code} Lê Văn Cường", name="Cường")
    receipt, notice = await zalo.wait_sent(2)
    assert receipt.chat_id == NEWCOMER and "Đã gửi yêu cầu tham gia Chi bộ khu phố 1" in receipt.text
    # No buttons on Zalo: the choices are numbered lines of the text.
    assert notice.chat_id == SECRETARY
    assert notice.text.endswith("Lê Văn Cường xin tham gia Chi bộ khu phố 1.\n1. Đồng ý\n2. Từ chối")

    zalo.push_message(SECRETARY, "1", name="Bình")
    sent = await zalo.wait_sent(4)
    assert sent[2].chat_id == SECRETARY and sent[2].text == (
        "Đã duyệt: Lê Văn Cường là đảng viên của Chi bộ khu phố 1 "
        "(tên chưa có trong danh sách chi bộ: đã thêm vào danh sách).")
    assert sent[3].chat_id == NEWCOMER and "Chào mừng đồng chí Lê Văn Cường" in sent[3].text
    async with app.db.session() as session:
        account = (await session.execute(
            table_of(ChatAccount).select().where(table_of(ChatAccount).c.platform_user_id == NEWCOMER)
        )).one()
    assert account.platform == "zalo" and account.chat_id == NEWCOMER and account.member_id is not None


async def test_the_same_update_delivered_twice_is_handled_once(app: Chibo, zalo: FakeZalo) -> None:
    code = await _cell_with_zalo_secretary(app)
    update = zalo.update(NEWCOMER, f"/thamgia {code} Lê Văn Cường", message_id="4f1c0a9e77d2")
    zalo.push(update)
    zalo.push(update)
    zalo.push_message(NEWCOMER, "/toi")  # a later message shows both deliveries were consumed
    sent = await zalo.wait_sent(3)
    assert [m.chat_id for m in sent] == [NEWCOMER, SECRETARY, NEWCOMER]
    assert "chưa tham gia" in sent[2].text
    assert zalo.waiting == 0 and len(zalo.sent) == 3
    async with app.db.session() as session:
        requests = (await session.execute(table_of(JoinRequest).select())).all()
        marks = (await session.execute(table_of(ProcessedUpdate).select())).all()
    assert len(requests) == 1
    assert sorted(m.update_key for m in marks if m.update_key == "4f1c0a9e77d2") == ["4f1c0a9e77d2"]


async def test_long_text_is_split_within_2000_characters(app: Chibo, fake: FakeZalo) -> None:
    channel = ZaloChannel(fake.token, base_url=fake.base_url)
    try:
        with pytest.raises(ZaloApiError) as refused:  # the platform itself refuses a longer text
            await channel.client.send_message("u1", "x" * (MAX_TEXT + 1))
        assert refused.value.code == 400
        long_text = "\n".join(f"Dòng {i}: " + "y" * 90 for i in range(55))  # ~5,400 characters
        choices = (Choice("Tham dự", "/thamdu 1"), Choice("Vắng", "/vang 1"))
        await channel.send(Address("zalo", "u1"), Reply(long_text, choices))
    finally:
        await channel.stop()
    parts = [m.text for m in fake.sent_to("u1")]
    assert len(parts) == 3 and all(len(p) <= MAX_TEXT for p in parts)
    assert "\n".join(parts) == long_text + "\n1. Tham dự\n2. Vắng"


async def test_flood_and_blocked_chats_map_to_the_core_errors(app: Chibo, fake: FakeZalo) -> None:
    fake.rate_limit = 2
    channel = ZaloChannel(fake.token, base_url=fake.base_url)
    app.add_channel(channel)
    try:
        await channel.send(Address("zalo", "u1"), Reply("một"))
        await channel.send(Address("zalo", "u1"), Reply("hai"))
        with pytest.raises(RetryLater) as later:  # 429 "Quota exceeded": the dispatcher decides when
            await channel.send(Address("zalo", "u1"), Reply("ba"))
        assert later.value.seconds > 0
        assert fake.refused[-1][:2] == ("sendMessage", 429)

        fake.rate_limit = None
        fake.blocked.add("u2")
        async with app.db.session() as session:
            loaded = await accounts.load_or_create(session, "zalo", "u2", "u2", "", app.clock.now())
            await session.commit()
        with pytest.raises(Unreachable):
            await channel.send(Address("zalo", "u2"), Reply("Nhắc họp"))
        assert await app.deliver(Outgoing(Address("zalo", "u2"), Reply("Nhắc họp"))) is False
    finally:
        await channel.stop()
    async with app.db.session() as session:
        account = await session.get(ChatAccount, loaded.account.id)
        assert account is not None and account.unreachable_since is not None


async def test_polling_skips_408_and_takes_one_update_per_call(app: Chibo, fake: FakeZalo) -> None:
    client = ZaloClient(fake.token, fake.base_url)
    try:
        fake.max_wait = 0.05
        assert await client.get_updates(wait=1) is None  # 408: nothing yet
        fake.push_message("u1", "một")
        fake.push_message("u1", "hai")
        first = await client.get_updates(wait=1)
        assert first is not None and first["message"]["text"] == "một" and fake.waiting == 1
        assert isinstance(first["message"]["date"], int) and first["message"]["date"] > 10**12  # milliseconds
        wrong = ZaloClient("0:WRONG", fake.base_url)
        with pytest.raises(ZaloApiError) as refused:
            await wrong.call("getMe")
        assert refused.value.code == 401
        await wrong.close()
    finally:
        await client.close()


async def test_webhook_management_and_chat_action(fake: FakeZalo) -> None:
    client = ZaloClient(fake.token, fake.base_url)
    try:
        with pytest.raises(ZaloApiError) as refused:  # Zalo wants a secret of 8–256 characters
            await client.set_webhook("https://chibo.example.vn/zalo", "short")
        assert refused.value.code == 400
        await client.set_webhook("https://chibo.example.vn/zalo", "a-secret-of-enough-length")
        assert (await client.get_webhook_info())["url"] == "https://chibo.example.vn/zalo"
        await client.delete_webhook()
        assert (await client.get_webhook_info())["url"] == ""
        assert await client.send_chat_action("u1", "typing") is True
        assert fake.called("sendChatAction") == [{"chat_id": "u1", "action": "typing"}]
    finally:
        await client.close()


def test_updates_are_read_with_or_without_the_wrapper() -> None:
    fake = FakeZalo()
    inner = fake.update("6ede9a01", "Xin chào", name="Nguyễn Văn An", message_id="m-1")
    for body in (inner, {"ok": True, "result": inner}):
        incoming = zalo_api.to_incoming(zalo_api.unwrap(body))
        assert incoming == Incoming("zalo", "6ede9a01", "Xin chào", chat_id="6ede9a01", is_private=True,
                                    display_name="Nguyễn Văn An", update_key="m-1")
    photo = fake.update("6ede9a01", "ảnh buổi sinh hoạt", photo="https://example.org/a.jpg")
    incoming = zalo_api.to_incoming(zalo_api.unwrap(photo))
    assert incoming is not None and incoming.photo == "https://example.org/a.jpg"
    assert incoming.text == "ảnh buổi sinh hoạt"
    bot = fake.update("b0t", "tự động")
    bot["message"]["from"]["is_bot"] = True
    assert zalo_api.to_incoming(zalo_api.unwrap(bot)) is None
    not_updates: list[object] = [[], {"ok": True}, {"result": {"message": {"text": "x"}}}, "chuỗi"]
    for broken in not_updates:
        with pytest.raises(ValueError):
            zalo_api.unwrap(broken)


async def test_a_chart_goes_by_url_and_its_link_expires(
    app: Chibo, fake: FakeZalo, clock: ManualClock, tmp_path: Path
) -> None:
    """Zalo fetches photos by URL: the chart is published under an unguessable token for a day."""
    chart = tmp_path / "bieu-do.png"
    chart.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    shelf = FileShelf(app.db, tmp_path / "links", "http://127.0.0.1", app.clock)
    server = WebServer(app, secret="unused-secret", files=shelf)
    await server.start("127.0.0.1", 0)
    shelf.public_url = f"http://127.0.0.1:{server.port}"
    channel = ZaloChannel(fake.token, base_url=fake.base_url, files=shelf)
    try:
        await channel.send(Address("zalo", "u1"), Reply("Tỷ lệ dự họp tháng 11", photo=chart))
        (sent,) = fake.sent_to("u1")
        assert sent.method == "sendPhoto" and sent.text == "Tỷ lệ dự họp tháng 11"
        assert sent.photo is not None and sent.photo.startswith(f"{shelf.public_url}/files/")
        assert sent.photo_status == 200 and sent.photo_bytes == chart.read_bytes()
        token = sent.photo.rsplit("/", 1)[1]
        assert len(token) >= 43  # 256 random bits
        assert (await fake.fetch(sent.photo))[0] == 200  # still there within the day
        assert (await fake.fetch(f"{shelf.public_url}/files/{token[:-1]}x"))[0] == 404
        clock.set(clock.now() + timedelta(hours=25))
        assert (await fake.fetch(sent.photo))[0] == 404
        assert await shelf.sweep() == 1 and not any((tmp_path / "links").iterdir())
    finally:
        await channel.stop()
        await server.stop()


async def test_a_workbook_goes_as_a_link_and_without_public_url_the_person_is_told(
    app: Chibo, fake: FakeZalo, tmp_path: Path
) -> None:
    """Zalo carries no documents: an export arrives as a download link valid for a day."""
    workbook = tmp_path / "tong-hop-11-2026.xlsx"
    workbook.write_bytes(b"PK\x03\x04 workbook bytes")
    shelf = FileShelf(app.db, tmp_path / "links", "http://127.0.0.1", app.clock)
    server = WebServer(app, secret="unused-secret", files=shelf)
    await server.start("127.0.0.1", 0)
    shelf.public_url = f"http://127.0.0.1:{server.port}"
    linked = ZaloChannel(fake.token, base_url=fake.base_url, files=shelf)
    unlinked = ZaloChannel(fake.token, base_url=fake.base_url)
    try:
        await linked.send(Address("zalo", "u1"), Reply("Tổng hợp tháng 11/2026", document=workbook))
        (sent,) = fake.sent_to("u1")
        first_line, link_line = sent.text.split("\n")
        assert first_line == "Tổng hợp tháng 11/2026"
        prefix = "Tải tệp tong-hop-11-2026.xlsx (liên kết dùng được trong 24 giờ): "
        assert link_line.startswith(prefix + f"{shelf.public_url}/files/")
        status, body = await fake.fetch(link_line.removeprefix(prefix))
        assert status == 200 and body == workbook.read_bytes()

        await unlinked.send(Address("zalo", "u2"), Reply("Tổng hợp tháng 11/2026", document=workbook))
        (told,) = fake.sent_to("u2")
        assert told.text == f"Tổng hợp tháng 11/2026\n{zalo_api.NO_FILE_LINK}"
    finally:
        await linked.stop()
        await unlinked.stop()
        await server.stop()


async def test_a_member_joins_reports_and_answers_an_invitation_by_number(
    app: Chibo, clock: ManualClock, zalo: FakeZalo
) -> None:
    """The life of a Zalo member over HTTP: join, report (a repeated delivery is saved once), get
    the meeting invitation from the scheduler and accept it by typing its number."""
    attach_scheduler(app, Settings(_env_file=None))
    code = await _cell_with_zalo_secretary(app)
    zalo.push_message(NEWCOMER, f"/thamgia {code} Lê Văn Cường", name="Cường")
    await zalo.wait_sent(2)
    zalo.push_message(SECRETARY, "1", name="Bình")  # "1. Đồng ý"
    welcome = (await zalo.wait_sent(4))[3]
    assert welcome.chat_id == NEWCOMER and "Chào mừng đồng chí Lê Văn Cường" in welcome.text

    # A guided report: the kinds are listed once, numbered; "3" picks one.
    zalo.push_message(NEWCOMER, "/baocao")
    kinds = (await zalo.wait_sent(5))[4]
    assert kinds.text.startswith("Đồng chí báo cáo loại hoạt động nào? Chọn hoặc gõ số:\n1. Học tập")
    assert kinds.text.count("3. Hoạt động ở nơi cư trú, đoàn thể") == 1
    zalo.push_message(NEWCOMER, "3")
    await zalo.wait_sent(6)
    content = zalo.update(NEWCOMER, "Vận động 5 hộ đóng góp làm đường", message_id="7b3e0c11aa42")
    zalo.push(content)
    zalo.push(content)  # delivered twice: one question follows, not two
    zalo.push_message(NEWCOMER, "1")  # "1. Hôm nay"
    zalo.push_message(NEWCOMER, "/cuatoi")
    when, receipt, mine = (await zalo.wait_sent(9))[6:]
    assert when.text.startswith("Việc này làm ngày nào?")
    assert when.text.endswith("\n1. Hôm nay (20/11)\n2. Hôm qua (19/11)")
    assert receipt.text.startswith("Đã ghi báo cáo số 1: Hoạt động ở nơi cư trú, đoàn thể, ngày 20/11/2026.")
    assert "Đồng chí có 1 báo cáo hoạt động năm 2026" in mine.text
    async with app.db.session() as session:
        saved = (await session.exec(select(Report))).all()
    assert [r.text for r in saved] == ["Vận động 5 hộ đóng góp làm đường"]

    # The secretary sets a meeting; three days before, at 08:00, the scheduler invites.
    zalo.push_message(SECRETARY, "/lichhop 25/11/2026 19:30 tại Hội trường khu phố 1")
    assert "Lời mời sẽ gửi lúc 08:00 Chủ nhật, 22/11/2026." in (await zalo.wait_sent(10))[9].text
    clock.set(datetime(2026, 11, 22, 8, 0, tzinfo=TZ))
    await app.tick()
    invitations = (await zalo.wait_sent(12))[10:]
    assert {m.chat_id for m in invitations} == {SECRETARY, NEWCOMER}
    invitation = next(m for m in invitations if m.chat_id == NEWCOMER)
    assert invitation.text.startswith("Chi bộ khu phố 1 kính mời đồng chí dự sinh hoạt thường kỳ tháng 11/2026")
    assert invitation.text.endswith("Đồng chí dự được không?\n1. Tham dự\n2. Xin vắng")
    zalo.push_message(NEWCOMER, "1")
    answer = (await zalo.wait_sent(13))[12]
    assert answer.chat_id == NEWCOMER and answer.text.startswith("Đã ghi nhận: đồng chí tham dự buổi số 1")
    async with app.db.session() as session:
        answers = (await session.exec(select(Attendance.member_id, Attendance.rsvp))).all()
        member = (await session.exec(select(Member).where(Member.full_name == "Lê Văn Cường"))).one()
    assert list(answers) == [(member.id, Answer.YES)]
    assert len(zalo.sent) == 13


# -- the HTTP client -----------------------------------------------------------------------------
class _Scripted:
    """A raw HTTP server on 127.0.0.1 answering each request with the next scripted bytes
    (None: close the connection without answering); counts connections and requests."""

    def __init__(self, answers: list[bytes | None]) -> None:
        self.answers = answers
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *_exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.answers:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                self.requests.append(head + await reader.readexactly(length))
                answer = self.answers.pop(0)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                framed = b"content-length" in answer.lower() or b"chunked" in answer.lower()
                if b"connection: close" in answer.lower() or not framed:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


def _answer(body: bytes, *extra: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s" % (
        b"".join(e + b"\r\n" for e in extra), len(body), body)


async def test_the_client_keeps_its_connection_and_reads_every_framing() -> None:
    ok = b'{"ok":true,"result":{"n":1}}'
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\n{\"ok\"\r\n17;ext=1\r\n:true,\"result\":\"chunk\"}\r\n0\r\nX-Trailer: 1\r\n\r\n")
    until_close = b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"ok":true,"result":"closed"}'
    refused = _answer(b'{"ok":false,"error_code":429,"description":"Quota exceeded","parameters":{"retry_after":3}}')
    server = _Scripted([b"HTTP/1.1 100 Continue\r\n\r\n" + _answer(ok), _answer(ok), chunked, until_close,
                        _answer(ok), refused])
    async with server as url:
        client = ZaloClient("1:T", url)
        try:
            assert await client.call("getMe") == {"n": 1}
            assert await client.call("sendMessage", {"chat_id": "u1", "text": "Chào đồng chí"}) == {"n": 1}
            assert await client.call("getMe") == "chunk"
            assert await client.call("getMe") == "closed"
            assert server.connections == 1  # kept open until the server closed it
            assert await client.call("getMe") == {"n": 1}
            assert server.connections == 2
            with pytest.raises(ZaloApiError) as error:
                await client.call("sendMessage", {"chat_id": "u1", "text": "x"})
            assert (error.value.code, error.value.retry_after) == (429, 3.0)
        finally:
            await client.close()
    first = server.requests[1]
    assert first.startswith(b"POST /bot1:T/sendMessage HTTP/1.1\r\n")
    assert json.loads(first.split(b"\r\n\r\n", 1)[1]) == {"chat_id": "u1", "text": "Chào đồng chí"}


async def test_a_dropped_or_slow_answer_is_a_network_error_and_the_channel_retries_later() -> None:
    server = _Scripted([None, b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"ok\"", _answer(b'{"ok":true}')])
    async with server as url:
        client = ZaloClient("1:T", url)
        try:
            with pytest.raises(ConnectionError):
                await client.call("getMe")
            with pytest.raises(TimeoutError):  # the body never ends: the deadline cuts it
                await client.call("getMe", wait=0.2)
            assert await client.call("getMe") is None  # a new connection: the cut one is not reused
            assert server.connections == 3
        finally:
            await client.close()
    channel = ZaloChannel("1:T", base_url="http://127.0.0.1:9")  # nothing listens: refused
    with pytest.raises(RetryLater):
        await channel.send(Address("zalo", "u1"), Reply("Nhắc họp"))
    await channel.stop()
