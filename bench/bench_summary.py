"""/tonghop against the same figures from bare SQL, in one process, interleaved (issue 12).

For SQLite and PostgreSQL: generate the database (bench/generate.py; a SQLite file is reused
when its stamp matches), then in a fresh process (so that the generator's memory does not count)
alternate, round by round, two things over the same data:

- chibo: `/tonghop` pushed through `Chibo.handle` with the memory channel — the whole way a real
  message goes: de-duplication mark, sender lookup, roles, the grouped queries, the text, the
  chart (already drawn once: a repeated view reuses its file), the commit;
- the baseline: the same figures (members by state, reporters, accounts, each meeting's roll call,
  the year's absences and excused runs, reports by kind, ratings) from hand-written SQL on the
  bare driver (aiosqlite, asyncpg): what the database itself needs. Like chibo, it reads each
  meeting's totals, the monthly report counts and who reported from the kept tallies
  (storage/tallies.py), so the ratio compares the same work. It does not read what chibo shows
  besides (dues, candidates, minutes, the cells' names and the sender's roles): those count
  against chibo.

Prints p50/p95 of both, their ratio and the verdict against issue 12's goals: a committee of 100
cells over the year p95 ≤ 100 ms and ≤ 1.5 × the bare queries; one cell over a month p50 ≤ 10 ms
and p95 ≤ 20 ms. A committee is always 100 cells of 100 members; the default database holds that
one committee (10,000 members), `--full` ten of them (100,000 members, larger tables to search).

    python -m bench.bench_summary [--full] [--sqlite FILE.db] [--postgres URL | --no-postgres] [--runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench import generate
from domain.membership import latest_admission_due
from storage.db import answers

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 20, 9, 0, tzinfo=TZ)
SCHEMA = "bench"
DEFAULT_POSTGRES = os.environ.get("CHIBO_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
SMALL = generate.Size(committees=1)
FULL = generate.Size()
COMMITTEE_P95_MS = 100.0  # issue 12: committee of 100 cells, year
COMMITTEE_RATIO = 1.5  # ... and at most 1.5 × the bare queries
CELL_P50_MS, CELL_P95_MS = 10.0, 20.0  # issue 12: one cell, month


def _sqlite_path(full: bool) -> Path:
    return Path("data/bench/summary.db" if full else "data/bench/summary-10k.db")


def _rss() -> dict[str, float]:
    """Resident and peak resident memory of this process in MB (from /proc, no psutil)."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


# -- the baseline: the same figures from hand-written SQL ------------------------------------------

