"""The member import: what a good file puts in the database, what a bad one is refused for."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import col, select

from bot.cli import DEMO_FILE
from bot.cli import main as cli_main
from domain.history import Event, EventKind
from domain.vocabulary import Position, Status, UnitKind
from storage import membership, org
from storage.db import Database
from storage.importer import ImportFailed, ImportOptions, ImportResult, import_file
from storage.membership import MembershipEvent, MembershipSpan
from storage.tables import ChatAccount, Member, OrgUnit, Role
from storage.types import id_of, stored_id

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 11, 22)
HEADER = ["Đảng bộ", "Chi bộ", "Họ và tên", "Giới tính", "Năm sinh", "Ngày vào Đảng", "Ngày chính thức",
          "Chức vụ", "Tình trạng", "Tài khoản"]
GOOD = ["Đảng bộ phường Bến Thành", "Chi bộ khu phố 1", "Nguyễn Văn An", "Nam", "1968", "03/02/1994",
        "03/02/1995", "Bí thư", "Chính thức", "console:an"]


# -- helpers ---------------------------------------------------------------------------------------

def write_csv(folder: Path, rows: list[list[str]], header: list[str] = HEADER, name: str = "list.csv",
              delimiter: str = ",") -> Path:
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def row(**changes: str) -> list[str]:
    """The good row with some columns changed, by header (e.g. row(**{"Năm sinh": "75"}))."""
    values = dict(zip(HEADER, GOOD, strict=True))
    values.update(changes)
    return [values[h] for h in HEADER]


async def counts(db: Database) -> dict[str, int]:
    async with db.session() as session:
        return {
            table.__name__: (await session.exec(select(func.count()).select_from(table))).one()
            for table in (OrgUnit, Member, Role, ChatAccount)
        }


async def members(db: Database) -> dict[str, Member]:
    async with db.session() as session:
        return {m.full_name: m for m in (await session.exec(select(Member))).all()}


async def roles(db: Database) -> set[tuple[str, str, str]]:
    """(member name, unit name, role)."""
    async with db.session() as session:
        found = (await session.exec(
            select(Member.full_name, OrgUnit.name, Role.role)
            .join(Member, col(Member.id) == col(Role.member_id))
            .join(OrgUnit, col(OrgUnit.id) == col(Role.unit_id))
        )).all()
    return {(name, unit, role) for name, unit, role in found}


async def accounts(db: Database) -> dict[str, str | None]:
    """'platform:id' → the linked member's name."""
    async with db.session() as session:
        found = (await session.exec(
            select(ChatAccount.platform, ChatAccount.platform_user_id, ChatAccount.chat_id, Member.full_name)
            .join(Member, col(Member.id) == col(ChatAccount.member_id), isouter=True)
        )).all()
    assert all(user_id == chat_id for _p, user_id, chat_id, _n in found)
    return {f"{platform}:{user_id}": name for platform, user_id, _chat, name in found}


async def units(db: Database) -> dict[str, OrgUnit]:
    async with db.session() as session:
        return {u.name: u for u in (await session.exec(select(OrgUnit))).all()}


async def refused(db: Database, path: Path, today: date | None = TODAY,
                  options: ImportOptions = ImportOptions()) -> ImportFailed:
    before = await counts(db)
    with pytest.raises(ImportFailed) as failure:
        await import_file(db, path, today=today, options=options)
    assert await counts(db) == before, "a refused file must leave the database as it was"
    return failure.value


# -- good files --------------------------------------------------------------------------------

async def test_good_csv_fills_the_database(db: Database) -> None:
    result = await import_file(db, DATA / "members.csv", today=TODAY)

    assert isinstance(result, ImportResult)
    assert (result.members, result.created, result.updated, result.unchanged) == (6, 6, 0, 0)
    assert (result.committees_created, result.cells_created) == (1, 2)
    assert result.roles_added == 5
    assert result.accounts_linked == 6
    assert result.summary() == (
        "Đã nhập 6 đảng viên: 6 mới, 0 chuyển chi bộ, 0 cập nhật, 0 không đổi; 0 rời chi bộ; 1 đảng bộ, 2 chi bộ mới; "
        "5 chức vụ mới, 0 chức vụ bỏ; 6 tài khoản liên kết.\n"
        "Mới: Nguyễn Thị Mai (Chi bộ ấp 1), Lê Văn Tâm (Chi bộ ấp 1), Phạm Văn Sáu (Chi bộ ấp 1), "
        "Võ Thị Hạnh (Chi bộ ấp 2), Huỳnh Văn Tư (Chi bộ ấp 2), Đinh Công Thành (Đảng bộ xã Tân Phú).")
    assert await counts(db) == {"OrgUnit": 3, "Member": 6, "Role": 5, "ChatAccount": 6}

    found = await units(db)
    committee, cell1, cell2 = found["Đảng bộ xã Tân Phú"], found["Chi bộ ấp 1"], found["Chi bộ ấp 2"]
    assert (committee.kind, committee.parent_id, committee.name_key) == (UnitKind.COMMITTEE, None, "dang bo xa tan phu")
    assert (cell1.kind, cell1.parent_id, cell1.name_key) == (UnitKind.CELL, committee.id, "chi bo ap 1")
    assert (cell2.kind, cell2.parent_id) == (UnitKind.CELL, committee.id)

    people = await members(db)
    mai = people["Nguyễn Thị Mai"]
    assert (mai.cell_id, mai.name_key, mai.gender, mai.birth_year, mai.status) == (
        cell1.id, "nguyen thi mai", "nu", 1972, Status.OFFICIAL)
    assert (mai.admitted_on, mai.official_on) == (date(1998, 3, 15), date(1999, 3, 15))
    tam = people["Lê Văn Tâm"]
    assert (tam.gender, tam.status, tam.admitted_on, tam.official_on) == (
        "nam", Status.OFFICIAL, date(2005, 9, 2), date(2006, 9, 2))  # empty status = official; d/m/yyyy dates
    assert (people["Phạm Văn Sáu"].status, people["Phạm Văn Sáu"].gender) == (Status.EXEMPT, "nam")
    hanh = people["Võ Thị Hạnh"]
    assert (hanh.cell_id, hanh.status, hanh.gender, hanh.official_on) == (cell2.id, Status.PROBATIONARY, "nu", None)
    assert people["Huỳnh Văn Tư"].cell_id == cell2.id
    assert people["Đinh Công Thành"].cell_id is None  # committee staff: no cell

    assert await roles(db) == {
        ("Nguyễn Thị Mai", "Chi bộ ấp 1", Position.SECRETARY),
        ("Nguyễn Thị Mai", "Đảng bộ xã Tân Phú", Position.COMMITTEE_MEMBER),
        ("Lê Văn Tâm", "Chi bộ ấp 1", Position.DEPUTY),
        ("Huỳnh Văn Tư", "Chi bộ ấp 2", Position.CELL_COMMITTEE),
        ("Đinh Công Thành", "Đảng bộ xã Tân Phú", Position.SECRETARY),
    }
    assert await accounts(db) == {
        "telegram:123456": "Nguyễn Thị Mai",
        "zalo:6ede9a1b2c3d": "Nguyễn Thị Mai",
        "telegram:223344": "Lê Văn Tâm",
        "zalo:a1b2c3": "Võ Thị Hạnh",
        "console:tu": "Huỳnh Văn Tư",
        "telegram:987654321": "Đinh Công Thành",
    }


