"""/tonghop at the size of a province: 100,000 members in 1,000 cells under 10 committees, a year of data.

For SQLite and PostgreSQL: generate the database (bench/generate.py; a SQLite file is reused
when its stamp matches), then in a fresh process (so that the generator's memory does not count)
push `/tonghop` through `Chibo.handle` with the memory channel — the whole way a real message goes:
de-duplication mark, sender lookup, roles, the grouped queries, the text, the chart, the commit —
and time it. Prints the generation time, p50/p95 for one cell and for one committee of 100 cells
(this month and the whole year), with the chart already drawn (a repeated view: the chart file is
reused) and drawn afresh (a first view), and the bot's resident memory at the end.

    python -m bench.bench_summary [--sqlite FILE.db] [--postgres URL | --no-postgres] [--runs 30]

Targets on the 2-core development machine: one cell p50 ≤ 20 ms; a committee of 100 cells
p50 ≤ 150 ms; resident memory ≤ 200 MB.
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
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench import generate
from storage.db import answers

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 20, 9, 0, tzinfo=TZ)
SCHEMA = "bench"
DEFAULT_SQLITE = Path("data/bench/summary.db")
DEFAULT_POSTGRES = os.environ.get("CHIBO_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
TARGETS_MS = {"cell": 20.0, "committee": 150.0}
TARGET_RSS_MB = 200.0


def _rss() -> dict[str, float]:
    """Resident and peak resident memory of this process in MB (from /proc, no psutil)."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


async def measure(url: str, schema: str | None, runs: int) -> dict[str, Any]:
    """In this process: the bot on `url`, `/tonghop` timed through `Chibo.handle`."""
    from bot.app import Chibo
    from bot.channels.memory import MemoryChannel
    from bot.clock import ManualClock
    from domain.messages import Incoming
    from handlers.context import HandlerSettings
    from storage.db import Database

    connect_args = {"server_settings": {"search_path": schema}} if schema else None
    db = Database(url, connect_args=connect_args)
    files = tempfile.mkdtemp(prefix="chibo-bench-")
    app = Chibo(db, HandlerSettings(files_dir=files), clock=ManualClock(NOW))
    channel = MemoryChannel()
    app.add_channel(channel)
    counter = 0
    run_key = os.urandom(4).hex()  # the database may be reused: update keys must not repeat

    async def once(user: str, text: str, *, fresh_chart: bool) -> float:
        nonlocal counter
        counter += 1
        if fresh_chart:
            shutil.rmtree(Path(files) / "charts", ignore_errors=True)
        started = time.perf_counter()
        await app.handle(Incoming("memory", user, text, update_key=f"bench-{run_key}-{counter}"))
        elapsed = (time.perf_counter() - started) * 1000
        sent = channel.take()
        if sent[-1].reply.photo is None or not sent[0].reply.text.startswith("Tổng hợp"):
            raise RuntimeError(f"unexpected answer to {user}: {[s.reply.text[:80] for s in sent]}")
        return elapsed

    cells = generate.Size().committees * generate.Size().cells
    step = max(1, cells // runs)
    cell_users = [generate.cell_user(1 + i * step) for i in range(runs)]
    committee_users = [generate.committee_user(1 + i % generate.Size().committees) for i in range(runs)]
    await once(cell_users[0], "/tonghop", fresh_chart=True)  # warm up: imports, matplotlib, caches
    await once(committee_users[0], "/tonghop", fresh_chart=True)
    results: dict[str, Any] = {}
    for label, text in (("tháng", "/tonghop"), ("năm", "/tonghop nam 2026")):
        for scope, users in (("cell", cell_users), ("committee", committee_users)):
            fresh, again = [], []
            for user in users:  # each first with its chart drawn, then again with the chart on disk
                fresh.append(await once(user, text, fresh_chart=True))
                again.append(await once(user, text, fresh_chart=False))
            results[f"{scope}|{label}"] = {"fresh": _stats(fresh), "again": _stats(again)}
    results["rss"] = _rss()
    await db.dispose()
    shutil.rmtree(files, ignore_errors=True)
    return results


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": statistics.median(ordered), "p95": ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]}


def _child(url: str, schema: str | None, runs: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.bench_summary", "--measure", url, "--runs", str(runs)]
    if schema:
        command += ["--schema", schema]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=Path(__file__).parent.parent)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _report(name: str, generated: str, results: dict[str, Any]) -> None:
    print(f"-- {name}: {generated}")
    for key, value in results.items():
        if key == "rss":
            continue
        scope, period = key.split("|")
        target = TARGETS_MS[scope]
        again, fresh = value["again"], value["fresh"]
        verdict = "ok" if again["p50"] <= target else "OVER"
        what = "1 chi bộ" if scope == "cell" else "1 đảng bộ, 100 chi bộ"
        print(f"   {what:22s} {period:5s}: p50 {again['p50']:6.1f} ms, p95 {again['p95']:6.1f} ms "
              f"(target p50 ≤ {target:.0f} ms: {verdict}); chart drawn afresh: p50 {fresh['p50']:6.1f} ms, "
              f"p95 {fresh['p95']:6.1f} ms")
    rss = results["rss"]
    verdict = "ok" if rss["VmRSS"] <= TARGET_RSS_MB else "OVER"
    print(f"   memory: resident {rss['VmRSS']:.0f} MB, peak {rss['VmHWM']:.0f} MB "
          f"(target ≤ {TARGET_RSS_MB:.0f} MB: {verdict})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", type=Path, default=DEFAULT_SQLITE)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure, args.schema, args.runs))))
        return

    quiet: Any = lambda line: None  # noqa: E731
    # Timings are only meaningful on a quiet machine (the PostgreSQL server included): say how busy it was.
    print(f"-- load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if generate.sqlite_ready(args.sqlite):
        generated = f"reused {args.sqlite} (generated earlier)"
    else:
        seconds = generate.generate_sqlite(args.sqlite, log=quiet)
        generated = f"generated {args.sqlite} in {seconds:.1f} s"
    _report("SQLite", generated, _child(f"sqlite+aiosqlite:///{args.sqlite.resolve()}", None, args.runs))

    if args.no_postgres:
        return
    if not asyncio.run(answers(args.postgres)):
        print(f"-- PostgreSQL: not reachable at {args.postgres}: skipped")
        return
    dsn = args.postgres.replace("+asyncpg", "")
    seconds = asyncio.run(generate.generate_postgres(dsn, SCHEMA, log=quiet))
    try:
        _report("PostgreSQL", f"generated schema {SCHEMA} in {seconds:.1f} s",
                _child(args.postgres, SCHEMA, args.runs))
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