def _baseline_sql(cells: list[int], period: tuple[date, date], year: int, today: date,
                  postgres: bool = False) -> list[tuple[str, list[Any]]]:
    """The statements (with `?` for parameters) and their parameters, dates as Python values.

    The cell ids are ours (integers from the database), written into the text. The exempt members'
    rows are read by the attendance member index on both (chibo reads the ids first, then their
    rows): PostgreSQL, given the members as a subquery, hashes them and scans the whole table."""
    ids = ",".join(str(int(cell)) for cell in cells)
    start, end = period
    window = (_instant(date(year, 1, 1)), _instant(date(year + 1, 1, 1)))  # the chart's 12 months
    exempt = f"SELECT id FROM member WHERE cell_id IN ({ids}) AND status = 'exempt'"
    span_today = 's.start <= ? AND (s."end" IS NULL OR s."end" > ?)'
    # who reported: their row of the year kept beside the reports (storage/tallies.py), by month
    reported = " OR ".join(f"t.m{month} > 0" for month in range(start.month, (end - timedelta(days=1)).month + 1))
    cutoff = date(year, 6, 30)  # domain.review.review_cutoff of the review's last day (31/12): six months before
    held_on = "g.cell_id IN ({ids}) AND g.status = 'ended' AND g.roll_call_at IS NOT NULL AND g.starts_at >= ? " \
              "AND g.starts_at < ?"
    held = held_on.format(ids=ids)
    statements: list[tuple[str, list[Any]]] = [
        (f"SELECT s.cell_id, s.status, count(*), "
         f"sum(CASE WHEN m.admitted_on >= ? AND m.admitted_on < ? THEN 1 ELSE 0 END), "
         f"sum(CASE WHEN m.admitted_on >= ? AND m.admitted_on < ? THEN 1 ELSE 0 END), "
         f"sum(CASE WHEN s.status <> 'exempt' AND NOT s.away AND ({reported}) THEN 1 ELSE 0 END), "
         f"sum(CASE WHEN s.status NOT IN ('exempt', 'suspended') AND (m.admitted_on IS NULL OR m.admitted_on <= ?) "
         f"THEN 1 ELSE 0 END) "
         f"FROM membership_span s JOIN member m ON m.id = s.member_id LEFT JOIN member_report_tally t "
         f"ON t.member_id = m.id AND t.cell_id = s.cell_id AND t.year = ? "
         f"WHERE s.cell_id IN ({ids}) AND {span_today} GROUP BY s.cell_id, s.status",
         [start, end, date(year, 1, 1), date(year + 1, 1, 1), cutoff, year, today, today]),
        (f"SELECT s.cell_id, count(*) FROM membership_span s WHERE s.cell_id IN ({ids}) AND {span_today} "
         f"GROUP BY s.cell_id", [date(year - 1, 12, 31)] * 2),
        # today's members (and those due for recognition), then those of them with an account and with
        # a reachable one: without an account and unreachable are the differences
        (f"SELECT cell_id, count(*), sum(CASE WHEN status = 'probationary' AND admitted_on <= ? THEN 1 ELSE 0 END) "
         f"FROM member WHERE cell_id IN ({ids}) AND active GROUP BY cell_id", [latest_admission_due(today)]),
        (f"SELECT m.cell_id, count(DISTINCT a.member_id), count(DISTINCT CASE WHEN a.unreachable_since IS NULL "
         f"THEN a.member_id END) FROM chat_account a JOIN member m ON m.id = a.member_id "
         f"WHERE m.cell_id IN ({ids}) AND m.active GROUP BY m.cell_id", []),
        (f"SELECT meeting_id, status, count(*) FROM attendance WHERE member_id "
         f"{f'= ANY(ARRAY({exempt}))' if postgres else f'IN ({exempt})'} "
         f"AND status IS NOT NULL GROUP BY meeting_id, status", []),
        ("SELECT g.id, g.cell_id, g.kind, g.starts_at, g.roll_call_at IS NOT NULL, t.present, t.excused, t.absent "
         f"FROM meeting g LEFT JOIN roll_call_tally t ON t.meeting_id = g.id WHERE g.cell_id IN ({ids}) "
         "AND g.status = 'ended' AND g.starts_at >= ? AND g.starts_at < ?", list(window)),
        # who was often away (absent ≥ 3 times, or excused > 3 times), and only their rows: chibo reads
        # the first part apart, then the rows of the ids it found
        (f"SELECT a.member_id, g.cell_id, g.starts_at, a.status, m.cell_id, m.active, m.status FROM attendance a "
         f"JOIN meeting g ON g.id = a.meeting_id JOIN member m ON m.id = a.member_id WHERE {held} "
         f"AND a.member_id IN (SELECT member_id + 0 FROM attendance WHERE meeting_id IN (SELECT g.id FROM meeting g "
         f"WHERE {held}) AND status IN ('absent', 'excused') GROUP BY member_id + 0 "
         f"HAVING count(CASE WHEN status = 'absent' THEN 1 END) >= 3 "
         f"OR count(CASE WHEN status = 'excused' THEN 1 END) > 3) "
         f"AND a.status IS NOT NULL ORDER BY a.member_id, g.starts_at, g.id", [*window, *window]),
        (f"SELECT cell_id, kind, sum(count) FROM report_tally WHERE cell_id IN ({ids}) AND month >= ? "
         f"AND month < ? GROUP BY cell_id, kind", [start, end]),
        (f"SELECT r.cell_id, r.stage, r.level, count(*) FROM assessment r JOIN membership_span s "
         f"ON s.member_id = r.member_id AND s.cell_id = r.cell_id JOIN member m ON m.id = r.member_id "
         f"WHERE r.cell_id IN ({ids}) AND r.period = ? "
         f"AND {span_today} AND s.status NOT IN ('exempt', 'suspended') AND (m.admitted_on IS NULL "
         f"OR m.admitted_on <= ?) GROUP BY r.cell_id, r.stage, r.level",
         [str(year), today, today, cutoff]),
    ]
    return statements


def _instant(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=TZ).astimezone(UTC)


Query = Callable[[list[tuple[str, list[Any]]]], Awaitable[int]]


