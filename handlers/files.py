"""Files the bot makes for people (charts, workbooks): where they go and when they go away.

They live under the settings' files dir. A channel sends them (Telegram) or prints their path
(the console, transcripts); nothing reads them later, so files untouched for a week are removed
when a new workbook is written.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from domain.text import fold

KEEP_SECONDS = 7 * 24 * 3600


def slug(text: str) -> str:
    """A file-name-safe ASCII form of a Vietnamese name: "Chi bộ khu phố 1" -> "chi-bo-khu-pho-1"."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:60] or "tep"


def new_path(files_dir: str | Path, stem: str, suffix: str) -> Path:
    """A fresh path `<files_dir>/<stem>-<random>.<suffix>`; old files are cleared out first."""
    folder = Path(files_dir)
    folder.mkdir(parents=True, exist_ok=True)
    prune(folder)
    return folder / f"{slug(stem)}-{secrets.token_hex(3)}.{suffix}"


def prune(folder: Path, keep_seconds: float = KEEP_SECONDS) -> int:
    """Remove files not touched for `keep_seconds` (charts included); returns how many."""
    limit = time.time() - keep_seconds
    removed = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another process removed it first
            continue
    return removed
