"""`chibo`: run the bot, chat on the console, run transcripts, migrate, import, manage units."""

from __future__ import annotations

import argparse
import contextlib
import gc
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Start-up stays light: `chibo --help` and a mistyped command are answered by argparse before any
# of SQLAlchemy, pydantic, asyncio or the bot is imported (issue 12). Everything else loads with
# the command that uses it; `tests/test_cli_startup.py` keeps it so.
if TYPE_CHECKING:
    from datetime import date, datetime

    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.settings import Settings
    from domain.roster_changes import Change
    from storage.roster import CellRef
    from storage.tables import OrgUnit

CONSOLE_USER = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # what a console account id may be (as in member lists)
DEMO_USER_HELP = "an"  # bot.demo.DEMO_USER, named in the help without importing bot.demo (a test keeps them equal)


def __getattr__(name: str) -> Any:
    """`DEMO_FILE`, re-exported (tests import the demo list from here) without loading bot.demo at start-up."""
    if name == "DEMO_FILE":
        from bot.demo import DEMO_FILE

        return DEMO_FILE
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """The program (`chibo`, `python -m bot.cli`) when `argv` is None; tests pass their arguments."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    args.program = program = argv is None
    with _starting(program):
        import asyncio

        from bot import log_redaction
        from bot.settings import Settings

        settings = Settings()
        log_redaction.configure(settings)  # level, format, and no token or secret in any record
    try:
        return int(asyncio.run(args.func(settings, args)) or 0)
    except KeyboardInterrupt:
        return 130
    finally:
        if program:
            gc.freeze()  # exiting: the objects go with the process, not through the interpreter's last collection


@contextlib.contextmanager
def _starting(program: bool) -> Iterator[None]:
    """Loading SQLAlchemy, pydantic and the tables makes some 130k objects that live as long as the
    process; the collector would walk them again and again while they load, and once more at exit
    (about a fifth of a 3-line script's time, issue 12). So it pauses while they load, and they are
    frozen: out of its reach (`chibo run` freezes what its start-up built too, bot/runner.py). Only
    in the program itself (`args.program`): a caller's (a test's) objects are left as they were."""
    if not program:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chibo", description="Trợ lý sinh hoạt chi bộ trên Telegram và Zalo.")
    sub = parser.add_subparsers()

    run = sub.add_parser("run", help="chạy bot (không có token: bảng điều khiển với dữ liệu mẫu, "
                                     "không bao giờ ghi vào cơ sở dữ liệu của một đảng bộ khác)")
    run.add_argument("--as", dest="user", type=_console_user,
                     help=f"tên người dùng trên bảng điều khiển dữ liệu mẫu (mặc định: {DEMO_USER_HELP})")
    run.add_argument("--webhook", action="store_true",
                     help="nhận cập nhật qua webhook trên một máy chủ web (PUBLIC_URL, WEB_HOST, WEB_PORT)")
    run.set_defaults(func=_run)

    chat = sub.add_parser("chat", help="trò chuyện trên bảng điều khiển với chính cơ sở dữ liệu đã cấu hình "
                                       "(không nạp dữ liệu mẫu), hoặc chạy một kịch bản")
    chat.add_argument("--as", dest="user", type=_console_user,
                      help="tài khoản console:<tên> để trò chuyện (bắt buộc khi không có --script)")
    chat.add_argument("--script", type=Path, help="tệp kịch bản: dòng 'TÊN: nội dung' và '# time: …'")
    chat.add_argument("--check", action="store_true", help="so sánh với các dòng 'bot -> …' có sẵn trong kịch bản")
    chat.add_argument("--import", dest="preload", type=Path, help="nạp tệp danh sách trước khi chạy kịch bản")
    chat.add_argument("--database", help="cơ sở dữ liệu cho kịch bản (mặc định: một tệp SQLite tạm mới)")
    chat.set_defaults(func=_chat)

    db = sub.add_parser("db", help="cơ sở dữ liệu").add_subparsers()
    db.add_parser("upgrade", help="áp dụng các migration").set_defaults(func=_db_upgrade)

    imp = sub.add_parser("import", help="nhập danh sách đảng viên từ XLSX hoặc CSV")
    imp.add_argument("file", type=Path)
    imp.add_argument("--tao-chi-bo", dest="create_cells", action="store_true",
                     help="tạo chi bộ có trong tệp mà đảng bộ chưa có (không có: báo tên gần giống và không nhập)")
    imp.add_argument("--dong-bo", dest="sync", action="store_true",
                     help="ghi là đã rời chi bộ những đảng viên của chi bộ có trong tệp mà tệp không còn ghi tên")
    imp.add_argument("--ngay", dest="on", metavar="dd/mm/yyyy",
                     help="ngày của danh sách: chuyển chi bộ, đổi tình trạng, rời chi bộ ghi từ ngày này "
                          "(mặc định: hôm nay)")
    imp.set_defaults(func=_import)

    export = sub.add_parser("export", help="xuất tổng hợp của đảng bộ hoặc một chi bộ ra tệp Excel")
    export.add_argument("--committee", required=True, help="tên đảng bộ")
    export.add_argument("--cell", help="tên một chi bộ (mặc định: cả đảng bộ)")
    export.add_argument("--period", default="", help="thang-11-2026, quy-4-2026 hoặc nam-2026 (mặc định: tháng này)")
    export.add_argument("file", type=Path, help="tệp .xlsx sẽ ghi")
    export.set_defaults(func=_export)

    org = sub.add_parser("org", help="tạo đảng bộ, chi bộ").add_subparsers()
    committee = org.add_parser("create-committee", help="tạo đảng bộ và in mã cho bí thư đảng ủy")
    committee.add_argument("name")
    committee.set_defaults(func=_create_committee)
    cell = org.add_parser("create-cell", help="tạo chi bộ và in mã bí thư, mã đảng viên")
    cell.add_argument("--committee", required=True)
    cell.add_argument("name")
    cell.set_defaults(func=_create_cell)
    again = org.add_parser("secretary-code", help="cấp mã bí thư mới (dùng một lần) cho đảng bộ hoặc chi bộ đã có")
    again.add_argument("--committee", required=True)
    again.add_argument("cell", nargs="?", help="tên chi bộ; bỏ trống: mã cho bí thư đảng ủy")
    again.set_defaults(func=_secretary_code)
    _roster_parsers(sub)
    return parser


ROSTER_EPILOG = ("Bot in ra những gì sẽ thay đổi và hỏi lại trước khi ghi (--yes: ghi không hỏi). Ngày gõ dd/mm/yyyy, "
                 "không ghi được ngày chưa tới; bỏ trống: hôm nay. Bí thư các chi bộ liên quan được báo qua bot. "
                 "Mã thoát: 0 đã ghi, 1 không ghi gì (bị từ chối hoặc hủy), 2 gõ sai lệnh.")


def _roster_parsers(sub: Any) -> None:
    """`chibo member …` and `chibo cell …`: the chat's /chuyen, /mien, /roi, /chibo for an operator."""
    member = sub.add_parser("member", help="chuyển sinh hoạt, miễn sinh hoạt, ghi ra khỏi danh sách một đảng viên"
                            ).add_subparsers()

    def person(name: str, help: str) -> argparse.ArgumentParser:
        command = member.add_parser(name, help=help, description=help, epilog=ROSTER_EPILOG)
        command.add_argument("name", metavar="HỌ_TÊN", help="họ và tên đảng viên (có dấu hay không dấu đều được)")
        command.add_argument("--committee", required=True, metavar="ĐẢNG_BỘ", help="tên đảng bộ")
        command.add_argument("--cell", metavar="CHI_BỘ",
                             help="chi bộ đảng viên đang sinh hoạt (khi có nhiều người cùng tên)")
        command.add_argument("--birth-year", type=int, metavar="NĂM", help="năm sinh (khi có nhiều người cùng tên)")
        command.add_argument("--yes", action="store_true", help="ghi luôn, không hỏi lại")
        return command

    transfer = person("transfer", "chuyển sinh hoạt sang chi bộ khác của đảng bộ, hoặc ra khỏi đảng bộ")
    where = transfer.add_mutually_exclusive_group(required=True)
    where.add_argument("--to", metavar="CHI_BỘ", help="chi bộ nơi đến, trong cùng đảng bộ")
    where.add_argument("--out", metavar="NƠI_ĐẾN", help="nơi đến ngoài đảng bộ, ví dụ «Đảng bộ xã Tân Phú»")
    transfer.add_argument("--date", metavar="dd/mm/yyyy", help="ngày chuyển (mặc định: hôm nay)")
    transfer.add_argument("--temporary", action="store_true", help="chuyển sinh hoạt tạm thời (cần --until)")
    transfer.add_argument("--until", metavar="dd/mm/yyyy", help="ngày cuối của chuyển sinh hoạt tạm thời")
    transfer.set_defaults(func=_member_change, change="transfer")
    exempt = person("exempt", "miễn công tác và sinh hoạt đảng")
    exempt.add_argument("--reason", required=True, metavar="LÝ_DO", help="lý do miễn")
    exempt.add_argument("--from", dest="date", metavar="dd/mm/yyyy", help="ngày bắt đầu (mặc định: hôm nay)")
    exempt.add_argument("--until", metavar="dd/mm/yyyy",
                        help="ngày cuối được miễn (bỏ trống: đến khi ghi end-exemption)")
    exempt.set_defaults(func=_member_change, change="exempt")
    end = person("end-exemption", "kết thúc miễn công tác và sinh hoạt đảng")
    end.add_argument("--date", metavar="dd/mm/yyyy", help="ngày kết thúc (mặc định: hôm nay)")
    end.set_defaults(func=_member_change, change="end-exemption")
    leave = person("leave", "ghi đảng viên từ trần (tutran), bị xóa tên (xoaten) hoặc khai trừ (khaitru)")
    leave.add_argument("how", choices=("tutran", "xoaten", "khaitru"), help="tutran, xoaten hoặc khaitru")
    leave.add_argument("--date", metavar="dd/mm/yyyy", help="ngày (mặc định: hôm nay)")
    leave.add_argument("--reason", metavar="LÝ_DO", help="lý do (nếu có)")
    leave.set_defaults(func=_member_change, change="leave")

    cell = sub.add_parser("cell", help="đổi tên, giải thể chi bộ").add_subparsers()
    rename = cell.add_parser("rename", help="đổi tên một chi bộ", description="đổi tên một chi bộ; lịch sử giữ nguyên",
                             epilog=ROSTER_EPILOG)
    rename.add_argument("--committee", required=True, metavar="ĐẢNG_BỘ", help="tên đảng bộ")
    rename.add_argument("old", metavar="TÊN_CŨ", help="tên hiện tại của chi bộ")
    rename.add_argument("new", metavar="TÊN_MỚI", help="tên mới")
    rename.add_argument("--yes", action="store_true", help="ghi luôn, không hỏi lại")
    rename.set_defaults(func=_cell_change, change="rename")
    dissolve = cell.add_parser("dissolve", help="giải thể một chi bộ không còn đảng viên",
                               description="giải thể một chi bộ không còn đảng viên; lịch sử giữ nguyên",
                               epilog=ROSTER_EPILOG)
    dissolve.add_argument("--committee", required=True, metavar="ĐẢNG_BỘ", help="tên đảng bộ")
    dissolve.add_argument("name", metavar="CHI_BỘ", help="tên chi bộ")
    dissolve.add_argument("--date", metavar="dd/mm/yyyy", help="ngày giải thể (mặc định: hôm nay)")
    dissolve.add_argument("--yes", action="store_true", help="ghi luôn, không hỏi lại")
    dissolve.set_defaults(func=_cell_change, change="dissolve")


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot import runner
    from bot.demo import DEMO_USER

    return await runner.run(settings, user=args.user or DEMO_USER, webhook=args.webhook)


