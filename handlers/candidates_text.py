"""How a candidate and a cell's pipeline read in chat: one line per candidate with where they stand
and what comes next, their deadlines near or missed; the committee's view of all its cells."""

from __future__ import annotations

from datetime import date

from domain import development as dev
from domain.development import DeadlineState
from domain.membership import probation_end
from handlers.development_scope import Scope, due_text
from storage.candidates import Candidate, progress_of
from storage.tables import Member

GENDER_WORDS = {"nam": "nam", "nu": "nữ"}


def who(candidate: Candidate) -> str:
    union = ", đoàn viên" if candidate.youth_union else ""
    gender = GENDER_WORDS.get(candidate.gender, candidate.gender)
    return f"{candidate.full_name} ({gender}, {candidate.birth_year}{union})"


def stage_text(candidate: Candidate) -> str:
    progress = progress_of(candidate)
    stage = progress.stage
    day = progress.dated(stage) or candidate.listed_on
    text = f"{dev.STAGE_NAMES[stage]} ({day:%d/%m/%Y})"
    if stage is dev.CandidateStage.VOTED and candidate.votes_for is not None:
        text = f"{dev.STAGE_NAMES[stage]} {candidate.votes_for}/{candidate.votes_of} tán thành ({day:%d/%m/%Y})"
    return text


def deadline_lines(candidate: Candidate, today: date, *, only_pressing: bool = False) -> list[str]:
    """The candidate's open deadlines, as sub-lines; `only_pressing`: near or missed only."""
    lines = []
    for deadline in dev.candidate_deadlines(progress_of(candidate)):
        state = deadline.state(today)
        if only_pressing and state is DeadlineState.AHEAD:
            continue
        if deadline.kind is dev.DeadlineKind.CERTIFICATE:
            if state is DeadlineState.MISSED:
                lines.append(f"   - Giấy chứng nhận lớp đã hết hiệu lực từ {deadline.due:%d/%m/%Y}: cần học lại lớp")
            elif state is DeadlineState.NEAR:
                lines.append(f"   - Giấy chứng nhận lớp sắp hết hiệu lực: còn đến {deadline.due:%d/%m/%Y}")
            else:
                lines.append(f"   - Giấy chứng nhận lớp có hiệu lực đến {deadline.due:%d/%m/%Y}")
            continue
        mark = {DeadlineState.MISSED: "QUÁ HẠN: ", DeadlineState.NEAR: "Sắp đến hạn: "}.get(state, "")
        lines.append(f"   - {mark}{dev.DEADLINE_NAMES[deadline.kind]}, {due_text(deadline, today)}")
    return lines


def candidate_block(candidate: Candidate, today: date, *, cell_name: str | None = None) -> list[str]:
    where = f" — {cell_name}" if cell_name else ""
    lines = [f"{candidate.number}. {who(candidate)}{where}: {stage_text(candidate)}"]
    if candidate.admitted_on is None:
        lines += deadline_lines(candidate, today)
        step = dev.NEXT_STEP[progress_of(candidate).stage].format(n=candidate.number)
        lines.append(f"   - Tiếp theo: {step}")
    return lines


def probation_line(number: int, member: Member, today: date, *, cell_name: str | None = None,
                   helper: str | None = None, reviewed: date | None = None) -> list[str]:
    assert member.admitted_on is not None
    deadline = dev.probation_deadline(member.admitted_on)
    state = deadline.state(today)
    where = f" — {cell_name}" if cell_name else ""
    end = probation_end(member.admitted_on)
    lines = [f"{number}. {member.full_name}{where}: kết nạp {member.admitted_on:%d/%m/%Y}, "
             f"đủ 12 tháng ngày {end:%d/%m/%Y}"]
    if reviewed is not None:
        lines.append(f"   - Chi bộ đã xét, đề nghị công nhận chính thức ngày {reviewed:%d/%m/%Y}: chờ cấp ủy "
                     "quyết định")
    else:
        mark = {DeadlineState.MISSED: "QUÁ HẠN: ", DeadlineState.NEAR: "Sắp đến hạn: "}.get(state, "")
        lines.append(f"   - {mark}{dev.DEADLINE_NAMES[deadline.kind]}, {due_text(deadline, today)}")
    if helper:
        lines.append(f"   - Người giúp đỡ: {helper}")
    return lines


def committee_overview(scope: Scope, candidates: list[Candidate], probationary: list[Member], today: date,
                       committee_name: str, reviewed: dict[int, date] | None = None) -> str:
    """One message: each cell with its candidates and where each stands, the cells with none, the
    probationary members, and every deadline near or missed."""
    lines = [f"Phát triển đảng viên — {committee_name}, ngày {today:%d/%m/%Y}"]
    by_cell: dict[int, list[Candidate]] = {}
    for candidate in candidates:
        if candidate.admitted_on is None:
            by_cell.setdefault(candidate.cell_id, []).append(candidate)
    cells = sorted(scope.cells.values(), key=lambda ref: ref.number)
    with_some = [ref for ref in cells if by_cell.get(ref.cell_id)]
    lines.append(f"Chi bộ có quần chúng trong danh sách nguồn: {len(with_some)}/{len(cells)}")
    for ref in with_some:
        lines.append(f"{ref.name}: {len(by_cell[ref.cell_id])} quần chúng")
        for candidate in by_cell[ref.cell_id]:
            lines.append(f"  {candidate.number}. {who(candidate)}: {stage_text(candidate)}")
            lines += ["  " + line for line in deadline_lines(candidate, today, only_pressing=True)]
    empty = [ref.name for ref in cells if not by_cell.get(ref.cell_id)]
    if empty:
        lines.append(f"Chưa có quần chúng nào ({len(empty)}): " + ", ".join(empty))
    names = {ref.cell_id: ref.name for ref in cells}
    if probationary:
        lines.append(f"Đảng viên dự bị: {len(probationary)}")
        for number, member in enumerate(probationary, 1):
            lines += ["  " + line for line in probation_line(number, member, today,
                                                              cell_name=names.get(member.cell_id or 0),
                                                              reviewed=(reviewed or {}).get(member.id or 0))]
    return "\n".join(lines)

