"""The chaos harness's full disk must bite: a process under `Fleet.disk_full` can neither grow a
file nor rewrite one in place, as SQLite rewrites its WAL after a checkpoint (bench/bench_chaos.py
and tests/test_chaos.py count on it)."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

from bench import chaos_harness as chaos

# Waits for a line on stdin (the limit is set by then), then tries to grow the file it is given.
GROW = """
import sys
sys.stdin.readline()
for path, mode in ((sys.argv[1], "ab"), (sys.argv[2], "r+b")):
    try:
        with open(path, mode, buffering=0) as written:
            written.write(b"x" * 100)
        print("wrote")
    except OSError as error:
        print("refused", error.errno)
"""


def test_a_full_disk_lets_no_file_grow_or_be_rewritten(tmp_path: Path) -> None:
    small, big = tmp_path / "db", tmp_path / "db-wal"
    small.write_bytes(b"s" * 10)
    big.write_bytes(b"b" * 1000)
    fleet = chaos.Fleet("sqlite+aiosqlite://", "http://127.0.0.1:1/bot", "1:x", tmp_path)
    process = subprocess.Popen([sys.executable, "-c", GROW, str(small), str(big)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE)
    fleet.processes.append(process)
    with fleet.disk_full([small, big]):
        out, _ = process.communicate(b"go\n", timeout=60)
    assert out.decode().split() == ["refused", str(errno.EFBIG)] * 2
    assert small.read_bytes() == b"s" * 10 and big.read_bytes() == b"b" * 1000
