"""/nghiquyet: the month's resolution (nghị quyết), drafted from the minutes and the month's reports.

`/nghiquyet <số buổi>` on a meeting whose minutes are begun: the bot drafts the past month's
results (the cell's reports of that month by kind, and the last resolution's tasks) for the
secretary to keep (`giữ`) or rewrite, then takes the coming month's tasks, each with the member
in charge and a date: `Thu đảng phí quý I (Cường, 15/01); …`. The vote and the chair are the
minutes' own. The papers (DOCX, PDF) follow, and each task becomes a reminder to the member in
charge a week before its date (through the outbox, once). `/nghiquyet <số> sua ketqua|nhiemvu`
corrects one part; the reminders follow the correction.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

from domain import resolution as rules
from domain.errors import UserError
from domain.resolution import ResolutionPaper, Task
from domain.text import fold
from handlers import files, minutes_paper
from handlers.attendance import find_person
from handlers.context import Audience, Ctx
from handlers.meetings import capital, is_number, own_cells
from handlers.minutes import held_meeting
from handlers.registry import Command
from storage import attendance
from storage import minutes as stored_minutes
from storage import resolutions as stored
from storage.meetings import Meeting, Person, expected_members, secretaries, title
from storage.tables import Member, OrgUnit
from storage.types import id_of

FLOW = "resolution"
USAGE = "/nghiquyet <số buổi> [sua ketqua | sua nhiemvu]"
DETAILS = (
    "Soạn nghị quyết tháng từ biên bản buổi họp: bot soạn sẵn phần kết quả tháng qua (từ báo cáo hoạt động của "
    "đảng viên và nhiệm vụ nghị quyết tháng trước), đồng chí gõ «giữ» hoặc gõ lại; rồi gõ nhiệm vụ tháng tới, "
    + rules.TASK_SYNTAX + ". Biểu quyết lấy từ biên bản. Bot gửi tệp Word và PDF, và nhắc từng đồng chí phụ trách "
    "trước hạn 7 ngày.\n• /nghiquyet 3\n• /nghiquyet 3 sua nhiemvu"
)


def _months(meeting: Meeting, ctx: Ctx) -> tuple[date, date, str, str]:
    """The past month (its first day, the next month's first day, "12/2026") and the coming one ("1/2027")."""
    local = meeting.starts_at.astimezone(ctx.settings.tz).date()
    this = local.replace(day=1)
    past = (this.replace(year=this.year - 1, month=12) if this.month == 1 else this.replace(month=this.month - 1))
    return past, this, f"{past.month}/{past.year}", f"{this.month}/{this.year}"


async def resolution_command(ctx: Ctx, args: str) -> None:
    first, _, rest = args.strip().partition(" ")
    if not first or not is_number(first):
        raise UserError(f"Gõ {USAGE}, ví dụ: /nghiquyet 3. Xem /trogiup nghiquyet.")
    meeting = await held_meeting(ctx, first)
    minutes = await stored_minutes.of_meeting(ctx.session, id_of(meeting))
    if minutes is None:
        raise UserError(f"Buổi số {meeting.number} chưa có biên bản: nghị quyết soạn từ biên bản (biểu quyết, chủ "
                        f"trì). Gõ /bienban {meeting.number} để lập trước.")
    resolution, _new = await stored.open_for(ctx.session, meeting, ctx.now)
    word, _, what = rest.strip().partition(" ")
    if fold(word) == "sua":
        step = {"ketqua": rules.RESULTS, "nhiemvu": rules.TASKS}.get(fold(what).replace(" ", ""))
        if step is None:
            raise UserError(f"Gõ /nghiquyet {meeting.number} sua ketqua hoặc /nghiquyet {meeting.number} sua nhiemvu.")
        await _ask(ctx, resolution, meeting, step, fix=True)
        return
    if rest.strip():
        raise UserError(f"Gõ {USAGE}.")
    if resolution.finished_at is not None and resolution.step is None:
        await _send(ctx, resolution, meeting, again=True)
        return
    if resolution.results is None:
        resolution.results = await _draft(ctx, meeting)
    resolution.step = resolution.step or rules.RESULTS
    _touch(ctx, resolution)
    await _ask(ctx, resolution, meeting, resolution.step)


async def _draft(ctx: Ctx, meeting: Meeting) -> str:
    first, after, past, _coming = _months(meeting, ctx)
    counts, reporters = await stored.report_counts(ctx.session, meeting.cell_id, first, after)
    expected = len((await attendance.tally(ctx.session, meeting)).expected)
    earlier = await stored.previous(ctx.session, meeting)
    return rules.draft_results(past, reporters, expected, counts, earlier.task_list if earlier else [])


def _touch(ctx: Ctx, resolution: stored.Resolution) -> None:
    resolution.updated_at = ctx.now
    ctx.session.add(resolution)


async def _ask(ctx: Ctx, resolution: stored.Resolution, meeting: Meeting, step: str, *, fix: bool = False,
               prefix: str = "") -> None:
    _first, _after, past, coming = _months(meeting, ctx)
    where = "Sửa" if fix else f"Bước {rules.STEPS.index(step) + 1}/{len(rules.STEPS)}"
    if step == rules.RESULTS:
        text = (f"{where}: kết quả tháng {past}. Bot soạn từ báo cáo và nghị quyết tháng trước:\n"
                f"{resolution.results or '(trống)'}\nGõ «giữ» để dùng bản này, hoặc gõ lại cả đoạn.")
    else:
        people = await expected_members(ctx.session, meeting.cell_id)
        listed = "; ".join(f"{n}. {p.full_name}" for n, p in enumerate(people, 1))
        text = (f"{where}: nhiệm vụ tháng {coming}, {rules.TASK_SYNTAX}. Không có thì gõ «bỏ qua».\n"
                f"Đảng viên: {listed}.")
    ctx.ask(prefix + text, FLOW, step, {"resolution": resolution.id, "fix": fix})


def _person(people: list[Person], ref: str) -> Person:
    found = find_person(people, ref)
    if isinstance(found, Person):
        return found
    if isinstance(found, list):
        raise UserError(f"Có nhiều đồng chí khớp «{ref}»: {', '.join(p.full_name for p in found)}. Gõ số thứ tự.")
    raise UserError(f"«{ref[:40]}» không phải đảng viên của chi bộ: người phụ trách chọn trong danh sách.")


async def _flow(ctx: Ctx, text: str) -> None:
    data: dict[str, Any] = dict(ctx.conversation.data)
    step = ctx.conversation.step or ""
    fix = bool(data.get("fix"))
    resolution = await ctx.session.get(stored.Resolution, int(data.get("resolution") or 0))
    meeting = await ctx.session.get(Meeting, resolution.meeting_id) if resolution is not None else None
    if resolution is None or meeting is None or resolution.cell_id not in await own_cells(ctx):
        ctx.finish()
        ctx.reply("Không tìm thấy nghị quyết này nữa. Gõ /nghiquyet <số buổi>.")
        return
    typed = fold(text).strip(" .!")
    if typed in {"xong"}:
        ctx.finish()
        await _send(ctx, resolution, meeting)
        return
    skip = typed in {"bo qua", "boqua"} or (step == rules.RESULTS and typed in rules.KEEP_WORDS)
    try:
        if not skip and step == rules.RESULTS:
            resolution.results = rules.clean_text(text, "Kết quả tháng qua", 4000)
        elif not skip:
            people = await expected_members(ctx.session, meeting.cell_id)
            today = ctx.local_now.date()
            resolution.set_tasks([Task(t.what, (p := _person(people, t.who)).id, p.full_name, t.due)
                                  for t in rules.parse_tasks(text, today)])
        elif step == rules.TASKS and typed in {"bo qua", "boqua"} and not fix:
            resolution.set_tasks([])
    except UserError as error:
        await _ask(ctx, resolution, meeting, step, fix=fix, prefix=f"{error}\n")
        return
    _touch(ctx, resolution)
    if fix and resolution.step is not None:
        await _ask(ctx, resolution, meeting, resolution.step, prefix="Đã sửa.\n")
        return
    following = None if fix else {rules.RESULTS: rules.TASKS}.get(step)
    if following is not None:
        resolution.step = following
        await _ask(ctx, resolution, meeting, following)
        return
    ctx.finish()
    await _send(ctx, resolution, meeting)


async def paper(ctx: Ctx, resolution: stored.Resolution, meeting: Meeting) -> ResolutionPaper:
    committee, cell, place_date = await minutes_paper.heading(ctx, meeting)
    minutes = await stored_minutes.of_meeting(ctx.session, id_of(meeting))
    tally = await attendance.tally(ctx.session, meeting)
    leaders = await secretaries(ctx.session, meeting.cell_id)
    secretary = await ctx.session.get(Member, leaders[0]) if leaders else None
    local = meeting.starts_at.astimezone(ctx.settings.tz).date()
    return ResolutionPaper(
        committee=committee, cell=cell, place_date=place_date,
        title=capital(title(meeting, ctx.settings.tz)).replace("Sinh hoạt", "Sinh hoạt chi bộ", 1),
        meeting=rules.meeting_words(local), present=len(tally.present), expected=len(tally.expected),
        results=resolution.results or "", tasks=resolution.task_list, vote=minutes.vote if minutes else None,
        chair=secretary.full_name if secretary else "",
    )


async def _draw(ctx: Ctx, resolution: stored.Resolution, meeting: Meeting) -> tuple[Path, Path]:
    from handlers import papers  # heavy: imported when a paper is drawn

    fields = (await paper(ctx, resolution, meeting)).context()
    own = await stored_minutes.template_override(ctx.session, meeting.cell_id, "resolution_template")
    docx = files.new_path(ctx.settings.files_dir, f"nghi-quyet-buoi-{meeting.number}-{fields['cell']}", "docx")
    pdf = docx.with_suffix(".pdf")
    await asyncio.to_thread(papers.draw, fields, "nghi_quyet", docx, pdf, Path(own) if own else None)
    return docx, pdf


async def _remind(ctx: Ctx, resolution: stored.Resolution, meeting: Meeting) -> int:
    cell = await ctx.session.get(OrgUnit, meeting.cell_id)
    _first, _after, _past, coming = _months(meeting, ctx)
    wanted = []
    for task in resolution.task_list:
        due = rules.reminder_due(task.due, ctx.now, ctx.settings.tz)
        if due is not None:
            wanted.append((task, due, rules.reminder_text(task, cell.name if cell else "chi bộ", coming)))
    return await stored.plan_reminders(ctx.session, id_of(resolution), wanted, ctx.now)


async def _send(ctx: Ctx, resolution: stored.Resolution, meeting: Meeting, *, again: bool = False) -> None:
    resolution.step = None
    if resolution.finished_at is None:
        resolution.finished_at = ctx.now
    _touch(ctx, resolution)
    reminders = await _remind(ctx, resolution, meeting)
    docx, pdf = await _draw(ctx, resolution, meeting)
    what = f"buổi số {meeting.number} ({title(meeting, ctx.settings.tz)})"
    lines = [f"Nghị quyết {what}" + (" (bản đã lập)" if again else "") + ": tệp Word để sửa nếu cần, tệp PDF để in "
             "và ký."]
    if reminders:
        lines.append(f"Bot sẽ nhắc {reminders} nhiệm vụ tới đồng chí phụ trách, trước hạn 7 ngày lúc 08:00.")
    lines.append(f"Sửa: /nghiquyet {meeting.number} sua ketqua | sua nhiemvu.")
    ctx.reply("\n".join(lines), document=docx)
    ctx.reply(f"Nghị quyết {what}, bản PDF.", document=pdf)


COMMANDS = [
    Command("nghiquyet", "Soạn nghị quyết tháng từ biên bản (Word, PDF), nhắc việc", resolution_command,
            Audience.LEADER, private=True, usage=USAGE, details=DETAILS),
]
FLOWS = {FLOW: _flow}
FLOW_TITLES = {FLOW: "nghị quyết"}
