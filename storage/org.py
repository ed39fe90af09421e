"""Organisation units, join codes and join requests: the rules of who joins where."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.history import Event, EventKind
from domain.spreadsheet import STARTS_LIKE_FORMULA, starts_like_formula
from domain.text import clean_name, fold, has_control
from domain.vocabulary import Status, UnitKind
from storage import membership
from storage.tables import ChatAccount, CodeAttempt, JoinCode, JoinRequest, Member, OrgUnit, Role
from storage.types import id_of, utcnow

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones
CODE_LENGTH = 10  # 32**10 ≈ 10**15 codes; with the attempt limit below, guessing is hopeless
MAX_WRONG_CODES = 5
WRONG_CODE_WINDOW = timedelta(minutes=10)
NAME_MAX = 120
SECRETARY_CODE = "secretary"
MEMBER_CODE = "member"


class OrgError(ValueError):
    """A rule was broken; the message is Vietnamese and meant for the user."""


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def validate_name(raw: str, what: str = "Họ và tên") -> str:
    """A clean name, or an `OrgError` saying what to type instead."""
    if has_control(raw):
        raise OrgError(f"{what} có ký tự không hợp lệ. Vui lòng gõ lại bằng chữ thường, ví dụ: Nguyễn Văn An.")
    name = clean_name(raw)
    if not name:
        raise OrgError(f"{what} không được để trống. Ví dụ: Nguyễn Văn An.")
    if len(name) > NAME_MAX:
        raise OrgError(f"{what} dài quá {NAME_MAX} ký tự. Vui lòng gõ ngắn gọn hơn.")
    if not any(ch.isalpha() for ch in name) or name.startswith("/"):
        raise OrgError(f"{what} phải có chữ cái. Ví dụ: Nguyễn Văn An.")
    if starts_like_formula(name):  # a spreadsheet would run it (domain.spreadsheet)
        raise OrgError(f"{what} {STARTS_LIKE_FORMULA}. Vui lòng gõ lại bắt đầu bằng chữ, ví dụ: Nguyễn Văn An.")
    return name


# -- units -------------------------------------------------------------------------------

async def find_committee(session: AsyncSession, name: str) -> OrgUnit | None:
    return (await session.exec(
        select(OrgUnit).where(OrgUnit.kind == UnitKind.COMMITTEE, OrgUnit.name_key == fold(name))
    )).first()


async def find_cell(session: AsyncSession, committee_id: int | None, name: str) -> OrgUnit | None:
    query = select(OrgUnit).where(OrgUnit.kind == UnitKind.CELL, OrgUnit.name_key == fold(name))
    if committee_id is not None:
        query = query.where(OrgUnit.parent_id == committee_id)
    return (await session.exec(query)).first()


async def create_committee(session: AsyncSession, name: str) -> tuple[OrgUnit, JoinCode]:
    """A committee and the one-time code for its first secretary."""
    name = validate_name(name, "Tên đảng bộ")
    if await find_committee(session, name):
        raise OrgError(f"Đã có đảng bộ tên «{name}».")
    unit = OrgUnit(kind=UnitKind.COMMITTEE, name=name, name_key=fold(name))
    session.add(unit)
    await session.flush()
    code = await issue_code(session, id_of(unit), SECRETARY_CODE)
    return unit, code


async def create_cell(session: AsyncSession, committee: OrgUnit, name: str) -> tuple[OrgUnit, JoinCode, JoinCode]:
    """A cell under a committee, with its secretary's one-time code and its member code."""
    name = validate_name(name, "Tên chi bộ")
    if await find_cell(session, committee.id, name):
        raise OrgError(f"{committee.name} đã có chi bộ tên «{name}».")
    unit = OrgUnit(kind=UnitKind.CELL, name=name, name_key=fold(name), parent_id=committee.id)
    session.add(unit)
    await session.flush()
    secretary = await issue_code(session, id_of(unit), SECRETARY_CODE)
    member = await issue_code(session, id_of(unit), MEMBER_CODE)
    return unit, secretary, member


