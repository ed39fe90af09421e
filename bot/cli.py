"""`chibo`: run the bot, chat on the console, run transcripts, migrate, import, manage units."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.demo import DEMO_FILE as DEMO_FILE  # re-exported: tests import the demo list from here
from bot.demo import DEMO_USER
from bot.settings import Settings
from storage.types import id_of

CONSOLE_USER = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # what a console account id may be (as in member lists)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(asyncio.run(args.func(settings, args)) or 0)
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chibo", description="Trợ lý sinh hoạt chi bộ trên Telegram và Zalo.")
    sub = parser.add_subparsers()

    run = sub.add_parser("run", help="chạy bot (không có token: bảng điều khiển với dữ liệu mẫu, "
                                     "không bao giờ ghi vào cơ sở dữ liệu của một đảng bộ khác)")
    run.add_argument("--as", dest="user", type=_console_user, default=DEMO_USER,
                     help="tên người dùng trên bảng điều khiển dữ liệu mẫu (mặc định: an)")
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
    return parser


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot import runner

    return await runner.run(settings, user=args.user, webhook=args.webhook)


async def _chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot import runner

    if args.script is None:
        if args.user is None:
            print("chibo chat mở bảng điều khiển trên chính cơ sở dữ liệu đã cấu hình (DATABASE_URL), không nạp dữ "
                  "liệu mẫu: cần nêu tài khoản, ví dụ chibo chat --as an. Muốn thử dữ liệu mẫu: chibo run.",
                  file=sys.stderr)
            return 2
        return await runner.console(settings, user=args.user)
    if args.database:
        settings = settings.model_copy(update={"database_url": args.database})
        return await runner.script(settings, args.script, check=args.check, preload=args.preload)
    with tempfile.TemporaryDirectory() as folder:
        settings = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{folder}/script.db"})
        return await runner.script(settings, args.script, check=args.check, preload=args.preload)


def _console_user(value: str) -> str:
    """A console account id as member lists write it (`console:<tên>`): no spaces, at most 64 characters."""
    if not CONSOLE_USER.fullmatch(value):
        raise argparse.ArgumentTypeError(f"«{value}» không dùng được: tên trên bảng điều khiển gồm 1–64 chữ cái "
                                         "không dấu, chữ số, «.», «_» hoặc «-», ví dụ an")
    return value


async def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    await asyncio.to_thread(upgrade, settings.database_url)
    print("Cơ sở dữ liệu đã ở phiên bản mới nhất.")
    return 0


async def _import(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import datetime

    from bot.wiring import open_database
    from domain.dates import DateError, Direction, parse_date
    from storage.importer import TZ, ImportFailed, ImportOptions, import_file

    today = datetime.now(TZ).date()
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


if __name__ == "__main__":
    raise SystemExit(main())
