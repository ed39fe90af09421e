"""/nguon: a cell's candidates for admission (quần chúng ưu tú) and each step of their path, from the
source list to the ceremony that makes them a probationary member (domain.development).

A cell's secretary or deputy keeps their cell's list; a committee member sees and records for every
cell of the committee, and alone records the committee's decision. Each step is dated (a done date:
never in the future) and checked against the one before; the cell's vote against 2/3 of the official
members the cell had that day. The ceremony creates the member with an "admitted" event.
"""

from __future__ import annotations

import re
from datetime import date

from domain import dates
from domain import development as dev
from domain.development import CandidateStage
from domain.errors import UserError
from domain.figures import fraction
from domain.text import clean_name, fold, has_control, whole_number
from domain.vocabulary import Status
from handlers import candidates_own as own
from handlers import candidates_text as text
from handlers.context import Audience, Ctx
from handlers.development_scope import Scope, scope_of
from handlers.registry import Command
from storage import candidates, org, roster
from storage.candidates import Candidate
from storage.roster import Entry

ADD_HELP = ("Gõ /nguon them <Họ và tên>, <năm sinh>, <nam|nữ>[, đoàn viên], ví dụ: "
            "/nguon them Lê Thị Hoa, 2001, nữ, đoàn viên")
STEP_HELP = ("Gõ /nguon <số> lop|don|quyetdinh|ketnap <dd/mm/yyyy>, /nguon <số> gioithieu <tên>, <tên>, "
             "/nguon <số> chibo <tán thành>/<số đảng viên chính thức> <dd/mm/yyyy>, /nguon <số> giup <tên "
             "đảng viên> hoặc /nguon <số> ma (mã cho quần chúng). Ví dụ: /nguon 1 lop 10/04/2026")
STEP_WORDS = {
    "lop": CandidateStage.CLASS, "don": CandidateStage.APPLICATION, "gioithieu": CandidateStage.INTRODUCED,
    "chibo": CandidateStage.VOTED, "quyetdinh": CandidateStage.DECIDED, "ketnap": CandidateStage.ADMITTED,
}
YOUTH_UNION_WORDS = frozenset({"doan vien", "doanvien", "doan", "dv"})
UNION_INTRODUCER = frozenset({"doan", "doan tn", "doan thanh nien", "chi doan", "doan vien", "doan co so"})
GENDERS = {"nam": "nam", "nu": "nu"}
VOTE = re.compile(r"^(\d{1,4})\s*/\s*(\d{1,4})$")
NAME_MAX = 120


def _today(ctx: Ctx) -> date:
    return ctx.local_now.date()


async def sources(ctx: Ctx, args: str) -> None:
    if ctx.member_id is None:  # a candidate linked by their code (the audience lets no stranger in)
        await own.own_path(ctx, args)
        return
    scope = await scope_of(ctx)
    words = args.split()
    if not words:
        await _show(ctx, scope)
        return
    if fold(words[0]) == "them":
        await _add(ctx, scope, args.strip()[len(words[0]):].strip())
        return
    number = whole_number(words[0])
    if number is None or len(words) < 2:
        raise UserError(f"Không hiểu «{args.strip()[:40]}». {STEP_HELP}. Thêm quần chúng: {ADD_HELP}")
    candidate = await _numbered(ctx, scope, number)
    word = fold(words[1])
    rest = args.strip().split(maxsplit=2)[2] if len(words) > 2 else ""
    if word in ("giup", "giupdo"):
        await _helper(ctx, candidate, rest)
        return
    if word in ("ma", "maso"):
        await own.give_code(ctx, candidate, rest)
        return
    stage = STEP_WORDS.get(word.replace(" ", ""))
    if stage is None:
        raise UserError(f"Không có bước «{words[1][:20]}». {STEP_HELP}")
    await _step(ctx, scope, candidate, stage, rest)


# -- showing -----------------------------------------------------------------------------------------

async def _show(ctx: Ctx, scope: Scope) -> None:
    today = _today(ctx)
    if scope.committees:
        committee = await org.unit(ctx.session, scope.committees[0])
        cell_ids = sorted(scope.cells)
        found = await candidates.of_cells(ctx.session, cell_ids)
        probation = await candidates.probationary(ctx.session, cell_ids)
        reviewed = await candidates.reviewed(ctx.session, [member.id or 0 for member in probation])
        ctx.reply(text.committee_overview(scope, found, probation, today, committee.name, reviewed))
        return
    lines: list[str] = []
    for cell_id in scope.kept:
        found = [c for c in await candidates.of_cells(ctx.session, [cell_id]) if c.admitted_on is None]
        name = scope.cells[cell_id].name
        if not found:
            lines.append(f"{name} chưa có quần chúng nào trong danh sách nguồn phát triển đảng viên. {ADD_HELP}")
            continue
        lines.append(f"Nguồn phát triển đảng viên — {name} ({len(found)} quần chúng):")
        for candidate in found:
            lines += text.candidate_block(candidate, today)
    lines.append("Đảng viên dự bị và hạn công nhận chính thức: /dubi")
    ctx.reply("\n".join(lines))


