"""/trogiup and unknown commands: what a person may use, one command explained, near misses answered
with the closest commands (issue 9, item 8)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.messages import Incoming
from domain.vocabulary import Position, Status
from handlers import help, joining, messengers, mine, profile, reports, texts
from handlers.catalog import MODULES
from handlers.context import Audience, Ctx, HandlerSettings
from handlers.registry import Catalog, Command, build_catalog
from storage import org
from storage.db import Database
from storage.tables import ChatAccount
from storage.types import id_of

HELP_ENDS = "Gõ /trogiup <lệnh> để xem cách dùng một lệnh, ví dụ: /trogiup"
OWN_MODULES = (help, joining, profile, messengers, reports, mine)


async def _meeting_only(ctx: Ctx, args: str) -> None:
    ctx.reply("thử")


# A command only for members who attend meetings, to pin the rule whatever the real catalog holds.
_MEETING_MODULE = SimpleNamespace(COMMANDS=[Command("thudu", "Thử: chỉ cho người sinh hoạt", _meeting_only,
                                                   Audience.MEMBER, for_exempt=False)])


async def _people(db: Database) -> None:
    """Chi bộ khu phố 1: an (secretary), binh (official), hoa (exempt); phuc sits on the committee."""
    async with db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        cell, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 1")
        ids: dict[str, int] = {}
        for user, name, status in (("an", "Nguyễn Văn An", Status.OFFICIAL), ("binh", "Trần Thị Bình", Status.OFFICIAL),
                                   ("hoa", "Đỗ Thị Hoa", Status.EXEMPT), ("phuc", "Trần Văn Phúc", Status.OFFICIAL)):
            member = await org.add_member(session, cell.id if user != "phuc" else None, name, status)
            assert member.id is not None
            ids[user] = member.id
            session.add(ChatAccount(platform="memory", platform_user_id=user, chat_id=user, member_id=member.id))
        await org.grant_role(session, ids["an"], id_of(cell), Position.SECRETARY)
        await org.grant_role(session, ids["phuc"], id_of(committee), Position.COMMITTEE_MEMBER)
        await session.commit()


async def ask(app: Chibo, memory: MemoryChannel, user: str, text: str) -> str:
    memory.take()
    await app.handle(Incoming("memory", user, text, chat_id=user))
    [sent] = memory.take()
    return sent.reply.text


@pytest.fixture
def catalog() -> Catalog:
    return build_catalog((*MODULES, _MEETING_MODULE))


@pytest.fixture
def bot(db: Database, clock: ManualClock, catalog: Catalog, tmp_path: Path) -> tuple[Chibo, MemoryChannel]:
    app = Chibo(db, HandlerSettings(files_dir=str(tmp_path)), clock=clock, catalog=catalog)
    channel = MemoryChannel()
    app.add_channel(channel)
    return app, channel


async def test_the_list_shows_what_this_person_may_use_and_ends_with_how_to_ask_about_one(
    db: Database, bot: tuple[Chibo, MemoryChannel], catalog: Catalog
) -> None:
    await _people(db)
    app, memory = bot
    official = await ask(app, memory, "binh", "/trogiup")
    exempt = await ask(app, memory, "hoa", "/trogiup")
    stranger = await ask(app, memory, "nobody", "/trogiup")
    assert official.splitlines()[-1] == f"{HELP_ENDS} baocao"
    assert exempt.splitlines()[-1] == f"{HELP_ENDS} baocao"
    assert stranger.splitlines()[-1] == f"{HELP_ENDS} thamgia"
    # An exempt member is not shown the commands for meetings they are not expected at.
    assert "/thudu — " in official and "/thudu — " not in exempt
    hidden = [c.name for c in catalog.order if not c.for_exempt and c.menu and c.audience is Audience.MEMBER]
    assert "thudu" in hidden
    for name in hidden:
        assert f"/{name} — " in official and f"/{name} — " not in exempt, name
    # Everything else a member may use, the exempt member sees too.
    assert [line for line in official.splitlines() if not any(f"/{n} — " in line for n in hidden)] == \
        exempt.splitlines()
    assert "/baocao — " in official and "/duyet — " not in official and "/baocao — " not in stranger


async def test_one_command_explained_however_it_is_typed(db: Database, bot: tuple[Chibo, MemoryChannel]) -> None:
    await _people(db)
    app, memory = bot
    answer = await ask(app, memory, "binh", "/trogiup baocao")
    lines = answer.splitlines()
    assert lines[0] == "/baocao — Báo cáo hoạt động (kèm ảnh nếu có)"
    assert lines[1] == "Cách gõ: /baocao [<loại> [ngày] <nội dung>]"
    assert "Ví dụ: /baocao 2 Vận động 5 hộ đóng góp làm đường" in lines
    assert lines[-1] == "Lệnh này chỉ dùng trong tin nhắn riêng với bot."
    for typed in ("/trogiup /baocao", "/TROGIUP BAOCAO", "/trợgiúp báo cáo", "/huongdan bao_cao", "/help Báo Cáo"):
        assert await ask(app, memory, "binh", typed) == answer, typed
    # Aliases lead to their command; a command for others says who it is for.
    explained = await ask(app, memory, "binh", "/trogiup cancel")
    assert explained.startswith("/huy — Hủy thao tác đang làm dở\n") and "Gõ cách khác cũng được: /cancel" in explained
    explained = await ask(app, memory, "binh", "/trogiup duyet")
    assert explained.startswith("/duyet — Duyệt yêu cầu tham gia chi bộ\nCách gõ: /duyet [<số> đồng ý|từ chối]")
    assert explained.endswith("Lệnh này dành cho bí thư, phó bí thư và chi ủy viên của chi bộ.")
    # An exempt member asking about a meeting command is told why it is not in their list.
    assert (await ask(app, memory, "hoa", "/trogiup thudu")).endswith(
        "Đồng chí đang được miễn công tác và sinh hoạt đảng nên không cần dùng lệnh này.")
    assert "miễn công tác" not in await ask(app, memory, "binh", "/trogiup thudu")


async def test_asking_about_a_command_that_does_not_exist(db: Database, bot: tuple[Chibo, MemoryChannel]) -> None:
    await _people(db)
    app, memory = bot
    assert await ask(app, memory, "binh", "/trogiup baocoa") == (
        "Không có lệnh /baocoa. Có phải đồng chí muốn gõ:\n/baocao — Báo cáo hoạt động (kèm ảnh nếu có)\n"
        "/xoabaocao — Xóa một báo cáo của tháng này\nGõ /trogiup để xem tất cả các lệnh đồng chí dùng được.")
    assert await ask(app, memory, "binh", "/trogiup qwerty") == texts.UNKNOWN_COMMAND.format(command="/qwerty")


async def test_an_unknown_command_suggests_the_closest_this_person_may_use(
    db: Database, bot: tuple[Chibo, MemoryChannel]
) -> None:
    await _people(db)
    app, memory = bot
    # A secretary may summarise: /tonhop is a near miss of /tonghop.
    answer = await ask(app, memory, "an", "/tonhop thang")
    assert answer.startswith("Không có lệnh /tonhop. Có phải đồng chí muốn gõ:\n/tonghop — ")
    assert answer.endswith("Gõ /trogiup để xem tất cả các lệnh đồng chí dùng được.")
    # A member may not: nothing they cannot use is suggested.
    assert "/tonghop" not in await ask(app, memory, "binh", "/tonhop")
    # A space in the middle: the two words joined name the command, offered first.
    answer = await ask(app, memory, "binh", "/danh gia 27 62")
    assert answer.startswith("Không có lệnh /danh. Có phải đồng chí muốn gõ:\n/danhgia — ")
    # A stranger is offered only what a stranger may use.
    answer = await ask(app, memory, "nobody", "/tham gia ABC")
    assert answer.startswith("Không có lệnh /tham. Có phải đồng chí muốn gõ:\n/thamgia — ")
    assert "/thamdu" not in answer
    # An exempt member is not offered the meeting commands.
    assert "/thudu" in await ask(app, memory, "binh", "/thudo")
    assert "/thudu" not in await ask(app, memory, "hoa", "/thudo")
    # An underscore or capitals are no mistake: the command runs.
    assert (await ask(app, memory, "binh", "/Bao_Cao 1 Học nghị quyết")).startswith("Đã ghi báo cáo số 1:")


def test_every_command_of_these_modules_says_how_to_use_it_with_an_example() -> None:
    for module in OWN_MODULES:
        for command in module.COMMANDS:
            assert command.details, command.name
            assert "Ví dụ: /" in command.details, command.name


def test_every_flow_of_these_modules_has_a_title() -> None:
    for module in OWN_MODULES:
        for flow in getattr(module, "FLOWS", {}):
            assert getattr(module, "FLOW_TITLES", {}).get(flow), flow
