"""A child process that draws for the bot, kept for a burst of requests and gone when idle.

Why a process and not a thread: what a library loads to draw (matplotlib, its fonts: ~47 MB)
stays in a process until it ends, so the bot's own memory would keep it forever after the first
chart (issue 12). The child is started on the first request, answers requests one at a time
over a pipe, and is told to exit (its stdin closed) after `idle_seconds` without one; the next
request starts a new one. A child that dies or stalls is killed and the request fails with an
error, like any other fault of a handler; the request after it starts a fresh child.

The frames on the pipe: a request is a 4-byte big-endian length and its bytes; an answer is one
status byte (`DONE` or `FAILED`), a 4-byte length and the result (or the error's text).
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

LENGTH = struct.Struct(">I")
DONE, FAILED = 0, 1
ROOT = Path(__file__).resolve().parent.parent  # where `handlers` is importable from, whatever the cwd


class RenderError(RuntimeError):
    """The child could not answer (it failed, died or stalled)."""


def read_frame(stream: IO[bytes]) -> bytes | None:
    """One length-prefixed frame; None at the end of the stream (the other side closed the pipe)."""
    head = stream.read(LENGTH.size)
    if len(head) < LENGTH.size:
        return None
    (size,) = LENGTH.unpack(head)
    body = stream.read(size)
    return body if len(body) == size else None


def write_frame(stream: IO[bytes], body: bytes, status: int | None = None) -> None:
    """A request (no status) or an answer (with its status byte), flushed at once."""
    stream.write((b"" if status is None else bytes([status])) + LENGTH.pack(len(body)) + body)
    stream.flush()


class Renderer:
    """The bot's side: `render(request) -> result` through a child running `python -m <module>`."""

    def __init__(self, module: str, *, idle_seconds: float, timeout_seconds: float = 120.0) -> None:
        self.module = module
        self.idle_seconds = idle_seconds
        self.timeout_seconds = timeout_seconds  # a stalled child is killed after this long on one request
        self._lock = threading.Lock()  # one request at a time: one child, bounded memory and CPU
        self._process: subprocess.Popen[bytes] | None = None
        self._idle: threading.Timer | None = None
        self.started = 0  # children started so far (tests and the benchmark look)

    @property
    def pid(self) -> int | None:
        """The running child's process id, if one is running."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def render(self, request: bytes) -> bytes:
        with self._lock:
            if self._idle is not None:
                self._idle.cancel()
                self._idle = None
            process = self._running()
            assert process.stdin is not None and process.stdout is not None
            watchdog = threading.Timer(self.timeout_seconds, process.kill)
            watchdog.daemon = True
            watchdog.start()
            try:
                write_frame(process.stdin, request)
                status = process.stdout.read(1)
                body = read_frame(process.stdout)
            except OSError as error:  # the child died: a broken pipe
                self._stop(process)
                raise RenderError(f"{self.module}: the renderer process died ({error})") from error
            finally:
                watchdog.cancel()
            if not status or body is None:
                self._stop(process)
                raise RenderError(f"{self.module}: the renderer process ended without an answer")
            self._idle = threading.Timer(self.idle_seconds, self.close)
            self._idle.daemon = True  # never keeps the bot from exiting: the child reads EOF then
            self._idle.start()
        if status[0] != DONE:
            raise RenderError(f"{self.module} failed:\n{body.decode(errors='replace')}")
        return body

    def close(self) -> None:
        """Let the child go (it exits on the end of its input); the next request starts another."""
        with self._lock:
            if self._idle is not None:
                self._idle.cancel()
                self._idle = None
            if self._process is not None:
                self._stop(self._process)

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self._process = subprocess.Popen([sys.executable, "-m", self.module], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, env=env, cwd=ROOT)
        self.started += 1
        log.debug("started %s (pid %s)", self.module, self._process.pid)
        return self._process

    def _stop(self, process: subprocess.Popen[bytes]) -> None:
        """Close its input and reap it; kill it if it does not go."""
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if self._process is process:
            self._process = None
