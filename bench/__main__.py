"""Run every benchmark module (bench/bench_*.py), or those named: `python -m bench reports fanout`."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    names = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    wanted = [f"bench_{n.removeprefix('bench_')}" for n in argv] or names
    for name in wanted:
        if name not in names:
            print(f"no benchmark {name}; have: {', '.join(names)}", file=sys.stderr)
            return 2
        print(f"== {name}", flush=True)
        importlib.import_module(f"bench.{name}").main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