async def _bare_driver(url: str, schema: str | None) -> tuple[Query, Callable[[], Awaitable[None]]]:
    """Run statements on the bare driver; returns (run, close). `run` returns the rows read."""
    if url.startswith("sqlite"):
        import aiosqlite

        connection = await aiosqlite.connect(url.split("///", 1)[1])

        def sqlite_value(value: Any) -> Any:
            if isinstance(value, datetime):  # stored as naive UTC text, as storage.types writes it
                return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
            return value.isoformat() if isinstance(value, date) else value

        async def run_sqlite(statements: list[tuple[str, list[Any]]]) -> int:
            rows = 0
            for sql, params in statements:
                async with connection.execute(sql, [sqlite_value(p) for p in params]) as cursor:
                    rows += len(list(await cursor.fetchall()))
            return rows

        return run_sqlite, connection.close
    import asyncpg

    pg = await asyncpg.connect(url.replace("+asyncpg", ""), server_settings={"search_path": schema or "public"})

    async def run_pg(statements: list[tuple[str, list[Any]]]) -> int:
        rows = 0
        async with pg.transaction():
            for setting in ("jit = off", "max_parallel_workers_per_gather = 0", "plan_cache_mode = force_custom_plan"):
                await pg.execute(f"SET LOCAL {setting}")  # as storage.summary.plan_for_many_cells
            for sql, params in statements:
                parts = sql.split("?")
                text = parts[0] + "".join(f"${number}{part}" for number, part in enumerate(parts[1:], 1))
                rows += len(await pg.fetch(text, *params))
        return rows

    return run_pg, pg.close


# -- the measure -----------------------------------------------------------------------------------

