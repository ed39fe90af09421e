"""File links: a chart or an export published at PUBLIC_URL/files/<token> for a day.

Zalo's `sendPhoto` takes a URL, not an upload, and Zalo cannot carry documents at all, so
such files are copied into a folder of our own under an unguessable token (256 random
bits) and served by the web server until the link expires. The copy, not the original,
is served: handlers may delete their temporary files, and no request can name a path.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import re
import secrets
import shutil
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from bot.clock import Clock
from storage import file_links, pruning
from storage.db import Database

LINK_LIFETIME = timedelta(days=1)
LINKS_FOLDER = "links"  # inside files_dir: nothing else is ever written there
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


def links_directory(files_dir: str | Path) -> Path:
    """Where the copies behind links live, inside the folder of files made for people."""
    return Path(files_dir) / LINKS_FOLDER


class FileShelf:
    def __init__(self, db: Database, directory: Path, public_url: str, clock: Clock,
                 lifetime: timedelta = LINK_LIFETIME) -> None:
        self.db = db
        self.directory = directory
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.lifetime = lifetime

    async def publish(self, path: Path, filename: str | None = None) -> str:
        """Copy the file under a new token; returns its URL (valid for `lifetime`)."""
        token = secrets.token_urlsafe(32)
        stored = token + path.suffix.lower()[:10]
        await asyncio.to_thread(self._copy, path, stored)
        now = self.clock.now()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        link = file_links.Link(token, stored, filename or path.name, content_type, now + self.lifetime)
        await file_links.add(self.db, link, now)
        await self.sweep()
        return f"{self.public_url}/files/{token}"

    async def find(self, token: str) -> tuple[Path, file_links.Link] | None:
        """The file behind a live token; None for anything else (unknown, expired, malformed)."""
        if not TOKEN.fullmatch(token):
            return None
        link = await file_links.find(self.db, token, self.clock.now())
        if link is None:
            return None
        path = self.directory / link.stored_name
        return (path, link) if path.is_file() else None

    async def sweep(self) -> int:
        """Forget expired links and delete their copies; returns how many went."""
        names = await file_links.take_expired(self.db, self.clock.now())
        await asyncio.to_thread(self._unlink, names)
        return len(names)

    async def prune(self, now: datetime) -> pruning.Pruned:
        """The scheduler's pruning (storage/pruning.py), with the copies of the expired links:
        storage forgets the rows and names the files, only the shelf knows where they are."""
        pruned = await pruning.prune(self.db, now)
        await asyncio.to_thread(self._unlink, pruned.file_links)
        return pruned

    def _unlink(self, names: Sequence[str]) -> None:
        """Delete copies; one already gone (a sweep in another process, a cleaned folder) is fine."""
        for name in names:
            if Path(name).name != name:
                continue  # we only ever store plain names; anything else is not ours to delete
            with contextlib.suppress(OSError):
                (self.directory / name).unlink()

    def _copy(self, source: Path, stored: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, self.directory / stored)
