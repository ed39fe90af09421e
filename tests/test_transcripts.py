"""Every transcript under tests/transcripts/ is an end-to-end test: the conversation must
produce exactly the lines written in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Chibo
from bot.clock import ManualClock
from tests.conftest import TRANSCRIPTS
from tests.transcript_harness import check_transcript


@pytest.mark.parametrize("path", sorted(TRANSCRIPTS.glob("*.txt")), ids=lambda p: p.stem)
async def test_transcript(app: Chibo, clock: ManualClock, path: Path) -> None:
    problems = await check_transcript(app, clock, path)
    assert not problems, "\n".join(problems)
