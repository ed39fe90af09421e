"""/tailieu: a meeting's documents and agenda, sent ahead to every expected member.

`/tailieu <số buổi> <liên kết> [tên]` attaches a document by its link (Zalo and Telegram members
open it in the messenger); on the console, a file path on this machine; on Telegram, a file sent
with the caption `/tailieu <số buổi> [tên]`, or right after `/tailieu <số buổi>` (kept on Telegram
and re-sent there by its file id; Zalo members get a download link, the file fetched by bot/ through
the Telegram bot); `/tailieu <số buổi> noidung: …` sets the short agenda (the meeting's content,
shown in the invitation too). They go to every expected member with the reminder that falls at
least a day before the meeting (or at once, when that moment has passed), through the outbox,
once. A member gets them again, or later, with `/tailieu` (the next meeting) or `/tailieu <số buổi>`.
"""

from __future__ import annotations

from pathlib import Path

from domain import documents as rules
from domain import meeting_rules
from domain.errors import UserError
from domain.messages import Address, Outgoing, Reply
from domain.text import clean_name, fold, has_control
from domain.vocabulary import MeetingStatus
from handlers.context import Audience, Ctx
from handlers.meetings import is_number, own_cells
from handlers.registry import Command
from storage import documents as stored
from storage.meetings import Meeting, expected_members, meeting_in, upcoming
from storage.types import id_of

USAGE = "/tailieu [<số buổi> [<liên kết> [tên] | noidung: <nội dung>]]"
FLOW = "documents"
STEP = "file"
DETAILS = (
    "Gửi tài liệu và nội dung buổi họp cho đảng viên trước ít nhất một ngày (cùng lời nhắc của lịch nhắc, hoặc "
    "gửi ngay nếu đã qua mốc đó), mỗi người một lần.\n"
    "• /tailieu 3 https://drive.google.com/… Báo cáo tháng 12 — gắn một tài liệu bằng liên kết\n"
    "• /tailieu 3 noidung: Kiểm điểm tháng 12; nhiệm vụ tháng 1 — nội dung buổi họp\n"
    "• /tailieu hoặc /tailieu 3 — xem tài liệu của buổi sắp tới (hoặc buổi số 3)\n"
    "• Telegram: gửi tệp kèm chú thích /tailieu 3 (hoặc gõ /tailieu 3 rồi gửi tệp) — gắn tệp vào buổi số 3\n"
    f"Tệp tối đa {rules.size_text(rules.MAX_BYTES)}."
)


async def documents_command(ctx: Ctx, args: str) -> None:
    first, _, rest = args.strip().partition(" ")
    rest = rest.strip()
    if ctx.incoming.document is not None:  # a file with the caption "/tailieu <số buổi> [tên]"
        if not is_number(first):
            raise UserError("Gửi tệp kèm chú thích /tailieu <số buổi> [tên tài liệu], ví dụ: /tailieu 3 "
                            "Báo cáo tháng 12.")
        await _attach_file(ctx, first, rest)
        return
    if first and not is_number(first):
        raise UserError(f"Gõ {USAGE}. Xem /trogiup tailieu.")
    if rest:
        await _attach(ctx, first, rest)
    else:
        await _show(ctx, first or None)
        if first and ctx.caps.receives_files and ctx.incoming.is_private:
            await _wait_for_file(ctx, first)


async def _show(ctx: Ctx, number: str | None) -> None:
    cells = [c for c in [ctx.account.cell_id, *await own_cells(ctx)] if c is not None]
    if number is not None:
        meeting = await meeting_in(ctx.session, int(number), cells)
    else:
        coming = await upcoming(ctx.session, cells[0], ctx.now, limit=1) if cells else []
        meeting = coming[0] if coming else None
    if meeting is None:
        raise UserError("Không tìm thấy buổi sinh hoạt này của chi bộ đồng chí. Gõ /lich để xem các buổi sắp tới.")
    documents = await stored.of_meeting(ctx.session, id_of(meeting))
    if not documents and not meeting.content:
        ctx.reply(f"Buổi số {meeting.number} chưa có tài liệu nào.")
        return
    what = stored.what(meeting, ctx.settings.tz)
    ctx.reply(rules.message(what, meeting.content, documents))
    for doc in documents:  # a file sent on a messenger comes with it (on Zalo as a link); not on the console
        if doc.platform is not None and not ctx.caps.files_as_paths:
            _send_file(ctx, Reply(rules.file_caption(what, doc), file_ref=doc.ref))


def _send_file(ctx: Ctx, reply: Reply) -> None:
    """A file re-sent by its platform's id (ctx.reply takes only files on this machine)."""
    ctx.out.append(Outgoing(Address(ctx.incoming.platform, ctx.incoming.reply_chat), reply))


async def _wait_for_file(ctx: Ctx, number: str) -> None:
    """A leader who may still attach to this meeting is asked for the file next."""
    if not await ctx.leader_cells():
        return
    meeting = await meeting_in(ctx.session, int(number), await own_cells(ctx))
    if meeting is None or meeting.status != MeetingStatus.SCHEDULED or meeting.starts_at <= ctx.now:
        return
    ctx.ask(f"Để gắn tài liệu vào buổi số {meeting.number}, đồng chí gửi tệp ngay sau tin này (tối đa "
            f"{rules.size_text(rules.MAX_BYTES)}; chú thích, nếu có, là tên tài liệu), hoặc gõ một liên kết.",
            FLOW, STEP, {"meeting": meeting.number})


