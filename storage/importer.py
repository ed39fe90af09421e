"""The member list: `chibo import FILE` reads an XLSX or CSV export and brings the database in line.

One row per member. Headers are Vietnamese, matched ignoring case and diacritics, in any order;
columns we do not know are ignored. Every row is checked first and all problems are reported
together ("Dòng N: ..."), and nothing is written unless the whole file is good: the secretary fixes
the sheet and imports again. Importing the same file twice changes nothing.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.text import fold
from domain.vocabulary import Position, Status, UnitKind
from storage import membership
from storage.db import Database
from storage.org import OrgError, validate_name
from storage.tables import ChatAccount, Member, OrgUnit, Role
from storage.types import id_of, stored_id

TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # "in the future" is judged by the date in Vietnam
HEADER_SEARCH_ROWS = 10  # a title line or two above the header is common in exported sheets
MAX_LISTED_ERRORS = 50
CHUNK = 500  # ids per IN (...) query: far below every database's parameter limit
PLATFORMS = ("telegram", "zalo", "console")

# Columns: the key used below, the header as shown to users, and the folded headers accepted.
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "committee": ("Đảng bộ", ("dang bo", "dang bo co so", "ten dang bo")),
    "cell": ("Chi bộ", ("chi bo", "ten chi bo")),
    "name": ("Họ và tên", ("ho va ten", "ho ten", "ho va ten dang vien")),
    "gender": ("Giới tính", ("gioi tinh",)),
    "birth_year": ("Năm sinh", ("nam sinh",)),
    "admitted_on": ("Ngày vào Đảng", ("ngay vao dang", "ngay ket nap")),
    "official_on": ("Ngày chính thức", ("ngay chinh thuc", "ngay cong nhan chinh thuc")),
    "roles": ("Chức vụ", ("chuc vu",)),
    "status": ("Tình trạng", ("tinh trang",)),
    "accounts": ("Tài khoản", ("tai khoan",)),
}
REQUIRED = ("committee", "cell", "name")
_HEADER_KEYS = {alias: key for key, (_shown, aliases) in COLUMNS.items() for alias in aliases}

GENDERS = {"nam": "nam", "nu": "nu"}
STATUS_WORDS = {
    "": Status.OFFICIAL,
    "chinh thuc": Status.OFFICIAL,
    "dang vien chinh thuc": Status.OFFICIAL,
    "du bi": Status.PROBATIONARY,
    "dang vien du bi": Status.PROBATIONARY,
    "mien sinh hoat": Status.EXEMPT,
}
# Folded Chức vụ → (role, True when held in the committee rather than the cell); None = plain member.
ROLE_WORDS: dict[str, tuple[str, bool] | None] = {
    "dang vien": None,
    "bi thu": (Position.SECRETARY, False),
    "bi thu chi bo": (Position.SECRETARY, False),
    "pho bi thu": (Position.DEPUTY, False),
    "pho bi thu chi bo": (Position.DEPUTY, False),
    "chi uy vien": (Position.CELL_COMMITTEE, False),
    "bi thu dang uy": (Position.SECRETARY, True),
    "bi thu dang bo": (Position.SECRETARY, True),
    "pho bi thu dang uy": (Position.DEPUTY, True),
    "pho bi thu dang bo": (Position.DEPUTY, True),
    "dang uy vien": (Position.COMMITTEE_MEMBER, True),
    "cap uy vien": (Position.COMMITTEE_MEMBER, True),
}

_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_YEAR = re.compile(r"^\d{4}$")
_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_SPLIT = re.compile(r"[;,]")


NEVER_SEEN = datetime(2000, 1, 1, tzinfo=UTC)


class ImportFailed(Exception):
    """The file cannot be imported; the message (Vietnamese) says which rows and why.

    Nothing of the file has been written when this is raised.
    """

    def __init__(self, message: str, errors: Sequence[tuple[int, str]] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


@dataclass(slots=True)
class ImportResult:
    members: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    committees_created: int = 0
    cells_created: int = 0
    roles_added: int = 0
    accounts_linked: int = 0

    def summary(self) -> str:
        members = f"Đã nhập {self.members} đảng viên: {self.created} mới, {self.updated} cập nhật"
        if self.unchanged:
            members += f", {self.unchanged} không đổi"
        return (f"{members}; {self.committees_created} đảng bộ, {self.cells_created} chi bộ mới; "
                f"{self.roles_added} chức vụ mới; {self.accounts_linked} tài khoản liên kết.")


@dataclass(slots=True)
class Row:
    """One good row of the file, in the database's words."""

    number: int
    committee: str
    cell: str | None
    full_name: str
    gender: str | None
    birth_year: int | None
    admitted_on: date | None
    official_on: date | None
    status: str | None  # None: the file has no Tình trạng column
    cell_roles: list[str] = field(default_factory=list)
    committee_roles: list[str] = field(default_factory=list)
    accounts: list[tuple[str, str]] = field(default_factory=list)


