"""`chibo export`: the /xuat workbook from the command line, with a progress bar.

A committee's year is some hundred thousand rows per sheet: the bar (on standard error) shows
that the export is moving. The workbook is the one /xuat sends, built by the same code.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.settings import Settings
from bot.wiring import open_database
from domain import periods
from domain.figures import thousands
from handlers import workbook
from handlers.summary import build
from handlers.summary_scope import Scope, match_cells
from storage import org
from storage.types import id_of

BAR_WIDTH = 30


class ProgressBar:
    """`Đang ghi [#######.......] 45% (54.000/120.000 dòng)`, redrawn when the percentage moves."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        percent = int(share * 100)
        if percent == self.shown:
            return
        self.shown = percent
        filled = int(share * BAR_WIDTH)
        self.stream.write(f"\rĐang ghi [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {percent:3d}% "
                          f"({thousands(done)}/{thousands(total)} dòng)")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


async def run_export(settings: Settings, committee_name: str, cell_name: str | None, period_text: str,
                     file: Path) -> int:
    tz = settings.handler_settings().tz
    now = datetime.now(tz)
    try:
        period = periods.parse(period_text, now.date())
    except periods.PeriodError as error:
        print(f"{error} Viết kỳ như: thang-11-2026, quy-4-2026 hoặc nam-2026.", file=sys.stderr)
        return 2
    db = await open_database(settings.database_url)
    try:
        async with db.session() as session:
            committee = await org.find_committee(session, committee_name)
            if committee is None:
                print(f"Không có đảng bộ tên «{committee_name}».", file=sys.stderr)
                return 1
            cells = await org.cells_of(session, id_of(committee), since=period.start)
            scope = Scope(committee, cells, committee)
            if cell_name:
                found = match_cells(cells, cell_name)
                if len(found) != 1:
                    names = "; ".join(cell.name for cell in found[:20])
                    print(f"Có {len(found)} chi bộ khớp với «{cell_name}» trong {committee.name}"
                          + (f": {names}." if names else "."), file=sys.stderr)
                    return 1
                scope = Scope(found[0], found, committee)
            built = await build(session, scope, period, now, tz, command="xuat")
            await workbook.write(session, built, file, tz, progress=ProgressBar())
    finally:
        await db.dispose()
    print(f"Đã ghi {file}: tổng hợp {scope.unit.name}, {period.label}.")
    return 0