async def cells_of(session: AsyncSession, committee_id: int, *, since: date | None = None) -> list[OrgUnit]:
    """The committee's cells by name. With `since` (a period's first day), a cell dissolved on or
    before that day is left out: it had no members left in that period; for earlier periods it
    is listed, so that their figures stay what they were."""
    query = select(OrgUnit).where(OrgUnit.parent_id == committee_id, OrgUnit.kind == UnitKind.CELL)
    if since is not None:
        query = query.where(or_(col(OrgUnit.dissolved_on).is_(None), col(OrgUnit.dissolved_on) > since))
    return list((await session.exec(query.order_by(OrgUnit.name_key))).all())


# -- codes ---------------------------------------------------------------------------------

async def issue_code(session: AsyncSession, unit_id: int, purpose: str) -> JoinCode:
    code = JoinCode(code=new_code(), unit_id=unit_id, purpose=purpose)
    session.add(code)
    await session.flush()
    return code


async def member_code(session: AsyncSession, unit_id: int) -> JoinCode:
    """The cell's current member code (made when there is none)."""
    found = (await session.exec(
        select(JoinCode).where(
            JoinCode.unit_id == unit_id, JoinCode.purpose == MEMBER_CODE, col(JoinCode.revoked_at).is_(None)
        ).order_by(col(JoinCode.id).desc())
    )).first()
    return found or await issue_code(session, unit_id, MEMBER_CODE)


async def replace_member_code(session: AsyncSession, unit_id: int, now: datetime) -> JoinCode:
    for old in (await session.exec(
        select(JoinCode).where(
            JoinCode.unit_id == unit_id, JoinCode.purpose == MEMBER_CODE, col(JoinCode.revoked_at).is_(None)
        )
    )).all():
        old.revoked_at = now
        session.add(old)
    return await issue_code(session, unit_id, MEMBER_CODE)


async def too_many_wrong_codes(session: AsyncSession, account_id: int, now: datetime) -> bool:
    count = (await session.exec(
        select(func.count()).select_from(CodeAttempt).where(
            CodeAttempt.account_id == account_id, CodeAttempt.at > now - WRONG_CODE_WINDOW
        )
    )).one()
    return count >= MAX_WRONG_CODES


async def lookup_code(session: AsyncSession, account_id: int, text: str, now: datetime) -> JoinCode:
    """The live code typed, or an `OrgError`; wrong codes are counted against the account."""
    if await too_many_wrong_codes(session, account_id, now):
        raise OrgError("Đồng chí đã nhập sai mã quá nhiều lần. Vui lòng chờ 10 phút rồi thử lại.")
    typed = normalise_code(text)
    code = (await session.exec(select(JoinCode).where(JoinCode.code == typed))).first() if typed else None
    if code is None or code.revoked_at is not None:
        session.add(CodeAttempt(account_id=account_id, at=now))
        raise OrgError("Mã không đúng hoặc đã hết hiệu lực. Vui lòng kiểm tra lại mã do bí thư gửi "
                       "(ví dụ: /thamgia ABCD23EFGH).")
    if code.purpose == SECRETARY_CODE and code.used_at is not None:
        raise OrgError("Mã bí thư này đã được dùng. Mỗi mã bí thư chỉ dùng được một lần; "
                       "vui lòng xin mã mới từ cấp ủy.")
    return code


# -- members ---------------------------------------------------------------------------------

async def member_by_name(session: AsyncSession, cell_id: int, name: str) -> Member | None:
    return (await session.exec(
        select(Member).where(Member.cell_id == cell_id, Member.name_key == fold(name), col(Member.active))
    )).first()


async def members_named(session: AsyncSession, cell_id: int, name: str) -> list[Member]:
    """The cell's active members of this name (diacritics and case ignored), by birth year: the
    people a join request in that name may be (two of one name are told apart by the year)."""
    return list((await session.exec(
        select(Member).where(Member.cell_id == cell_id, Member.name_key == fold(name), col(Member.active))
        .order_by(col(Member.birth_year).nulls_last(), col(Member.id))
    )).all())


