"""The inbox: every update is stored before the platform is told "200 OK", and handled from here.

A webhook answered 200 is never delivered again, so the answer must mean "kept": the edge (a
webhook, or a polling loop) writes the update here, answers, and wakes the workers (bot/intake.py).
Workers of every process share the inbox:

- A worker *claims* rows with a lease (`claimed_by`, `claimed_until`). A row whose lease expired
  (its worker died, or was stopped mid-way) is claimed again by any live worker. On PostgreSQL
  the claim skips rows another worker is claiming at the same moment (`FOR UPDATE SKIP LOCKED`);
  on SQLite, writers are serialised by the database itself.
- Only the oldest waiting row of a chat (`chat_key`) can be claimed, so one person's messages are
  handled in the order they arrived, whichever process holds them.
- A row goes once it is handled. Handling it twice (a worker died after the commit, before the
  delete) is harmless: the router's de-duplication mark (processed_update) commits with what the
  message stored, and a second handling finds it.

A new row is stored as the platform-neutral `Incoming` (`{"incoming": {...}}`). Rows written by a
version before 0008 hold the platform's raw update; the intake reads those with the channel's
own parser.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import weakref
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Index,
    Integer,
    String,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.messages import Incoming
from storage.db import Database
from storage.lane import Sql, lane
from storage.tables import UPDATE_KEY_MAX
from storage.types import UtcDateTime, table_of, utcnow


class InboxUpdate(SQLModel, table=True):
    """One platform update received and not yet handled."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("platform", "update_key"), Index("ix_inbox_chat", "chat_key", "id"))

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    update_key: str = Field(max_length=UPDATE_KEY_MAX)
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    chat_key: str = Field(default="", max_length=160)  # platform and chat: one chat's updates in order
    claimed_by: str | None = Field(default=None, max_length=64)  # the worker handling it
    claimed_until: datetime | None = Field(default=None, sa_type=UtcDateTime)  # then another may take it
    attempts: int = 0  # how many times a worker has claimed it


_INBOX = table_of(InboxUpdate)


@dataclass(frozen=True, slots=True)
class Stored:
    id: int
    platform: str
    update_key: str
    body: dict[str, Any]
    received_at: datetime
    attempts: int = 1


def _key(incoming: Incoming) -> str:
    """The delivery's key as the row keeps it."""
    return (incoming.update_key or "")[:UPDATE_KEY_MAX]


def chat_key(incoming: Incoming) -> str:
    """The queue a message waits in: its platform and the chat it was written in."""
    return f"{incoming.platform}:{incoming.reply_chat}"[:160]


_FIELDS = tuple(f.name for f in fields(Incoming))


def body_of(incoming: Incoming) -> dict[str, Any]:
    """What a row keeps: the message's fields (plain values, which `asdict` would copy one by one)."""
    return {"incoming": {name: getattr(incoming, name) for name in _FIELDS}}


def incoming_of(body: dict[str, Any]) -> Incoming | None:
    """The message a row holds; None for a row of the raw format before 0008."""
    fields = body.get("incoming")
    if not isinstance(fields, dict):
        return None
    return Incoming(**fields)


@dataclass(frozen=True, slots=True)
class Claim:
    """A claim asked for as a row is stored: the worker that would hold it, and until when."""

    worker: str
    until: datetime


async def store(db: Database, incoming: Incoming, now: datetime) -> int | None:
    """Keep a message; its row id, or None when the same delivery is already waiting (`keep`)."""
    kept = await keep(db, incoming, now)
    return None if kept is None else kept.id


