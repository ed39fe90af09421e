"""`chibo member …` and `chibo cell …`: the operator's way to keep the roster. The same checks and
words as the chat (handlers.roster), recorded with no member as author (by=None); nothing is
written until confirmed (a typed "có", or --yes); exit codes 0 (recorded), 1 (refused or
cancelled), 2 (mistyped command)."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select, select
from sqlmodel import col

from bot.cli import main
from domain.history import EventKind
from domain.vocabulary import Status
from storage.db import Database
from storage.membership import MembershipEvent
from storage.outbox import NOTICE, OutboxMessage
from storage.tables import JoinCode, Member, OrgUnit

TODAY = date(2026, 11, 20)
COMMITTEE = "Đảng bộ xã Tân Phú"
HEADER = "STT,Đảng bộ,Chi bộ,Họ và tên,Giới tính,Năm sinh,Ngày vào Đảng,Ngày chính thức,Chức vụ,Tình trạng,Tài khoản"
ROWS = [
    "1,Đảng bộ xã Tân Phú,Chi bộ ấp 1,Nguyễn Văn An,Nam,1968,03/02/1994,03/02/1995,Bí thư,Chính thức,console:an",
    "2,Đảng bộ xã Tân Phú,Chi bộ ấp 1,Trần Thị Bình,Nữ,1975,02/09/2001,02/09/2002,Đảng viên,Chính thức,",
    "3,Đảng bộ xã Tân Phú,Chi bộ ấp 1,Trần Thị Bình,Nữ,1990,02/09/2015,02/09/2016,Đảng viên,Chính thức,",
    "4,Đảng bộ xã Tân Phú,Chi bộ ấp 1,Phạm Thị Dung,Nữ,1990,03/02/2015,03/02/2016,Đảng viên,Chính thức,",
    "5,Đảng bộ xã Tân Phú,Chi bộ ấp 2,Lê Văn Cường,Nam,1982,19/05/2008,19/05/2009,Bí thư,Chính thức,console:cuong",
]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    """A SQLite file with the committee, cells ấp 1 and ấp 2 from a list, and an empty ấp 3; the
    command line's clock reads 20/11/2026."""
    url = f"sqlite+aiosqlite:///{tmp_path}/roster.db"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr("bot.cli._roster_today",
                        lambda settings: (TODAY, datetime(2026, 11, 20, 2, 0, tzinfo=UTC)))
    sheet = tmp_path / "list.csv"
    sheet.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    assert main(["org", "create-committee", COMMITTEE]) == 0
    assert main(["import", "--tao-chi-bo", str(sheet)]) == 0
    assert main(["org", "create-cell", "--committee", COMMITTEE, "Chi bộ ấp 3"]) == 0
    capsys.readouterr()
    return url


def read(url: str, query: Select[Any]) -> list[Any]:
    """The rows a query selects, read with a connection of its own (the command line closed its own)."""
    async def run() -> list[Any]:
        db = Database(url)
        try:
            async with db.session() as session:
                return list((await session.execute(query)).scalars())
        finally:
            await db.dispose()
    return asyncio.run(run())


def member(url: str, name: str, birth_year: int | None = None) -> Member:
    query = select(Member).where(col(Member.full_name) == name)
    if birth_year is not None:
        query = query.where(col(Member.birth_year) == birth_year)
    (found,) = read(url, query)
    return found


def events(url: str, member_id: int) -> list[MembershipEvent]:
    return read(url, select(MembershipEvent).where(col(MembershipEvent.member_id) == member_id)
                .order_by(col(MembershipEvent.id)))