async def add_member(session: AsyncSession, cell_id: int | None, name: str, status: str = Status.OFFICIAL,
                     *, today: date | None = None, by: int | None = None, now: datetime | None = None) -> Member:
    """A new member; one of a cell is entered on its roll (membership history). The admission date
    is not known here, so they count in the cell's past periods too, as before history existed."""
    member = Member(cell_id=cell_id, full_name=name, name_key=fold(name), status=status)
    session.add(member)
    await session.flush()
    if cell_id is not None:
        await membership.join_roll(session, member, cell_id, today=today or utcnow().date(), by=by, now=now)
    return member


async def enter_cell(session: AsyncSession, member: Member, cell_id: int, *, today: date, by: int | None = None,
                     now: datetime | None = None) -> None:
    """Put a member with no cell (committee staff taking a cell's secretary code) into `cell_id`:
    entered on its roll from today when they have no membership history, else transferred in."""
    if await membership.has_events(session, id_of(member)):
        await membership.record(session, id_of(member), Event(EventKind.TRANSFERRED, today, cell_id=cell_id),
                                today=today, by=by, now=now)
    else:
        await membership.join_roll(session, member, cell_id, today=today, on=today, by=by, now=now)


async def grant_role(session: AsyncSession, member_id: int, unit_id: int, role: str) -> None:
    exists = (await session.exec(
        select(Role).where(Role.member_id == member_id, Role.unit_id == unit_id, Role.role == role)
    )).first()
    if exists is None:
        session.add(Role(member_id=member_id, unit_id=unit_id, role=role))
        await session.flush()


async def leaders_of(session: AsyncSession, cell_id: int, roles: tuple[str, ...]) -> list[int]:
    return list((await session.exec(
        select(Role.member_id).where(Role.unit_id == cell_id, col(Role.role).in_(roles))
    )).all())


# -- join requests -----------------------------------------------------------------------------

async def pending_request(session: AsyncSession, unit_id: int, account_id: int) -> JoinRequest | None:
    return (await session.exec(
        select(JoinRequest).where(
            JoinRequest.unit_id == unit_id, JoinRequest.account_id == account_id, JoinRequest.status == "pending"
        )
    )).first()


async def add_request(session: AsyncSession, unit_id: int, account_id: int, full_name: str) -> JoinRequest:
    """A request to join a cell, numbered after the cell's last one (1 for its first).

    Numbers are per cell and never reused, so the number on an old notice keeps meaning the
    same person. Two requests to one cell committed at the same instant would draw the same
    number: the unique index refuses the second, which the router answers as an error.
    """
    last = (await session.exec(
        select(func.coalesce(func.max(JoinRequest.number), 0)).where(JoinRequest.unit_id == unit_id)
    )).one()
    request = JoinRequest(unit_id=unit_id, number=int(last) + 1, account_id=account_id, full_name=full_name)
    session.add(request)
    await session.flush()
    return request


async def requests_numbered(session: AsyncSession, unit_ids: list[int], number: int) -> list[JoinRequest]:
    """The requests with this number in these cells (one, unless a leader leads several cells)."""
    return list((await session.exec(
        select(JoinRequest).where(col(JoinRequest.unit_id).in_(unit_ids), JoinRequest.number == number)
        .order_by(col(JoinRequest.unit_id))
    )).all())


async def pending_requests(session: AsyncSession, unit_ids: list[int]) -> list[JoinRequest]:
    return list((await session.exec(
        select(JoinRequest).where(col(JoinRequest.unit_id).in_(unit_ids), JoinRequest.status == "pending")
        .order_by(col(JoinRequest.unit_id), col(JoinRequest.number))
    )).all())


async def same_platform_accounts(session: AsyncSession, member_id: int, platform: str,
                                 except_account: int) -> list[ChatAccount]:
    """The member's accounts on `platform` other than `except_account`: a join request matched to a
    member who already has one is someone else asking in their name, or the member on a new
    account; only the secretary can tell (the impersonation guard of /duyet)."""
    return list((await session.exec(
        select(ChatAccount).where(ChatAccount.member_id == member_id, ChatAccount.platform == platform,
                                  ChatAccount.id != except_account)
        .order_by(col(ChatAccount.last_seen_at).desc(), col(ChatAccount.id))
    )).all())


async def unit(session: AsyncSession, unit_id: int) -> OrgUnit:
    found = await session.get(OrgUnit, unit_id)
    if found is None:
        raise OrgError("Không tìm thấy đơn vị.")
    return found