async def keep(db: Database, incoming: Incoming, now: datetime, claim: Claim | None = None) -> Stored | None:
    """Keep a message; its row, or None when the same delivery is already waiting.

    Deliveries arriving together share one commit (a group commit): each waits for the commit
    that holds its row, so each is kept before its own "200" as before, and one commit serves
    many. The first caller that finds the group's turn free writes all the rows waiting at that
    moment; the others find theirs written.

    `claim`: the row is claimed for that worker as it is stored (`attempts` 1), when nothing of
    its chat waits before it, so that the worker takes it at once, without a claim of its own
    (a transaction) nor reading back what it has in hand. Otherwise it waits for a claim
    (`attempts` 0), as every row does on PostgreSQL: there several processes store at once, and
    a row claimed as stored could overtake one of its chat that another process is storing in
    the same moment (neither sees the other's before its commit). SQLite writes one statement at
    a time, so there the check and the insert are one.

    Raises what the database raises (to every delivery of the failed group): the edge then
    answers 503 and the platform delivers again.
    """
    group = _groups.get(db)
    if group is None:
        group = _groups[db] = _Group()
    waiting = asyncio.get_running_loop().create_future()
    group.pending.append((incoming, now, claim, waiting))
    async with group.turn:
        if not waiting.done():
            taken, group.pending = group.pending, []
            await _store_all(db, taken)
    result: Stored | None = waiting.result()
    return result


Pending = tuple[Incoming, datetime, Claim | None, "asyncio.Future[Stored | None]"]


@dataclass
class _Group:
    """The deliveries waiting to be stored in a database, and whose turn it is to store them."""

    pending: list[Pending] = field(default_factory=list)
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)


_groups: weakref.WeakKeyDictionary[Database, _Group] = weakref.WeakKeyDictionary()


def _store_statement(dialect_insert: Any) -> Any:
    """Built once: many rows go as one statement (SQLAlchemy's "insert many values"), and the
    rows already stored (a platform's second delivery) are skipped, not an error."""
    return (dialect_insert(_INBOX)
            .on_conflict_do_nothing(index_elements=[_INBOX.c.platform, _INBOX.c.update_key])
            .returning(_INBOX.c.id, _INBOX.c.platform, _INBOX.c.update_key))


_STORE_POSTGRES = _store_statement(postgres_insert)
_COLUMNS = "platform, update_key, body, received_at, chat_key, claimed_by, claimed_until, attempts"


@functools.lru_cache(maxsize=64)
def _keep_sqlite(rows: int) -> Any:
    """The SQLite statement storing `rows` rows (built once per count): a row with a worker named is
    claimed for it as it is stored, unless a row of its chat is already there (then it waits for a
    claim, as a row without a worker does). SQLite reads the rows before writing any (the statement
    reads the table it writes), so two rows of one chat in a group are told apart by the caller."""
    values = ", ".join(f"(:p{i}, :k{i}, :b{i}, :r{i}, :c{i}, :w{i}, :u{i})" for i in range(rows))
    wait = "(v.column6 IS NULL OR EXISTS (SELECT 1 FROM inbox i WHERE i.chat_key = v.column5))"
    sql = (f"INSERT INTO inbox ({_COLUMNS}) SELECT v.column1, v.column2, v.column3, v.column4, v.column5, "
           f"CASE WHEN {wait} THEN NULL ELSE v.column6 END, CASE WHEN {wait} THEN NULL ELSE v.column7 END, "
           f"CASE WHEN {wait} THEN 0 ELSE 1 END FROM (VALUES {values}) AS v WHERE true "  # WHERE: SQLite's upsert
           "ON CONFLICT (platform, update_key) DO NOTHING RETURNING id, platform, update_key, attempts")
    typed = [bindparam(f"{name}{i}", type_=kind) for i in range(rows)
             for name, kind in (("b", JSON()), ("r", UtcDateTime()), ("u", UtcDateTime()))]
    return text(sql).bindparams(*typed)


async def _store_all(db: Database, taken: list[Pending]) -> None:
    """Store every pending delivery with one commit; each learns its row (None: the same delivery
    was already stored, or came twice in this group), or the error."""
    try:
        kept = await (_store_sqlite(db, taken) if db.is_sqlite else _store_postgres(db, taken))
    except BaseException as error:
        for *_row, waiting in taken:
            if not waiting.done():
                waiting.set_exception(error if isinstance(error, Exception) else ConnectionError("not stored"))
        raise
    for row, (*_pending, waiting) in zip(kept, taken, strict=True):
        if not waiting.done():
            waiting.set_result(row)


