"""`chibo --help` answers before the heavy libraries load (issue 12: 522 ms, goal ≤ 150 ms).

Timing is not tested (the machine is shared); what makes start-up slow is: which modules a
command imports before argparse has answered. Each check runs in a fresh interpreter, since the
test process itself has everything loaded already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli, demo

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "pydantic_settings", "asyncio", "alembic", "telegram", "aiohttp",
         "matplotlib", "openpyxl", "apscheduler", "bot.settings", "bot.demo", "storage", "handlers", "domain")

PROBE = """
import contextlib, io, json, sys
from bot.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exit:
        code = exit.code
print(json.dumps({"code": code, "loaded": sorted(sys.modules), "help": out.getvalue()}))
"""


def _probe(*argv: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("argv", [("--help",), ("run", "--help"), ("chat", "--help"), ("member", "transfer", "-h"),
                                  ("no-such-command",), ()])
def test_help_and_mistakes_are_answered_before_any_heavy_import(argv: tuple[str, ...]) -> None:
    result = _probe(*argv)
    loaded = result["loaded"]
    assert isinstance(loaded, list) and "bot.cli" in loaded
    assert [name for name in loaded if name in HEAVY or name.split(".")[0] in HEAVY] == []
    assert result["code"] == 2 or argv[-1] in ("--help", "-h")


def test_the_help_still_names_the_demo_user_and_the_commands() -> None:
    result = _probe("run", "--help")
    assert f"mặc định: {demo.DEMO_USER}" in str(result["help"])
    assert cli.DEMO_USER_HELP == demo.DEMO_USER
    assert "chat" in str(_probe("--help")["help"])


def test_the_demo_list_is_still_importable_from_the_command_line_module() -> None:
    from bot.cli import DEMO_FILE

    assert DEMO_FILE == demo.DEMO_FILE and DEMO_FILE.exists()
    with pytest.raises(AttributeError):
        cli.NO_SUCH_NAME  # noqa: B018


def test_a_command_still_loads_what_it_needs(tmp_path: Path) -> None:
    """The lazy imports are real imports: `db upgrade` migrates a database and reports it."""
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/up.db"}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], cwd=ROOT, capture_output=True,
                          text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "phiên bản mới nhất" in done.stdout
    assert (tmp_path / "up.db").exists()

