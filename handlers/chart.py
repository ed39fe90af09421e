"""The summary's chart: attendance per month over twelve months, and the ratings at each stage.

matplotlib is imported on the first chart only (start-up stays fast) and drawn with the Agg
canvas on a bare `Figure` (no pyplot, no global figure state, no display needed). A chart is
named by a digest of what it shows: asking again for unchanged figures reuses the file instead
of drawing it again (drawing takes some 80–130 ms here; a cell's queries, a few).
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from domain.figures import NO_DATA, percent, share_text
from domain.meeting_rules import QUALITY_SHARE

if TYPE_CHECKING:  # matplotlib itself is imported on the first chart only
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

GOOD_LINE = float(QUALITY_SHARE * 100)  # the attendance a good meeting must exceed, drawn as a dashed line
ABOVE, NOT_ABOVE = "#2e7d32", "#c62828"
_DRAWING = threading.Lock()  # matplotlib is not thread-safe; charts are drawn in a worker thread


@dataclass(frozen=True, slots=True)
class ChartData:
    title: str
    months: tuple[tuple[str, int, int], ...]  # ("T11/2026", present, expected), oldest first
    ratings_title: str
    levels: tuple[str, ...]  # level codes, best first
    stages: tuple[tuple[str, tuple[int, ...]], ...]  # (stage name, count per level)

    def digest(self) -> str:
        return hashlib.sha256(repr(self).encode()).hexdigest()[:24]


def chart_path(files_dir: str | Path, data: ChartData) -> Path:
    return Path(files_dir) / "charts" / f"bieu-do-{data.digest()}.png"


def draw(data: ChartData, files_dir: str | Path) -> Path:
    """The chart's PNG file, drawn unless an identical chart is already on disk."""
    path = chart_path(files_dir, data)
    if path.exists():
        os.utime(path)  # recently used: kept by the clean-up of old files
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with _DRAWING:
        png = _png(data)
    partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    partial.write_bytes(png)
    partial.replace(path)  # atomic: a reader never sees half a file
    return path


def _attendance_legend(axes: Axes, above: list[bool], expected: list[int]) -> None:
    """What the colours and the dashed line mean, for the entries the chart actually shows."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    bar = share_text(QUALITY_SHARE)
    handles: list[Artist] = []
    if any(above):
        handles.append(Patch(color=ABOVE, label=f"trên {bar}"))
    if any(not a and e for a, e in zip(above, expected, strict=True)):
        handles.append(Patch(color=NOT_ABOVE, label=f"không trên {bar}"))
    handles.append(Line2D([], [], color="#555555", linestyle="--", linewidth=0.8, label=f"mức {bar}"))
    axes.legend(handles=handles, fontsize=7, loc="lower left")


def _png(data: ChartData) -> bytes:
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.8), dpi=100)
    FigureCanvasAgg(figure)
    figure.suptitle(data.title, fontsize=11)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})

    labels = [label for label, _present, _expected in data.months]
    rates = [100 * present / expected if expected else 0.0 for _label, present, expected in data.months]
    above = [bool(expected) and Fraction(present, expected) > QUALITY_SHARE for _l, present, expected in data.months]
    bars = left.bar(range(len(labels)), rates, color=[ABOVE if a else NOT_ABOVE for a in above])
    for bar, (_label, present, expected) in zip(bars, data.months, strict=True):
        # The same figure as the message, judged against the same bar (never "85%" on a red bar).
        text = percent(present, expected, QUALITY_SHARE) if expected else "–"
        left.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                      fontsize=7, xytext=(0, 2), textcoords="offset points")
    left.axhline(GOOD_LINE, color="#555555", linestyle="--", linewidth=0.8)
    _attendance_legend(left, above, [expected for _l, _p, expected in data.months])
    left.set_xticks(range(len(labels)), labels, fontsize=7, rotation=45, ha="right")  # "T12/2025" side by side overlap
    left.set_ylim(0, 110)
    left.set_ylabel("%")
    left.set_title("Tỷ lệ dự họp theo tháng (– : không họp)", fontsize=9)

    right.set_title(data.ratings_title, fontsize=9)
    if any(sum(counts) for _stage, counts in data.stages):
        width = 0.8 / max(len(data.stages), 1)
        for index, (stage, counts) in enumerate(data.stages):
            positions = [i + index * width for i in range(len(data.levels))]
            # A stage with no rating yet is drawn (zero bars keep the groups aligned) but not
            # named in the legend: a legend entry for an empty series reads as data.
            right.bar(positions, counts, width, label=stage if sum(counts) else "_nolegend_")
        right.set_xticks([i + width * (len(data.stages) - 1) / 2 for i in range(len(data.levels))],
                         data.levels, fontsize=7)
        right.legend(fontsize=7)
        right.yaxis.get_major_locator().set_params(integer=True)
    else:
        right.text(0.5, 0.5, NO_DATA, ha="center", va="center", transform=right.transAxes)
        right.set_xticks([])
        right.set_yticks([])
    figure.subplots_adjust(left=0.06, right=0.98, bottom=0.17, top=0.84, wspace=0.15)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