async def test_good_xlsx_with_real_dates_and_a_title_row(db: Database, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["DANH SÁCH ĐẢNG VIÊN"])  # a title line above the header is common
    sheet.append(["STT", "HỌ VÀ TÊN", "Chi bộ", "Đảng bộ", "Năm sinh", "Giới tính", "Ngày vào Đảng",
                  "Ngày chính thức", "Tình trạng", "Chức vụ", "Tài khoản"])
    sheet.append([1, "Nguyễn Văn An", "Chi bộ khu phố 1", "Đảng bộ phường Bến Thành", 1968, "Nam",
                  datetime(1994, 2, 3), datetime(1995, 2, 3), "Chính thức", "Bí thư", "telegram:111222"])
    sheet.append([2, "Trần Thị Bình", "Chi bộ khu phố 1", "Đảng bộ phường Bến Thành", 1975.0, "Nữ",
                  "2/9/2001", "02/09/2002", "Dự bị", "Phó bí thư; Chi ủy viên", "zalo:abc123, console:binh"])
    sheet.append([None] * 11)
    sheet.append([3, "Trần Văn Phúc", None, "Đảng bộ phường Bến Thành", "1971", "nam",
                  date(1996, 5, 19), None, None, "Phó bí thư đảng bộ; Cấp ủy viên", None])
    path = tmp_path / "danh_sach.xlsx"
    book.save(path)

    result = await import_file(db, path, today=TODAY)

    assert (result.members, result.created, result.committees_created, result.cells_created) == (3, 3, 1, 1)
    assert (result.roles_added, result.accounts_linked) == (5, 3)
    assert await counts(db) == {"OrgUnit": 2, "Member": 3, "Role": 5, "ChatAccount": 3}
    people = await members(db)
    an, binh, phuc = people["Nguyễn Văn An"], people["Trần Thị Bình"], people["Trần Văn Phúc"]
    assert (an.birth_year, an.admitted_on, an.official_on, an.gender) == (
        1968, date(1994, 2, 3), date(1995, 2, 3), "nam")
    assert (binh.birth_year, binh.admitted_on, binh.status, binh.gender) == (1975, date(2001, 9, 2),
        "probationary", "nu")
    assert (phuc.cell_id, phuc.status, phuc.admitted_on, phuc.official_on) == (None, "official", date(1996, 5,
        19), None)
    assert await roles(db) == {
        ("Nguyễn Văn An", "Chi bộ khu phố 1", Position.SECRETARY),
        ("Trần Thị Bình", "Chi bộ khu phố 1", Position.DEPUTY),
        ("Trần Thị Bình", "Chi bộ khu phố 1", Position.CELL_COMMITTEE),
        ("Trần Văn Phúc", "Đảng bộ phường Bến Thành", Position.DEPUTY),
        ("Trần Văn Phúc", "Đảng bộ phường Bến Thành", Position.COMMITTEE_MEMBER),
    }
    assert await accounts(db) == {
        "telegram:111222": "Nguyễn Văn An", "zalo:abc123": "Trần Thị Bình", "console:binh": "Trần Thị Bình",
    }


