"""The member list: `chibo import FILE` reads an XLSX or CSV export and brings the database in line.

One row per member. Headers are Vietnamese, matched ignoring case and diacritics, in any order;
columns we do not know are ignored. Every row is checked first and all problems are reported
together ("Dòng N: ..."), and nothing is written unless the whole file is good: the secretary fixes
the sheet and imports again. Importing the same file twice changes nothing.

One person stays one person (issue 10): a row is matched across the committee's cells by a linked
account, else by full name and birth year, so a changed cell is a transfer, not a second member.
Every change of cell or status is a dated membership event (storage.membership), dated at the
list's date (`on`, default the import's day); the roles in the file replace the member's roles;
a cell the file names that the committee does not have is created only when asked
(`create_cells`); members of a listed cell missing from the file are reported, and recorded as
having left only when asked (`sync`).
"""

from __future__ import annotations

import asyncio
import csv
import difflib
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import dues
from domain.dates import DEFAULT_TIMEZONE
from domain.history import LEAVING, Event, EventKind, Standing
from domain.text import fold
from domain.vocabulary import Position, Status, UnitKind
from storage import dues as dues_book
from storage import membership
from storage.db import Database
from storage.org import OrgError, validate_name
from storage.tables import ChatAccount, Member, OrgUnit, Role
from storage.types import id_of, stored_id

TZ = ZoneInfo(DEFAULT_TIMEZONE)  # without a `today`, "in the future" is judged by the date in Vietnam
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
    "dues": ("Đảng phí/tháng", ("dang phi thang", "dang phi", "muc dang phi", "dang phi hang thang")),
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
    "thu quy": (Position.TREASURER, False),
    "thu quy chi bo": (Position.TREASURER, False),
    "bi thu dang uy": (Position.SECRETARY, True),
    "bi thu dang bo": (Position.SECRETARY, True),
    "pho bi thu dang uy": (Position.DEPUTY, True),
    "pho bi thu dang bo": (Position.DEPUTY, True),
    "dang uy vien": (Position.COMMITTEE_MEMBER, True),
    "cap uy vien": (Position.COMMITTEE_MEMBER, True),
}

STATUS_TEXT = {Status.OFFICIAL: "chính thức", Status.PROBATIONARY: "dự bị", Status.EXEMPT: "miễn sinh hoạt",
               Status.SUSPENDED: "đình chỉ sinh hoạt"}
CELL_ROLE_TEXT: dict[str, str] = {
    Position.SECRETARY: "Bí thư", Position.DEPUTY: "Phó bí thư", Position.CELL_COMMITTEE: "Chi ủy viên",
    Position.TREASURER: "Thủ quỹ"}
COMMITTEE_ROLE_TEXT: dict[str, str] = {
    Position.SECRETARY: "Bí thư đảng ủy", Position.DEPUTY: "Phó bí thư đảng ủy",
    Position.COMMITTEE_MEMBER: "Đảng ủy viên"}