async def _file_step(ctx: Ctx, text: str) -> None:
    number = str(ctx.conversation.data.get("meeting", ""))
    if ctx.incoming.document is not None:
        ctx.finish()
        await _attach_file(ctx, number, text)
    elif rules.link_in(text) is not None:
        ctx.finish()
        await _attach(ctx, number, text)
    else:
        ctx.finish()
        ctx.reply(f"Chưa gắn tài liệu nào vào buổi số {number}. Khi cần, gõ /tailieu {number} rồi gửi tệp.")


async def _attach_file(ctx: Ctx, number: str, caption: str) -> None:
    """A file sent on a messenger that keeps it (Telegram): its id is kept, checked against the
    size limit first (nothing kept when over)."""
    file_id = ctx.incoming.document or ""
    ref = f"{ctx.incoming.platform}:{file_id}"
    name = clean_name(caption) or clean_name(ctx.incoming.document_name or "") or "Tài liệu"
    if has_control(name) or len(name) > 200:
        raise UserError("Tên tài liệu tối đa 200 ký tự, chữ thường.")
    document = rules.Document(name, ref, ctx.incoming.document_size)
    if document.platform is None or len(ref) > 1000:
        raise UserError("Tệp này chưa gắn được. Đồng chí gửi một liên kết (https://…) thay cho tệp.")
    rules.check_size(name, ctx.incoming.document_size or 0)
    await _attach_document(ctx, number, document)


def _document(ctx: Ctx, text: str) -> rules.Document:
    """A link with an optional name, or (the console only: it is this machine) a file's path."""
    link = rules.link_in(text)
    if link is not None:
        name = clean_name(text.replace(link, " ").strip(" -—:")) or link.rsplit("/", 1)[-1][:80] or "Tài liệu"
        if has_control(name) or len(name) > 200:
            raise UserError("Tên tài liệu tối đa 200 ký tự, chữ thường.")
        return rules.Document(name, link)
    if ctx.caps.files_as_paths:
        path = Path(text.strip()).expanduser()
        if path.is_file():
            size = path.stat().st_size
            rules.check_size(path.name, size)
            return rules.Document(path.name, str(path.resolve()), size)
        raise UserError(f"Không thấy tệp «{text.strip()[:80]}» trên máy này.")
    raise UserError("Gửi tài liệu bằng một liên kết (https://…), ví dụ: /tailieu 3 https://drive.google.com/… "
                    "Báo cáo tháng 12.")


async def _attach(ctx: Ctx, number: str, rest: str) -> None:
    meeting = await _attachable(ctx, number)
    folded = fold(rest)
    if folded.startswith(("noidung", "noi dung")):
        agenda = clean_name(rest.split(":", 1)[1] if ":" in rest else rest.split(None, 2)[-1])
        if not agenda or has_control(agenda) or len(agenda) > 1000:
            raise UserError("Gõ /tailieu <số buổi> noidung: <nội dung>, tối đa 1.000 ký tự.")
        meeting.content = agenda
        meeting.updated_at = ctx.now
        ctx.session.add(meeting)
        done = f"Đã ghi nội dung buổi số {meeting.number}: {agenda}"
        await _plan(ctx, meeting, done)
    else:
        await _attach_document(ctx, number, _document(ctx, rest), meeting)


async def _attachable(ctx: Ctx, number: str) -> Meeting:
    if not await ctx.leader_cells():
        raise UserError("Chỉ bí thư, phó bí thư, chi ủy viên gắn tài liệu cho buổi họp. Gõ /tailieu để xem.")
    meeting = await meeting_in(ctx.session, int(number), await own_cells(ctx))
    if meeting is None:
        raise UserError(f"Không có buổi số {number} của chi bộ đồng chí. Gõ /lichhop để xem các buổi.")
    if meeting.status != MeetingStatus.SCHEDULED or meeting.starts_at <= ctx.now:
        raise UserError(f"Buổi số {meeting.number} đã diễn ra hoặc đã hủy: tài liệu gửi trước buổi họp.")
    return meeting


async def _attach_document(ctx: Ctx, number: str, document: rules.Document, meeting: Meeting | None = None) -> None:
    meeting = meeting or await _attachable(ctx, number)
    documents = await stored.of_meeting(ctx.session, id_of(meeting))
    if len(documents) >= rules.DOCUMENTS_MAX:
        raise UserError(f"Mỗi buổi họp tối đa {rules.DOCUMENTS_MAX} tài liệu.")
    await stored.add(ctx.session, id_of(meeting), document, ctx.member_id, ctx.now)
    await _plan(ctx, meeting, f"Đã gắn tài liệu «{document.name}» vào buổi số {meeting.number}.")


async def _plan(ctx: Ctx, meeting: Meeting, done: str) -> None:
    tz = ctx.settings.tz
    people = await expected_members(ctx.session, meeting.cell_id)
    due = await stored.send_at(ctx.session, meeting, ctx.now, tz)
    gone = await stored.send_to(ctx.session, meeting, [p.id for p in people], due, tz, ctx.now)
    when = "ngay" if due <= ctx.now else f"lúc {meeting_rules.format_when(due, tz)}"
    lines = [done]
    if len(people) > gone:
        lines.append(f"Tài liệu sẽ gửi {when} tới {len(people) - gone} đảng viên phải dự, mỗi người một lần.")
    if gone:
        lines.append(f"{gone} đồng chí đã nhận tài liệu gửi trước; bản đầy đủ họ xem bằng /tailieu {meeting.number}.")
    ctx.reply("\n".join(lines))


COMMANDS = [
    Command("tailieu", "Tài liệu, nội dung buổi họp (gửi trước một ngày)", documents_command, Audience.MEMBER,
            usage=USAGE, details=DETAILS),
]
FLOWS = {FLOW: _file_step}
FLOW_TITLES = {FLOW: "gắn tài liệu"}
