"""Drawing the summary's chart with matplotlib, in the renderer process (`python -m handlers.chart_drawing`).

matplotlib and its fonts cost the bot some 47 MB that stayed resident after the first chart
(issue 12). So the bot never imports this module's drawing code itself: handlers/chart.py starts
this module as a child process (handlers/chart_process.py), hands it one chart at a time over a
pipe (`ChartData.to_json`), and lets it exit once no chart has been asked for a while. The drawing
is the same code as before on the Agg canvas of a bare `Figure` (no pyplot, no global figure
state, no display), so the PNG is byte-for-byte the one an in-process call of `render` gives.
"""

from __future__ import annotations

import io
import os
import sys
import traceback
from fractions import Fraction
from typing import IO, TYPE_CHECKING

from domain.figures import NO_DATA, percent, share_text
from domain.meeting_rules import QUALITY_SHARE
from handlers.chart import ChartData
from handlers.chart_process import DONE, FAILED, read_frame, write_frame

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

GOOD_LINE = float(QUALITY_SHARE * 100)  # the attendance a good meeting must exceed, drawn as a dashed line
ABOVE, NOT_ABOVE = "#2e7d32", "#c62828"


def render(data: ChartData) -> bytes:
    """The chart as PNG bytes (imports matplotlib: call it in the renderer process, or in a test)."""
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


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """Draw each chart asked for until the bot closes the pipe; a chart that fails is answered with why."""
    while (frame := read_frame(requests)) is not None:
        try:
            status, payload = DONE, render(ChartData.from_json(frame))
        except Exception:
            status, payload = FAILED, traceback.format_exc().encode()
        write_frame(answers, payload, status)


def main() -> None:
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # the pipe carries frames only: a stray print goes to the log instead
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