LEAVING_WORDS = {EventKind.DIED: "từ trần", EventKind.REMOVED: "xóa tên", EventKind.EXPELLED: "khai trừ"}
# Why a member missing from the list is recorded with `--dong-bo` as transferred out of the
# committee's cells (TRANSFERRED, no cell) and not as removed: xóa tên and khai trừ are Party
# decisions the bot never takes; absent from a list most often means moved away. The secretary
# can still record what really happened (death, removal) with its own event.
LEFT_REASON = "không còn trong danh sách"
CLOSE_NAME = 0.6  # difflib ratio of folded names from which a cell name is offered as "gần giống"
CLOSE_NAMES_SHOWN = 3
NAMES_SHOWN = 20  # names listed per kind of change in the summary before "và N người khác"

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


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What the operator asked for on the command line (`chibo import`)."""

    create_cells: bool = False  # --tao-chi-bo: cells the committee does not have yet are created
    sync: bool = False  # --dong-bo: members of a listed cell missing from the file are recorded as left
    on: date | None = None  # --ngay: the date the list describes (events are dated then); default today


@dataclass(slots=True)
class ImportResult:
    """What an import did: counts for the first line of the summary, names for the lines after."""

    members: int = 0
    created: int = 0
    moved: int = 0
    updated: int = 0
    unchanged: int = 0
    left: int = 0
    committees_created: int = 0
    cells_created: int = 0
    roles_added: int = 0
    roles_removed: int = 0
    accounts_linked: int = 0
    on: date | None = None
    created_names: list[str] = field(default_factory=list)
    moved_names: list[str] = field(default_factory=list)
    changed_names: list[str] = field(default_factory=list)
    left_names: list[str] = field(default_factory=list)
    missing_names: list[str] = field(default_factory=list)  # not in the file, not marked (no --dong-bo)

    def summary(self) -> str:
        """The counts on one line, then who was created, moved, changed, left, and who is missing."""
        day = f"{self.on:%d/%m/%Y}" if self.on else "hôm nay"
        lines = [
            f"Đã nhập {self.members} đảng viên: {self.created} mới, {self.moved} chuyển chi bộ, "
            f"{self.updated} cập nhật, {self.unchanged} không đổi; {self.left} rời chi bộ; "
            f"{self.committees_created} đảng bộ, {self.cells_created} chi bộ mới; {self.roles_added} chức vụ mới, "
            f"{self.roles_removed} chức vụ bỏ; {self.accounts_linked} tài khoản liên kết."
        ]
        for title, names in (("Mới", self.created_names), (f"Chuyển chi bộ từ {day}", self.moved_names),
                             ("Thay đổi", self.changed_names),
                             (f"Rời chi bộ từ {day} ({LEFT_REASON})", self.left_names)):
            if names:
                lines.append(f"{title}: {_names(names)}.")
        if self.missing_names:
            lines.append(f"Không có trong tệp, chưa ghi rời chi bộ ({len(self.missing_names)}): "
                         f"{_names(self.missing_names)}. Nếu họ đã rời chi bộ, nhập lại với --dong-bo "
                         "(thêm --ngay dd/mm/yyyy nếu không phải hôm nay).")
        return "\n".join(lines)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    return shown + (f" và {len(names) - NAMES_SHOWN} người khác" if len(names) > NAMES_SHOWN else "")


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
    roles_given: bool = True  # False: the file has no Chức vụ column, roles are left as they are
    dues: int | None = None  # Đảng phí/tháng as declared (đồng); None: not given, the dues book is left as it is


class _RowErrors:
    """Reasons collected per spreadsheet row."""

    def __init__(self) -> None:
        self.by_row: dict[int, list[str]] = {}
        self.general: list[str] = []  # problems of the list as a whole (a member missing from it)

    def add(self, number: int | None, reason: str) -> None:
        if number is None:
            self.general.append(reason)
        else:
            self.by_row.setdefault(number, []).append(reason)

    def __bool__(self) -> bool:
        return bool(self.by_row or self.general)

    def failure(self, path: Path) -> ImportFailed:
        rows = sorted(self.by_row.items())
        if not rows:
            return ImportFailed(f"Không nhập được tệp {path.name}, chưa có dữ liệu nào được lưu: "
                                + "; ".join(self.general) + ".")
        lines = [f"Không nhập được tệp {path.name}: {len(rows)} dòng có lỗi, chưa có dữ liệu nào được lưu. "
                 "Vui lòng sửa các dòng sau rồi nhập lại:"]
        lines += self.general
        lines += [f"Dòng {number}: {'; '.join(reasons)}" for number, reasons in rows[:MAX_LISTED_ERRORS]]
        if len(rows) > MAX_LISTED_ERRORS:
            lines.append(f"... và {len(rows) - MAX_LISTED_ERRORS} dòng khác có lỗi.")
        errors = [(number, "; ".join(reasons)) for number, reasons in rows]
        return ImportFailed("\n".join(lines), errors)


# -- entry point ---------------------------------------------------------------------------------

async def import_file(db: Database, path: Path, *, today: date | None = None,
                      options: ImportOptions = ImportOptions()) -> ImportResult:
    """Bring the database in line with the member list at `path`, all or nothing."""
    path = Path(path)
    today = today or datetime.now(TZ).date()
    if options.on is not None and options.on > today:
        raise ImportFailed(f"Không nhập được tệp {path.name}: ngày của danh sách {options.on:%d/%m/%Y} ở tương lai "
                           f"(hôm nay là {today:%d/%m/%Y}).")
    table = await asyncio.to_thread(read_table, path)
    errors = _RowErrors()
    rows = parse_rows(table, today, errors)
    async with db.session() as session:
        result = await _apply(session, rows, errors, today, options)
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
                               "Thủ quỹ, Đảng viên, Bí thư đảng ủy, Phó bí thư đảng ủy hoặc Đảng ủy viên")
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
    dues_text = _text(raw.get("dues"))
    monthly = dues.parse_amount(dues_text) if dues_text else None
    if dues_text and (monthly is None or monthly > dues.CONFIRM_ABOVE):
        errors.add(number, f"Đảng phí/tháng «{dues_text[:20]}» không hợp lệ: ghi số tiền mỗi tháng bằng đồng, "
                           f"không quá {dues.money(dues.CONFIRM_ABOVE)}, ví dụ 45000")
    if len(errors.by_row.get(number, [])) > problems_before or committee is None:  # no committee: an error above
        return None
    return Row(number, committee, cell, full_name, gender, birth_year, admitted_on, official_on,
               status if "status" in raw else None, cell_roles, committee_roles, accounts, "roles" in raw, monthly)


def parse_rows(table: list[tuple[int, dict[str, Any]]], today: date, errors: _RowErrors) -> list[Row]:
    """The good rows; problems (including a member or account listed twice) go to `errors`.

    Two people of one name in one cell are told apart by their birth years: the same name twice
    in a cell with the same year, or without a year, is one person listed twice.
    """
    rows: list[Row] = []
    seen_members: dict[tuple[str, str | None, str], list[Row]] = {}
    seen_accounts: dict[tuple[str, str], int] = {}
    for number, raw in table:
        row = _row(number, raw, today, errors)
        if row is None:
            continue
        key = (fold(row.committee), fold(row.cell) if row.cell else None, fold(row.full_name))
        same = next((other for other in seen_members.get(key, []) if other.birth_year == row.birth_year), None)
        if same is not None:
            errors.add(number, f"{row.full_name} đã có ở dòng {same.number}")
            continue
        unknown = next((other for other in seen_members.get(key, [])
                        if other.birth_year is None or row.birth_year is None), None)
        if unknown is not None:
            errors.add(number, f"{row.full_name} trùng tên với dòng {unknown.number} trong cùng chi bộ: "
                               "ghi năm sinh của cả hai để phân biệt")
            continue
        seen_members.setdefault(key, []).append(row)
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
    """Committees and cells by folded name. A committee the file names is created when missing; a
    cell only when its committee has no cells yet (a first import) or with `--tao-chi-bo`: a
    mistyped cell name in a later import must not become a cell nobody meant."""

    def __init__(self, session: AsyncSession, result: ImportResult, create_cells: bool) -> None:
        self.session = session
        self.result = result
        self.create_cells = create_cells
        self.committees: dict[str, OrgUnit] = {}
        self.cells: dict[tuple[int, str], OrgUnit] = {}
        self.by_id: dict[int, OrgUnit] = {}
        self.created_cell_ids: set[int] = set()
        self.bad_rows: set[int] = set()  # rows naming an unknown or dissolved cell

    async def load(self, rows: list[Row], errors: _RowErrors) -> None:
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

        ids = [id_of(unit) for unit in self.committees.values()]
        for unit in self.committees.values():
            self.by_id[id_of(unit)] = unit
        for chunk in _chunks(ids):
            for unit in (await self.session.exec(
                select(OrgUnit).where(OrgUnit.kind == UnitKind.CELL, col(OrgUnit.parent_id).in_(chunk))
                .order_by(col(OrgUnit.id))
            )).all():
                self.cells.setdefault((stored_id(unit.parent_id), unit.name_key), unit)
                self.by_id[id_of(unit)] = unit
        with_cells = {committee_id for committee_id, _key in self.cells}
        wanted: dict[tuple[int, str], OrgUnit] = {}
        unknown: dict[tuple[int, str], list[Row]] = {}
        for row in rows:
            if row.cell is None:
                continue
            key = (id_of(self.committee(row)), fold(row.cell))
            found = self.cells.get(key)
            if found is not None:
                if found.dissolved_on is not None:
                    errors.add(row.number, f"{found.name} đã giải thể ngày {found.dissolved_on:%d/%m/%Y}, "
                                           "không nhận thêm đảng viên")
                    self.bad_rows.add(row.number)
            elif self.create_cells or key[0] not in with_cells:
                wanted.setdefault(key, OrgUnit(kind=UnitKind.CELL, name=row.cell, name_key=key[1], parent_id=key[0]))
            else:
                unknown.setdefault(key, []).append(row)
        for (committee_id, folded), named in unknown.items():
            first = named[0]
            lines = ", ".join(str(row.number) for row in named)
            close = self.closest(committee_id, folded)
            hint = f"tên gần giống: {', '.join(close)}" if close else "không có chi bộ nào tên gần giống"
            errors.add(first.number, f"Chi bộ «{first.cell}» chưa có trong {self.by_id[committee_id].name} ({hint}; "
                                     f"dòng {lines}). Sửa tên chi bộ trong tệp, hoặc nhập lại với --tao-chi-bo "
                                     "nếu đây là chi bộ mới")
            self.bad_rows.update(row.number for row in named)
        await self._add(list(wanted.values()), self.cells, lambda unit: (unit.parent_id, unit.name_key))
        for unit in wanted.values():
            self.by_id[id_of(unit)] = unit
            self.created_cell_ids.add(id_of(unit))
        self.result.cells_created = len(wanted)

    def closest(self, committee_id: int, key: str) -> list[str]:
        """The committee's live cells whose folded names are nearest to `key`, best first."""
        live = [unit for (parent, _k), unit in self.cells.items() if parent == committee_id and not unit.dissolved_on]
        scored = [(difflib.SequenceMatcher(None, key, unit.name_key).ratio(), unit.name) for unit in live]
        return [name for score, name in sorted(scored, key=lambda pair: (-pair[0], pair[1]))
                if score >= CLOSE_NAME][:CLOSE_NAMES_SHOWN]

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

    def cell_id(self, row: Row) -> int | None:
        cell = self.cell(row)
        return id_of(cell) if cell else None

    def cells_of(self, committee_id: int) -> list[int]:
        return [id_of(unit) for (parent, _key), unit in self.cells.items() if parent == committee_id]

    def name(self, unit_id: int | None) -> str:
        return self.by_id[unit_id].name if unit_id in self.by_id else "—"


