"""Charts are drawn in a renderer process, so matplotlib never stays in the bot (issue 12: +47 MB).

The renderer is kept for a burst and exits when idle; a dead one is replaced; a failed chart is
an error, not a hang. The PNG is the one the drawing code gives in-process, byte for byte.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers import chart, chart_drawing
from handlers.chart_process import Renderer, RenderError

ROOT = Path(__file__).resolve().parent.parent
DATA = chart.ChartData(
    title="Chi bộ khu phố 1 — năm 2026",
    months=tuple((f"T{month}/2026", present, 10 if present else 0)
                 for month, present in zip(range(1, 13), [8, 9, 5, 0, 10, 7, 6, 8, 9, 9, 10, 3], strict=True)),
    ratings_title="Xếp loại chất lượng năm 2026",
    levels=("HTXSNV", "HTTNV", "HTNV", "KHTNV"),
    stages=(("Cá nhân tự đánh giá", (2, 5, 1, 0)), ("Chi bộ đề xuất", (3, 4, 1, 0)),
            ("Cấp ủy quyết định", (0, 0, 0, 0))),
)


@pytest.fixture
def renderer() -> Iterator[Renderer]:
    made = Renderer("handlers.chart_drawing", idle_seconds=600)
    yield made
    made.close()


def _gone(pid: int) -> bool:
    """Whether the process has exited (and been reaped by its parent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_chart_travels_to_the_renderer_unchanged() -> None:
    again = chart.ChartData.from_json(DATA.to_json())
    assert again == DATA and again.digest() == DATA.digest()


def test_the_renderer_draws_the_same_png_as_the_drawing_code_in_process(renderer: Renderer) -> None:
    png = renderer.render(DATA.to_json())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png == chart_drawing.render(DATA)


def test_drawing_a_chart_leaves_matplotlib_out_of_the_bot(tmp_path: Path) -> None:
    """In a fresh interpreter, as the bot: the chart file is written and matplotlib never loaded."""
    probe = ("import json, sys\nfrom handlers import chart\n"
             f"data = chart.ChartData.from_json({DATA.to_json()!r})\n"
             f"path = chart.draw(data, {str(tmp_path)!r})\n"
             "print(json.dumps([str(path), sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib')]))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    path, loaded = json.loads(done.stdout)
    assert loaded == []
    assert Path(path).read_bytes() == chart_drawing.render(DATA)


def test_one_renderer_serves_a_burst_of_charts(renderer: Renderer) -> None:
    other = chart.ChartData(DATA.title, DATA.months[:6], DATA.ratings_title, DATA.levels, ())
    first, second = renderer.render(DATA.to_json()), renderer.render(other.to_json())
    assert first != second and second == chart_drawing.render(other)
    assert renderer.started == 1


def test_an_idle_renderer_exits_and_the_next_chart_starts_another() -> None:
    renderer = Renderer("handlers.chart_drawing", idle_seconds=0.01)
    try:
        renderer.render(DATA.to_json())
        pid = renderer.pid
        assert pid is not None
        deadline = time.monotonic() + 30  # a bound, not a timing: it exits as soon as the idle timer fires
        while renderer.pid is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert renderer.pid is None and _gone(pid)
        assert renderer.render(DATA.to_json())[:8] == b"\x89PNG\r\n\x1a\n"
        assert renderer.started == 2
    finally:
        renderer.close()


def test_a_dead_renderer_fails_one_chart_at_most_and_is_replaced(renderer: Renderer) -> None:
    renderer.render(DATA.to_json())
    pid = renderer.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    try:
        png = renderer.render(DATA.to_json())  # the death may be seen before the request (a new child) or during
    except RenderError:
        png = renderer.render(DATA.to_json())
    assert png == chart_drawing.render(DATA) and renderer.started == 2


def test_a_chart_that_cannot_be_drawn_is_an_error_and_the_renderer_carries_on(renderer: Renderer) -> None:
    with pytest.raises(RenderError, match="KeyError"):
        renderer.render(b'{"title": "no months"}')
    assert renderer.render(DATA.to_json())[:8] == b"\x89PNG\r\n\x1a\n"
    assert renderer.started == 1


def test_a_stalled_renderer_is_killed_and_the_chart_fails() -> None:
    stalled = Renderer("tests.test_chart_process", idle_seconds=600, timeout_seconds=0.5)
    try:
        with pytest.raises(RenderError):
            stalled.render(b"{}")
    finally:
        stalled.close()


if __name__ == "__main__":  # the stalled renderer of the test above: reads its request, never answers
    sys.stdin.buffer.read(8)
    time.sleep(600)
