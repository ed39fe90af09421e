"""A province-sized database for the summary benchmark: 10 committees × 100 cells × 100 members.

One year (2026) of activity: a meeting a month in every cell with its roll call (about 1.2
million attendance rows), a report a month from every member (1.2 million reports), one rating
per member (100,000: final in half the committees, the cell's proposal in the rest), and a
chat account for most members. Deterministic (a seeded random generator).

Rows are written in bulk: `executemany` over the standard sqlite3 module in one transaction
(journal off while loading), and COPY (asyncpg's `copy_records_to_table`) on PostgreSQL. The
schema is the models' own (`metadata.create_all`, which the migration tests hold equal to the
migrations). A SQLite file carries a stamp of the generator and schema in `user_version`, so a
later run reuses it instead of generating again. The kept tallies (storage/tallies.py), which the
bot's write paths maintain row by row, are counted once from the loaded rows.

    python -m bench.generate [--database FILE.db]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.schema import CreateIndex

from domain.text import fold
from storage import tallies
from storage.migrate import alembic_config
from storage.schema import metadata

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
VERSION = 4  # 3: membership history (events and spans); 4: the kept tallies, counted after loading
YEAR = 2026
COMMITTEES = 10
CELLS_PER_COMMITTEE = 100
MEMBERS_PER_CELL = 100
REPORT_KINDS = ("study", "assigned", "residence", "mass_help", "other")
LEVELS = (("excellent", 15), ("good", 70), ("complete", 13), ("incomplete", 2))
CREATED = datetime(2026, 1, 1, tzinfo=UTC)
LAST_REPORT_DAY = 19  # the benchmark's clock stands at 20/12/2026


@dataclass(frozen=True, slots=True)
class Size:
    committees: int = COMMITTEES
    cells: int = CELLS_PER_COMMITTEE  # per committee
    members: int = MEMBERS_PER_CELL  # per cell


def committee_user(number: int) -> str:
    """The memory-channel user id of committee `number`'s secretary (1-based)."""
    return f"com-{number}"


def cell_user(number: int) -> str:
    """The memory-channel user id of cell `number`'s secretary (1-based over all cells)."""
    return f"sec-{number}"


def cell_name(number: int) -> str:
    return f"Chi bộ {number:04d}"


def stamp() -> int:
    """Generator version and schema (tables and indexes): a changed index means a new database."""
    ddl = sorted(str(CreateIndex(index)) for table in metadata.tables.values() for index in table.indexes)
    text = f"{VERSION}|{sorted(metadata.tables)}|{ddl}"
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


Rows = Iterator[tuple[Any, ...]]
Table = tuple[str, Sequence[str], Callable[[], Rows]]