async def _pool(session: AsyncSession, units: _Org) -> dict[int, list[Member]]:
    """Everyone a row may be: per committee, the members of all its cells (whether still active or
    not: someone listed again after leaving is the same person) and its staff (no cell, a role in
    the committee). Matching across the cells is what makes a changed cell a transfer."""
    pool: dict[int, dict[int, Member]] = {}
    for committee_id in {id_of(unit) for unit in units.committees.values()}:
        found = pool.setdefault(committee_id, {})
        for chunk in _chunks(units.cells_of(committee_id)):
            for member in (await session.exec(
                select(Member).where(col(Member.cell_id).in_(chunk)).order_by(col(Member.id))
            )).all():
                found[id_of(member)] = member
        for member in (await session.exec(
            select(Member).join(Role, col(Role.member_id) == col(Member.id))
            .where(Role.unit_id == committee_id, col(Member.cell_id).is_(None)).order_by(col(Member.id))
        )).all():
            found[id_of(member)] = member
    return {committee_id: list(members.values()) for committee_id, members in pool.items()}


class _Matcher:
    """Which existing member each row is: by a linked account first, else by folded full name
    and birth year, an unknown year on either side matching any year. Among several, the one in
    the row's cell and then one still active is taken; a tie is a row error asking for the year."""

    def __init__(self, units: _Org, pool: dict[int, list[Member]], errors: _RowErrors) -> None:
        self.units = units
        self.errors = errors
        self.by_name: dict[tuple[int, str], list[Member]] = {}
        self.by_id: dict[int, tuple[int, Member]] = {}
        for committee_id, members in pool.items():
            for member in members:
                self.by_name.setdefault((committee_id, member.name_key), []).append(member)
                self.by_id[id_of(member)] = (committee_id, member)
        self.claimed: dict[int, Row] = {}  # member id → the row that is them
        self.found: dict[int, Member] = {}  # row number → member

    def match(self, rows: list[Row], accounts: dict[tuple[str, str], ChatAccount]) -> dict[int, Member]:
        for row in rows:
            self._by_account(row, accounts)
        for exact in (True, False):
            waiting = [row for row in rows if row.number not in self.found]
            # Rows with a candidate in their own cell first: they must not lose it to a row elsewhere.
            waiting.sort(key=lambda row: (not any(m.cell_id == self.units.cell_id(row)
                                                  for m in self._candidates(row, exact)), row.number))
            for row in waiting:
                if row.number not in self.errors.by_row:
                    self._by_name(row, exact)
        return self.found

    def _by_account(self, row: Row, accounts: dict[tuple[str, str], ChatAccount]) -> None:
        owners = {accounts[a].member_id for a in row.accounts if a in accounts and accounts[a].member_id}
        committee_id = id_of(self.units.committee(row))
        members = [self.by_id[owner][1] for owner in owners
                   if owner in self.by_id and self.by_id[owner][0] == committee_id]
        # An account of someone with another name is not this row's person: the accounts step says so.
        same = [member for member in members if member.name_key == fold(row.full_name)]
        if len(same) > 1:
            self.errors.add(row.number, "Các tài khoản ghi ở dòng này thuộc " + " và ".join(m.full_name for m in same)
                            + ", hai đảng viên khác nhau")
        elif same:
            self._claim(row, same[0])

    def _candidates(self, row: Row, exact: bool) -> list[Member]:
        committee_id = id_of(self.units.committee(row))
        return [member for member in self.by_name.get((committee_id, fold(row.full_name)), [])
                if id_of(member) not in self.claimed and (
                    (row.birth_year is not None and member.birth_year == row.birth_year) if exact
                    else (row.birth_year is None or member.birth_year is None))]

    def _by_name(self, row: Row, exact: bool) -> None:
        candidates = self._candidates(row, exact)
        if not candidates:
            return
        cell_id = self.units.cell_id(row)
        here = [member for member in candidates if member.cell_id == cell_id] or candidates
        active = [member for member in here if member.active] or here
        if len(active) == 1:
            self._claim(row, active[0])
            return
        who = "; ".join(f"{self.units.name(m.cell_id) if m.cell_id else 'cấp ủy'}, "
                        f"{f'sinh {m.birth_year}' if m.birth_year else 'chưa rõ năm sinh'}" for m in active)
        self.errors.add(row.number, f"Có {len(active)} đảng viên tên {row.full_name} ({who}): ghi năm sinh "
                                    "hoặc tài khoản để biết dòng này là ai")

    def _claim(self, row: Row, member: Member) -> None:
        other = self.claimed.get(id_of(member))
        if other is not None:
            self.errors.add(row.number, f"{row.full_name} là cùng một người với dòng {other.number}")
            return
        self.claimed[id_of(member)] = row
        self.found[row.number] = member