def test_a_transfer_asks_and_records_on_yes(database: str, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("có\n"))
    assert main(["member", "transfer", "pham thi dung", "--committee", COMMITTEE, "--to", "ấp 2",
                 "--date", "15/11/2026"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Sẽ ghi:\n- Đảng viên: Phạm Thị Dung (Chi bộ ấp 1)\n"
                          "- Thay đổi: chuyển sinh hoạt từ Chi bộ ấp 1 sang Chi bộ ấp 2\n- Từ ngày: 15/11/2026\n")
    assert out.endswith("Đã ghi: Phạm Thị Dung chuyển sinh hoạt từ Chi bộ ấp 1 sang Chi bộ ấp 2 từ ngày 15/11/2026.\n"
                        "Đã báo cho 2 bí thư chi bộ liên quan.\n")
    dung = member(database, "Phạm Thị Dung")
    last = events(database, dung.id or 0)[-1]
    assert (last.kind, last.on, last.recorded_by) == (EventKind.TRANSFERRED, date(2026, 11, 15), None)
    told = read(database, select(OutboxMessage).where(col(OutboxMessage.kind) == NOTICE))
    secretaries = [member(database, "Nguyễn Văn An").id, member(database, "Lê Văn Cường").id]
    assert [row.member_id for row in told] == secretaries
    assert told[0].payload["text"].endswith("(quản trị viên hệ thống ghi).")


@pytest.mark.parametrize("answer", ["không\n", "\n", ""])  # no, an empty line, end of input
def test_anything_but_yes_records_nothing(database: str, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str], answer: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(answer))
    assert main(["member", "leave", "Phạm Thị Dung", "--committee", COMMITTEE, "tutran"]) == 1
    assert capsys.readouterr().out.endswith("Đã hủy: không ghi thay đổi nào.\n")
    assert len(events(database, member(database, "Phạm Thị Dung").id or 0)) == 1


def test_exemption_and_its_end_with_yes(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["member", "exempt", "Phạm Thị Dung", "--committee", COMMITTEE, "--reason", "ốm dài ngày",
                 "--from", "01/11/2026", "--until", "30/06/2027", "--yes"]) == 0
    assert "- Lý do: ốm dài ngày" in capsys.readouterr().out
    assert member(database, "Phạm Thị Dung").status == Status.EXEMPT
    assert main(["member", "exempt", "Phạm Thị Dung", "--committee", COMMITTEE, "--reason", "ốm", "--yes"]) == 1
    assert "đang được miễn công tác và sinh hoạt đảng từ ngày 01/11/2026" in capsys.readouterr().err
    assert main(["member", "end-exemption", "Phạm Thị Dung", "--committee", COMMITTEE, "--yes"]) == 0
    assert member(database, "Phạm Thị Dung").status == Status.OFFICIAL


def test_two_of_one_name_need_the_birth_year(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["member", "leave", "Trần Thị Bình", "--committee", COMMITTEE, "xoaten", "--yes"]) == 1
    assert ("Có 2 đảng viên khớp với «Trần Thị Bình»: Trần Thị Bình (Chi bộ ấp 1, sinh 1975); Trần Thị Bình "
            "(Chi bộ ấp 1, sinh 1990). Thêm --cell hoặc --birth-year.") in capsys.readouterr().err
    assert main(["member", "leave", "Trần Thị Bình", "--committee", COMMITTEE, "xoaten", "--birth-year", "1990",
                 "--date", "18/11/2026", "--reason", "bỏ sinh hoạt 3 tháng", "--yes"]) == 0
    gone = member(database, "Trần Thị Bình", 1990)
    assert gone.active is False and member(database, "Trần Thị Bình", 1975).active is True
    assert (events(database, gone.id or 0)[-1].kind, events(database, gone.id or 0)[-1].reason) == (
        EventKind.REMOVED, "bỏ sinh hoạt 3 tháng")
    # Now one Bình is left on the roll; the other is answered with how she left only when named alone.
    assert main(["member", "transfer", "Trần Thị Bình", "--committee", COMMITTEE, "--out", "Đảng bộ xã Tân Hòa",
                 "--yes"]) == 0


