"""Start-up time and resident memory (issue 12): `chibo --help`, a 3-line script, the bot after a chart.

Times, each a fresh process, in interleaved rounds (one of each per round, medians):
  - `python -c pass` (the baseline: the interpreter alone),
  - `python -m bot.cli --help`,
  - `python -m bot.cli chat --script` of 3 lines (a fresh SQLite database, migrated, and 3 messages).
Goals: ≤ 150 ms and ≤ 400 ms.

Memory, each a fresh process, interleaved:
  - the bot's modules alone (what `chibo run` imports: the app, the handlers, storage, the
    messengers' libraries), resident memory (VmRSS);
  - the bot opened on the summary benchmark's database, answering `/tonghop` for a committee of 100
    cells (its text and its chart), then its resident memory. The chart is drawn by a renderer
    process (handlers/chart_process.py), whose own peak is printed beside it: it exits when idle.
Goal: ≤ 120 MB with the 100k-member database (bench/generate.py, `data/bench/summary.db`). The
default run uses that file when it is already generated, and otherwise generates a 10k-member one
(1 committee × 100 cells × 100 members, under a minute); `--full` generates the 100k one if needed.

Children run without PYTHONDONTWRITEBYTECODE (as an installed package does: its bytecode is
compiled once, at installation; here by the warm-up round), from a scratch directory so that no
`.env` leaks in.

    python -m bench.bench_startup [--rounds 7] [--memory-rounds 2] [--full]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = "an: /trogiup\nan: /thamgia\nan: /huy\n"  # 3 lines: help, a refusal with usage, a cancel
GOAL_HELP_MS, GOAL_SCRIPT_MS, GOAL_RSS_MB = 150.0, 400.0, 120.0
FULL_DB = ROOT / "data" / "bench" / "summary.db"
SMALL_DB = ROOT / "data" / "bench" / "startup-10k.db"
BOT_MODULES = ("bot.runner", "bot.service", "bot.app", "bot.channels.console", "bot.scheduling")


def _env(scratch: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONDONTWRITEBYTECODE", "DATABASE_URL", "TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["FILES_DIR"] = str(scratch / "files")
    return env


def _timed(command: list[str], scratch: Path) -> float:
    """Wall-clock milliseconds of one child, from spawn to exit; its failure is the benchmark's."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=scratch, env=_env(scratch), capture_output=True, text=True, check=False)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{command}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return elapsed


def times(rounds: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="chibo-startup-") as folder:
        scratch = Path(folder)
        script = scratch / "three.txt"
        script.write_text(SCRIPT, encoding="utf-8")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "chibo --help": [sys.executable, "-m", "bot.cli", "--help"],
            "chibo chat --script (3 lines)": [sys.executable, "-m", "bot.cli", "chat", "--script", str(script)],
        }
        for command in commands.values():  # warm-up: bytecode compiled, the OS's caches filled
            _timed(command, scratch)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _round in range(rounds):
            for name, command in commands.items():
                samples[name].append(_timed(command, scratch))
    return samples


# -- memory ------------------------------------------------------------------------------------------

def _status(pid: int | str = "self") -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process, in MB, from /proc (no psutil)."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


def _import_bot() -> None:
    import importlib

    for name in BOT_MODULES:
        importlib.import_module(name)


async def _bot_after_chart(url: str) -> dict[str, Any]:
    """The bot on `url` answers a committee's `/tonghop` (text and a freshly drawn chart)."""
    import gc
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bench import generate
    from bot.app import Chibo
    from bot.channels.memory import MemoryChannel
    from bot.clock import ManualClock
    from domain.messages import Incoming
    from handlers import chart
    from handlers.context import HandlerSettings
    from storage.db import Database

    files = tempfile.mkdtemp(prefix="chibo-startup-files-")
    db = Database(url)
    app = Chibo(db, HandlerSettings(files_dir=files),
                clock=ManualClock(datetime(2026, 12, 20, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))))
    channel = MemoryChannel()
    app.add_channel(channel)
    try:
        await app.handle(Incoming("memory", generate.committee_user(1), "/tonghop nam 2026",
                                  update_key=f"startup-{os.urandom(4).hex()}"))
        sent = channel.take()
        if not sent or sent[-1].reply.photo is None or not sent[0].reply.text.startswith("Tổng hợp"):
            raise RuntimeError(f"unexpected answer: {[s.reply.text[:80] for s in sent]}")
        renderer = chart.RENDERER.pid
        drawn = _status(renderer) if renderer else {"VmHWM": 0.0}
        gc.collect()
        return {**_status(), "renderer_peak": drawn["VmHWM"], "matplotlib": "matplotlib" in sys.modules}
    finally:
        chart.RENDERER.close()
        await db.dispose()
        shutil.rmtree(files, ignore_errors=True)


