"""The summary's chart: attendance per month over twelve months, and the ratings at each stage.

A chart is named by a digest of what it shows: asking again for unchanged figures reuses the file
instead of drawing it again. Drawing happens in a renderer process (handlers/chart_drawing.py),
never in the bot: matplotlib stayed resident after the first chart, some 47 MB of the bot's
memory for a picture a committee asks for a few times a month (issue 12). The renderer is kept
for a burst of charts (a committee's cells, a test suite) and exits after `IDLE_SECONDS` without
one, so starting it (importing matplotlib, some 0.2–0.5 s) is paid once per burst.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from handlers.chart_process import Renderer


@dataclass(frozen=True, slots=True)
class ChartData:
    title: str
    months: tuple[tuple[str, int, int], ...]  # ("T11/2026", present, expected), oldest first
    ratings_title: str
    levels: tuple[str, ...]  # level codes, best first
    stages: tuple[tuple[str, tuple[int, ...]], ...]  # (stage name, count per level)

    def digest(self) -> str:
        return hashlib.sha256(repr(self).encode()).hexdigest()[:24]

    def to_json(self) -> bytes:
        """What the renderer process is sent."""
        return json.dumps(asdict(self), ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> ChartData:
        """The chart `to_json` sent, with its tuples back (JSON has only lists)."""
        fields = json.loads(raw)
        return cls(title=fields["title"], months=tuple((label, present, expected)
                                                       for label, present, expected in fields["months"]),
                   ratings_title=fields["ratings_title"], levels=tuple(fields["levels"]),
                   stages=tuple((stage, tuple(counts)) for stage, counts in fields["stages"]))


IDLE_SECONDS = 30.0  # the renderer process exits after this long without a chart
RENDERER = Renderer("handlers.chart_drawing", idle_seconds=IDLE_SECONDS)


def chart_path(files_dir: str | Path, data: ChartData) -> Path:
    return Path(files_dir) / "charts" / f"bieu-do-{data.digest()}.png"


def drawn(data: ChartData, files_dir: str | Path) -> Path | None:
    """The chart's PNG file when an identical chart is already on disk (marked used), else None.
    A stat and a touch: cheap enough for the event loop, where a hand-off to a thread for a chart
    drawn already cost more than the check (`/tonghop` for a cell on SQLite: ~1 ms of 10)."""
    path = chart_path(files_dir, data)
    return path if _reused(path) else None


def _reused(path: Path) -> bool:
    """Whether the chart is on disk; if so it is marked used."""
    if path.exists():
        os.utime(path)  # recently used: kept by the clean-up of old files
        return True
    return False


def draw(data: ChartData, files_dir: str | Path) -> Path:
    """The chart's PNG file, drawn unless an identical chart is already on disk."""
    path = chart_path(files_dir, data)
    if _reused(path):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    png = _png(data)
    partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    partial.write_bytes(png)
    partial.replace(path)  # atomic: a reader never sees half a file
    return path


def _png(data: ChartData) -> bytes:
    """The chart's PNG, drawn by the renderer process (one chart at a time: bounded memory and CPU)."""
    return RENDERER.render(data.to_json())
