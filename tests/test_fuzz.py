"""Random input never breaks the bot: every message is answered, within the platform's limit.

Hypothesis sends empty text, 10,000 characters, odd Unicode, control characters, and every
command of the catalog (including those added later) with random arguments, from a cell
secretary, a member, a committee secretary and strangers.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.messages import Incoming
from handlers import texts
from handlers.catalog import default_catalog
from handlers.context import HandlerSettings
from storage import accounts, org
from storage.types import id_of
from tests.conftest import TZ, make_database

LIMIT = 2000  # Zalo's, the stricter of the two platforms
PEOPLE = ("secretary", "member", "boss", "stranger1", "stranger2")
COMMANDS = sorted({f"/{c.name}" for c in default_catalog().order} | {"/start", "/khonglenhnay"})

odd_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Z", "Cc", "Cf")), max_size=300
)
argument = st.one_of(
    odd_text,
    st.sampled_from(["", "1", "0", "-1", "31", "abc", "đồng ý", "tu choi", "tatca", "99999999999999999999",
                     "05/12/2026 19:30", "31/02/2026", "hangthang 31 19:30", "quy", "nam 2026", "1 " + "x" * 3000]),
    st.integers(-10, 10**6).map(str),
)
message = st.one_of(
    odd_text,
    st.tuples(st.sampled_from(COMMANDS), argument).map(lambda pair: f"{pair[0]} {pair[1]}".rstrip()),
    st.sampled_from(["", " ", "\x00\x01\x02", "\u202e\u200b", "x" * 10_000, "1", "2", "🎉" * 50]),
)
conversation = st.lists(st.tuples(st.sampled_from(PEOPLE), message), min_size=1, max_size=12)


async def _seed(app: Chibo) -> None:
    async with app.db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ thử")
        cell, _, _ = await org.create_cell(session, committee, "Chi bộ thử")
        people = {
            "secretary": (cell.id, "secretary", cell.id),
            "member": (cell.id, None, None),
            "boss": (None, "secretary", committee.id),
        }
        for name, (cell_id, role, unit_id) in people.items():
            member = await org.add_member(session, cell_id, f"Đồng chí {name}")
            if role:
                assert unit_id is not None
                await org.grant_role(session, id_of(member), unit_id, role)
            loaded = await accounts.load_or_create(session, "memory", name, name, name, app.clock.now())
            await accounts.link(session, loaded.account.id, id_of(member))
        await session.commit()


async def _run(kind: str, folder: Path, messages: list[tuple[str, str]]) -> None:
    db, drop = await make_database(kind, folder)
    try:
        settings = HandlerSettings(files_dir=str(folder / "files"))
        app = Chibo(db, settings, clock=ManualClock(datetime(2026, 11, 20, 9, 0, tzinfo=TZ)))
        channel = MemoryChannel(max_text=LIMIT)
        app.add_channel(channel)
        await _seed(app)
        for who, text in messages:
            channel.take()
            await app.handle(Incoming("memory", who, text, chat_id=who, update_key=None))
            sent = channel.take()
            assert any(s.to.chat_id == who for s in sent), f"no answer to {who}: {text[:80]!r}"
            for s in sent:
                assert 0 < len(s.reply.text) <= LIMIT, s.reply.text[:200]
                assert s.reply.text != texts.INTERNAL_ERROR, f"a handler raised for {who}: {text[:80]!r}"
    finally:
        await drop()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=conversation)
def test_random_messages_are_always_answered(messages: list[tuple[str, str]], db_kind: str, tmp_path: Path) -> None:
    asyncio.run(_run(db_kind, tmp_path, messages))
