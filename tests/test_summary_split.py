"""A 150-member cell's summary fits the messengers: split at line boundaries within Telegram's
4,096 and Zalo's 2,000 characters, arriving whole and in order, no line ever cut."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.messages import Incoming
from handlers.context import HandlerSettings
from storage.db import Database
from tests import seed


async def _summary_parts(db: Database, clock: ManualClock, files: Path, limit: int) -> tuple[list[str], Path]:
    app = Chibo(db, HandlerSettings(files_dir=str(files)), clock=clock)
    channel = MemoryChannel(platform="console", max_text=limit)
    app.add_channel(channel)
    await app.handle(Incoming("console", "bt", "/tonghop", chat_id="bt"))
    sent = channel.take()
    assert sent[-1].reply.photo is not None  # the chart comes last, on its own
    return [s.reply.text for s in sent[:-1]], sent[-1].reply.photo


@pytest.mark.parametrize("limit", [4096, 2000])
async def test_a_long_summary_arrives_whole_in_order(db: Database, clock: ManualClock, tmp_path: Path,
                                                     limit: int) -> None:
    await seed.big_cell(db)
    whole, _ = await _summary_parts(db, clock, tmp_path, 1_000_000)
    assert len(whole) == 1 and len(whole[0]) > 4096  # long enough to need splitting on both
    parts, _ = await _summary_parts(db, clock, tmp_path, limit)
    assert len(parts) >= len(whole[0]) // limit + 1
    assert all(len(part) <= limit for part in parts)
    original = [line for line in whole[0].split("\n") if line]
    received = [line for part in parts for line in part.split("\n") if line]
    assert received == original  # every line whole, none lost, in order
    names = seed.big_cell_names()
    listed = "\n".join(original)
    assert listed.count(names[77]) == 2  # did not report, and has no account: listed under both
    assert any(line.startswith(f"- Chưa báo cáo (150): {names[0]}, {names[1]},") for line in original)