async def _chat(settings: Settings, args: argparse.Namespace) -> int:
    if args.script is None:
        if args.user is None:
            print("chibo chat mở bảng điều khiển trên chính cơ sở dữ liệu đã cấu hình (DATABASE_URL), không nạp dữ "
                  "liệu mẫu: cần nêu tài khoản, ví dụ chibo chat --as an. Muốn thử dữ liệu mẫu: chibo run.",
                  file=sys.stderr)
            return 2
        with _starting(args.program):
            from bot import runner
        return await runner.console(settings, user=args.user)
    with _starting(args.program):
        from bot.chat_script import script

    if args.database:
        settings = settings.model_copy(update={"database_url": args.database})
        return await script(settings, args.script, check=args.check, preload=args.preload)
    import asyncio
    import tempfile

    from bot.schema_template import fresh_database

    with tempfile.TemporaryDirectory() as folder:  # a new database at the newest schema: a template's copy
        url = await asyncio.to_thread(fresh_database, Path(folder) / "script.db")
        settings = settings.model_copy(update={"database_url": url})
        return await script(settings, args.script, check=args.check, preload=args.preload, migrate=False)


def _console_user(value: str) -> str:
    """A console account id as member lists write it (`console:<tên>`): no spaces, at most 64 characters."""
    if not CONSOLE_USER.fullmatch(value):
        raise argparse.ArgumentTypeError(f"«{value}» không dùng được: tên trên bảng điều khiển gồm 1–64 chữ cái "
                                         "không dấu, chữ số, «.», «_» hoặc «-», ví dụ an")
    return value


