"""What a database holds, read without writing: may the demo organisation live there?

`chibo run` without a token once loaded the demo into whatever DATABASE_URL named, real committees
included (issue 9, item 7). The console now asks here first. The survey opens SQLite read-only and
never migrates, so a database that turns out to belong to a real committee is left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, inspect
from sqlalchemy import select as select_columns
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.text import fold
from domain.vocabulary import UnitKind
from storage.tables import ChatAccount, Member, OrgUnit
from storage.types import table_of

DEMO_MARK = "demo"  # key in a committee's settings: this organisation is the demo, whatever it became
CONSOLE = "console"
_UNIT = table_of(OrgUnit)
_MEMBER = table_of(Member)
_ACCOUNT = table_of(ChatAccount)


@dataclass(frozen=True, slots=True)
class DemoShape:
    """The demo file's organisation as name keys: recognises a demo loaded before it was marked."""

    units: frozenset[tuple[str, str]]  # (kind, name_key)
    members: frozenset[str]  # name_key


@dataclass(frozen=True, slots=True)
class Holdings:
    """The organisations a database holds and whether they are all the demo."""

    organisations: tuple[str, ...] = ()  # names of its committees (units without a parent)
    units: int = 0
    members: int = 0
    messenger_accounts: int = 0  # chat accounts on a real messenger: someone uses this bot
    demo: bool = False  # it holds the demo organisation and nothing else
    unreadable: str | None = None  # why it could not be read (then it is treated as not ours)

    @property
    def empty(self) -> bool:
        return self.unreadable is None and not (self.units or self.members or self.messenger_accounts)

    @property
    def demo_may_live_here(self) -> bool:
        return self.empty or self.demo


def demo_shape(path: Path) -> DemoShape:
    """The units and members of the demo file (read with the importer's own reader)."""
    from storage.importer import read_table

    units: set[tuple[str, str]] = set()
    members: set[str] = set()
    for _number, row in read_table(path):
        units.add((UnitKind.COMMITTEE, fold(str(row.get("committee") or ""))))
        if row.get("cell"):
            units.add((UnitKind.CELL, fold(str(row["cell"]))))
        members.add(fold(str(row.get("name") or "")))
    return DemoShape(frozenset(units), frozenset(members))


def read_only_url(url: str) -> str | None:
    """A SQLite URL opened read-only (None when the file does not exist: nothing to read).

    Other databases are read through their own URL: the survey only selects.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url
    if parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database).resolve()
    if not path.is_file():
        return None
    return f"{parsed.drivername}:///file:{quote(str(path))}?mode=ro&uri=true"


async def survey(url: str, shape: DemoShape) -> Holdings:
    """What the database at `url` holds, without creating, migrating or writing anything."""
    readable = read_only_url(url)
    if readable is None:
        return Holdings()
    engine = create_async_engine(readable)
    try:
        async with engine.connect() as connection:
            if not await connection.run_sync(lambda sync: inspect(sync).has_table("org_unit")):
                return Holdings()  # no chibo tables yet: a new database
            return await _holdings(connection, shape)
    except Exception as error:  # an old schema, a server that does not answer: not known to be safe
        first_line = (str(error).splitlines() or [""])[0]
        return Holdings(unreadable=f"{type(error).__name__}: {first_line[:200]}")
    finally:
        await engine.dispose()


async def _holdings(connection: AsyncConnection, shape: DemoShape) -> Holdings:
    units = (await connection.execute(
        select_columns(_UNIT.c.id, _UNIT.c.kind, _UNIT.c.name, _UNIT.c.name_key, _UNIT.c.parent_id, _UNIT.c.settings)
        .order_by(_UNIT.c.id)
    )).all()
    member_keys = list((await connection.execute(select_columns(_MEMBER.c.name_key))).scalars())
    messenger_accounts = int((await connection.execute(
        select_columns(func.count()).select_from(_ACCOUNT).where(_ACCOUNT.c.platform != CONSOLE)
    )).scalar_one())
    tops = [unit for unit in units if unit.parent_id is None]
    marked = {unit.id for unit in tops if (unit.settings or {}).get(DEMO_MARK) is True}
    demo = bool(units) and not messenger_accounts and (
        (len(marked) == len(tops) and _all_under(units, marked)) or _matches(units, member_keys, shape)
    )
    return Holdings(tuple(unit.name for unit in tops), len(units), len(member_keys), messenger_accounts, demo)


def _all_under(units: Sequence[Any], roots: set[int]) -> bool:
    """Every unit descends from one of `roots` (a cell created while trying the demo stays the demo)."""
    parent = {unit.id: unit.parent_id for unit in units}
    for unit in units:
        current = unit.id
        for _level in range(len(units)):  # bounded: a cycle would be a broken database, not the demo
            if parent.get(current) is None:
                break
            current = parent[current]
        if current not in roots:
            return False
    return True


def _matches(units: Iterable[Any], member_keys: Iterable[str], shape: DemoShape) -> bool:
    """Nothing but the demo file's units and members (a demo loaded by an older chibo, unmarked)."""
    return {(unit.kind, unit.name_key) for unit in units} <= shape.units and set(member_keys) <= shape.members


async def mark_demo(session: AsyncSession, shape: DemoShape) -> None:
    """Mark the demo's committees, so trying the demo (new cells, new members) keeps it the demo."""
    committees = [key for kind, key in shape.units if kind == UnitKind.COMMITTEE]
    units = await session.exec(
        select(OrgUnit).where(OrgUnit.kind == UnitKind.COMMITTEE, col(OrgUnit.name_key).in_(committees))
    )
    for unit in units:
        if unit.parent_id is None and (unit.settings or {}).get(DEMO_MARK) is not True:
            unit.settings = {**(unit.settings or {}), DEMO_MARK: True}  # a new dict: JSON tracks assignment
            session.add(unit)


def describe(url: str) -> str:
    """The database as shown to the operator: a file path, or the URL without its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)
