"""Runs a transcript file against a fresh bot and fails with the first difference.

Besides the transcript format (see bot/transcript.py) a file may set things up with
comment lines the plain runner ignores:
- `# import: NAME.csv`: a file under tests/transcripts/ loaded before the script runs;
- `# setup: committee NAME as VAR`: a committee created, its secretary code in `{{VAR}}`;
- `# seed: NAME`: known data written by the function NAME of tests/seed.py (it takes the database).
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.app import Chibo
from bot.clock import ManualClock
from bot.transcript import Runner, parse
from storage import org
from tests.conftest import TZ

_IMPORT = re.compile(r"^#\s*import:\s*(\S+)\s*$")
_COMMITTEE = re.compile(r"^#\s*setup:\s*committee\s+(.+?)\s+as\s+(\w+)\s*$")
_SEED = re.compile(r"^#\s*seed:\s*(\w+)\s*$")


async def check_transcript(app: Chibo, clock: ManualClock, path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    variables: dict[str, str] = {}
    for line in lines:
        if match := _IMPORT.match(line):
            from storage.importer import import_file

            await import_file(app.db, path.parent / match.group(1))
        elif match := _COMMITTEE.match(line):
            async with app.db.session() as session:
                _unit, code = await org.create_committee(session, match.group(1))
                await session.commit()
            variables[match.group(2)] = code.code
        elif match := _SEED.match(line):
            from tests import seed

            await getattr(seed, match.group(1))(app.db)
    runner = Runner(app, clock, TZ)
    return await runner.check(parse(lines), variables)