async def _numbered(ctx: Ctx, scope: Scope, number: int) -> Candidate:
    found = [c for c in await candidates.of_cells(ctx.session, sorted(scope.cells)) if c.number == number]
    if not found:
        raise UserError(f"Không có quần chúng số {number} trong danh sách nguồn. Gõ /nguon để xem danh sách và số.")
    return found[0]


# -- adding ------------------------------------------------------------------------------------------

async def _add(ctx: Ctx, scope: Scope, typed: str) -> None:
    if len(scope.kept) != 1:
        raise UserError("Quần chúng được thêm vào danh sách nguồn do bí thư hoặc phó bí thư chi bộ giới thiệu ghi.")
    parts = [part.strip() for part in typed.split(",")]
    if len(parts) < 3 or len(parts) > 4:
        raise UserError(ADD_HELP)
    name = clean_name(parts[0])
    if len(name.split()) < 2 or has_control(name) or len(name) > NAME_MAX or any(ch.isdigit() for ch in name):
        raise UserError(f"Họ và tên «{name[:40]}» chưa đúng: gõ đủ họ và tên. {ADD_HELP}")
    birth_year = whole_number(parts[1])
    today = _today(ctx)
    if birth_year is None or not 1900 < birth_year <= today.year:
        raise UserError(f"Năm sinh «{parts[1][:10]}» chưa đúng: gõ 4 chữ số, ví dụ 2001. {ADD_HELP}")
    gender = GENDERS.get(fold(parts[2]))
    if gender is None:
        raise UserError(f"Giới tính «{parts[2][:10]}» chưa đúng: gõ nam hoặc nữ. {ADD_HELP}")
    union = len(parts) == 4
    if union and fold(parts[3]) not in YOUTH_UNION_WORDS:
        raise UserError(f"Không hiểu «{parts[3][:20]}»: gõ «đoàn viên» nếu quần chúng là đoàn viên. {ADD_HELP}")
    cell_id = scope.kept[0]
    same = [c for c in await candidates.of_cells(ctx.session, [cell_id])
            if c.name_key == fold(name) and c.birth_year == birth_year]
    if same:
        raise UserError(f"{same[0].full_name} ({birth_year}) đã có trong danh sách nguồn, số {same[0].number}.")
    candidate = await candidates.add(ctx.session, committee_id=scope.committee_of(cell_id), cell_id=cell_id,
                                     full_name=name, gender=gender, birth_year=birth_year, youth_union=union,
                                     listed_on=today, by=ctx.member_id)
    lines = [f"Đã thêm vào danh sách nguồn của {scope.cells[cell_id].name}: số {candidate.number}. "
             f"{text.who(candidate)}, từ ngày {today:%d/%m/%Y}."]
    problem = dev.age_problem(birth_year, today.year)
    if problem:
        lines.append(f"Lưu ý: {problem}.")
    lines.append(f"Tiếp theo: {dev.NEXT_STEP[CandidateStage.SOURCE].format(n=candidate.number)}. Phân công đảng "
                 f"viên giúp đỡ: /nguon {candidate.number} giup <tên đảng viên>.")
    ctx.reply("\n".join(lines))


# -- steps -------------------------------------------------------------------------------------------

def _split_date(rest: str, today: date, *, required: bool) -> tuple[str, date]:
    """The text before a final date, and the date (today when it is not required and not typed)."""
    words = rest.split()
    if words and dates.looks_like_date(words[-1]):
        return " ".join(words[:-1]), dates.parse_date(words[-1], today, dates.Direction.PAST)
    if required:
        raise UserError(f"Thiếu ngày (dd/mm/yyyy). {STEP_HELP}")
    return rest, today