@pytest.mark.parametrize(("argv", "says"), [
    (["member", "transfer", "Phạm Thị Dung", "--committee", "Không có", "--to", "ấp 2"],
     "Không có đảng bộ tên «Không có»."),
    (["member", "transfer", "Nguyễn Văn Tèo", "--committee", COMMITTEE, "--to", "ấp 2"],
     "Không tìm thấy đảng viên «Nguyễn Văn Tèo» đang sinh hoạt trong đảng bộ."),
    (["member", "transfer", "Phạm Thị Dung", "--committee", COMMITTEE, "--to", "ấp 9"],
     "Đảng bộ xã Tân Phú không có chi bộ «ấp 9». Các chi bộ: Chi bộ ấp 1; Chi bộ ấp 2; Chi bộ ấp 3."),
    (["member", "transfer", "Phạm Thị Dung", "--committee", COMMITTEE, "--to", "ấp 1"],
     "Đồng chí Phạm Thị Dung đang sinh hoạt ở Chi bộ ấp 1: không cần chuyển."),
    (["member", "transfer", "Phạm Thị Dung", "--committee", COMMITTEE, "--to", "ấp 2", "--date", "01/12/2026"],
     "Ngày 01/12/2026 chưa tới"),
    (["member", "transfer", "Phạm Thị Dung", "--committee", COMMITTEE, "--to", "ấp 2", "--temporary"],
     "Chuyển sinh hoạt tạm thời cần ngày kết thúc"),
    (["member", "transfer", "Phạm Thị Dung", "--committee", COMMITTEE, "--to", "ấp 2", "--date", "31/02/2026"],
     "Ngày 31/02/2026 không có thật."),
    (["member", "end-exemption", "Phạm Thị Dung", "--committee", COMMITTEE],
     "không được miễn công tác và sinh hoạt đảng"),
    (["member", "exempt", "3", "--committee", COMMITTEE, "--reason", "ốm"], "Gõ họ và tên đảng viên"),
    (["cell", "dissolve", "--committee", COMMITTEE, "ấp 1"], "Chi bộ ấp 1 còn 4 đảng viên đang sinh hoạt"),
    (["cell", "rename", "--committee", COMMITTEE, "ấp 1", "Chi bộ ấp 2"], "Đảng bộ đã có chi bộ tên «Chi bộ ấp 2»."),
    (["cell", "rename", "--committee", COMMITTEE, "ấp 7", "ấp 8"], "Không có chi bộ «ấp 7» trong Đảng bộ xã Tân Phú."),
])
def test_refusals_exit_1_with_the_reason(database: str, capsys: pytest.CaptureFixture[str], argv: list[str],
                                          says: str) -> None:
    assert main([*argv, "--yes"]) == 1
    captured = capsys.readouterr()
    assert says in captured.err and "Đã ghi" not in captured.out
    assert all(len(events(database, m.id or 0)) == 1 for m in read(database, select(Member)))


@pytest.mark.parametrize("argv", [
    ["member", "transfer", "Phạm Thị Dung", "--committee", COMMITTEE],  # neither --to nor --out
    ["member", "transfer", "Phạm Thị Dung", "--committee", COMMITTEE, "--to", "ấp 2", "--out", "Xã khác"],
    ["member", "leave", "Phạm Thị Dung", "--committee", COMMITTEE, "chet"], ["cell", "rename", "ấp 1"],
])
def test_mistyped_commands_exit_2(database: str, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2 and "usage: chibo" in capsys.readouterr().err


def test_member_alone_prints_help_and_exits_2(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["member"]) == 2
    assert main(["cell"]) == 2


def test_a_cell_renamed_and_an_empty_one_dissolved(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cell", "rename", "--committee", COMMITTEE, "Chi bộ ấp 2", "ấp 2B", "--yes"]) == 0
    assert "Đã ghi: Chi bộ ấp 2 đổi tên thành Chi bộ ấp 2B." in capsys.readouterr().out
    assert main(["cell", "dissolve", "--committee", COMMITTEE, "ap 3", "--date", "19/11/2026", "--yes"]) == 0
    assert capsys.readouterr().out.endswith("Đã ghi: Chi bộ ấp 3 giải thể từ ngày 19/11/2026.\n")
    cells = {unit.name: unit for unit in read(database, select(OrgUnit).where(col(OrgUnit.kind) == "cell"))}
    assert set(cells) == {"Chi bộ ấp 1", "Chi bộ ấp 2B", "Chi bộ ấp 3"}
    assert cells["Chi bộ ấp 3"].dissolved_on == date(2026, 11, 19)
    codes = read(database, select(JoinCode).where(col(JoinCode.unit_id) == cells["Chi bộ ấp 3"].id))
    assert codes and all(code.revoked_at is not None for code in codes)
    assert main(["cell", "dissolve", "--committee", COMMITTEE, "Chi bộ ấp 3", "--yes"]) == 1
    assert "Chi bộ ấp 3 đã giải thể từ ngày 19/11/2026." in capsys.readouterr().err