def tables(size: Size = Size()) -> list[Table]:
    """(table, columns, row generator) in insertion order; values are Python dates and aware datetimes."""
    rng = random.Random(2026)
    cells = size.committees * size.cells
    members_total = cells * size.members
    first_staff = members_total + 1  # committee secretaries come after the cell members
    statuses: list[str] = []
    for _ in range(members_total):
        draw = rng.random()
        statuses.append("exempt" if draw < 0.03 else "probationary" if draw < 0.10 else "official")

    def units() -> Rows:
        for committee in range(1, size.committees + 1):
            name = f"Đảng bộ {committee:02d}"
            yield committee, "committee", name, fold(name), None, "{}", CREATED
        for cell in range(1, cells + 1):
            committee = (cell - 1) // size.cells + 1
            name = cell_name(cell)
            yield size.committees + cell, "cell", name, fold(name), committee, "{}", CREATED

    def members() -> Rows:
        local = random.Random(7)
        for member in range(1, members_total + 1):
            cell = (member - 1) // size.members + 1
            status = statuses[member - 1]
            if status == "probationary":
                admitted = date(2025, 6, 1) + timedelta(days=local.randrange(540))
                official = None
            else:
                admitted = date(1970, 1, 1) + timedelta(days=local.randrange(20000))
                official = admitted + timedelta(days=365)
            name = f"Đảng viên {member:06d}"
            yield (member, size.committees + cell, name, fold(name), "nam" if member % 2 else "nu",
                   1950 + member % 50, status, admitted, official, True, CREATED)
        for committee in range(1, size.committees + 1):
            name = f"Bí thư đảng bộ {committee:02d}"
            yield (first_staff + committee - 1, None, name, fold(name), "nam", 1970, "official",
                   date(1995, 1, 1), date(1996, 1, 1), True, CREATED)

    def events() -> Rows:
        """Each cell member listed on the roll from their admission (storage.membership.join_roll)."""
        for member, cell_id, *_rest, status, admitted, _official, _active, _created in members():
            if cell_id is not None:
                yield member, member, "listed", admitted, cell_id, status, False, CREATED

    def spans() -> Rows:
        """The one open span each listed member has (what storage.membership.rebuild derives)."""
        for member, cell_id, *_rest, status, admitted, _official, _active, _created in members():
            if cell_id is not None:
                yield member, member, cell_id, status, False, admitted, None

    def roles() -> Rows:
        number = 0
        for cell in range(1, cells + 1):
            number += 1
            yield number, (cell - 1) * size.members + 1, size.committees + cell, "secretary"
        for committee in range(1, size.committees + 1):
            number += 1
            yield number, first_staff + committee - 1, committee, "secretary"

    def accounts() -> Rows:
        local = random.Random(11)
        number = 0
        for member in range(1, members_total + 1):
            cell = (member - 1) // size.members + 1
            if (member - 1) % size.members == 0:  # the cell's secretary: the benchmark talks as them
                number += 1
                yield number, "memory", cell_user(cell), cell_user(cell), "", member, CREATED, None, CREATED
            elif local.random() < 0.6:
                number += 1
                unreachable = CREATED if local.random() < 0.03 else None
                user = f"tg-{member}"
                yield number, "telegram", user, user, "", member, CREATED, unreachable, CREATED
        for committee in range(1, size.committees + 1):
            number += 1
            user = committee_user(committee)
            yield number, "memory", user, user, "", first_staff + committee - 1, CREATED, None, CREATED

    def meetings() -> Rows:
        number = 0
        for cell in range(1, cells + 1):
            for month in range(1, 13):
                number += 1
                starts = datetime(YEAR, month, 5, 19, 30, tzinfo=TZ).astimezone(UTC)
                kind = "thematic" if month % 3 == 0 else "regular"
                yield (number, size.committees + cell, month, None, kind, starts, 90, None, None, None, "ended", None,
                       starts + timedelta(minutes=90), starts + timedelta(minutes=90), CREATED, CREATED)

    def attendance() -> Rows:
        local = random.Random(13)
        number = 0
        meeting = 0
        for cell in range(1, cells + 1):
            first = (cell - 1) * size.members + 1
            for _month in range(12):
                meeting += 1
                for member in range(first, first + size.members):
                    if statuses[member - 1] == "exempt":
                        continue
                    draw = local.random()
                    status = "present" if draw < 0.88 else "excused" if draw < 0.96 else "absent"
                    number += 1
                    yield number, meeting, member, None, None, status, None, CREATED

    def reports() -> Rows:
        local = random.Random(17)
        number = 0
        for member in range(1, members_total + 1):
            cell = size.committees + (member - 1) // size.members + 1
            for month in range(1, 13):
                number += 1
                done = date(YEAR, month, 1 + local.randrange(LAST_REPORT_DAY))
                kind = REPORT_KINDS[local.randrange(len(REPORT_KINDS))]
                yield number, member, month, cell, kind, "Báo cáo hoạt động", done, None, CREATED  # month: own number

    def assessments() -> Rows:
        local = random.Random(19)
        weights = [weight for _level, weight in LEVELS]
        names = [level for level, _weight in LEVELS]
        for member in range(1, members_total + 1):
            cell = (member - 1) // size.members + 1
            committee = (cell - 1) // size.cells + 1
            stage = "final" if committee <= size.committees // 2 else "cell_proposed"
            level = local.choices(names, weights)[0]
            yield (member, member, size.committees + cell, str(YEAR), YEAR, stage, level, None, None, False, None,
                   None, CREATED, CREATED)

    return [
        ("org_unit", ("id", "kind", "name", "name_key", "parent_id", "settings", "created_at"), units),
        ("member", ("id", "cell_id", "full_name", "name_key", "gender", "birth_year", "status", "admitted_on",
                    "official_on", "active", "created_at"), members),
        ("membership_event", ("id", "member_id", "kind", "on", "cell_id", "status", "temporary", "recorded_at"),
         events),
        ("membership_span", ("id", "member_id", "cell_id", "status", "away", "start", "end"), spans),
        ("role", ("id", "member_id", "unit_id", "role"), roles),
        ("chat_account", ("id", "platform", "platform_user_id", "chat_id", "display_name", "member_id",
                          "last_seen_at", "unreachable_since", "created_at"), accounts),
        ("meeting", ("id", "cell_id", "number", "series_id", "kind", "starts_at", "duration_minutes", "place",
                     "topic", "content", "status", "checkin_code", "ended_at", "roll_call_at", "created_at",
                     "updated_at"), meetings),
        ("attendance", ("id", "meeting_id", "member_id", "rsvp", "reason", "status", "checked_in_at", "updated_at"),
         attendance),
        ("report", ("id", "member_id", "number", "cell_id", "kind", "text", "done_on", "photo", "created_at"),
         reports),
        ("assessment", ("id", "member_id", "cell_id", "period", "year", "stage", "level", "general_score",
                        "task_score", "violation", "review", "decided_by", "created_at", "updated_at"), assessments),
    ]


