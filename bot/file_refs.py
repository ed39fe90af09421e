"""Files kept on a messenger, fetched for the members another messenger reaches.

A document a secretary sends on Telegram is kept there as "telegram:<file id>" (domain/documents.py)
and re-sent to Telegram members by its id. Zalo cannot take a Telegram file id, so its channel asks
this resolver for the file itself: it is downloaded once through the running Telegram bot into
`files_dir/documents/` and published as a link (bot/files.py) like any other document.

The cache is named by a digest of the file id (ids are long and only Telegram's to interpret) and
touched on every use: handlers/files.py prunes files under files_dir untouched for a week, and the
documents go out at most a few days before their meeting, so a cached file outlives it; a file
pruned later is simply downloaded again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from pathlib import Path
from typing import Protocol

from domain.messages import SendError

log = logging.getLogger(__name__)
DOCUMENTS_FOLDER = "documents"  # inside files_dir


class Downloader(Protocol):
    """A running channel that can fetch a file it keeps (bot/channels/telegram.py)."""

    async def download(self, file_id: str, folder: Path, stem: str) -> Path: ...


def documents_directory(files_dir: str | Path) -> Path:
    return Path(files_dir) / DOCUMENTS_FOLDER


class PlatformFiles:
    """`await files("telegram:<id>")` → a local copy of the file, or None when it cannot be had."""

    def __init__(self, sources: dict[str, Downloader], folder: Path) -> None:
        self.sources = sources
        self.folder = folder
        self._fetching: dict[str, asyncio.Lock] = {}

    async def __call__(self, ref: str) -> Path | None:
        platform, _, file_id = ref.partition(":")
        source = self.sources.get(platform)
        if source is None or not file_id:
            return None
        stem = f"{platform}-{hashlib.sha256(file_id.encode()).hexdigest()[:32]}"
        async with self._fetching.setdefault(stem, asyncio.Lock()):  # one download for many members
            cached = self._cached(stem)
            if cached is not None:
                return cached
            try:
                return await source.download(file_id, self.folder, stem)
            except SendError as error:  # the platform does not know the file (any more)
                log.warning("%s file %s cannot be fetched: %s", platform, stem, error)
                return None

    def _cached(self, stem: str) -> Path | None:
        for path in (self.folder / stem, *self.folder.glob(f"{stem}.*")):
            if path.is_file():
                try:
                    os.utime(path)  # in use: not pruned for another week
                except OSError:
                    continue
                return path
        return None