async def _existing_roles(session: AsyncSession, member_ids: list[int]) -> dict[int, set[tuple[int, str]]]:
    """Each member's roles: {(unit id, role)}."""
    held: dict[int, set[tuple[int, str]]] = {}
    for chunk in _chunks(member_ids):
        for role in (await session.exec(select(Role).where(col(Role.member_id).in_(chunk)))).all():
            held.setdefault(role.member_id, set()).add((role.unit_id, role.role))
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


def has_marks(name: str) -> bool:
    """True when a name is written with Vietnamese diacritics (or đ)."""
    return fold(name) != " ".join(name.split()).lower()


def better_spelt(new: str, old: str) -> bool:
    """Whether `new`, the same name folded, may replace `old`: never by losing the diacritics, nor
    by losing capitals ("nguyễn văn an" for "Nguyễn Văn An"); a corrected mark is taken."""
    if has_marks(old) and not has_marks(new):
        return False
    if new.lower() == old.lower():
        return all(word[:1].isupper() for word in new.split())
    return True


_FIELDS = {"gender": "giới tính", "birth_year": "năm sinh", "admitted_on": "ngày vào Đảng",
           "official_on": "ngày chính thức"}


def _update(member: Member, row: Row) -> list[str]:
    """Copy the row's fields onto an existing member; returns what changed, in words. An empty
    cell never erases what is known, and a name typed without diacritics never replaces one
    written with them (`better_spelt`)."""
    changed = []
    if row.full_name != member.full_name and better_spelt(row.full_name, member.full_name):
        member.full_name, member.name_key = row.full_name, fold(row.full_name)
        changed.append("họ tên")
    for name, words in _FIELDS.items():
        value = getattr(row, name)
        if value is not None and getattr(member, name) != value:
            setattr(member, name, value)
            changed.append(words)
    return changed