async def test_bad_row_in_xlsx_is_named_by_its_spreadsheet_row(db: Database, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(GOOD)
    bad: list[object] = list(row(**{"Họ và tên": "Trần Thị Bình", "Tài khoản": ""}))
    bad[HEADER.index("Ngày vào Đảng")] = datetime(2027, 1, 1)  # a date cell, as a spreadsheet stores one
    sheet.append(bad)
    path = tmp_path / "sai.xlsx"
    book.save(path)

    failure = await refused(db, path)

    assert "Dòng 3: Ngày vào Đảng 01/01/2027 ở tương lai" in str(failure)
    assert "Dòng 2" not in str(failure)


async def test_headers_without_diacritics_and_semicolons(db: Database) -> None:
    result = await import_file(db, DATA / "khong_dau.csv", today=TODAY)

    assert (result.members, result.created, result.cells_created, result.roles_added) == (2, 2, 1, 1)
    people = await members(db)
    assert people["Mai Thi Ba"].status == Status.PROBATIONARY
    assert people["Tran Van Hai"].admitted_on == date(2002, 5, 5)
    assert await accounts(db) == {"console:hai": "Tran Van Hai"}


async def test_reimport_updates_and_duplicates_nothing(db: Database, tmp_path: Path) -> None:
    """Issue 10 changed this test: the name typed without diacritics no longer replaces the one
    written with them (it used to become "nguyen thi mai"); the row is still Mai, found by her
    Telegram account although the birth year differs."""
    await import_file(db, DATA / "members.csv", today=TODAY)
    before = await counts(db)
    text = (DATA / "members.csv").read_text(encoding="utf-8")
    changed = tmp_path / "members.csv"
    changed.write_text(text.replace("Nguyễn Thị Mai,Nữ,1972", "nguyen thi mai,Nữ,1973"), encoding="utf-8")

    result = await import_file(db, changed, today=TODAY)

    assert (result.members, result.created, result.updated, result.unchanged) == (6, 0, 1, 5)
    assert (result.committees_created, result.cells_created, result.roles_added, result.accounts_linked) == (0, 0, 0, 0)
    assert await counts(db) == before
    people = await members(db)
    assert people["Nguyễn Thị Mai"].birth_year == 1973
    assert result.summary() == (
        "Đã nhập 6 đảng viên: 0 mới, 0 chuyển chi bộ, 1 cập nhật, 5 không đổi; 0 rời chi bộ; 0 đảng bộ, 0 chi bộ mới; "
        "0 chức vụ mới, 0 chức vụ bỏ; 0 tài khoản liên kết.\n"
        "Thay đổi: Nguyễn Thị Mai (năm sinh).")


async def test_roles_in_the_file_replace_the_members_roles(db: Database, tmp_path: Path) -> None:
    """Issue 10 changed this test (it was "adds roles and never removes them"): An is no longer
    the cell's secretary once the file says he is only a committee member."""
    await import_file(db, write_csv(tmp_path, [GOOD]), today=TODAY)
    result = await import_file(db, write_csv(tmp_path, [row(**{"Chức vụ": "Đảng ủy viên"})]), today=TODAY)

    assert (result.created, result.updated, result.roles_added, result.roles_removed) == (0, 1, 1, 1)
    assert await roles(db) == {("Nguyễn Văn An", "Đảng bộ phường Bến Thành", Position.COMMITTEE_MEMBER)}
    assert result.changed_names == [
        "Nguyễn Văn An (thêm chức vụ Đảng ủy viên; bỏ chức vụ Bí thư Chi bộ khu phố 1)"]

    # "Đảng viên" (or an empty cell) is no role: the committee seat goes too.
    result = await import_file(db, write_csv(tmp_path, [row(**{"Chức vụ": "Đảng viên"})]), today=TODAY)
    assert (result.roles_added, result.roles_removed) == (0, 1)
    assert await roles(db) == set()


async def test_a_file_without_roles_column_leaves_roles_alone(db: Database, tmp_path: Path) -> None:
    await import_file(db, write_csv(tmp_path, [GOOD]), today=TODAY)
    header = [h for h in HEADER if h != "Chức vụ"]
    short = [value for h, value in zip(HEADER, GOOD, strict=True) if h != "Chức vụ"]

    result = await import_file(db, write_csv(tmp_path, [short], header=header), today=TODAY)

    assert (result.unchanged, result.roles_removed) == (1, 0)
    assert await roles(db) == {("Nguyễn Văn An", "Chi bộ khu phố 1", Position.SECRETARY)}


async def test_roles_held_in_another_committee_are_not_the_files_business(db: Database, tmp_path: Path) -> None:
    await import_file(db, write_csv(tmp_path, [GOOD]), today=TODAY)
    async with db.session() as session:
        other, _code = await org.create_committee(session, "Đảng bộ phường Sài Gòn")
        an = (await session.exec(select(Member))).one()
        await org.grant_role(session, id_of(an), id_of(other), Position.COMMITTEE_MEMBER)
        await session.commit()

    result = await import_file(db, write_csv(tmp_path, [row(**{"Chức vụ": ""})]), today=TODAY)

    assert result.roles_removed == 1
    assert await roles(db) == {("Nguyễn Văn An", "Đảng bộ phường Sài Gòn", Position.COMMITTEE_MEMBER)}


async def test_empty_cells_keep_what_is_known(db: Database, tmp_path: Path) -> None:
    await import_file(db, write_csv(tmp_path, [GOOD]), today=TODAY)
    blank = row(**{"Giới tính": "", "Năm sinh": "", "Ngày vào Đảng": "", "Ngày chính thức": "", "Tài khoản": ""})
    result = await import_file(db, write_csv(tmp_path, [blank]), today=TODAY)

    assert (result.updated, result.unchanged) == (0, 1)
    an = (await members(db))["Nguyễn Văn An"]
    assert (an.gender, an.birth_year, an.admitted_on, an.official_on) == (
        "nam", 1968, date(1994, 2, 3), date(1995, 2, 3))


async def test_a_file_without_status_column_leaves_status_alone(db: Database, tmp_path: Path) -> None:
    await import_file(db, write_csv(tmp_path, [row(**{"Tình trạng": "Miễn sinh hoạt"})]), today=TODAY)
    header = [h for h in HEADER if h != "Tình trạng"]
    short = [value for h, value in zip(HEADER, GOOD, strict=True) if h != "Tình trạng"]
    await import_file(db, write_csv(tmp_path, [short], header=header), today=TODAY)

    assert (await members(db))["Nguyễn Văn An"].status == Status.EXEMPT


async def test_existing_units_are_matched_by_folded_name(db: Database, tmp_path: Path) -> None:
    async with db.session() as session:
        committee, _code = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        await org.create_cell(session, committee, "Chi bộ khu phố 1")
        await session.commit()
    shouted = row(**{"Đảng bộ": "ĐẢNG BỘ PHƯỜNG BẾN THÀNH", "Chi bộ": "chi bo khu pho 1"})

    result = await import_file(db, write_csv(tmp_path, [shouted]), today=TODAY)

    assert (result.committees_created, result.cells_created) == (0, 0)
    assert set(await units(db)) == {"Đảng bộ phường Bến Thành", "Chi bộ khu phố 1"}


async def test_same_name_in_two_cells_is_two_people(db: Database, tmp_path: Path) -> None:
    other = row(**{"Chi bộ": "Chi bộ khu phố 2", "Tài khoản": "console:an2", "Chức vụ": ""})
    result = await import_file(db, write_csv(tmp_path, [GOOD, other]), today=TODAY)

    assert result.created == 2
    assert (await counts(db))["Member"] == 2


async def test_an_account_that_already_wrote_to_the_bot_is_linked(db: Database, tmp_path: Path) -> None:
    async with db.session() as session:
        session.add(ChatAccount(platform="console", platform_user_id="an", chat_id="an", display_name="an"))
        await session.commit()

    result = await import_file(db, write_csv(tmp_path, [GOOD]), today=TODAY)

    assert result.accounts_linked == 1
    assert await accounts(db) == {"console:an": "Nguyễn Văn An"}


async def test_account_of_another_member_is_a_row_error(db: Database, tmp_path: Path) -> None:
    await import_file(db, write_csv(tmp_path, [GOOD]), today=TODAY)
    binh = row(**{"Họ và tên": "Trần Thị Bình", "Chức vụ": "", "Tài khoản": "console:an"})

    failure = await refused(db, write_csv(tmp_path, [binh]))

    assert "Dòng 2: Tài khoản console:an đã liên kết với đảng viên khác (Nguyễn Văn An)" in str(failure)


async def test_one_bad_row_refuses_the_whole_file(db: Database) -> None:
    failure = await refused(db, DATA / "bad_row.csv")

    message = str(failure)
    assert message.startswith("Không nhập được tệp bad_row.csv: 1 dòng có lỗi")
    assert "Dòng 4: Ngày vào Đảng «2005-09-02» không đúng dạng ngày/tháng/năm" in message
    assert "Tình trạng «Tạm nghỉ» không hợp lệ" in message
    assert [number for number, _why in failure.errors] == [4]
    assert await counts(db) == {"OrgUnit": 0, "Member": 0, "Role": 0, "ChatAccount": 0}


async def test_every_bad_row_is_listed(db: Database, tmp_path: Path) -> None:
    rows = [GOOD, row(**{"Năm sinh": "75", "Họ và tên": "A Một"}), row(**{"Giới tính": "X", "Họ và tên": "B Hai"})]
    failure = await refused(db, write_csv(tmp_path, rows))

    assert [number for number, _why in failure.errors] == [3, 4]
    assert str(failure).count("\nDòng ") == 2


@pytest.mark.parametrize(("changes", "reason"), [
    ({"Họ và tên": ""}, "Họ và tên không được để trống"),
    ({"Họ và tên": "12345"}, "Họ và tên phải có chữ cái"),
    ({"Họ và tên": "An\u200b"}, "Họ và tên có ký tự không hợp lệ"),
    ({"Họ và tên": "A" * 121}, "Họ và tên dài quá 120 ký tự"),
    ({"Đảng bộ": ""}, "Đảng bộ không được để trống"),
    ({"Chi bộ": "", "Chức vụ": "Đảng viên"}, "Chi bộ không được để trống"),
    ({"Chi bộ": "", "Chức vụ": "Bí thư"}, "Chức vụ ở chi bộ cần có tên Chi bộ"),
    ({"Tình trạng": "tạm ngưng"}, "Tình trạng «tạm ngưng» không hợp lệ"),
    ({"Giới tính": "Khác"}, "Giới tính «Khác» không hợp lệ"),
    ({"Chức vụ": "Tổ trưởng"}, "Chức vụ «Tổ trưởng» không hợp lệ"),
    ({"Chức vụ": "Bí thư; Thư ký"}, "Chức vụ «Thư ký» không hợp lệ"),
    ({"Ngày vào Đảng": "1994-02-03"}, "Ngày vào Đảng «1994-02-03» không đúng dạng ngày/tháng/năm"),
    ({"Ngày vào Đảng": "03/02/94"}, "Ngày vào Đảng «03/02/94» không đúng dạng ngày/tháng/năm"),
    ({"Ngày chính thức": "31/02/1995"}, "Ngày chính thức «31/02/1995» không phải ngày có thật"),
    ({"Ngày chính thức": "23/11/2026"}, "Ngày chính thức 23/11/2026 ở tương lai"),
    ({"Ngày chính thức": "01/01/1990"}, "Ngày chính thức 01/01/1990 trước ngày vào Đảng 03/02/1994"),
    ({"Năm sinh": "68"}, "Năm sinh «68» phải là năm có 4 chữ số"),
    ({"Năm sinh": "1968.5"}, "Năm sinh «1968.5» phải là năm có 4 chữ số"),
    ({"Năm sinh": "1899"}, "Năm sinh 1899 phải trong khoảng 1900–2026"),
    ({"Năm sinh": "2027"}, "Năm sinh 2027 phải trong khoảng 1900–2026"),
    ({"Tài khoản": "facebook:123"}, "Tài khoản «facebook:123» không hợp lệ"),
    ({"Tài khoản": "telegram:abc"}, "Tài khoản «telegram:abc» không hợp lệ"),
    ({"Tài khoản": "console:an; 123456"}, "Tài khoản «123456» không hợp lệ"),
    ({"Tài khoản": "zalo:"}, "Tài khoản «zalo:» không hợp lệ"),
])
async def test_each_rule(db: Database, tmp_path: Path, changes: dict[str, str], reason: str) -> None:
    first = row(**{"Họ và tên": "Lê Văn Cường", "Chức vụ": "", "Tài khoản": "console:cuong"})
    failure = await refused(db, write_csv(tmp_path, [first, row(**changes)]))

    assert f"\nDòng 3: {reason}" in str(failure), str(failure)
    assert [number for number, _why in failure.errors] == [3]


async def test_future_dates_are_judged_against_today(db: Database, tmp_path: Path) -> None:
    failure = await refused(db, write_csv(tmp_path, [row(**{"Ngày chính thức": "01/01/2999"})]), today=None)
    assert "ở tương lai" in str(failure)


async def test_same_member_twice_in_a_file(db: Database, tmp_path: Path) -> None:
    again = row(**{"Họ và tên": "nguyễn văn  an", "Tài khoản": "console:an2"})
    failure = await refused(db, write_csv(tmp_path, [GOOD, again]))

    assert "\nDòng 3: nguyễn văn an đã có ở dòng 2" in str(failure)


async def test_same_account_twice_in_a_file(db: Database, tmp_path: Path) -> None:
    binh = row(**{"Họ và tên": "Trần Thị Bình", "Chức vụ": "", "Tài khoản": "console:an"})
    failure = await refused(db, write_csv(tmp_path, [GOOD, binh]))

    assert "\nDòng 3: Tài khoản console:an đã ghi cho người ở dòng 2" in str(failure)


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("list.txt", "Họ và tên\nAn\n", "chỉ nhận tệp .xlsx hoặc .csv"),
    ("list.xlsx", "not a workbook", "không phải bảng tính Excel"),
    ("list.csv", "Đảng bộ,Họ và tên\nĐảng bộ phường Bến Thành,An\n", "thiếu cột Chi bộ"),
    ("list.csv", "Tên,Tuổi\nAn,30\n", "không thấy dòng tiêu đề"),
    ("list.csv", ",".join(HEADER) + "\n", "không có dòng đảng viên nào"),
])
async def test_files_that_cannot_be_read(db: Database, tmp_path: Path, name: str, content: str, reason: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    failure = await refused(db, path)
    assert reason in str(failure)


async def test_csv_not_in_utf8(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes((",".join(HEADER) + "\n" + ",".join(GOOD) + "\n").encode("utf-16"))
    assert "UTF-8" in str(await refused(db, path))


async def test_missing_file(db: Database, tmp_path: Path) -> None:
    assert "Không tìm thấy tệp" in str(await refused(db, tmp_path / "none.csv"))


async def test_many_rows(db: Database, tmp_path: Path) -> None:
    rows = [row(**{"Chi bộ": f"Chi bộ {n % 20}", "Họ và tên": f"Đảng viên số {n}", "Chức vụ": "",
                   "Tài khoản": f"telegram:{100000 + n}"}) for n in range(1200)]
    path = write_csv(tmp_path, rows, delimiter=";")

    first = await import_file(db, path, today=TODAY)
    second = await import_file(db, path, today=TODAY)

    assert (first.created, first.cells_created, first.accounts_linked) == (1200, 20, 1200)
    assert (second.created, second.unchanged) == (0, 1200)
    assert await counts(db) == {"OrgUnit": 21, "Member": 1200, "Role": 0, "ChatAccount": 1200}


# -- the demo and the command line -------------------------------------------------------------------

async def test_demo_imports_and_reimports_idempotently(db: Database) -> None:
    first = await import_file(db, DEMO_FILE)

    assert (first.members, first.created, first.committees_created, first.cells_created) == (13, 13, 1, 2)
    assert first.accounts_linked == 13
    found = await units(db)
    cell1, cell2 = found["Chi bộ khu phố 1"], found["Chi bộ khu phố 2"]
    committee = found["Đảng bộ phường Bến Thành"]
    assert cell1.parent_id == cell2.parent_id == committee.id
    people = await members(db)
    assert sum(m.cell_id == cell1.id for m in people.values()) == 7
    assert sum(m.cell_id == cell2.id for m in people.values()) == 5
    assert people["Trần Văn Phúc"].cell_id is None
    probationary = [m for m in people.values() if m.status == Status.PROBATIONARY]
    assert len(probationary) == 1 and probationary[0].admitted_on is not None
    assert 300 <= (date(2026, 11, 22) - probationary[0].admitted_on).days < 365  # recognition due soon
    exempt = [m for m in people.values() if m.status == Status.EXEMPT]
    assert len(exempt) == 1 and (exempt[0].birth_year or 9999) <= 1945
    assert await roles(db) == {
        ("Nguyễn Văn An", "Chi bộ khu phố 1", Position.SECRETARY),
        ("Bùi Văn Khánh", "Chi bộ khu phố 2", Position.SECRETARY),
        ("Trần Văn Phúc", "Đảng bộ phường Bến Thành", Position.SECRETARY),
    }
    linked = await accounts(db)
    assert linked["console:an"] == "Nguyễn Văn An"
    assert linked["console:khanh"] == "Bùi Văn Khánh"
    assert linked["console:phuc"] == "Trần Văn Phúc"
    assert {k for k, name in linked.items() if people[name or ""].cell_id == cell1.id} == {
        f"console:{n}" for n in ("an", "binh", "cuong", "dung", "em", "giang", "hoa")}
    before = await counts(db)

    second = await import_file(db, DEMO_FILE)

    assert (second.created, second.updated, second.unchanged) == (0, 0, 13)
    assert (second.committees_created, second.cells_created, second.roles_added, second.accounts_linked) == (0, 0, 0, 0)
    assert await counts(db) == before


def test_cli_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")

    assert cli_main(["import", str(DEMO_FILE)]) == 0
    out = capsys.readouterr().out
    assert "Đã nhập 13 đảng viên: 13 mới, 0 chuyển chi bộ, 0 cập nhật, 0 không đổi; 0 rời chi bộ; " \
        "1 đảng bộ, 2 chi bộ mới" in out

    assert cli_main(["import", str(DATA / "bad_row.csv")]) == 1
    captured = capsys.readouterr()
    assert "Dòng 4:" in captured.err
    assert captured.out == ""


async def test_imported_accounts_do_not_outrank_the_one_in_use(db: Database) -> None:
    """Mai writes on Telegram; a later import adds her Zalo account, which has never written:
    reminders still go to Telegram."""
    from datetime import timedelta

    from storage import accounts as account_store

    path = Path(__file__).parent / "data" / "members.csv"
    await import_file(db, path, today=TODAY)
    mai = (await members(db))["Nguyễn Thị Mai"]
    async with db.session() as session:
        zalo = (await session.exec(select(ChatAccount).where(ChatAccount.platform_user_id == "6ede9a1b2c3d"))).one()
        await session.delete(zalo)  # as if the first list had only her Telegram account
        await account_store.load_or_create(session, "telegram", "123456", "123456", "Mai",
                                           datetime.now(UTC) - timedelta(hours=1))
        await session.commit()
    await import_file(db, path, today=TODAY)  # the Zalo account arrives now
    async with db.session() as session:
        target = await account_store.preferred_account(session, id_of(mai))
    assert target is not None and (target.platform, target.chat_id) == ("telegram", "123456")


# -- one person stays one person (issue 10) ------------------------------------------------------------
# A committee of two cells: four people, entered on 01/06/2026; the later files change them.

KP1, KP2 = "Chi bộ khu phố 1", "Chi bộ khu phố 2"
FIRST_DAY = date(2026, 6, 1)


def person(name: str, cell: str, year: str, roles: str = "", status: str = "Chính thức", account: str = "",
           admitted: str = "03/02/2000", official: str | None = None, gender: str = "Nam") -> list[str]:
    if official is None:
        official = "" if status == "Dự bị" else "03/02/2001"
    return ["Đảng bộ phường Bến Thành", cell, name, gender, year, admitted, official, roles, status, account]


AN = person("Nguyễn Văn An", KP1, "1968", "Bí thư", account="console:an")
BINH = person("Trần Thị Bình", KP1, "1975", gender="Nữ")
CUONG = person("Lê Văn Cường", KP1, "1980", "Phó bí thư")
DUNG = person("Phạm Thị Dung", KP2, "1985", "Bí thư", gender="Nữ")


async def base(db: Database, tmp_path: Path) -> None:
    await import_file(db, write_csv(tmp_path, [AN, BINH, CUONG, DUNG], name="base.csv"), today=FIRST_DAY)


async def history(db: Database, name: str) -> list[tuple[str, date, str | None, str | None]]:
    """(kind, day, cell name, reason) of each membership event of the member called `name`."""
    async with db.session() as session:
        member = (await session.exec(select(Member).where(Member.full_name == name))).one()
        events = (await session.exec(
            select(MembershipEvent).where(MembershipEvent.member_id == id_of(member))
            .order_by(col(MembershipEvent.on), col(MembershipEvent.id))
        )).all()
        names = {unit.id: unit.name for unit in (await session.exec(select(OrgUnit))).all()}
    return [(e.kind, e.on, names.get(e.cell_id) if e.cell_id else None, e.reason) for e in events]


async def spans(db: Database, name: str) -> list[tuple[str, str, date, date | None]]:
    """(cell name, status, first day, day after the last) of the member's derived spans."""
    async with db.session() as session:
        member = (await session.exec(select(Member).where(Member.full_name == name))).one()
        found = (await session.exec(
            select(MembershipSpan).where(MembershipSpan.member_id == id_of(member)).order_by(col(MembershipSpan.start))
        )).all()
        names = {unit.id: unit.name for unit in (await session.exec(select(OrgUnit))).all()}
    return [(names[s.cell_id], s.status, s.start, s.end) for s in found]


async def test_a_member_whose_cell_changed_is_transferred_not_doubled(db: Database, tmp_path: Path) -> None:
    await base(db, tmp_path)
    cuong_in_kp2 = person("Lê Văn Cường", KP2, "1980", "Chi ủy viên")

    result = await import_file(db, write_csv(tmp_path, [AN, BINH, cuong_in_kp2, DUNG]), today=TODAY)

    assert (result.created, result.moved, result.updated, result.unchanged, result.left) == (0, 1, 0, 3, 0)
    assert (await counts(db))["Member"] == 4
    cells = await units(db)
    cuong = (await members(db))["Lê Văn Cường"]
    assert (cuong.cell_id, cuong.active) == (cells[KP2].id, True)
    # A dated transfer, not an overwrite: November's first three weeks stay with khu phố 1.
    assert await history(db, "Lê Văn Cường") == [
        ("listed", date(2000, 2, 3), KP1, None), ("transferred", TODAY, KP2, None)]
    assert await spans(db, "Lê Văn Cường") == [
        (KP1, Status.OFFICIAL, date(2000, 2, 3), TODAY), (KP2, Status.OFFICIAL, TODAY, None)]
    # The roles in the file replace his roles: deputy of khu phố 1 no more, cell committee of khu phố 2.
    assert ("Lê Văn Cường", KP1, Position.DEPUTY) not in await roles(db)
    assert ("Lê Văn Cường", KP2, Position.CELL_COMMITTEE) in await roles(db)
    assert result.summary() == (
        "Đã nhập 4 đảng viên: 0 mới, 1 chuyển chi bộ, 0 cập nhật, 3 không đổi; 0 rời chi bộ; 0 đảng bộ, 0 chi bộ mới; "
        "1 chức vụ mới, 1 chức vụ bỏ; 0 tài khoản liên kết.\n"
        "Chuyển chi bộ từ 22/11/2026: Lê Văn Cường (Chi bộ khu phố 1 → Chi bộ khu phố 2).\n"
        "Thay đổi: Lê Văn Cường (thêm chức vụ Chi ủy viên Chi bộ khu phố 2; bỏ chức vụ Phó bí thư Chi bộ khu phố 1).")

    # The same file again changes nothing.
    again = await import_file(db, write_csv(tmp_path, [AN, BINH, cuong_in_kp2, DUNG]), today=TODAY)
    assert (again.moved, again.unchanged, again.roles_added, again.roles_removed) == (0, 4, 0, 0)


async def test_a_move_is_dated_at_the_lists_date(db: Database, tmp_path: Path) -> None:
    await base(db, tmp_path)
    moved = [AN, BINH, CUONG, person("Phạm Thị Dung", KP1, "1985", "Bí thư", gender="Nữ")]

    result = await import_file(db, write_csv(tmp_path, moved), today=TODAY,
                               options=ImportOptions(on=date(2026, 11, 1)))

    assert result.moved_names == ["Phạm Thị Dung (Chi bộ khu phố 2 → Chi bộ khu phố 1)"]
    assert (await history(db, "Phạm Thị Dung"))[-1] == ("transferred", date(2026, 11, 1), KP1, None)
    assert "Chuyển chi bộ từ 01/11/2026: Phạm Thị Dung" in result.summary()


async def test_a_list_dated_in_the_future_or_before_a_later_change_is_refused(db: Database, tmp_path: Path) -> None:
    await base(db, tmp_path)
    moved = write_csv(tmp_path, [AN, BINH, person("Lê Văn Cường", KP2, "1980"), DUNG])

    with pytest.raises(ImportFailed, match="ngày của danh sách 23/11/2026 ở tương lai"):
        await import_file(db, moved, today=TODAY, options=ImportOptions(on=date(2026, 11, 23)))
    await import_file(db, moved, today=TODAY)  # Cường moves to khu phố 2 on 22/11

    # A list of 15/11 putting him back in khu phố 1 would file that move before the later one.
    failure = await refused(db, write_csv(tmp_path, [AN, BINH, CUONG, DUNG]),
                            options=ImportOptions(on=date(2026, 11, 15)))
    assert ("Dòng 4: Lê Văn Cường đã có thay đổi ngày 22/11/2026, sau ngày 15/11/2026 của danh sách: "
            "nhập với --ngay từ 22/11/2026") in str(failure)
    # Nor may it mark him as having left khu phố 2 before he came: the list as a whole is refused.
    failure = await refused(db, write_csv(tmp_path, [DUNG]), options=ImportOptions(sync=True, on=date(2026, 11, 15)))
    assert str(failure) == ("Không nhập được tệp list.csv, chưa có dữ liệu nào được lưu: Lê Văn Cường đã có thay "
                            "đổi ngày 22/11/2026, sau ngày 15/11/2026 của danh sách: nhập với --ngay từ 22/11/2026.")


async def test_missing_members_are_reported_and_marked_left_only_when_asked(db: Database, tmp_path: Path) -> None:
    await base(db, tmp_path)
    without_cuong = write_csv(tmp_path, [AN, BINH, DUNG])

    reported = await import_file(db, without_cuong, today=TODAY)

    assert reported.missing_names == ["Lê Văn Cường (Chi bộ khu phố 1)"]
    assert reported.summary().endswith(
        "\nKhông có trong tệp, chưa ghi rời chi bộ (1): Lê Văn Cường (Chi bộ khu phố 1). Nếu họ đã rời chi bộ, "
        "nhập lại với --dong-bo (thêm --ngay dd/mm/yyyy nếu không phải hôm nay).")
    cuong = (await members(db))["Lê Văn Cường"]
    assert cuong.active and ("Lê Văn Cường", KP1, Position.DEPUTY) in await roles(db)
    assert len(await history(db, "Lê Văn Cường")) == 1  # nothing recorded

    marked = await import_file(db, without_cuong, today=TODAY,
                               options=ImportOptions(sync=True, on=date(2026, 11, 15)))

    assert (marked.left, marked.left_names, marked.missing_names) == (1, ["Lê Văn Cường (Chi bộ khu phố 1)"], [])
    assert "\nRời chi bộ từ 15/11/2026 (không còn trong danh sách): Lê Văn Cường (Chi bộ khu phố 1)." \
        in marked.summary()
    assert "; 1 rời chi bộ; " in marked.summary()
    cuong = (await members(db))["Lê Văn Cường"]
    assert not cuong.active
    assert (await history(db, "Lê Văn Cường"))[-1] == (
        "transferred", date(2026, 11, 15), None, "không còn trong danh sách")
    assert await spans(db, "Lê Văn Cường") == [(KP1, Status.OFFICIAL, date(2000, 2, 3), date(2026, 11, 15))]
    # A deputy who left no longer leads the cell.
    assert marked.roles_removed == 1
    assert ("Lê Văn Cường", KP1, Position.DEPUTY) not in await roles(db)
    # Khu phố 2's member is in the file; a cell the file does not list is never combed.
    assert (await members(db))["Phạm Thị Dung"].active

    # Listed again later: the same person comes back (a transfer in), not a second Cường.
    back = await import_file(db, write_csv(tmp_path, [AN, BINH, CUONG, DUNG]), today=TODAY)
    assert (back.created, back.moved, back.moved_names) == (0, 1, ["Lê Văn Cường (đã rời → Chi bộ khu phố 1)"])
    assert (await counts(db))["Member"] == 4
    assert (await members(db))["Lê Văn Cường"].active


async def test_only_listed_cells_are_combed_for_missing_members(db: Database, tmp_path: Path) -> None:
    await base(db, tmp_path)

    result = await import_file(db, write_csv(tmp_path, [DUNG]), today=TODAY, options=ImportOptions(sync=True))

    assert (result.left, result.missing_names) == (0, [])
    assert all(m.active for m in (await members(db)).values())


async def test_names_without_diacritics_never_overwrite_names_with_them(db: Database) -> None:
    """co_dau.csv and khong_dau.csv list the same two people, with and without diacritics."""
    await import_file(db, DATA / "co_dau.csv", today=TODAY)

    result = await import_file(db, DATA / "khong_dau.csv", today=TODAY)

    assert (result.created, result.updated, result.unchanged, result.cells_created) == (0, 0, 2, 0)
    assert set(await members(db)) == {"Trần Văn Hải", "Mai Thị Ba"}
    assert set(await units(db)) == {"Đảng bộ xã Tân Phú", "Chi bộ ấp 3"}


async def test_a_name_with_diacritics_improves_one_without(db: Database, tmp_path: Path) -> None:
    """A member who joined in the chat typing no diacritics (and no birth year) is the row that
    names them properly: the name is corrected and the year filled, no second person."""
    await import_file(db, write_csv(tmp_path, [AN]), today=FIRST_DAY)
    async with db.session() as session:
        kp1 = await org.find_cell(session, None, KP1)
        assert kp1 is not None
        await org.add_member(session, kp1.id, "Tran Thi Binh", today=FIRST_DAY)
        await session.commit()

    result = await import_file(db, write_csv(tmp_path, [AN, BINH]), today=TODAY)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert result.changed_names == ["Trần Thị Bình (họ tên; giới tính; năm sinh; ngày vào Đảng; ngày chính thức)"]
    binh = (await members(db))["Trần Thị Bình"]
    assert (binh.birth_year, binh.name_key) == (1975, "tran thi binh")


async def test_an_unknown_cell_is_reported_with_the_closest_names(db: Database, tmp_path: Path) -> None:
    await base(db, tmp_path)
    typo = person("Hoàng Văn Em", "Chi bộ khu pho 12", "1990")
    other = person("Vũ Thị Giang", "Chi bộ khu pho 12", "1991")
    far = person("Đỗ Văn Hùng", "Chi bộ Trường Tiểu học", "1992")

    failure = await refused(db, write_csv(tmp_path, [AN, typo, other, far]))

    message = str(failure)
    # "chi bo khu pho 12" against "chi bo khu pho 1" and "… 2": 16 characters in common of 17 and
    # 16, ratio 2·16/33 = 0,97 for both (≥ 0,6), tied and listed by name; the school is < 0,6.
    assert ("\nDòng 3: Chi bộ «Chi bộ khu pho 12» chưa có trong Đảng bộ phường Bến Thành (tên gần giống: "
            "Chi bộ khu phố 1, Chi bộ khu phố 2; dòng 3, 4). Sửa tên chi bộ trong tệp, hoặc nhập lại với "
            "--tao-chi-bo nếu đây là chi bộ mới") in message
    assert ("\nDòng 5: Chi bộ «Chi bộ Trường Tiểu học» chưa có trong Đảng bộ phường Bến Thành (không có chi bộ "
            "nào tên gần giống; dòng 5)") in message
    assert [number for number, _why in failure.errors] == [3, 5]

    created = await import_file(db, write_csv(tmp_path, [AN, typo, other, far]), today=TODAY,
                                options=ImportOptions(create_cells=True))

    assert (created.cells_created, created.created) == (2, 3)
    assert {"Chi bộ khu pho 12", "Chi bộ Trường Tiểu học"} <= set(await units(db))


async def test_a_dissolved_cell_takes_no_members(db: Database, tmp_path: Path) -> None:
    await base(db, tmp_path)
    async with db.session() as session:
        kp2 = await org.find_cell(session, None, KP2)
        assert kp2 is not None
        kp2.dissolved_on = date(2026, 10, 1)
        session.add(kp2)
        await session.commit()

    failure = await refused(db, write_csv(tmp_path, [AN, person("Hoàng Văn Em", KP2, "1990")]))

    assert "Dòng 3: Chi bộ khu phố 2 đã giải thể ngày 01/10/2026, không nhận thêm đảng viên" in str(failure)


async def test_same_name_people_in_one_cell_are_told_apart_by_birth_year(db: Database, tmp_path: Path) -> None:
    elder = person("Nguyễn Văn An", KP1, "1968", "Bí thư", account="console:an")
    younger = person("Nguyễn Văn An", KP1, "1990", admitted="10/10/2015", official="10/10/2016")
    first = await import_file(db, write_csv(tmp_path, [elder, younger]), today=FIRST_DAY)
    assert first.created == 2

    # Listed the other way round, the younger's admission corrected and no account to go by:
    # each row is still its own person.
    younger_fixed = person("nguyễn văn an", KP1, "1990", admitted="11/10/2015", official="10/10/2016")
    elder_plain = person("Nguyễn Văn An", KP1, "1968", "Bí thư")
    result = await import_file(db, write_csv(tmp_path, [younger_fixed, elder_plain]), today=TODAY)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    async with db.session() as session:
        found = {m.birth_year: m for m in (await session.exec(select(Member))).all()}
    assert found[1990].admitted_on == date(2015, 10, 11)
    assert found[1990].full_name == "Nguyễn Văn An"  # capitals are not lost to a lower-case spelling
    assert found[1968].admitted_on == date(2000, 2, 3)
    assert await roles(db) == {("Nguyễn Văn An", KP1, Position.SECRETARY)}  # the elder's


async def test_same_name_in_one_cell_without_years_is_refused(db: Database, tmp_path: Path) -> None:
    one = person("Nguyễn Văn An", KP1, "")
    two = person("Nguyễn Văn An", KP1, "1990")

    failure = await refused(db, write_csv(tmp_path, [one, two]))

    assert ("\nDòng 3: Nguyễn Văn An trùng tên với dòng 2 trong cùng chi bộ: ghi năm sinh của cả hai để "
            "phân biệt") in str(failure)


async def test_a_row_that_could_be_two_members_asks_for_the_year(db: Database, tmp_path: Path) -> None:
    await import_file(db, write_csv(tmp_path, [person("Nguyễn Văn An", KP1, "1968"),
                                               person("Nguyễn Văn An", KP2, "1990")]), today=FIRST_DAY)
    # A committee seat for "Nguyễn Văn An", no cell, no year: either of them.
    staff = ["Đảng bộ phường Bến Thành", "", "Nguyễn Văn An", "Nam", "", "", "", "Đảng ủy viên", "", ""]

    failure = await refused(db, write_csv(tmp_path, [staff]))

    assert ("Dòng 2: Có 2 đảng viên tên Nguyễn Văn An (Chi bộ khu phố 1, sinh 1968; Chi bộ khu phố 2, sinh 1990): "
            "ghi năm sinh hoặc tài khoản để biết dòng này là ai") in str(failure)

    # With the year it is the younger one, who keeps his cell and its role (a row without a cell
    # moves no one, and replaces committee roles only).
    async with db.session() as session:
        younger = (await session.exec(select(Member).where(Member.birth_year == 1990))).one()
        await org.grant_role(session, id_of(younger), stored_id(younger.cell_id), Position.SECRETARY)
        await session.commit()
    staff[4] = "1990"
    result = await import_file(db, write_csv(tmp_path, [staff]), today=TODAY)
    assert (result.created, result.moved, result.updated, result.roles_removed) == (0, 0, 1, 0)
    assert await roles(db) == {("Nguyễn Văn An", "Đảng bộ phường Bến Thành", Position.COMMITTEE_MEMBER),
                               ("Nguyễn Văn An", KP2, Position.SECRETARY)}
    async with db.session() as session:
        younger = (await session.exec(select(Member).where(Member.birth_year == 1990))).one()
    assert younger.cell_id == (await units(db))[KP2].id


async def test_a_status_change_is_an_event(db: Database, tmp_path: Path) -> None:
    probationary = person("Trần Thị Bình", KP1, "1975", status="Dự bị", admitted="10/01/2026", gender="Nữ")
    await import_file(db, write_csv(tmp_path, [AN, probationary]), today=FIRST_DAY)

    exempt = person("Nguyễn Văn An", KP1, "1968", "Bí thư", status="Miễn sinh hoạt", account="console:an")
    official = person("Trần Thị Bình", KP1, "1975", admitted="10/01/2026", official="01/10/2026", gender="Nữ")
    result = await import_file(db, write_csv(tmp_path, [exempt, official]), today=date(2026, 10, 1))

    assert (result.updated, result.unchanged) == (2, 0)
    assert result.changed_names == [
        "Nguyễn Văn An (tình trạng: chính thức → miễn sinh hoạt)",
        "Trần Thị Bình (ngày chính thức; tình trạng: dự bị → chính thức)",
    ]
    people = await members(db)
    assert (people["Nguyễn Văn An"].status, people["Trần Thị Bình"].status) == (Status.EXEMPT, Status.OFFICIAL)
    assert (await history(db, "Nguyễn Văn An"))[-1] == ("exempted", date(2026, 10, 1), None, None)
    assert (await history(db, "Trần Thị Bình"))[-1] == ("recognised", date(2026, 10, 1), None, None)
    # September still reads as it was: An official, Bình probationary.
    assert await spans(db, "Nguyễn Văn An") == [
        (KP1, Status.OFFICIAL, date(2000, 2, 3), date(2026, 10, 1)), (KP1, Status.EXEMPT, date(2026, 10, 1), None)]
    assert await spans(db, "Trần Thị Bình") == [
        (KP1, Status.PROBATIONARY, date(2026, 1, 10), date(2026, 10, 1)),
        (KP1, Status.OFFICIAL, date(2026, 10, 1), None)]

    # Back from the exemption: its end is an event too.
    back = await import_file(db, write_csv(tmp_path, [AN, official]), today=TODAY)
    assert back.changed_names == ["Nguyễn Văn An (tình trạng: miễn sinh hoạt → chính thức)"]
    assert (await history(db, "Nguyễn Văn An"))[-1] == ("exemption_ended", TODAY, None, None)
    assert (await members(db))["Nguyễn Văn An"].status == Status.OFFICIAL

    # No event makes an official member probationary: the list's word is a correction, listed anew.
    again = person("Trần Thị Bình", KP1, "1975", status="Dự bị", admitted="10/01/2026", gender="Nữ")
    corrected = await import_file(db, write_csv(tmp_path, [AN, again]), today=TODAY)
    assert corrected.changed_names == ["Trần Thị Bình (tình trạng: chính thức → dự bị)"]
    assert (await history(db, "Trần Thị Bình"))[-1] == ("listed", TODAY, KP1, None)
    assert (await members(db))["Trần Thị Bình"].status == Status.PROBATIONARY


async def test_someone_recorded_as_dead_is_not_listed_again(db: Database, tmp_path: Path) -> None:
    await base(db, tmp_path)
    async with db.session() as session:
        cuong = (await session.exec(select(Member).where(Member.full_name == "Lê Văn Cường"))).one()
        await membership.record(session, id_of(cuong), Event(EventKind.DIED, date(2026, 9, 9)), today=TODAY)
        await session.commit()

    failure = await refused(db, write_csv(tmp_path, [AN, BINH, CUONG, DUNG]))

    assert "Dòng 4: Lê Văn Cường đã được ghi từ trần ngày 09/09/2026: bỏ dòng này khỏi tệp" in str(failure)


def test_cli_import_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    assert cli_main(["import", str(write_csv(tmp_path, [AN, BINH, CUONG, DUNG], name="base.csv"))]) == 0
    capsys.readouterr()
    later = write_csv(tmp_path, [AN, BINH, person("Hoàng Văn Em", "Chi bộ khu phố 3", "1990")])

    assert cli_main(["import", str(later)]) == 1
    assert "chưa có trong Đảng bộ phường Bến Thành (tên gần giống: Chi bộ khu phố 1" in capsys.readouterr().err

    assert cli_main(["import", str(later), "--ngay", "hôm qua", "--dong-bo"]) == 1
    assert "--tao-chi-bo" in capsys.readouterr().err

    assert cli_main(["import", str(later), "--tao-chi-bo", "--dong-bo", "--ngay", "01/11/2026"]) == 0
    out = capsys.readouterr().out
    assert "; 1 rời chi bộ; 0 đảng bộ, 1 chi bộ mới;" in out
    assert "Rời chi bộ từ 01/11/2026 (không còn trong danh sách): Lê Văn Cường (Chi bộ khu phố 1)." in out

    assert cli_main(["import", str(later), "--ngay", "32/13/2026"]) == 2
    assert capsys.readouterr().err.startswith("--ngay: ")