async def _step(ctx: Ctx, scope: Scope, candidate: Candidate, stage: CandidateStage, rest: str) -> None:
    today = _today(ctx)
    if stage is CandidateStage.DECIDED and not scope.decides_for(candidate.cell_id):
        raise UserError("Quyết định kết nạp do cấp ủy viên đảng bộ ghi.")
    if candidate.admitted_on is not None:
        raise UserError(f"{candidate.full_name} đã được kết nạp ngày {candidate.admitted_on:%d/%m/%Y}: xem /dubi.")
    before, on = _split_date(rest, today, required=stage not in (CandidateStage.INTRODUCED,))
    progress = candidates.progress_of(candidate).record(stage, on, today)  # refuses steps out of order
    notes: list[str] = []
    if stage is CandidateStage.INTRODUCED:
        candidate.introducers = await _introducers(ctx, candidate, before)
    elif before:
        if stage is not CandidateStage.VOTED:
            raise UserError(f"Sau «{STEP_NAMES[stage]}» chỉ gõ ngày. {STEP_HELP}")
        await _vote(ctx, candidate, before, on)
    elif stage is CandidateStage.VOTED:
        raise UserError(f"Thiếu kết quả biểu quyết <tán thành>/<số đảng viên chính thức>. {STEP_HELP}")
    if stage in (CandidateStage.VOTED, CandidateStage.DECIDED, CandidateStage.ADMITTED):
        assert candidate.class_on is not None
        if not dev.certificate_valid(candidate.class_on, on):
            raise UserError(f"Giấy chứng nhận lớp nhận thức về Đảng của {candidate.full_name} (ngày "
                            f"{candidate.class_on:%d/%m/%Y}) hết hiệu lực từ "
                            f"{dev.certificate_last_day(candidate.class_on):%d/%m/%Y}: cần học lại lớp "
                            f"(/nguon {candidate.number} lop dd/mm/yyyy khi có giấy mới).")
        problem = dev.age_problem(candidate.birth_year, on.year)
        if problem:
            raise UserError(f"{candidate.full_name} {problem}: chưa thể kết nạp.")
    candidates.set_step(candidate, stage, on)
    ctx.session.add(candidate)
    if stage is CandidateStage.ADMITTED:
        decided = progress.decided
        assert decided is not None
        await candidates.admit(ctx.session, candidate, on, today=today, by=ctx.member_id, now=ctx.now)
        due = dev.ceremony_due(decided)
        late = f" (quá hạn {dev.CEREMONY_WORKING_DAYS} ngày làm việc, hạn {due:%d/%m/%Y})" if on > due else ""
        end = dev.probation_deadline(on)
        ctx.reply(f"Đã ghi: lễ kết nạp {candidate.full_name} ngày {on:%d/%m/%Y}{late}. {candidate.full_name} là "
                  f"đảng viên dự bị của {scope.cells[candidate.cell_id].name} từ ngày đó; đủ 12 tháng ngày "
                  f"{dev.probation_end(on):%d/%m/%Y}, chi bộ xét công nhận chính thức trước {end.due:%d/%m/%Y}. "
                  "Xem: /dubi")
        await own.tell(ctx, candidate)
        return
    await ctx.session.flush()
    if stage is CandidateStage.DECIDED:
        notes.append(f"Lễ kết nạp phải tổ chức trong {dev.CEREMONY_WORKING_DAYS} ngày làm việc: hạn "
                     f"{dev.ceremony_due(on):%d/%m/%Y}.")
    done = f"Đã ghi: {candidate.full_name} — {text.stage_text(candidate)}."
    step = dev.NEXT_STEP[stage].format(n=candidate.number)
    ctx.reply("\n".join([done, *notes, f"Tiếp theo: {step}."]))
    await own.tell(ctx, candidate)


STEP_NAMES = {CandidateStage.CLASS: "lop", CandidateStage.APPLICATION: "don", CandidateStage.VOTED: "chibo",
              CandidateStage.DECIDED: "quyetdinh", CandidateStage.ADMITTED: "ketnap"}


async def _officials(ctx: Ctx, cell_id: int) -> list[Entry]:
    return [entry for entry in await roster.cell_roster(ctx.session, [cell_id]) if entry.status == Status.OFFICIAL]