class _History:
    """The membership events an import records (transfers, status changes, leaving), all dated
    at the list's date and written through storage.membership, the one code path."""

    def __init__(self, session: AsyncSession, on: date, today: date, errors: _RowErrors) -> None:
        self.session = session
        self.on = on
        self.today = today
        self.errors = errors

    async def check(self, row_number: int | None, member: Member) -> bool:
        """False (with an error on the row, or on the list for a member not in it) when the member's
        history forbids changing them on `on`: they died, were removed or expelled, or something
        happened to them after that date."""
        events = await membership.events_of(self.session, id_of(member))
        if not events:
            return True
        last = events[-1]
        if last.kind in LEAVING:
            self.errors.add(row_number, f"{member.full_name} đã được ghi {LEAVING_WORDS[last.kind]} ngày "
                                        f"{last.on:%d/%m/%Y}: bỏ dòng này khỏi tệp")
            return False
        if last.on > self.on:
            self.errors.add(row_number, f"{member.full_name} đã có thay đổi ngày {last.on:%d/%m/%Y}, sau ngày "
                                        f"{self.on:%d/%m/%Y} của danh sách: nhập với --ngay từ {last.on:%d/%m/%Y}")
            return False
        return True

    async def record(self, member: Member, event: Event, reason: str | None = None) -> Standing | None:
        return await membership.record(self.session, id_of(member), event, today=self.today, reason=reason)

    async def enter(self, member: Member, cell_id: int) -> None:
        """Into `cell_id` on the list's date: a transfer, or a first cell for staff without history."""
        if await membership.has_events(self.session, id_of(member)):
            await self.record(member, Event(EventKind.TRANSFERRED, self.on, cell_id=cell_id))
        else:
            await membership.join_roll(self.session, member, cell_id, today=self.today, on=self.on)

    async def status(self, member: Member, current: Status, wanted: Status) -> None:
        """The events that take `current` to `wanted`: an exemption, its end, a recognition; a
        probationary status where the history says official is a correction (listed anew)."""
        if wanted == Status.EXEMPT:
            await self.record(member, Event(EventKind.EXEMPTED, self.on))
            return
        standing = None
        if current == Status.EXEMPT:
            standing = await self.record(member, Event(EventKind.EXEMPTION_ENDED, self.on))
            current = standing.status if standing else wanted
        if current == wanted:
            return
        if wanted == Status.OFFICIAL:
            await self.record(member, Event(EventKind.RECOGNISED, self.on))
        else:
            cell_id = standing.cell_id if standing else member.cell_id
            await self.record(member, Event(EventKind.LISTED, self.on, cell_id=cell_id, status=wanted))


