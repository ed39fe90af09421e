"""Slow and greedy clients: a deadline for a request's headers and a cap on connections per address.

aiohttp keeps a connection that never sends its headers until its keep-alive timeout, so a few
hundred idle sockets from one address would hold the server's slots. The platforms send a whole
update at once, from a handful of connections (Telegram opens at most `max_connections`, 40 by
default), so a client that has not finished its headers within `header_timeout` is cut, and one
address holds at most `per_client` connections at a time. Behind a reverse proxy every connection
comes from the proxy: raise `WEB_CLIENT_CONNECTIONS` there, and let the proxy enforce its own.

The guard wraps aiohttp's protocol factory and passes every call through; it reads nothing but
the end of the headers (a blank line) and never alters a byte.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)
HEADER_END = b"\r\n\r\n"


class ConnectionGuard:
    """Counts connections per client address and builds guarded protocols."""

    def __init__(self, make: Callable[[], asyncio.Protocol], *, per_client: int, header_timeout: float) -> None:
        self.make = make
        self.per_client = per_client
        self.header_timeout = header_timeout
        self.open: Counter[str] = Counter()
        self.refused = 0
        self.timed_out = 0

    def __call__(self) -> asyncio.Protocol:
        return _Guarded(self, self.make())


class _Guarded(asyncio.Protocol):
    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol) -> None:
        self.guard = guard
        self.inner = inner
        self.client = ""
        self.counted = False
        self.tail = b""
        self.timer: asyncio.TimerHandle | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.client = str(peer[0]) if isinstance(peer, tuple | list) and peer else "?"
        if self.guard.open[self.client] >= self.guard.per_client:
            self.guard.refused += 1
            if self.guard.refused % 100 == 1:
                log.warning("too many connections from %s: refused (%d so far)", self.client, self.guard.refused)
            transport.abort()
            return
        self.guard.open[self.client] += 1
        self.counted = True
        self.timer = asyncio.get_running_loop().call_later(self.guard.header_timeout, self._too_slow)
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.timer is not None:
            seen = self.tail + data
            if HEADER_END in seen:
                self.timer.cancel()
                self.timer = None
            else:
                self.tail = seen[-3:]
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.counted else None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if not self.counted:
            return
        self.guard.open[self.client] -= 1
        if self.guard.open[self.client] <= 0:
            del self.guard.open[self.client]
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def _too_slow(self) -> None:
        self.timer = None
        self.guard.timed_out += 1
        if self.transport is not None:
            self.transport.abort()

    def __getattr__(self, name: str) -> Any:  # anything else aiohttp may ask of its protocol
        return getattr(self.inner, name)


class GuardedSite(web.BaseSite):
    """A TCP site whose connections pass through a `ConnectionGuard`."""

    __slots__ = ("_host", "_port", "guard")

    def __init__(self, runner: web.BaseRunner, host: str, port: int, *, per_client: int,
                 header_timeout: float) -> None:
        super().__init__(runner)
        self._host = host
        self._port = port
        server = runner.server
        assert server is not None, "the runner is set up first"
        self.guard = ConnectionGuard(server, per_client=per_client, header_timeout=header_timeout)

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self.guard, self._host, self._port, reuse_address=True)