# -- SQLite ------------------------------------------------------------------------------------

def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):  # UtcDateTime keeps naive UTC text on SQLite
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def sqlite_ready(path: Path) -> bool:
    if not path.exists():
        return False
    with sqlite3.connect(path) as connection:
        return int(connection.execute("PRAGMA user_version").fetchone()[0]) == stamp()


def generate_sqlite(path: Path, size: Size = Size(), log: Callable[[str], None] = print) -> float:
    """Write the database to `path` (replacing it); returns the seconds it took."""
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    engine.dispose()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-200000")
    connection.execute("BEGIN")
    for table, columns, rows in tables(size):
        began = time.perf_counter()
        marks = ", ".join("?" for _ in columns)
        quoted = ", ".join(f'"{column}"' for column in columns)  # "on", "end" are SQL words
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({marks})"
        count = 0
        batch: list[tuple[Any, ...]] = []
        for row in rows():
            batch.append(tuple(_sqlite_value(value) for value in row))
            if len(batch) == 50_000:
                connection.executemany(sql, batch)
                count += len(batch)
                batch.clear()
        connection.executemany(sql, batch)
        count += len(batch)
        log(f"  {table}: {count:,} rows in {time.perf_counter() - began:.1f} s")
    for statement in tallies.rebuild_statements("sqlite"):  # what the write paths keep, counted once
        connection.execute(statement)
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.execute(f"PRAGMA user_version={stamp()}")
    connection.close()
    # Marked as migrated, so that `chibo export` (which migrates first) can run on it.
    command.stamp(alembic_config(f"sqlite+aiosqlite:///{path}"), "heads")
    return time.perf_counter() - started


# -- PostgreSQL ----------------------------------------------------------------------------------

async def generate_postgres(dsn: str, schema: str, size: Size = Size(), log: Callable[[str], None] = print) -> float:
    """Create `schema` afresh in the database at `dsn` (a plain postgresql:// URL) and fill it by COPY."""
    import asyncpg

    started = time.perf_counter()
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.execute(f'CREATE SCHEMA "{schema}"')
        await connection.execute(f'SET search_path TO "{schema}"')
        for statement in _postgres_ddl():
            await connection.execute(statement)
        for table, columns, rows in tables(size):
            began = time.perf_counter()
            count = 0
            for chunk in _chunks(rows(), 100_000):
                await connection.copy_records_to_table(table, records=chunk, columns=list(columns), schema_name=schema)
                count += len(chunk)
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{schema}\".{table}', 'id'), {count + 1}, false)")
            log(f"  {table}: {count:,} rows in {time.perf_counter() - began:.1f} s")
        for statement in tallies.rebuild_statements("postgresql"):  # what the write paths keep, counted once
            await connection.execute(statement)
        # VACUUM too: it sets the visibility map, without which PostgreSQL's index-only scans
        # still visit the table (autovacuum would do it later on a live server).
        kept = [tallies.ROLL_CALL.name, tallies.REPORTS.name, tallies.MEMBER_REPORTS.name]
        names = ", ".join(f'"{schema}".{table}' for table in [*(t for t, _c, _r in tables(size)), *kept])
        await connection.execute(f"VACUUM ANALYZE {names}")
    finally:
        await connection.close()
    return time.perf_counter() - started


def _chunks(rows: Rows, size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _postgres_ddl() -> list[str]:
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateTable

    dialect = postgresql.dialect()
    statements = []
    for table in metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)))
        statements += [str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes]
    return statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", type=Path, default=Path("data/bench/summary.db"))
    args = parser.parse_args()
    seconds = generate_sqlite(args.database)
    print(f"generated {args.database} in {seconds:.1f} s")


if __name__ == "__main__":
    main()