def _measure(mode: str, url: str) -> dict[str, Any]:
    """In this (child) process."""
    _import_bot()
    if mode == "modules":
        return _status()
    return asyncio.run(_bot_after_chart(url))


def _child(mode: str, url: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.bench_startup", "--measure", mode, "--url", url]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, env=_env(ROOT))
    if done.returncode != 0:
        raise RuntimeError(f"{mode}: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _database(full: bool) -> tuple[Path, str, bool]:
    """The database, what to say of it, and whether it is the 100k one the goal is for."""
    from bench import generate

    if generate.sqlite_ready(FULL_DB):
        return FULL_DB, f"{FULL_DB.relative_to(ROOT)} (100k members, generated earlier)", True
    if full:
        seconds = generate.generate_sqlite(FULL_DB, log=lambda line: None)
        return FULL_DB, f"{FULL_DB.relative_to(ROOT)} (100k members, generated in {seconds:.0f} s)", True
    if generate.sqlite_ready(SMALL_DB):
        return SMALL_DB, f"{SMALL_DB.relative_to(ROOT)} (10k members, generated earlier; --full: 100k)", False
    seconds = generate.generate_sqlite(SMALL_DB, generate.Size(committees=1), log=lambda line: None)
    return SMALL_DB, f"{SMALL_DB.relative_to(ROOT)} (10k members, generated in {seconds:.0f} s; --full: 100k)", False


def memory(rounds: int, full: bool) -> tuple[str, bool, dict[str, list[dict[str, Any]]]]:
    path, described, full_size = _database(full)
    url = f"sqlite+aiosqlite:///{path}"
    found: dict[str, list[dict[str, Any]]] = {"modules": [], "chart": []}
    for _round in range(rounds):
        for mode in found:
            found[mode].append(_child(mode, url))
    return described, full_size, found


# -- report ------------------------------------------------------------------------------------------

def _verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def report_times(samples: dict[str, list[float]], rounds: int) -> None:
    base = statistics.median(samples["python -c pass"])
    print(f"-- start-up, {rounds} interleaved rounds, medians (each a fresh process)")
    print(f"   python -c pass (baseline):       {base:7.1f} ms")
    for name, goal in (("chibo --help", GOAL_HELP_MS), ("chibo chat --script (3 lines)", GOAL_SCRIPT_MS)):
        value = statistics.median(samples[name])
        print(f"   {name + ':':32s} {value:7.1f} ms  = {value / base:5.1f} × the baseline; "
              f"goal ≤ {goal:.0f} ms: {_verdict(value <= goal)}")


def report_memory(described: str, found: dict[str, list[dict[str, Any]]], full_size: bool) -> None:
    modules = statistics.median(r["VmRSS"] for r in found["modules"])
    after = statistics.median(r["VmRSS"] for r in found["chart"])
    peak = statistics.median(r["VmHWM"] for r in found["chart"])
    renderer = statistics.median(r["renderer_peak"] for r in found["chart"])
    kept = any(r["matplotlib"] for r in found["chart"])
    print(f"-- resident memory, {len(found['chart'])} interleaved rounds, medians; database {described}")
    print(f"   bot modules alone (baseline):    {modules:7.1f} MB")
    print(f"   bot after a committee's /tonghop and its chart: {after:.1f} MB resident "
          f"(= {after / modules:.2f} × the baseline, +{after - modules:.1f} MB; peak {peak:.1f} MB); "
          f"matplotlib in the bot: {'yes' if kept else 'no'}; the renderer process's own peak "
          f"{renderer:.1f} MB, gone when idle")
    if full_size:
        print(f"   goal ≤ {GOAL_RSS_MB:.0f} MB with the 100k database: {_verdict(after <= GOAL_RSS_MB)}")
    else:
        print(f"   goal ≤ {GOAL_RSS_MB:.0f} MB with the 100k database: not judged on the 10k one "
              f"({after:.1f} MB here; run --full)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, help="timing rounds (default 7; --full 21)")
    parser.add_argument("--memory-rounds", type=int, help="memory rounds (default 2; --full 5)")
    parser.add_argument("--full", action="store_true", help="more rounds; generate the 100k database if needed")
    parser.add_argument("--measure", choices=("modules", "chart"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    if args.measure:
        print(json.dumps(_measure(args.measure, args.url)))
        return
    rounds = args.rounds or (21 if args.full else 7)
    print(f"-- load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    report_times(times(rounds), rounds)
    described, full_size, found = memory(args.memory_rounds or (5 if args.full else 2), args.full)
    report_memory(described, found, full_size)
    print(f"-- load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