async def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from storage.migrate import upgrade

    await asyncio.to_thread(upgrade, settings.database_url)
    print("Cơ sở dữ liệu đã ở phiên bản mới nhất.")
    return 0


async def _import(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.wiring import open_database
    from domain.dates import DateError, Direction, parse_date
    from storage.importer import ImportFailed, ImportOptions, import_file

    today = datetime.now(ZoneInfo(settings.timezone)).date()  # the deployment's date, as every command
    try:
        on = parse_date(args.on, today, Direction.PAST) if args.on else None
    except DateError as error:
        print(f"--ngay: {error}", file=sys.stderr)
        return 2
    options = ImportOptions(create_cells=args.create_cells, sync=args.sync, on=on)
    db = await open_database(settings.database_url)
    try:
        result = await import_file(db, args.file, today=today, options=options)
    except ImportFailed as failure:
        print(str(failure), file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(result.summary())
    return 0


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.export import run_export

    return await run_export(settings, args.committee, args.cell, args.period, args.file)


@contextlib.asynccontextmanager
async def _unit_of_work(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A migrated database and one committed session, for the `org` sub-commands."""
    from bot.wiring import open_database

    db = await open_database(settings.database_url)
    try:
        async with db.session() as session:
            yield session
            await session.commit()
    finally:
        await db.dispose()


async def _create_committee(settings: Settings, args: argparse.Namespace) -> int:
    from domain.vocabulary import executive_name
    from storage import org

    try:
        async with _unit_of_work(settings) as session:
            unit, code = await org.create_committee(session, args.name)
    except org.OrgError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(f"Đã tạo {unit.name}.\nMã cho Bí thư {executive_name(unit.name)} (dùng một lần): {code.code}\n"
          f"Bí thư {executive_name(unit.name)} nhắn cho bot: /thamgia {code.code} <Họ và tên>")
    return 0


async def _create_cell(settings: Settings, args: argparse.Namespace) -> int:
    from storage import org

    try:
        async with _unit_of_work(settings) as session:
            committee = await org.find_committee(session, args.committee)
            if committee is None:
                raise org.OrgError(f"Không có đảng bộ tên «{args.committee}».")
            unit, secretary, member = await org.create_cell(session, committee, args.name)
    except org.OrgError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(f"Đã tạo {unit.name} thuộc {committee.name}.\nMã bí thư (dùng một lần): {secretary.code}\n"
          f"Mã đảng viên: {member.code}")
    return 0


async def _secretary_code(settings: Settings, args: argparse.Namespace) -> int:
    """A cell imported from a list has no secretary code yet; a lost code needs a new one."""
    from storage import org
    from storage.types import id_of

    try:
        async with _unit_of_work(settings) as session:
            unit = await org.find_committee(session, args.committee)
            if unit is not None and args.cell:
                unit = await org.find_cell(session, unit.id, args.cell)
            if unit is None:
                raise org.OrgError(f"Không tìm thấy «{args.cell or args.committee}».")
            code = await org.issue_code(session, id_of(unit), org.SECRETARY_CODE)
    except org.OrgError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(f"Mã bí thư {unit.name} (dùng một lần): {code.code}\nNhắn cho bot: /thamgia {code.code} <Họ và tên>")
    return 0


# -- keeping the roster: `chibo member …`, `chibo cell …` ------------------------------------------------

class _Cancelled(Exception):
    """The operator answered no: nothing is committed."""


def _ask(details: list[str], yes: bool) -> None:
    """Show what will change and ask; raises `_Cancelled` (the unit of work rolls back) on no."""
    if not _confirmed(details, yes):
        raise _Cancelled


async def _recorded_or_refused(change: Callable[[], Awaitable[str]]) -> int:
    """Run one roster change and turn its outcome into what the operator sees and an exit code:
    0 recorded, 1 refused (the rule's Vietnamese reason) or cancelled."""
    from domain.errors import UserError

    try:
        print(await change())
    except UserError as error:
        print(str(error), file=sys.stderr)
        return 1
    except _Cancelled:
        print("Đã hủy: không ghi thay đổi nào.")
        return 1
    return 0


def _confirmed(details: list[str], yes: bool) -> bool:
    """Print what will change; ask unless --yes (no answer, or end of input, is no)."""
    from domain.text import yes_or_no

    print("\n".join(["Sẽ ghi:", *details]))
    if yes:
        return True
    try:
        answer = input("Ghi thay đổi này? Gõ «có» để ghi, «không» để thôi: ")
    except EOFError:
        answer = ""
    return yes_or_no(answer) is True


def _roster_today(settings: Settings) -> tuple[date, datetime]:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    now = datetime.now(UTC)
    return now.astimezone(ZoneInfo(settings.timezone)).date(), now


async def _member_change(settings: Settings, args: argparse.Namespace) -> int:
    """One member's transfer, exemption, its end, or leaving, checked and worded as in the chat
    (handlers.roster), recorded with no member as its author (by=None)."""
    from handlers import roster

    today, now = _roster_today(settings)

    async def change() -> str:
        async with _unit_of_work(settings) as session:
            plan = await roster.plan_change(session, await _change_from(session, args, today), today)
            _ask(plan.details, args.yes)
            return await roster.carry_out(session, plan, today=today, now=now, by=None)

    return await _recorded_or_refused(change)


async def _change_from(session: AsyncSession, args: argparse.Namespace, today: date) -> Change:
    """The `domain.roster_changes.Change` the arguments ask for (a UserError names what is wrong)."""
    from domain.dates import Direction, parse_date
    from domain.errors import UserError
    from domain.history import Event, EventKind
    from domain.roster_changes import Change, leave_kind
    from storage import roster

    committee, cells = await _committee_cells(session, args.committee)
    member_id = await _one_member(session, cells, args.name, args.cell, args.birth_year)
    on = parse_date(args.date, today, Direction.PAST) if args.date else today
    until = parse_date(args.until, today, Direction.FUTURE) if getattr(args, "until", None) else None
    if args.change == "transfer":
        cell_id = None
        if args.to:
            found, left = roster.split_cell(cells, args.to)
            if found is None or left:
                known = "; ".join(cell.name for cell in cells)
                raise UserError(f"{committee.name} không có chi bộ «{args.to}». Các chi bộ: {known}.")
            cell_id = found.cell_id
        event = Event(EventKind.TRANSFERRED, on, cell_id=cell_id, until=until, temporary=args.temporary)
        return Change(member_id, event, other_unit=args.out.strip() if args.out else None)
    if args.change == "exempt":
        return Change(member_id, Event(EventKind.EXEMPTED, on, until=until), reason=args.reason.strip())
    if args.change == "end-exemption":
        return Change(member_id, Event(EventKind.EXEMPTION_ENDED, on))
    kind = leave_kind(args.how)
    assert kind is not None  # argparse allowed only the three words
    return Change(member_id, Event(kind, on), reason=(args.reason or "").strip() or None)


async def _committee_cells(session: AsyncSession, name: str) -> tuple[OrgUnit, list[CellRef]]:
    """The committee named and its cells (not the dissolved ones)."""
    from domain.errors import UserError
    from storage import org, roster
    from storage.types import id_of

    committee = await org.find_committee(session, name)
    if committee is None:
        raise UserError(f"Không có đảng bộ tên «{name}».")
    return committee, await roster.cells_of(session, [id_of(committee)])


async def _one_member(session: AsyncSession, cells: list[CellRef], name: str, cell_name: str | None,
                      birth_year: int | None) -> int:
    """The one active member of the committee's cells these arguments name."""
    from sqlalchemy import select
    from sqlmodel import col

    from domain.errors import UserError
    from domain.roster_changes import gone_text
    from domain.text import whole_number
    from storage import membership, roster
    from storage import roster_changes as changes
    from storage.tables import Member

    if whole_number(name) is not None:
        raise UserError("Gõ họ và tên đảng viên (số thứ tự chỉ dùng trong danh sách một chi bộ trên bot).")
    if cell_name:
        found, left = roster.split_cell(cells, cell_name)
        if found is None or left:
            raise UserError(f"Không có chi bộ «{cell_name}» trong đảng bộ.")
        cells = [found]
    names = {cell.cell_id: cell.name for cell in cells}
    matches = roster.find(await roster.cell_roster(session, list(names)), name)
    rows = await session.execute(select(col(Member.id), col(Member.birth_year))
                                 .where(col(Member.id).in_([entry.member_id for entry in matches])))
    years: dict[int | None, int | None] = {row[0]: row[1] for row in rows}
    if birth_year is not None:
        matches = [entry for entry in matches if years[entry.member_id] == birth_year]
    if len(matches) == 1:
        return matches[0].member_id
    if matches:
        shown = "; ".join(f"{entry.full_name} ({names[entry.cell_id]}, sinh {years[entry.member_id] or '?'})"
                          for entry in matches)
        raise UserError(f"Có {len(matches)} đảng viên khớp với «{name}»: {shown}. Thêm --cell hoặc --birth-year.")
    former = [roster.Entry(0, f.member_id, f.cell_id, f.full_name, f.name_key, "")
              for f in await changes.former_members(session, list(names))]
    gone = roster.find(former, name)
    if len(gone) == 1:
        raise UserError(gone_text(await membership.events_of(session, gone[0].member_id), gone[0].full_name))
    raise UserError(f"Không tìm thấy đảng viên «{name}» đang sinh hoạt trong đảng bộ.")


async def _cell_change(settings: Settings, args: argparse.Namespace) -> int:
    """A cell renamed or dissolved, checked and worded as in the chat's /chibo."""
    from domain.dates import Direction, parse_date
    from domain.errors import UserError
    from handlers import roster as keeping
    from storage import org, roster

    today, now = _roster_today(settings)

    async def change() -> str:
        async with _unit_of_work(settings) as session:
            committee, cells = await _committee_cells(session, args.committee)
            typed = args.old if args.change == "rename" else args.name
            found, left = roster.split_cell(cells, typed)
            if found is None or left:
                gone = await org.find_cell(session, committee.id, typed)
                if gone is not None and gone.dissolved_on is not None:
                    raise UserError(f"{gone.name} đã giải thể từ ngày {gone.dissolved_on:%d/%m/%Y}.")
                raise UserError(f"Không có chi bộ «{typed}» trong {committee.name}. Các chi bộ: "
                                + "; ".join(cell.name for cell in cells) + ".")
            cell = await org.unit(session, found.cell_id)
            if args.change == "rename":
                plan = await keeping.plan_rename(session, cell, args.new)
            else:
                on = parse_date(args.date, today, Direction.PAST) if args.date else today
                plan = await keeping.plan_dissolve(session, cell, on, today)
            _ask(plan.details, args.yes)
            return await keeping.carry_out(session, plan, today=today, now=now, by=None)

    return await _recorded_or_refused(change)


if __name__ == "__main__":
    raise SystemExit(main())