class _RowErrors:
    """Reasons collected per spreadsheet row."""

    def __init__(self) -> None:
        self.by_row: dict[int, list[str]] = {}

    def add(self, number: int, reason: str) -> None:
        self.by_row.setdefault(number, []).append(reason)

    def __bool__(self) -> bool:
        return bool(self.by_row)

    def failure(self, path: Path) -> ImportFailed:
        rows = sorted(self.by_row.items())
        lines = [f"Không nhập được tệp {path.name}: {len(rows)} dòng có lỗi, chưa có dữ liệu nào được lưu. "
                 "Vui lòng sửa các dòng sau rồi nhập lại:"]
        lines += [f"Dòng {number}: {'; '.join(reasons)}" for number, reasons in rows[:MAX_LISTED_ERRORS]]
        if len(rows) > MAX_LISTED_ERRORS:
            lines.append(f"... và {len(rows) - MAX_LISTED_ERRORS} dòng khác có lỗi.")
        errors = [(number, "; ".join(reasons)) for number, reasons in rows]
        return ImportFailed("\n".join(lines), errors)


# -- entry point ---------------------------------------------------------------------------------

async def import_file(db: Database, path: Path, *, today: date | None = None) -> ImportResult:
    """Bring the database in line with the member list at `path`, all or nothing."""
    path = Path(path)
    today = today or datetime.now(TZ).date()
    table = await asyncio.to_thread(read_table, path)
    errors = _RowErrors()
    rows = parse_rows(table, today, errors)
    async with db.session() as session:
        result = await _apply(session, rows, errors, today)
        if errors:
            await session.rollback()
            raise errors.failure(path)
        await session.commit()
    return result


# -- reading the file ---------------------------------------------------------------------------