async def _store_sqlite(db: Database, taken: list[Pending]) -> list[Stored | None]:
    """Every row in one statement, one commit; claimed as asked (see `keep`)."""
    params: dict[str, Any] = {}
    keys: list[str] = []
    bodies: list[dict[str, Any]] = []
    chats: set[str] = set()
    for i, (incoming, now, claim, _waiting) in enumerate(taken):
        key, body, chat = _key(incoming), body_of(incoming), chat_key(incoming)
        keys.append(key)
        bodies.append(body)
        claimed = claim is not None and chat not in chats  # a second row of a chat waits for the first
        chats.add(chat)
        params.update({f"p{i}": incoming.platform, f"k{i}": key, f"b{i}": body, f"r{i}": now, f"c{i}": chat,
                       f"w{i}": claim.worker if claimed and claim else None,
                       f"u{i}": claim.until if claimed and claim else None})
    async with db.session(short=True) as session:
        stored = {(r.platform, r.update_key): (r.id, r.attempts)
                  for r in await session.execute(_keep_sqlite(len(taken)), params)}
        await session.commit()
    return _kept(taken, keys, bodies, stored)


async def _store_postgres(db: Database, taken: list[Pending]) -> list[Stored | None]:
    """Every row in one statement, one commit; none claimed (see `keep`)."""
    keys = [_key(incoming) for incoming, *_rest in taken]
    bodies = [body_of(incoming) for incoming, *_rest in taken]
    rows = [{"platform": incoming.platform, "update_key": key, "body": body, "received_at": now,
             "chat_key": chat_key(incoming), "attempts": 0}
            for (incoming, now, _claim, _waiting), key, body in zip(taken, keys, bodies, strict=True)]
    async with db.session(short=True) as session:
        stored = {(r.platform, r.update_key): (r.id, 0) for r in await session.execute(_STORE_POSTGRES, rows)}
        await session.commit()
    return _kept(taken, keys, bodies, stored)


def _kept(taken: list[Pending], keys: list[str], bodies: list[dict[str, Any]],
          stored: dict[tuple[str, str], tuple[int, int]]) -> list[Stored | None]:
    """Each delivery's row, from what the statement stored ((platform, key) -> id and attempts):
    the first of a key in the group gets it; a repeat, or a delivery stored before, None."""
    kept: list[Stored | None] = []
    for (incoming, now, _claim, _waiting), key, body in zip(taken, keys, bodies, strict=True):
        found = stored.pop((incoming.platform, key), None)
        kept.append(None if found is None else Stored(found[0], incoming.platform, key, body, now, found[1]))
    return kept


def _claim_statement() -> Any:
    """Built once, with bound parameters: the claimer runs it all the time."""
    earlier = _INBOX.alias("earlier")
    head = ~select(earlier.c.id).where(earlier.c.chat_key == _INBOX.c.chat_key, earlier.c.id < _INBOX.c.id).exists()
    free = (_INBOX.c.claimed_until.is_(None)) | (_INBOX.c.claimed_until < bindparam("now", type_=UtcDateTime))
    chosen = (
        select(_INBOX.c.id).where(free, head).order_by(_INBOX.c.id).limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True, of=_INBOX)
    )
    return (
        update(_INBOX).where(_INBOX.c.id.in_(chosen.scalar_subquery()))
        .values(claimed_by=bindparam("worker", type_=String), claimed_until=bindparam("until", type_=UtcDateTime),
                attempts=_INBOX.c.attempts + 1)
        .returning(_INBOX.c.id, _INBOX.c.platform, _INBOX.c.update_key, _INBOX.c.body, _INBOX.c.received_at,
                   _INBOX.c.attempts)
    )


_CLAIM = _claim_statement()