async def _introducers(ctx: Ctx, candidate: Candidate, typed: str) -> str:
    """Two introducers: official members of the cell, or the Youth Union and one member (for a
    Youth Union member). Returns them as they are kept ("Trần Thị Bình, Đoàn TNCS Hồ Chí Minh")."""
    parts = [part.strip() for part in typed.split(",") if part.strip()]
    if len(parts) != 2:
        raise UserError(f"Cần đúng hai người giới thiệu, cách nhau dấu phẩy: /nguon {candidate.number} "
                        "gioithieu Trần Thị Bình, Lê Văn Cường (đoàn viên: «đoàn» và một đảng viên).")
    officials = await _officials(ctx, candidate.cell_id)
    names: list[str] = []
    for part in parts:
        if fold(part) in UNION_INTRODUCER:
            if not candidate.youth_union:
                raise UserError(f"{candidate.full_name} không là đoàn viên: cần hai đảng viên chính thức giới thiệu.")
            names.append("Đoàn TNCS Hồ Chí Minh")
            continue
        found = roster.find(officials, part)
        if len(found) != 1:
            what = "không phải đảng viên chính thức của chi bộ" if not found else "khớp nhiều đảng viên, gõ đủ họ tên"
            raise UserError(f"Người giới thiệu «{part[:40]}» {what}. Người giới thiệu là đảng viên chính thức đã "
                            "cùng công tác với quần chúng ít nhất 1 năm.")
        names.append(found[0].full_name)
    if len(set(names)) != 2:
        raise UserError("Hai người giới thiệu phải là hai người khác nhau.")
    return ", ".join(names)


async def _vote(ctx: Ctx, candidate: Candidate, typed: str, on: date) -> None:
    match = VOTE.match(typed.strip())
    if match is None:
        raise UserError(f"Kết quả biểu quyết «{typed[:20]}» chưa đúng: gõ <tán thành>/<số đảng viên chính thức>, "
                        f"ví dụ /nguon {candidate.number} chibo 5/7 {on:%d/%m/%Y}.")
    agree, of = int(match.group(1)), int(match.group(2))
    officials = await candidates.officials_on(ctx.session, candidate.cell_id, on)
    if of != officials:
        raise UserError(f"Ngày {on:%d/%m/%Y} chi bộ có {officials} đảng viên chính thức, không phải {of}: gõ "
                        f"/nguon {candidate.number} chibo <tán thành>/{officials} {on:%d/%m/%Y}.")
    if agree > of:
        raise UserError(f"Số tán thành ({agree}) lớn hơn số đảng viên chính thức ({of}). Vui lòng kiểm tra lại.")
    if not dev.vote_passes(agree, of):
        raise UserError(f"Chưa đủ 2/3 đảng viên chính thức tán thành: {fraction(agree, of)}, cần ít nhất "
                        f"{dev.votes_needed(of)}/{of}. Không ghi nghị quyết đề nghị kết nạp.")
    candidate.votes_for, candidate.votes_of = agree, of


async def _helper(ctx: Ctx, candidate: Candidate, typed: str) -> None:
    members = await roster.cell_roster(ctx.session, [candidate.cell_id])
    found = roster.find(members, typed) if typed.strip() else []
    if len(found) != 1:
        raise UserError(f"Không tìm thấy một đảng viên «{typed[:40]}» của chi bộ. Gõ /nguon {candidate.number} giup "
                        "<họ tên đảng viên>.")
    candidate.helper_id = found[0].member_id
    ctx.session.add(candidate)
    ctx.reply(f"Đã ghi: đồng chí {found[0].full_name} giúp đỡ {candidate.full_name}.")


COMMANDS = [
    Command("nguon", "Nguồn phát triển đảng viên: quần chúng ưu tú và từng bước kết nạp", sources,
            Audience.KEEPER_OR_CANDIDATE, private=True,
            usage="/nguon [them <Họ và tên>, <năm sinh>, <nam|nữ>[, đoàn viên] | <số> <bước> …]",
            details=("Không kèm gì: quần chúng của chi bộ, mỗi người đang ở bước nào, bước tiếp theo và các hạn "
                     "(cấp ủy viên: mọi chi bộ của đảng bộ, chi bộ chưa có nguồn, hạn sắp tới và quá hạn).\n"
                     f"{ADD_HELP}\nCác bước: lop <ngày cấp giấy chứng nhận> (hiệu lực 5 năm); don <ngày nộp đơn, lý "
                     "lịch>; gioithieu <tên>, <tên> (hai đảng viên chính thức, hoặc «đoàn» và một đảng viên); chibo "
                     "<tán thành>/<số đảng viên chính thức> <ngày> (cần ít nhất 2/3); quyetdinh <ngày> (cấp ủy viên); "
                     "ketnap <ngày> (lễ kết nạp, trong 30 ngày làm việc từ quyết định: quần chúng thành đảng viên "
                     "dự bị). giup <tên đảng viên>: người giúp đỡ.\nma: mã quần chúng (dùng một lần; ma moi: đổi "
                     "mã) để quần chúng nhắn riêng /thamgia <mã> rồi /nguon xem quá trình và các hạn của chính mình, "
                     "không gì khác.\n"
                     "Ví dụ: /nguon 1 chibo 5/7 20/05/2026")),
]
