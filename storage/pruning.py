"""Pruning the tables that only grow: de-duplication marks, wrong-code attempts, expired file links.

How long each is kept, and why:

- `processed_update` (the router's mark that a platform update was handled) is kept for
  `UPDATE_MARK_RETENTION`, 3 days. A mark exists only to recognise a second delivery of the
  same update. Telegram keeps an undelivered update for at most 24 hours and retries its
  webhook within that time. Zalo publishes no retry window (unverified; a webhook is retried
  for minutes to hours, not days) and its `message_id`s are not reused. Our own inbox
  replays, at the next start, what was acknowledged but not handled. 3 days covers all of that with two days to spare (a
  weekend of downtime). It must also stay well *under* 7 days: after a week without updates
  Telegram may start `update_id` again from a random value, so an old id can come back as
  a new update. The scheduler prunes at most an hour apart (schedules/driver.py), so a
  mark lives at most 3 days and 1 hour; a repeated id needs 7 days without any update, by
  which time every mark of the old ids is gone and the new update is handled, never dropped
  as a duplicate. The one mark kept beyond its retention is that of an update still waiting
  in the inbox since before it was handled (a crash between handling and clearing the row):
  the replay at the next start must still find it. An inbox row received *after* the mark
  is a different update that reuses the id, and does not keep the mark.
- `code_attempt` (wrong joining or check-in codes) is read over `org.WRONG_CODE_WINDOW`
  (10 minutes); rows older than that window plus an hour's margin count for nothing.
- `file_link`: a link past `expires_at` is never served again (`file_links.find`); its row
  goes, and its stored name is returned so that the caller that knows the folder
  (bot/files.FileShelf) deletes the copy.

Everything is deleted in batches of `BATCH` rows, each its own short transaction, so that a
large backlog (the first pruning of an old database) never holds a long write lock: on
SQLite that lock would stall every incoming message. A row exactly as old as its retention is
kept; only older ones go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, and_, delete, exists, select

from storage import file_links
from storage.db import Database
from storage.inbox import InboxUpdate
from storage.org import WRONG_CODE_WINDOW
from storage.tables import CodeAttempt, ProcessedUpdate
from storage.types import table_of

UPDATE_MARK_RETENTION = timedelta(days=3)
CODE_ATTEMPT_RETENTION = WRONG_CODE_WINDOW + timedelta(hours=1)
BATCH = 1000

_PROCESSED = table_of(ProcessedUpdate)
_ATTEMPT = table_of(CodeAttempt)
_INBOX = table_of(InboxUpdate)


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one pruning removed: row counts, and the stored names of the links' copies."""

    update_marks: int = 0
    code_attempts: int = 0
    file_links: tuple[str, ...] = field(default=())


async def prune(db: Database, now: datetime, *, links: bool = True, batch: int = BATCH) -> Pruned:
    """Delete what has outlived its use as of `now`. With `links=False` file links are left
    alone: whoever deletes their rows must delete their files too (FileShelf.prune does)."""
    marks = await _delete_in_batches(db, _PROCESSED, _mark_expired(now - UPDATE_MARK_RETENTION), batch)
    attempts = await _delete_in_batches(db, _ATTEMPT, _ATTEMPT.c.at < now - CODE_ATTEMPT_RETENTION, batch)
    names: list[str] = []
    while links:
        taken = await file_links.take_expired(db, now, limit=batch)
        names.extend(taken)
        if len(taken) < batch:
            break
    return Pruned(marks, attempts, tuple(names))


def _mark_expired(cutoff: datetime) -> ColumnElement[bool]:
    """Marks older than `cutoff`, except those whose update still waits in the inbox since
    before it was handled (see the module's docstring)."""
    waiting = exists().where(
        _INBOX.c.platform == _PROCESSED.c.platform,
        _INBOX.c.update_key == _PROCESSED.c.update_key,
        _INBOX.c.received_at <= _PROCESSED.c.at,
    )
    return and_(_PROCESSED.c.at < cutoff, ~waiting)


async def _delete_in_batches(db: Database, table: Table, condition: ColumnElement[bool], batch: int) -> int:
    """Delete the rows matching `condition`, `batch` at a time (by id: SQLite has no DELETE … LIMIT)."""
    total = 0
    while True:
        ids = select(table.c.id).where(condition).limit(batch)
        async with db.session() as session:
            result = await session.exec(delete(table).where(table.c.id.in_(ids)))
            await session.commit()
        total += result.rowcount
        if result.rowcount < batch:
            return total