async def _apply(session: AsyncSession, rows: list[Row], errors: _RowErrors, today: date,
                 options: ImportOptions) -> ImportResult:
    on = options.on or today
    result = ImportResult(members=len(rows), on=on)
    if not rows:
        return result
    units = _Org(session, result, options.create_cells)
    await units.load(rows, errors)
    rows = [row for row in rows if row.number not in units.bad_rows]
    accounts = await _existing_accounts(session, {a for row in rows for a in row.accounts})
    found = _Matcher(units, await _pool(session, units), errors).match(rows, accounts)
    rows = [row for row in rows if row.number not in errors.by_row]

    # Existing members as they stood before this file: what changes is compared with this.
    before = {id_of(m): (m.cell_id, Status(m.status) if m.status in tuple(Status) else Status.OFFICIAL, m.active)
              for m in found.values()}
    members: list[tuple[Row, Member, list[str]]] = []
    for row in rows:
        cell_id = units.cell_id(row)
        member = found.get(row.number)
        if member is None:
            member = Member(
                cell_id=cell_id, full_name=row.full_name, name_key=fold(row.full_name), gender=row.gender,
                birth_year=row.birth_year, status=row.status or Status.OFFICIAL, admitted_on=row.admitted_on,
                official_on=row.official_on,
            )
            session.add(member)
            result.created += 1
            where = units.name(cell_id) if cell_id else units.committee(row).name
            result.created_names.append(_who(row.full_name, where))
            members.append((row, member, []))
            continue
        changes = _update(member, row)
        if changes:
            session.add(member)
        members.append((row, member, changes))
    await session.flush()

    history = _History(session, on, today, errors)
    moved: set[int] = set()
    for row, member, changes in members:
        if id_of(member) not in before:  # new: entered on the cell's roll (membership history)
            if member.cell_id is not None:
                await membership.join_roll(session, member, member.cell_id, today=today)
            continue
        old_cell, status, active = before[id_of(member)]
        cell_id = units.cell_id(row)
        moves = cell_id is not None and (not active or old_cell != cell_id)
        # Staff without a cell have no membership history; a suspension is no word of the file's.
        wanted = Status(row.status) if row.status is not None else status
        restates = wanted != status and status != Status.SUSPENDED and (active or moves) and (
            cell_id is not None or old_cell is not None)
        if (moves or restates) and not await history.check(row.number, member):
            continue
        if moves:
            assert cell_id is not None
            await history.enter(member, cell_id)
            moved.add(id_of(member))
            origin = units.name(old_cell) if active and old_cell else "đã rời"
            result.moved_names.append(f"{member.full_name} ({origin} → {units.name(cell_id)})")
        if restates:
            await history.status(member, status, wanted)
            changes.append(f"tình trạng: {STATUS_TEXT[status]} → {STATUS_TEXT[wanted]}")

    await _roles(session, units, members, result)
    await _declare_dues(session, members, on)
    await _link_accounts(session, members, accounts, errors, result)
    for _row, member, changes in members:
        if id_of(member) not in before:
            continue
        if changes:
            result.changed_names.append(f"{member.full_name} ({'; '.join(changes)})")
        if id_of(member) in moved:
            result.moved += 1
        elif changes:
            result.updated += 1
        else:
            result.unchanged += 1
    listed = {cell_id for row in rows if (cell_id := units.cell_id(row)) is not None} - units.created_cell_ids
    await _missing(session, units, listed, {id_of(m) for _r, m, _c in members}, history, options.sync, result)
    await session.flush()
    return result