async def claim(db: Database, worker: str, now: datetime, lease: timedelta, limit: int) -> list[Stored]:
    """Claim up to `limit` rows for `worker`, oldest first: the first waiting row of each chat,
    unclaimed or with an expired claim. A short unit (on SQLite, on the loop's thread): it reads
    the inbox by its key and each chat's first row by an index, and stops at `limit` rows."""
    if limit <= 0:
        return []
    async with db.session(short=True) as session:
        rows = (await session.execute(
            _CLAIM, {"now": now, "limit": limit, "worker": worker, "until": now + lease}
        )).all()
        await session.commit()
    found = [Stored(r.id, r.platform, r.update_key, r.body, r.received_at, r.attempts) for r in rows]
    return sorted(found, key=lambda row: row.id)


async def renew(db: Database, worker: str, ids: list[int], until: datetime) -> None:
    """Extend the claims a worker still holds (an update taking longer than its lease)."""
    if not ids:
        return
    async with db.session(short=True) as session:
        await session.execute(
            update(_INBOX).where(_INBOX.c.id.in_(ids), _INBOX.c.claimed_by == worker).values(claimed_until=until)
        )
        await session.commit()


async def release(db: Database, worker: str) -> None:
    """Give back every claim of a worker that stops: its rows can be taken at once, not after the lease."""
    async with db.session(short=True) as session:
        await session.execute(update(_INBOX).where(_INBOX.c.claimed_by == worker)
                              .values(claimed_by=None, claimed_until=None))
        await session.commit()


async def done(db: Database, row_id: int) -> None:
    """The update was handled: forget it (when the handling transaction could not: see `handling`)."""
    async with db.session(short=True) as session:
        await session.exec(delete(_INBOX).where(_INBOX.c.id == row_id))
        await session.commit()


@dataclass
class Ticket:
    """The inbox row a worker is handling; `done` once its delete committed with the handling."""

    row_id: int
    done: bool = False


_HANDLING: ContextVar[Ticket | None] = ContextVar("inbox_handling", default=None)
_FORGET = Sql("DELETE FROM inbox WHERE id = ?")


@contextlib.contextmanager
def handling(row_id: int) -> Iterator[Ticket]:
    """While a worker handles row `row_id`: the router's transaction deletes the row with what
    the message stored (`forget_within`), one transaction instead of two. When that did not
    happen (a bug answered, the update refused before the router), `ticket.done` stays False
    and the worker forgets the row on its own (`done`)."""
    ticket = Ticket(row_id)
    token = _HANDLING.set(ticket)
    try:
        yield ticket
    finally:
        _HANDLING.reset(token)


async def forget_within(session: AsyncSession) -> Ticket | None:
    """Delete the row being handled here, if any, in the session's transaction; the caller sets
    the ticket `done` once that transaction committed."""
    ticket = _HANDLING.get()
    if ticket is not None:
        await (await lane(session)).run(_FORGET, ticket.row_id)
    return ticket


async def oldest(db: Database) -> datetime | None:
    """When the oldest update still waiting arrived; None when the inbox is empty."""
    async with db.session() as session:
        return (await session.execute(select(func.min(_INBOX.c.received_at)))).scalar_one_or_none()


async def try_write(db: Database, now: datetime) -> None:
    """Write a row and roll it back: raises when the database takes no writes (a full disk, a
    read-only replica), which a read would not show."""
    async with db.session() as session:
        await session.execute(insert(_INBOX).values(
            platform="healthz", update_key="healthz", body={}, received_at=now, chat_key="healthz",
        ))
        await session.flush()
        await session.rollback()


async def waiting(db: Database, platform: str | None = None) -> list[Stored]:
    """Rows still to handle, oldest first (tests and the operator's view)."""
    query = select(_INBOX.c.id, _INBOX.c.platform, _INBOX.c.update_key, _INBOX.c.body, _INBOX.c.received_at,
                   _INBOX.c.attempts).order_by(_INBOX.c.id)
    if platform is not None:
        query = query.where(_INBOX.c.platform == platform)
    async with db.session() as session:
        rows = await session.execute(query)
        return [Stored(r.id, r.platform, r.update_key, r.body, r.received_at, r.attempts) for r in rows]