def read_table(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(spreadsheet row number, {column key: raw value}) for every non-empty data row."""
    if not path.is_file():
        raise ImportFailed(f"Không tìm thấy tệp {path}.")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        lines = _read_xlsx(path)
    elif suffix == ".csv":
        lines = _read_csv(path)
    else:
        raise ImportFailed(f"Không nhập được tệp {path.name}: chỉ nhận tệp .xlsx hoặc .csv "
                           "(trong Excel chọn Lưu thành → Excel Workbook hoặc CSV UTF-8).")
    return _with_headers(path, lines)


def _read_xlsx(path: Path) -> list[list[Any]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise ImportFailed(f"Không đọc được tệp {path.name}: tệp không phải bảng tính Excel (.xlsx) hợp lệ.") \
            from error
    try:
        sheet = workbook.active or workbook.worksheets[0]
        return [list(values) for values in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _read_csv(path: Path) -> list[list[Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFailed(f"Không đọc được tệp {path.name}: tệp CSV phải ở mã UTF-8 "
                           "(trong Excel chọn Lưu thành → CSV UTF-8).") from error
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _header_key(value: Any) -> str | None:
    words = re.sub(r"[^0-9a-z ]+", " ", fold(_text(value)))
    return _HEADER_KEYS.get(" ".join(words.split()))


def _with_headers(path: Path, lines: list[list[Any]]) -> list[tuple[int, dict[str, Any]]]:
    header_index = next(
        (i for i, line in enumerate(lines[:HEADER_SEARCH_ROWS]) if "name" in {_header_key(v) for v in line}), None
    )
    if header_index is None:
        raise ImportFailed(f"Không nhập được tệp {path.name}: không thấy dòng tiêu đề có cột «Họ và tên». "
                           "Dòng đầu của bảng cần các cột: " + ", ".join(COLUMNS[k][0] for k in REQUIRED) + ".")
    positions: dict[str, int] = {}
    for position, value in enumerate(lines[header_index]):
        key = _header_key(value)
        if key is not None and key not in positions:
            positions[key] = position
    missing = [COLUMNS[key][0] for key in REQUIRED if key not in positions]
    if missing:
        raise ImportFailed(f"Không nhập được tệp {path.name}: thiếu cột {', '.join(missing)}.")
    table = []
    for index in range(header_index + 1, len(lines)):
        line = lines[index]
        values = {key: line[pos] if pos < len(line) else None for key, pos in positions.items()}
        if any(_text(value) for value in values.values()):
            table.append((index + 1, values))
    if not table:
        raise ImportFailed(f"Không nhập được tệp {path.name}: không có dòng đảng viên nào dưới dòng tiêu đề.")
    return table


# -- checking rows -------------------------------------------------------------------------------

def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _date(value: Any, what: str, today: date) -> date | None:
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    else:
        text = _text(value)
        if not text:
            return None
        match = _DATE.match(text)
        if match is None:
            raise OrgError(f"{what} «{text}» không đúng dạng ngày/tháng/năm (ví dụ 03/02/2015)")
        day, month, year = (int(part) for part in match.groups())
        try:
            found = date(year, month, day)
        except ValueError:
            raise OrgError(f"{what} «{text}» không phải ngày có thật") from None
    if found > today:
        raise OrgError(f"{what} {found:%d/%m/%Y} ở tương lai")
    return found


def _birth_year(value: Any, today: date) -> int | None:
    if isinstance(value, (datetime, date)):
        year = value.year
    else:
        text = _text(value)
        if not text:
            return None
        if not _YEAR.match(text):
            raise OrgError(f"Năm sinh «{text}» phải là năm có 4 chữ số, ví dụ 1975")
        year = int(text)
    if not 1900 <= year <= today.year:
        raise OrgError(f"Năm sinh {year} phải trong khoảng 1900–{today.year}")
    return year


def _accounts(value: Any) -> list[tuple[str, str]]:
    found = []
    for part in _SPLIT.split(_text(value)):
        text = part.strip()
        if not text:
            continue
        platform, colon, user_id = text.partition(":")
        platform, user_id = platform.strip().lower(), user_id.strip()
        if not colon or platform not in PLATFORMS or not _ACCOUNT_ID.match(user_id) or (
            platform == "telegram" and not user_id.isdigit()
        ):
            raise OrgError(f"Tài khoản «{text}» không hợp lệ: cần dạng telegram:<số>, zalo:<mã> hoặc console:<tên>")
        if (platform, user_id) not in found:
            found.append((platform, user_id))
    return found


def _row(number: int, raw: dict[str, Any], today: date, errors: _RowErrors) -> Row | None:
    """One row checked field by field; every problem is recorded, not only the first."""
    problems_before = len(errors.by_row.get(number, []))

    def check(function: Any, *args: Any) -> Any:
        try:
            return function(*args)
        except OrgError as error:
            errors.add(number, str(error).rstrip("."))
            return None

    committee_text = _text(raw.get("committee"))
    committee = check(validate_name, committee_text, "Tên đảng bộ") if committee_text else None
    if not committee_text:
        errors.add(number, "Đảng bộ không được để trống")
    cell_text = _text(raw.get("cell"))
    cell = check(validate_name, cell_text, "Tên chi bộ") if cell_text else None
    full_name = check(validate_name, _text(raw.get("name")))

    gender_text = _text(raw.get("gender"))
    gender = GENDERS.get(fold(gender_text)) if gender_text else None
    if gender_text and gender is None:
        errors.add(number, f"Giới tính «{gender_text}» không hợp lệ: ghi Nam hoặc Nữ")

    birth_year = check(_birth_year, raw.get("birth_year"), today)
    admitted_on = check(_date, raw.get("admitted_on"), "Ngày vào Đảng", today)
    official_on = check(_date, raw.get("official_on"), "Ngày chính thức", today)
    if admitted_on and official_on and official_on < admitted_on:
        errors.add(number, f"Ngày chính thức {official_on:%d/%m/%Y} trước ngày vào Đảng {admitted_on:%d/%m/%Y}")

    # Without a Tình trạng column the status is left as it is (new members: official).
    status_text = _text(raw.get("status"))
    status = STATUS_WORDS.get(fold(status_text))
    if status is None:
        errors.add(number, f"Tình trạng «{status_text}» không hợp lệ: ghi chính thức, dự bị hoặc miễn sinh hoạt")

    cell_roles: list[str] = []
    committee_roles: list[str] = []
    for part in _SPLIT.split(_text(raw.get("roles"))):
        word = fold(part)
        if not word:
            continue
        if word not in ROLE_WORDS:
            errors.add(number, f"Chức vụ «{part.strip()}» không hợp lệ: ghi Bí thư, Phó bí thư, Chi ủy viên, "
                               "Đảng viên, Bí thư đảng ủy, Phó bí thư đảng ủy hoặc Đảng ủy viên")
            continue
        held = ROLE_WORDS[word]
        if held is not None:
            role, in_committee = held
            roles = committee_roles if in_committee else cell_roles
            if role not in roles:
                roles.append(role)
    if not cell_text:
        if cell_roles:
            errors.add(number, "Chức vụ ở chi bộ cần có tên Chi bộ")
        elif not committee_roles:
            errors.add(number, "Chi bộ không được để trống (chỉ để trống cho cán bộ giữ chức vụ cấp ủy đảng bộ)")

    accounts = check(_accounts, raw.get("accounts"))
    if len(errors.by_row.get(number, [])) > problems_before or committee is None:  # no committee: an error above
        return None
    return Row(number, committee, cell, full_name, gender, birth_year, admitted_on, official_on,
               status if "status" in raw else None, cell_roles, committee_roles, accounts)


def parse_rows(table: list[tuple[int, dict[str, Any]]], today: date, errors: _RowErrors) -> list[Row]:
    """The good rows; problems (including a member or account listed twice) go to `errors`."""
    rows: list[Row] = []
    seen_members: dict[tuple[str, str | None, str], int] = {}
    seen_accounts: dict[tuple[str, str], int] = {}
    for number, raw in table:
        row = _row(number, raw, today, errors)
        if row is None:
            continue
        key = (fold(row.committee), fold(row.cell) if row.cell else None, fold(row.full_name))
        if key in seen_members:
            errors.add(number, f"{row.full_name} đã có ở dòng {seen_members[key]}")
            continue
        seen_members[key] = number
        repeated = [f"{p}:{u}" for p, u in row.accounts if (p, u) in seen_accounts]
        if repeated:
            first = seen_accounts[next((p, u) for p, u in row.accounts if (p, u) in seen_accounts)]
            errors.add(number, f"Tài khoản {', '.join(repeated)} đã ghi cho người ở dòng {first}")
            continue
        for account in row.accounts:
            seen_accounts[account] = number
        rows.append(row)
    return rows


# -- writing -------------------------------------------------------------------------------------

T = TypeVar("T")


def _chunks(items: Iterable[T]) -> Iterator[list[T]]:
    items = list(items)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


class _Org:
    """Committees and cells by folded name, created when missing."""

    def __init__(self, session: AsyncSession, result: ImportResult) -> None:
        self.session = session
        self.result = result
        self.committees: dict[str, OrgUnit] = {}
        self.cells: dict[tuple[int, str], OrgUnit] = {}

    async def load(self, rows: list[Row]) -> None:
        names = {fold(row.committee): row.committee for row in rows}
        for keys in _chunks(names):
            for unit in (await self.session.exec(
                select(OrgUnit).where(OrgUnit.kind == UnitKind.COMMITTEE, col(OrgUnit.name_key).in_(keys))
                .order_by(col(OrgUnit.id))
            )).all():
                self.committees.setdefault(unit.name_key, unit)
        new = [OrgUnit(kind=UnitKind.COMMITTEE, name=name, name_key=key) for key, name in names.items()
               if key not in self.committees]
        await self._add(new, self.committees, lambda unit: unit.name_key)
        self.result.committees_created = len(new)

        ids = [unit.id for unit in self.committees.values()]
        for chunk in _chunks(ids):
            for unit in (await self.session.exec(
                select(OrgUnit).where(OrgUnit.kind == UnitKind.CELL, col(OrgUnit.parent_id).in_(chunk))
                .order_by(col(OrgUnit.id))
            )).all():
                self.cells.setdefault((stored_id(unit.parent_id), unit.name_key), unit)
        wanted: dict[tuple[int, str], OrgUnit] = {}
        for row in rows:
            if row.cell is None:
                continue
            key = (id_of(self.committee(row)), fold(row.cell))
            if key not in self.cells and key not in wanted:
                wanted[key] = OrgUnit(kind=UnitKind.CELL, name=row.cell, name_key=key[1], parent_id=key[0])
        await self._add(list(wanted.values()), self.cells, lambda unit: (unit.parent_id, unit.name_key))
        self.result.cells_created = len(wanted)

    async def _add(self, units: list[OrgUnit], into: dict[Any, OrgUnit], key: Any) -> None:
        self.session.add_all(units)
        await self.session.flush()
        for unit in units:
            into[key(unit)] = unit

    def committee(self, row: Row) -> OrgUnit:
        return self.committees[fold(row.committee)]

    def cell(self, row: Row) -> OrgUnit | None:
        if row.cell is None:
            return None
        return self.cells[(id_of(self.committee(row)), fold(row.cell))]


async def _existing_members(
    session: AsyncSession, cell_ids: list[int], committee_ids: list[int]
) -> tuple[dict[tuple[int, str], Member], dict[tuple[int, str], Member]]:
    """Members of the touched cells by (cell, name), and committee staff (no cell) by (committee, name).

    Staff have no cell; they belong to a committee through a role held on it.
    """
    in_cells: dict[tuple[int, str], Member] = {}
    for chunk in _chunks(cell_ids):
        found = (await session.exec(
            select(Member).where(col(Member.cell_id).in_(chunk)).order_by(col(Member.active).desc(), col(Member.id))
        )).all()
        for member in found:
            in_cells.setdefault((stored_id(member.cell_id), member.name_key), member)
    staff: dict[tuple[int, str], Member] = {}
    for chunk in _chunks(committee_ids):
        found_staff = (await session.exec(
            select(Role.unit_id, Member)
            .join(Member, col(Member.id) == col(Role.member_id))
            .where(col(Role.unit_id).in_(chunk), col(Member.cell_id).is_(None))
            .order_by(col(Member.active).desc(), col(Member.id))
        )).all()
        for unit_id, member in found_staff:
            staff.setdefault((unit_id, member.name_key), member)
    return in_cells, staff


async def _existing_roles(session: AsyncSession, member_ids: list[int]) -> set[tuple[int, int, str]]:
    held: set[tuple[int, int, str]] = set()
    for chunk in _chunks(member_ids):
        for role in (await session.exec(select(Role).where(col(Role.member_id).in_(chunk)))).all():
            held.add((role.member_id, role.unit_id, role.role))
    return held


async def _existing_accounts(
    session: AsyncSession, wanted: set[tuple[str, str]]
) -> dict[tuple[str, str], ChatAccount]:
    found: dict[tuple[str, str], ChatAccount] = {}
    for chunk in _chunks(sorted({user_id for _platform, user_id in wanted})):
        for account in (await session.exec(
            select(ChatAccount).where(col(ChatAccount.platform_user_id).in_(chunk))
        )).all():
            key = (account.platform, account.platform_user_id)
            if key in wanted:
                found[key] = account
    return found


_FIELDS = ("full_name", "gender", "birth_year", "admitted_on", "official_on", "status")


def _update(member: Member, row: Row) -> bool:
    """Copy the row's fields onto an existing member; an empty cell never erases what is known."""
    changed = False
    for name in _FIELDS:
        value = getattr(row, name)
        if value is not None and getattr(member, name) != value:
            setattr(member, name, value)
            changed = True
    return changed


async def _apply(session: AsyncSession, rows: list[Row], errors: _RowErrors, today: date) -> ImportResult:
    result = ImportResult(members=len(rows))
    if not rows:
        return result
    units = _Org(session, result)
    await units.load(rows)
    in_cells, staff = await _existing_members(
        session, [id_of(unit) for unit in units.cells.values()], [id_of(unit) for unit in units.committees.values()]
    )

    members: list[tuple[Row, Member]] = []
    for row in rows:
        cell = units.cell(row)
        key = fold(row.full_name)
        member = in_cells.get((id_of(cell), key)) if cell else staff.get((id_of(units.committee(row)), key))
        if member is None:
            member = Member(
                cell_id=cell.id if cell else None, full_name=row.full_name, name_key=key, gender=row.gender,
                birth_year=row.birth_year, status=row.status or Status.OFFICIAL, admitted_on=row.admitted_on,
                official_on=row.official_on,
            )
            session.add(member)
            result.created += 1
        elif _update(member, row):
            session.add(member)
            result.updated += 1
        else:
            result.unchanged += 1
        members.append((row, member))
    await session.flush()
    for _row, member in members:  # new members of a cell enter its roll (membership history)
        if member.cell_id is not None and not await membership.has_events(session, id_of(member)):
            await membership.join_roll(session, member, member.cell_id, today=today)

    held = await _existing_roles(session, [id_of(m) for _row, m in members])
    for row, member in members:
        cell = units.cell(row)
        wanted = [(id_of(cell), role) for role in row.cell_roles] if cell else []
        wanted += [(id_of(units.committee(row)), role) for role in row.committee_roles]
        for unit_id, role in wanted:
            if (member.id, unit_id, role) not in held:
                held.add((id_of(member), unit_id, role))
                session.add(Role(member_id=id_of(member), unit_id=unit_id, role=role))
                result.roles_added += 1

    accounts = await _existing_accounts(session, {a for row, _m in members for a in row.accounts})
    in_file = {member.id for _row, member in members}
    names = await _member_names(session, {a.member_id for a in accounts.values() if a.member_id} - in_file)
    for row, member in members:
        for platform, user_id in row.accounts:
            account = accounts.get((platform, user_id))
            if account is None:
                # Never seen: an account typed into a list must not outrank the one the member uses.
                session.add(ChatAccount(platform=platform, platform_user_id=user_id, chat_id=user_id,
                                        display_name=member.full_name[:200], member_id=member.id,
                                        last_seen_at=NEVER_SEEN))
                result.accounts_linked += 1
            elif account.member_id is None:
                account.member_id = member.id
                session.add(account)
                result.accounts_linked += 1
            elif account.member_id != member.id:
                owner = names.get(account.member_id) or _owner_in_file(members, account.member_id)
                errors.add(row.number, f"Tài khoản {platform}:{user_id} đã liên kết với đảng viên khác ({owner})")
    await session.flush()
    return result


def _owner_in_file(members: list[tuple[Row, Member]], member_id: int) -> str:
    return next((f"{m.full_name}, dòng {r.number}" for r, m in members if m.id == member_id), "không rõ tên")


async def _member_names(session: AsyncSession, member_ids: set[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for chunk in _chunks(sorted(member_ids)):
        for member_id, full_name in (await session.exec(
            select(Member.id, Member.full_name).where(col(Member.id).in_(chunk))
        )).all():
            names[stored_id(member_id)] = full_name
    return names