async def _declare_dues(session: AsyncSession, members: list[tuple[Row, Member, list[str]]], on: date) -> None:
    """The optional column Đảng phí/tháng: a declared amount from the month of the import, unless
    the same amount is already in force then (a re-import adds nothing)."""
    rows = [(row, member) for row, member, _changes in members if row.dues is not None and member.cell_id is not None]
    if not rows:
        return
    month = dues.month_of(on)
    declared = await dues_book.rates_of(session, [id_of(member) for _row, member in rows])
    for row, member in rows:
        assert row.dues is not None and member.cell_id is not None
        current = dues.rate_on(declared.get(id_of(member), []), month)
        if current is not None and current.amount == row.dues and current.exemption is None and not current.reduction:
            continue
        await dues_book.declare(session, id_of(member), member.cell_id, dues.Rate(month, dues.Basis.DECLARED, row.dues),
                                by=None, now=datetime.now(UTC))


async def _roles(session: AsyncSession, units: _Org, members: list[tuple[Row, Member, list[str]]],
                 result: ImportResult) -> None:
    """The roles in the file replace the member's roles in this committee and its cells (roles
    held elsewhere are not the file's business; a row without a cell leaves cell roles alone).
    A file without a Chức vụ column changes none."""
    held = await _existing_roles(session, [id_of(m) for _row, m, _c in members])
    for row, member, changes in members:
        committee_id = id_of(units.committee(row))
        cell_id = units.cell_id(row)
        wanted = {(cell_id, role) for role in row.cell_roles} if cell_id else set()
        wanted |= {(committee_id, role) for role in row.committee_roles}
        mine = held.get(id_of(member), set())
        # A row without a cell cannot name cell roles (a row error): it replaces committee roles only.
        here = (set(units.cells_of(committee_id)) if cell_id else set()) | {committee_id}
        for unit_id, role in sorted(wanted - mine):
            session.add(Role(member_id=id_of(member), unit_id=unit_id, role=role))
            result.roles_added += 1
            changes.append(f"thêm chức vụ {_role_text(role, units.by_id[unit_id])}")
        if not row.roles_given:
            continue
        gone = sorted((unit_id, role) for unit_id, role in mine - wanted if unit_id in here)
        for unit_id, role in gone:
            await session.exec(delete(Role).where(
                col(Role.member_id) == id_of(member), col(Role.unit_id) == unit_id, col(Role.role) == role))
            result.roles_removed += 1
            changes.append(f"bỏ chức vụ {_role_text(role, units.by_id[unit_id])}")