async def measure(url: str, schema: str | None, runs: int, full: bool) -> dict[str, Any]:
    """In this process: `/tonghop` through `Chibo.handle` and the bare queries, alternating."""
    from bot.app import Chibo
    from bot.channels.memory import MemoryChannel
    from bot.clock import ManualClock
    from bot.runner import settle_heap
    from domain.messages import Incoming
    from handlers.context import HandlerSettings
    from storage.db import Database

    size = FULL if full else SMALL
    connect_args = {"server_settings": {"search_path": schema}} if schema else None
    db = Database(url, connect_args=connect_args)
    files = tempfile.mkdtemp(prefix="chibo-bench-")
    app = Chibo(db, HandlerSettings(files_dir=files), clock=ManualClock(NOW))
    channel = MemoryChannel()
    app.add_channel(channel)
    bare, close = await _bare_driver(url, schema)
    settle_heap()  # as `chibo run` does once started (bot/runner.py), before the first message
    counter = 0
    run_key = os.urandom(4).hex()  # the database may be reused: update keys must not repeat

    async def chibo(user: str, text: str) -> float:
        nonlocal counter
        counter += 1
        started = time.perf_counter()
        await app.handle(Incoming("memory", user, text, update_key=f"bench-{run_key}-{counter}"))
        elapsed = (time.perf_counter() - started) * 1000
        sent = channel.take()
        if sent[-1].reply.photo is None or not sent[0].reply.text.startswith("Tổng hợp"):
            raise RuntimeError(f"unexpected answer to {user}: {[s.reply.text[:80] for s in sent]}")
        return elapsed

    async def baseline(statements: list[tuple[str, list[Any]]]) -> float:
        started = time.perf_counter()
        if await bare(statements) == 0:
            raise RuntimeError("the bare queries found nothing")
        return (time.perf_counter() - started) * 1000

    today = NOW.date()
    postgres = not url.startswith("sqlite")
    cells_total = size.committees * size.cells
    first_cell = size.committees + 1  # org_unit ids: committees first, then the cells
    committee_cells = list(range(first_cell, first_cell + size.cells))
    step = max(1, cells_total // runs)
    cases = {
        "committee|năm": ([generate.committee_user(1)], "/tonghop nam 2026",
                          _baseline_sql(committee_cells, (date(2026, 1, 1), date(2027, 1, 1)), 2026, today,
                                        postgres)),
        "cell|tháng": ([generate.cell_user(1 + i * step % cells_total) for i in range(runs)], "/tonghop",
                       None),
    }
    results: dict[str, Any] = {}
    for key, (users, text, fixed) in cases.items():
        for user in set(users):  # warm up: imports, the chart drawn once, caches
            await chibo(user, text)
        await baseline(fixed or _cell_statements(users[0], size, today, postgres))
        ours, theirs = [], []
        for round_ in range(runs):
            user = users[round_ % len(users)]
            statements = fixed or _cell_statements(user, size, today, postgres)
            if round_ % 2:  # alternate which goes first
                theirs.append(await baseline(statements))
                ours.append(await chibo(user, text))
            else:
                ours.append(await chibo(user, text))
                theirs.append(await baseline(statements))
        results[key] = {"chibo": _stats(ours), "bare": _stats(theirs)}
    results["rss"] = _rss()
    await close()
    await db.dispose()
    shutil.rmtree(files, ignore_errors=True)
    return results


def _cell_statements(user: str, size: generate.Size, today: date, postgres: bool) -> list[tuple[str, list[Any]]]:
    number = int(user.removeprefix("sec-"))
    return _baseline_sql([size.committees + number], (date(2026, 12, 1), date(2027, 1, 1)), 2026, today, postgres)


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": statistics.median(ordered), "p95": ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]}


def _child(url: str, schema: str | None, runs: int, full: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.bench_summary", "--measure", url, "--runs", str(runs)]
    command += ["--schema", schema] if schema else []
    command += ["--full"] if full else []
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=Path(__file__).parent.parent)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def verdicts(key: str, chibo: dict[str, float], bare: dict[str, float]) -> list[tuple[str, bool]]:
    """Issue 12's goals for a row, each with whether it is met."""
    if key.startswith("committee"):
        return [(f"p95 ≤ {COMMITTEE_P95_MS:.0f} ms", chibo["p95"] <= COMMITTEE_P95_MS),
                (f"p95 ≤ {COMMITTEE_RATIO} × bare", chibo["p95"] <= COMMITTEE_RATIO * bare["p95"])]
    return [(f"p50 ≤ {CELL_P50_MS:.0f} ms", chibo["p50"] <= CELL_P50_MS),
            (f"p95 ≤ {CELL_P95_MS:.0f} ms", chibo["p95"] <= CELL_P95_MS)]


def _report(name: str, generated: str, results: dict[str, Any]) -> None:
    print(f"-- {name}: {generated}")
    for key, value in results.items():
        if key == "rss":
            continue
        scope, period = key.split("|")
        ours, theirs = value["chibo"], value["bare"]
        what = "1 chi bộ" if scope == "cell" else "1 đảng bộ, 100 chi bộ"
        goals = "; ".join(f"{goal}: {'MET' if met else 'NOT MET'}" for goal, met in verdicts(key, ours, theirs))
        print(f"   {what:22s} {period:5s}: chibo p50 {ours['p50']:6.1f} ms, p95 {ours['p95']:6.1f} ms | "
              f"bare SQL p50 {theirs['p50']:6.1f} ms, p95 {theirs['p95']:6.1f} ms | "
              f"ratio p50 {ours['p50'] / theirs['p50']:.2f}, p95 {ours['p95'] / theirs['p95']:.2f} | {goals}")
    rss = results["rss"]
    print(f"   memory (for information): resident {rss['VmRSS']:.0f} MB, peak {rss['VmHWM']:.0f} MB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="100,000 members (default: 10,000)")
    parser.add_argument("--sqlite", type=Path)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure, args.schema, args.runs, args.full))))
        return

    quiet: Any = lambda line: None  # noqa: E731
    size = FULL if args.full else SMALL
    members = size.committees * size.cells * size.members
    # Timings are only meaningful on a quiet machine (the PostgreSQL server included): say how busy it was.
    print(f"-- {members:,} members; load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    path = args.sqlite or _sqlite_path(args.full)
    if generate.sqlite_ready(path):
        generated = f"reused {path} (generated earlier)"
    else:
        seconds = generate.generate_sqlite(path, size, log=quiet)
        generated = f"generated {path} in {seconds:.1f} s"
    _report("SQLite", generated, _child(f"sqlite+aiosqlite:///{path.resolve()}", None, args.runs, args.full))

    if args.no_postgres:
        return
    if not asyncio.run(answers(args.postgres)):
        print(f"-- PostgreSQL: not reachable at {args.postgres}: skipped")
        return
    dsn = args.postgres.replace("+asyncpg", "")
    seconds = asyncio.run(generate.generate_postgres(dsn, SCHEMA, size, log=quiet))
    try:
        _report("PostgreSQL", f"generated schema {SCHEMA} in {seconds:.1f} s",
                _child(args.postgres, SCHEMA, args.runs, args.full))
    finally:
        asyncio.run(_drop(dsn, SCHEMA))


async def _drop(dsn: str, schema: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
