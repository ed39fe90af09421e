"""/xuat: the summary as an Excel workbook (summary, members, reports, attendance, ratings).

`/xuat [tên chi bộ] [kỳ]` takes the same words as /tonghop and shows the same people the same
cells. The file is written under the files dir; Telegram receives it as a document, the console
prints its path. (`chibo export` writes the same workbook from the command line.)
"""

from __future__ import annotations

from domain.figures import thousands
from handlers import files
from handlers.context import Audience, Ctx
from handlers.registry import Command
from handlers.summary import build, parse_request
from storage import export_rows

# A chat export is written while the message is handled (on SQLite, while other messages wait):
# about 11,000 rows a second here, so this many rows is some five seconds. Bigger exports (a
# committee's quarter or year) are for the command line, which shows a progress bar.
CHAT_EXPORT_ROWS = 60_000


async def export(ctx: Ctx, args: str) -> None:
    """`/xuat [tên chi bộ] [kỳ]`."""
    from handlers import workbook  # openpyxl takes a fifth of a second to import: not at start-up

    request = await parse_request(ctx, args, "xuat")
    if request is None:
        return
    period, scopes = request
    for scope in scopes:
        ids = [cell.id for cell in scope.cells if cell.id is not None]
        counts = await export_rows.row_counts(ctx.session, ids, period, ctx.settings.tz)
        if sum(counts.values()) > CHAT_EXPORT_ROWS:
            ctx.reply(_too_big(scope.unit.name, scope.committee.name if scope.committee else scope.unit.name,
                               None if scope.is_committee else scope.unit.name, period.key, sum(counts.values())))
            continue
        built = await build(ctx.session, scope, period, ctx.local_now, ctx.settings.tz, command="xuat")
        path = files.new_path(ctx.settings.files_dir, f"tong-hop-{scope.unit.name}-{period.key}", "xlsx")
        await workbook.write(ctx.session, built, path, ctx.settings.tz, counts=counts)
        sheets = ", ".join(workbook.sheet_names(committee=scope.is_committee, dues_year=workbook.dues_year(built),
                                                candidates=await workbook.keeps_candidates(ctx.session, ids)))
        text = f"Tệp Excel tổng hợp {scope.unit.name}, {period.label} (các trang: {sheets})."
        if ctx.caps.files_as_paths:
            text += f"\nTệp đã lưu tại: {path}"
        ctx.reply(text, document=path)


def _too_big(name: str, committee: str, cell: str | None, period_key: str, rows: int) -> str:
    command = f'chibo export --committee "{committee}"' + (f' --cell "{cell}"' if cell else "")
    return (f"Tổng hợp {name} kỳ này có {thousands(rows)} dòng, quá lớn để tạo ngay trong tin nhắn "
            f"(tối đa {thousands(CHAT_EXPORT_ROWS)} dòng). Đồng chí có thể xuất từng chi bộ (/xuat <tên chi bộ> <kỳ>), "
            f"chọn kỳ ngắn hơn, hoặc nhờ quản trị viên chạy: {command} --period {period_key} tong-hop.xlsx")


COMMANDS = [
    Command("xuat", "Xuất tổng hợp ra tệp Excel", export, Audience.LEADER_OR_COMMITTEE, private=True,
            usage="/xuat [tên chi bộ] [tháng 11/2026 | quý 4/2026 | năm 2026]",
            details="Các số liệu của /tonghop trong một tệp Excel (tổng hợp, đảng viên, báo cáo, điểm danh, xếp loại). "
                    "Ví dụ: /xuat năm 2026."),
]
