"""Run every benchmark module (bench/bench_*.py), or those named: `python -m bench reports fanout`.

Each runs at its small default sizes (all together in under 10 minutes); `--full` passes `--full`
to each that has it (the issue's full sizes: much longer).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    full = "--full" in argv
    argv = [arg for arg in argv if arg != "--full"]
    names = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    wanted = [f"bench_{n.removeprefix('bench_')}" for n in argv] or names
    for name in wanted:
        if name not in names:
            print(f"no benchmark {name}; have: {', '.join(names)}", file=sys.stderr)
            return 2
        print(f"== {name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        module.main(["--full"] if full and "--full" in _options(module) else [])
    return 0


def _options(module: object) -> str:
    """The options a benchmark's parser knows, read from its --help without running it."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        module.main(["--help"])  # type: ignore[attr-defined]
    return out.getvalue()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