async def _link_accounts(session: AsyncSession, members: list[tuple[Row, Member, list[str]]],
                    accounts: dict[tuple[str, str], ChatAccount], errors: _RowErrors, result: ImportResult) -> None:
    in_file = {member.id for _row, member, _c in members}
    names = await _member_names(session, {a.member_id for a in accounts.values() if a.member_id} - in_file)
    for row, member, changes in members:
        for platform, user_id in row.accounts:
            account = accounts.get((platform, user_id))
            if account is None:
                # Never seen: an account typed into a list must not outrank the one the member uses.
                session.add(ChatAccount(platform=platform, platform_user_id=user_id, chat_id=user_id,
                                        display_name=member.full_name[:200], member_id=member.id,
                                        last_seen_at=NEVER_SEEN))
            elif account.member_id is None:
                account.member_id = member.id
                session.add(account)
            elif account.member_id != member.id:
                owner = names.get(account.member_id) or _owner_in_file(members, account.member_id)
                errors.add(row.number, f"Tài khoản {platform}:{user_id} đã liên kết với đảng viên khác ({owner})")
                continue
            else:
                continue
            result.accounts_linked += 1
            changes.append(f"tài khoản {platform}:{user_id}")


async def _missing(session: AsyncSession, units: _Org, listed: set[int], in_file: set[int], history: _History,
                   sync: bool, result: ImportResult) -> None:
    """Active members of a cell the file lists (`listed`) who are not in it: named in the summary,
    and with `--dong-bo` recorded as having left on the list's date (see `LEFT_REASON`), their
    roles in the committee removed with them (a secretary who left no longer leads the cell)."""
    missing: list[Member] = []
    for chunk in _chunks(sorted(listed)):
        missing += (await session.exec(
            select(Member).where(col(Member.cell_id).in_(chunk), col(Member.active))
            .order_by(col(Member.cell_id), col(Member.name_key), col(Member.id))
        )).all()
    for member in missing:
        if id_of(member) in in_file:
            continue
        cell_id = stored_id(member.cell_id)
        name = _who(member.full_name, units.name(cell_id))
        if not sync:
            result.missing_names.append(name)
            continue
        if not await history.check(None, member):
            continue
        await history.record(member, Event(EventKind.TRANSFERRED, history.on, cell_id=None), reason=LEFT_REASON)
        committee_id = stored_id(units.by_id[cell_id].parent_id)
        here = set(units.cells_of(committee_id)) | {committee_id}
        for role in (await session.exec(select(Role).where(Role.member_id == id_of(member)))).all():
            if role.unit_id in here:
                await session.delete(role)
                result.roles_removed += 1
        result.left += 1
        result.left_names.append(name)


def _who(name: str, where: str) -> str:
    return f"{name} ({where})"


def _role_text(role: str, unit: OrgUnit) -> str:
    if unit.kind == UnitKind.COMMITTEE:
        return COMMITTEE_ROLE_TEXT.get(role, role)
    return f"{CELL_ROLE_TEXT.get(role, role)} {unit.name}"


def _owner_in_file(members: list[tuple[Row, Member, list[str]]], member_id: int) -> str:
    return next((f"{m.full_name}, dòng {r.number}" for r, m, _c in members if m.id == member_id), "không rõ tên")


async def _member_names(session: AsyncSession, member_ids: set[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for chunk in _chunks(sorted(member_ids)):
        for member_id, full_name in (await session.exec(
            select(Member.id, Member.full_name).where(col(Member.id).in_(chunk))
        )).all():
            names[stored_id(member_id)] = full_name
    return names
