"""The cell proposes, the committee decides: /xeploai, /quyetdinh, and /lichsu of a member's ratings.

Each works on a review period typed right after the command word ("năm 2026", "quý 4/2026",
"quý" for the open quarter) or on the open review (handlers.review_periods): in January 2027
the 2026 review, so a decision made then is a 2026 decision. Recording outside the period's
window is refused with its dates; lists stay readable. The member proposed or decided about is
told privately through the outbox, once per change of level.

A leader sees only the cells they lead; a committee member only the cells of their own
committee. Members are named by their number in the cell's list (the order they were added)
or by name. Only the members the review rates (domain.review: not the exempt, the suspended,
nor those admitted less than 6 months before the review) can be proposed or decided; the
others are listed apart. The quota of "xuất sắc" (≤ 20% of those rated "tốt", per grassroots
organisation) is stated on every listing and once a cell's proposals, or a committee's
decisions, are complete, naming the organisation whose figures it used; it only warns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from domain.errors import UserError
from domain.figures import as_share
from domain.messages import Choice
from domain.periods import ReviewPeriod, period_label
from domain.review import (
    LEVEL_HINT,
    LEVEL_MAX_WORDS,
    NotReviewed,
    Quota,
    level_from_words,
    not_reviewed_reason,
    parse_level,
)
from domain.review_window import typed_key
from domain.text import fold, whole_number
from domain.vocabulary import STAGES, Level, Stage, executive_name
from handlers import review_periods
from handlers.context import Audience, Ctx
from handlers.rating_text import (
    STAGE_NAMES,
    code,
    level_choices,
    level_text,
    quota_text,
    self_line,
)
from handlers.registry import Command
from handlers.review_periods import Chosen
from storage import assessments, org, outbox, roster, unit_settings
from storage.assessments import Assessment
from storage.roster import CellRef, Entry

ALL_WORDS = frozenset({"tatca", "tat ca", "all"})
_SCORE = re.compile(r"[+-]?[0-9]+")
MAX_CHOICES = 10


# -- shared pieces -----------------------------------------------------------------------------

def split_who_level(text: str) -> tuple[str, str | None]:
    """ "3 tốt" -> ("3", "tốt"); "Trần Thị Bình hoàn thành tốt" -> ("Trần Thị Bình", "hoàn thành tốt")."""
    words = text.split()
    if not words:
        return "", None
    if whole_number(words[0]) is not None:
        return words[0], " ".join(words[1:]) or None
    for size in range(min(LEVEL_MAX_WORDS, len(words) - 1), 0, -1):
        tail = " ".join(words[-size:])
        if level_from_words(tail) is not None or _SCORE.fullmatch(tail):
            return " ".join(words[:-size]), tail
    return text.strip(), None


def _status(stages: dict[str, Assessment]) -> str:
    """One member's ratings in a list line."""
    own = stages.get(Stage.SELF)
    if own is None:
        parts = ["chưa tự đánh giá"]
    elif own.general_score is None or own.task_score is None:  # recorded without scores (imported)
        parts = [f"tự đánh giá {code(own.level)}"]
    else:
        parts = [f"tự đánh giá {own.general_score + own.task_score} điểm ({code(own.level)})"]
    if Stage.CELL_PROPOSED in stages:
        parts.append(f"chi bộ đề xuất {code(stages[Stage.CELL_PROPOSED].level)}")
    if Stage.FINAL in stages:
        parts.append(f"cấp ủy quyết định {code(stages[Stage.FINAL].level)}")
    return "; ".join(parts)


def _detail(entry: Entry, stages: dict[str, Assessment], period: str) -> list[str]:
    own = stages.get(Stage.SELF)
    lines = [f"{entry.number}. {entry.full_name} — {period_label(period)}"]
    if own is None:
        lines.append("Tự đánh giá: chưa có")
    else:
        lines.append(f"Tự đánh giá: {self_line(own)}")
        lines.append(f"Tự nhận xét: {own.review or '(không có)'}")
    for stage in (Stage.CELL_PROPOSED, Stage.FINAL):
        rating = stages.get(stage)
        lines.append(f"{STAGE_NAMES[stage].capitalize()}: {level_text(rating.level) if rating else 'chưa có'}")
    return lines


def _pick(ctx: Ctx, members: list[Entry], who: str, where: str, again: str) -> Entry | None:
    """The one member `who` names, or None after telling why not."""
    found = roster.find(members, who)
    if len(found) == 1:
        return found[0]
    if not found:
        ctx.reply(f"Không tìm thấy đảng viên «{who[:60]}» trong {where}. Gõ {again} để xem danh sách và số thứ tự.")
    else:
        names = ", ".join(f"{e.number}. {e.full_name}" for e in found[:10])
        ctx.reply(f"Có {len(found)} đảng viên khớp «{who[:60]}»: {names}. Vui lòng gõ số thứ tự.")
    return None


def _level_or_reply(text: str, example: str) -> tuple[Level, int | None]:
    try:
        return parse_level(text)
    except UserError as error:
        raise UserError(f"{error}\nVí dụ: {example}. Chưa lưu gì.") from None


def _who_and_level(ctx: Ctx, members: list[Entry], args: str, where: str, again: str
                   ) -> tuple[Entry, str | None] | None:
    """The member and the level text in `args`; a bad level after a good name is reported as such."""
    who, level_text_ = split_who_level(args)
    entry = None
    found = roster.find(members, who)
    if len(found) != 1 and level_text_ is None and len(args.split()) > 1:
        # "Bình giỏi": maybe a known name followed by a level we do not know.
        head, _, tail = args.rpartition(" ")
        if len(roster.find(members, head)) == 1:
            entry, level_text_ = roster.find(members, head)[0], tail
    if entry is None:
        entry = _pick(ctx, members, who, where, again)
    if entry is None:
        return None
    return entry, level_text_


async def _chosen_level(
    ctx: Ctx, members: list[Entry], text: str, where: str, prefix: str, chosen: Chosen, stage_words: str,
    unit_id: int,
) -> tuple[Entry, dict[str, Assessment], str, int | None] | None:
    """Who and which level a rating command names; asks for what is missing (None: answered).
    A level is taken only while the period is open for `unit_id` (the cell, or its committee)."""
    period = chosen.review.key
    picked = _who_and_level(ctx, members, text, where, prefix)
    if picked is None:
        return None
    entry, typed_level = picked
    reason = not_reviewed_reason(entry.status, entry.admitted_on, chosen.review.last_day)
    if reason is not None:
        raise NotReviewed(f"{entry.full_name} không thuộc diện xếp loại {period_label(period)} ({reason}). "
                          "Chưa lưu gì.")
    stages = await assessments.stages_of(ctx.session, entry.member_id, period)
    if typed_level is None:
        lines = _detail(entry, stages, period)
        note = review_periods.closed_note(chosen, ctx.local_now.date())
        if note is not None:
            ctx.reply("\n".join([*lines, note]))
            return None
        lines.append(f"Chọn mức {stage_words}, hoặc gõ {prefix} {entry.number} <mức>:")
        ctx.reply("\n".join(lines), level_choices(fold(f"{prefix} {entry.number}")))
        return None
    await review_periods.check_open(ctx, chosen, unit_id)
    level, score = _level_or_reply(typed_level, f"{prefix} {entry.number} tot")
    return entry, stages, level, score


async def _tell_member(ctx: Ctx, entry: Entry, review: ReviewPeriod, stage: Stage, level: str, old: str | None,
                       text: str) -> None:
    """The member proposed or decided about is told privately, through the outbox: never lost,
    and never twice. The key counts the changes of that stage, so recording the same level again
    tells nothing, and a level changed back (A, B, A) is told each time. Nobody is told of what
    they just recorded themselves."""
    if old == level or entry.member_id == ctx.member_id:
        return
    changes = sum(1 for change in await assessments.history(ctx.session, entry.member_id)
                  if change.period == review.key and change.stage == stage)
    key = f"rating:{review.key}:{stage}:{entry.member_id}:{changes}:{level}"
    await outbox.enqueue(ctx.session, [outbox.New(key, entry.member_id, outbox.NOTICE, ctx.now, None,
                                                  {"text": text})], ctx.now)


def _proposal_notice(cell_name: str, review: ReviewPeriod, level: str, old: str | None) -> str:
    text = (f"{cell_name} đề xuất mức xếp loại chất lượng đảng viên {review.label} của đồng chí: "
            f"{level_text(level)}.")
    if old is not None:
        text += f" (Đề xuất trước: {code(old)}.)"
    return text + " Cấp ủy sẽ xem xét, quyết định."


def _decision_notice(committee_name: str, review: ReviewPeriod, level: str, old: str | None) -> str:
    text = (f"{executive_name(committee_name)} quyết định xếp loại chất lượng đảng viên {review.label} của đồng chí: "
            f"{level_text(level)}.")
    if old is not None:
        text += f" (Quyết định trước: {code(old)}.)"
    return text


# -- who is rated, and the quota --------------------------------------------------------------------

def _apart(entries: list[Entry], review: ReviewPeriod) -> tuple[list[Entry], list[tuple[Entry, str]]]:
    """The members the review rates, and the others with the reason they are not rated."""
    rated: list[Entry] = []
    apart: list[tuple[Entry, str]] = []
    for entry in entries:
        reason = not_reviewed_reason(entry.status, entry.admitted_on, review.last_day)
        if reason is None:
            rated.append(entry)
        else:
            apart.append((entry, reason))
    return rated, apart


def _apart_line(apart: list[tuple[Entry, str]]) -> str:
    return "Không thuộc diện xếp loại kỳ này: " + "; ".join(
        f"{entry.number}. {entry.full_name} ({reason})" for entry, reason in apart) + "."


@dataclass(frozen=True, slots=True)
class StageProgress:
    """How far one stage is over the members to be rated, and its quota figures."""

    done: int
    whole: int
    quota: Quota

    @property
    def complete(self) -> bool:
        return self.whole > 0 and self.done == self.whole


def _progress(rated: list[Entry], ratings: dict[int, dict[str, Assessment]], stage: Stage,
              share: Fraction) -> StageProgress:
    levels = [ratings[e.member_id][stage].level for e in rated if stage in ratings.get(e.member_id, {})]
    return StageProgress(len(levels), len(rated),
                         Quota(levels.count(Level.EXCELLENT), levels.count(Level.GOOD), share))


def _quota_line(progress: StageProgress, source: str) -> str:
    """The quota as a warning once over it, else as a plain statement of the figures used."""
    if progress.quota.within:
        return f"Định mức xuất sắc (số liệu {source}): {quota_text(progress.quota)}."
    return (f"Cảnh báo định mức xuất sắc (số liệu {source}): {quota_text(progress.quota)}. "
            "Đề nghị cân nhắc lại.")


async def _share(ctx: Ctx, unit_id: int) -> Fraction:
    return as_share(await unit_settings.get(ctx.session, unit_id, "excellent_quota"))


async def _committee_progress(ctx: Ctx, committee_id: int, period: str) -> tuple[StageProgress, str]:
    """The committee's decisions over all its cells' members to be rated: the quota is per
    grassroots organisation (domain.md), not per cell."""
    cells = await roster.cells_of(ctx.session, [committee_id])
    members = await roster.cell_roster(ctx.session, [c.cell_id for c in cells])
    rated = _apart(members, ReviewPeriod.from_key(period))[0]
    ratings = await assessments.of_cells(ctx.session, [c.cell_id for c in cells], period)
    committee = await org.unit(ctx.session, committee_id)
    progress = _progress(rated, ratings, Stage.FINAL, await _share(ctx, committee_id))
    return progress, f"quyết định của {committee.name}, {len(cells)} chi bộ"


# -- /xeploai: the cell proposes -------------------------------------------------------------------

async def propose(ctx: Ctx, args: str) -> None:
    """`/xeploai [<kỳ>]` lists; `/xeploai [<kỳ>] <số|tên>` shows one; `... <mức|điểm>` proposes."""
    cells = await ctx.leader_cells()
    chosen = await review_periods.choose(ctx, args, cells[0], "/xeploai")
    command = chosen.command("/xeploai")
    review_periods.refuse_trailing_period(chosen.rest, command)
    period, year, args = chosen.review.key, chosen.review.year, chosen.rest
    members = await roster.cell_roster(ctx.session, cells)
    names = {cell_id: (await org.unit(ctx.session, cell_id)).name for cell_id in cells}
    where = " / ".join(names.values())
    if not args:
        await _propose_list(ctx, cells, members, names, chosen)
        return
    picked = await _chosen_level(ctx, members, args, where, command, chosen, "chi bộ đề xuất", cells[0])
    if picked is None:
        return
    entry, stages, level, score = picked
    if entry.cell_id != cells[0]:
        await review_periods.check_open(ctx, chosen, entry.cell_id)
    if Stage.FINAL in stages:
        raise UserError(f"Cấp ủy đã quyết định mức {period_label(period)} của {entry.full_name}: "
                        f"{level_text(stages[Stage.FINAL].level)}. Chi bộ không đổi đề xuất được nữa.")
    old = await assessments.record(
        ctx.session, member_id=entry.member_id, cell_id=entry.cell_id, period=period, year=year,
        stage=Stage.CELL_PROPOSED, level=level, by=ctx.member_id, now=ctx.now,
    )
    await _tell_member(ctx, entry, chosen.review, Stage.CELL_PROPOSED, level, old,
                       _proposal_notice(names[entry.cell_id], chosen.review, level, old))
    scored = f", theo {score} điểm" if score is not None else ""
    text = f"Chi bộ đề xuất {period_label(period)}: {entry.number}. {entry.full_name} — {level_text(level)}{scored}."
    if old is not None and old != level:
        text += f" Đề xuất trước: {code(old)}."
    elif old == level:
        text += " (Không đổi so với đề xuất trước.)"
    if Stage.SELF not in stages:
        text += "\nLưu ý: đồng chí này chưa tự đánh giá."
    own = [e for e in members if e.cell_id == entry.cell_id]
    rated = _apart(own, ReviewPeriod.from_key(period))[0]
    ratings = await assessments.of_cells(ctx.session, [entry.cell_id], period)
    progress = _progress(rated, ratings, Stage.CELL_PROPOSED, await _share(ctx, entry.cell_id))
    text += f"\n{names[entry.cell_id]} đã đề xuất {progress.done}/{progress.whole} đảng viên thuộc diện xếp loại."
    if progress.complete:
        text += "\n" + _quota_line(progress, f"đề xuất của {names[entry.cell_id]}")
    ctx.reply(text)


async def _propose_list(ctx: Ctx, cells: list[int], members: list[Entry], names: dict[int, str],
                        chosen: Chosen) -> None:
    command = chosen.command("/xeploai")
    choice = fold(command)  # a choice's value is what a Zalo user types back: without diacritics
    period = chosen.review.key
    ratings = await assessments.of_cells(ctx.session, cells, period)
    review = chosen.review
    lines: list[str] = []
    choices: list[Choice] = []
    for cell_id in cells:
        rated, apart = _apart([e for e in members if e.cell_id == cell_id], review)
        lines.append(f"Xếp loại chất lượng đảng viên {review.label} — {names[cell_id]} "
                     f"({len(rated)} đảng viên thuộc diện xếp loại):")
        for entry in rated:
            stages = ratings.get(entry.member_id, {})
            lines.append(f"{entry.number}. {entry.full_name}: {_status(stages)}")
            if Stage.CELL_PROPOSED not in stages and len(choices) < MAX_CHOICES:
                choices.append(Choice(f"{entry.number}. {entry.full_name}", f"{choice} {entry.number}"))
        if apart:
            lines.append(_apart_line(apart))
        share = await _share(ctx, cell_id)
        selfs = _progress(rated, ratings, Stage.SELF, share)
        proposed = _progress(rated, ratings, Stage.CELL_PROPOSED, share)
        lines.append(f"Đã tự đánh giá: {selfs.done}/{selfs.whole}; "
                     f"chi bộ đã đề xuất: {proposed.done}/{proposed.whole}.")
        if proposed.done:
            lines.append(_quota_line(proposed, f"đề xuất của {names[cell_id]}"
                                     + ("" if proposed.complete else ", chưa đủ")))
    note = review_periods.closed_note(chosen, ctx.local_now.date())
    if note is not None:
        lines.append(note)
        ctx.reply("\n".join(lines))
        return
    lines.append(f"Gõ {command} <số> <mức>, ví dụ: {command} 2 tot. Mức: {LEVEL_HINT}.")
    if choices:
        lines.append("Hoặc chọn một đảng viên chưa có đề xuất:")
    ctx.reply("\n".join(lines), choices)


# -- /quyetdinh: the committee decides -----------------------------------------------------------

async def decide(ctx: Ctx, args: str) -> None:
    """`/quyetdinh [<kỳ>] [<chi bộ> [tatca | <số|tên> [<mức>]]]`."""
    committees = await ctx.committees()
    cells = await roster.cells_of(ctx.session, committees)
    chosen = await review_periods.choose(ctx, args, committees[0], "/quyetdinh")
    command = chosen.command("/quyetdinh")
    review_periods.refuse_trailing_period(chosen.rest, command)
    period, year, args = chosen.review.key, chosen.review.year, chosen.rest
    if not args:
        await _cell_list(ctx, cells, chosen, command)
        return
    cell, rest = roster.split_cell(cells, args)
    if cell is None:
        raise UserError(f"Không tìm thấy chi bộ «{args.split()[0][:40]}» trong đảng bộ của đồng chí. "
                        f"Gõ {command} để xem danh sách chi bộ và số thứ tự.")
    prefix = f"{command} {cell.number}"
    members = await roster.cell_roster(ctx.session, [cell.cell_id])
    if not rest:
        await _cell_detail(ctx, cell, members, chosen, prefix)
        return
    if fold(rest) in ALL_WORDS:
        await review_periods.check_open(ctx, chosen, cell.committee_id)
        await _confirm_all(ctx, cell, members, chosen)
        return
    picked = await _chosen_level(ctx, members, rest, cell.name, prefix, chosen, "cấp ủy quyết định",
                                 cell.committee_id)
    if picked is None:
        return
    entry, stages, level, score = picked
    old = await assessments.record(
        ctx.session, member_id=entry.member_id, cell_id=entry.cell_id, period=period, year=year,
        stage=Stage.FINAL, level=level, by=ctx.member_id, now=ctx.now,
    )
    committee = await org.unit(ctx.session, cell.committee_id)
    await _tell_member(ctx, entry, chosen.review, Stage.FINAL, level, old,
                       _decision_notice(committee.name, chosen.review, level, old))
    scored = f", theo {score} điểm" if score is not None else ""
    text = (f"Cấp ủy quyết định {period_label(period)}: {entry.full_name} ({cell.name}) — "
            f"{level_text(level)}{scored}.")
    if old is not None and old != level:
        text += f" Quyết định trước: {code(old)}."
    proposal = stages.get(Stage.CELL_PROPOSED)
    if proposal is None:
        text += "\nLưu ý: chi bộ chưa đề xuất mức cho đồng chí này."
    elif proposal.level != level:
        text += f"\nKhác đề xuất của chi bộ ({code(proposal.level)})."
    text += "\n" + await _committee_status(ctx, cell.committee_id, period)
    ctx.reply(text)


async def _committee_status(ctx: Ctx, committee_id: int, period: str) -> str:
    """How many decisions the committee has made, and the quota once they are all made."""
    progress, source = await _committee_progress(ctx, committee_id, period)
    text = f"Cấp ủy đã quyết định {progress.done}/{progress.whole} đảng viên thuộc diện xếp loại của đảng bộ."
    if progress.complete:
        text += "\n" + _quota_line(progress, source)
    return text


async def _cell_list(ctx: Ctx, cells: list[CellRef], chosen: Chosen, command: str) -> None:
    if not cells:
        ctx.reply("Đảng bộ của đồng chí chưa có chi bộ nào. Gõ /taochibo <tên chi bộ> để tạo.")
        return
    ids = [c.cell_id for c in cells]
    review = chosen.review
    period = review.key
    members = await roster.cell_roster(ctx.session, ids)
    ratings = await assessments.of_cells(ctx.session, ids, period)
    lines = [f"Xếp loại chất lượng đảng viên {review.label} — các chi bộ:"]
    for cell in cells:
        rated, apart = _apart([e for e in members if e.cell_id == cell.cell_id], review)
        done = {stage: _progress(rated, ratings, stage, Fraction(0)).done for stage in STAGES}
        lines.append(f"{cell.number}. {cell.name}: {len(rated)} đảng viên thuộc diện xếp loại"
                     + (f" ({len(apart)} không thuộc diện)" if apart else "") + "; "
                     f"tự đánh giá {done[Stage.SELF]}; chi bộ đề xuất {done[Stage.CELL_PROPOSED]}; "
                     f"cấp ủy quyết định {done[Stage.FINAL]}")
    committees = sorted({c.committee_id for c in cells})
    for committee_id in committees:
        progress, source = await _committee_progress(ctx, committee_id, period)
        if progress.done:
            lines.append(_quota_line(progress, source + ("" if progress.complete else ", chưa đủ")))
    note = review_periods.closed_note(chosen, ctx.local_now.date())
    if note is not None:
        lines.append(note)
    lines.append(f"Gõ {command} <số chi bộ> để xem từng đảng viên, {command} <số chi bộ> tatca "
                 "để quyết định theo đề xuất của chi bộ. Hoặc chọn một chi bộ:")
    ctx.reply("\n".join(lines), [Choice(c.name, fold(f"{command} {c.number}")) for c in cells[:MAX_CHOICES]])


async def _cell_detail(ctx: Ctx, cell: CellRef, members: list[Entry], chosen: Chosen, prefix: str) -> None:
    review = chosen.review
    period = review.key
    ratings = await assessments.of_cells(ctx.session, [cell.cell_id], period)
    rated, apart = _apart(members, review)
    lines = [f"Xếp loại chất lượng đảng viên {review.label} — {cell.name} "
             f"({len(rated)} đảng viên thuộc diện xếp loại):"]
    for entry in rated:
        lines.append(f"{entry.number}. {entry.full_name}: {_status(ratings.get(entry.member_id, {}))}")
    if apart:
        lines.append(_apart_line(apart))
    progress, source = await _committee_progress(ctx, cell.committee_id, period)
    if progress.done:
        lines.append(_quota_line(progress, source + ("" if progress.complete else ", chưa đủ")))
    note = review_periods.closed_note(chosen, ctx.local_now.date())
    if note is not None:
        lines.append(note)
        ctx.reply("\n".join(lines))
        return
    lines.append(f"Gõ {prefix} tatca để quyết định tất cả theo đề xuất, hoặc {prefix} <số> <mức> cho từng người.")
    ctx.reply("\n".join(lines), [Choice("Quyết định theo đề xuất", fold(f"{prefix} tatca"))])


async def _confirm_all(ctx: Ctx, cell: CellRef, members: list[Entry], chosen: Chosen) -> None:
    """Every proposal of the cell without a decision becomes the decision; other decisions stay.
    Members the review does not rate are left out (and named); each one decided is told."""
    review = chosen.review
    period, year = review.key, review.year
    committee = await org.unit(ctx.session, cell.committee_id)
    ratings = await assessments.of_cells(ctx.session, [cell.cell_id], period)
    rated, apart = _apart(members, review)
    decided: list[str] = []
    missing: list[str] = []
    kept: list[str] = []
    for entry in rated:
        stages = ratings.get(entry.member_id, {})
        proposal, final = stages.get(Stage.CELL_PROPOSED), stages.get(Stage.FINAL)
        if proposal is None:
            missing.append(f"{entry.number}. {entry.full_name}")
        elif final is not None and final.level != proposal.level:
            kept.append(f"{entry.number}. {entry.full_name} ({code(final.level)}, đề xuất {code(proposal.level)})")
        elif final is None:
            await assessments.record(
                ctx.session, member_id=entry.member_id, cell_id=entry.cell_id, period=period, year=year,
                stage=Stage.FINAL, level=proposal.level, by=ctx.member_id, now=ctx.now,
            )
            await _tell_member(ctx, entry, review, Stage.FINAL, proposal.level, None,
                               _decision_notice(committee.name, review, proposal.level, None))
            decided.append(f"{entry.number}. {entry.full_name}: {level_text(proposal.level)}")
    if decided:
        lines = [f"Cấp ủy quyết định {period_label(period)} — {cell.name}, theo đề xuất của chi bộ "
                 f"({len(decided)} đảng viên):", *decided]
    else:
        lines = [f"{cell.name} không có đề xuất nào mới để quyết định ({period_label(period)})."]
    if missing:
        lines.append("Chi bộ chưa đề xuất, chưa quyết định: " + ", ".join(missing) + ".")
    if kept:
        lines.append("Đã quyết định khác đề xuất trước đó, giữ nguyên: " + ", ".join(kept) + ".")
    if apart:
        lines.append(_apart_line(apart))
    lines.append(await _committee_status(ctx, cell.committee_id, period))
    ctx.reply("\n".join(lines))


# -- /lichsu: every change of a member's ratings ------------------------------------------------

async def history(ctx: Ctx, args: str) -> None:
    """`/lichsu [<kỳ>] <số|tên>` (a leader, in their cell) or `/lichsu [<kỳ>] [<chi bộ>] <số|tên>` (the committee):
    the changes of one review period, the open one unless another is typed."""
    led = await ctx.leader_cells()
    unit_id = led[0] if led else (await ctx.committees())[0]
    chosen = await review_periods.choose(ctx, args, unit_id, "/lichsu")
    review_periods.refuse_trailing_period(chosen.rest, chosen.command("/lichsu"))
    if not chosen.rest:
        ctx.reply("Gõ /lichsu <số|tên>, ví dụ: /lichsu 3 hoặc /lichsu Trần Thị Bình; kỳ khác thì gõ kỳ ngay sau "
                  "lệnh: /lichsu năm 2025 3. Cấp ủy viên gõ thêm chi bộ: /lichsu <số chi bộ> <số|tên>.")
        return
    entry = await _member_for_history(ctx, chosen.rest)
    if entry is None:
        return
    review = chosen.review
    cell = await org.unit(ctx.session, entry.cell_id)
    every = await assessments.history(ctx.session, entry.member_id)
    changes = [change for change in every if change.period == review.key]
    others = sorted({change.period for change in every if change.period != review.key}, reverse=True)
    if not changes:
        lines = [f"{entry.full_name} ({cell.name}) chưa có lần xếp loại nào {review.label}."]
    else:
        lines = [f"Lịch sử xếp loại {review.label} của {entry.full_name} ({cell.name}):"]
    for change in changes:
        at = change.at.astimezone(ctx.settings.tz)
        old = code(change.old_level) if change.old_level else "chưa có"
        lines.append(f"{at:%d/%m/%Y %H:%M} · {period_label(change.period)}, {STAGE_NAMES[change.stage]}: "
                     f"{old} → {code(change.new_level)} · {change.changed_by or 'không rõ'}")
    if others:
        shown = ", ".join(period_label(key) for key in others[:5])
        example = typed_key(ReviewPeriod.from_key(others[0]))
        lines.append(f"Kỳ khác có xếp loại: {shown}. Gõ ví dụ /lichsu {example} {chosen.rest}.")
    ctx.reply("\n".join(lines))


async def _member_for_history(ctx: Ctx, args: str) -> Entry | None:
    led = await ctx.leader_cells()
    if led:
        members = await roster.cell_roster(ctx.session, led)
        found = roster.find(members, args)
        if len(found) == 1 or not await ctx.committees():
            where = " / ".join([(await org.unit(ctx.session, c)).name for c in led])
            return _pick(ctx, members, args, where, "/xeploai")
    cells = await roster.cells_of(ctx.session, await ctx.committees())
    cell, rest = roster.split_cell(cells, args)
    if cell is not None and rest:
        members = await roster.cell_roster(ctx.session, [cell.cell_id])
        return _pick(ctx, members, rest, cell.name, f"/quyetdinh {cell.number}")
    # No cell given: a name searched across the committee's cells (a number needs its cell).
    if whole_number(args) is not None:
        ctx.reply("Cấp ủy viên gõ thêm số chi bộ trước số thứ tự, ví dụ: /lichsu 1 3. Gõ /quyetdinh để xem số chi bộ.")
        return None
    members = await roster.cell_roster(ctx.session, [c.cell_id for c in cells])
    found = roster.find(members, args)
    if len(found) == 1:
        return found[0]
    if not found:
        ctx.reply(f"Không tìm thấy đảng viên «{args[:60]}» trong các chi bộ của đảng bộ. "
                  "Gõ /quyetdinh để xem danh sách chi bộ.")
        return None
    cell_names = {c.cell_id: (c.number, c.name) for c in cells}
    names = ", ".join(f"{e.full_name} ({cell_names[e.cell_id][1]})" for e in found[:10])
    ctx.reply(f"Có {len(found)} đảng viên khớp «{args[:60]}»: {names}. "
              "Vui lòng gõ /lichsu <số chi bộ> <số|tên> để chọn đúng người.")
    return None


COMMANDS = [
    Command("xeploai", "Chi bộ đề xuất mức xếp loại đảng viên", propose, Audience.LEADER, private=True,
            usage="/xeploai [<kỳ>] [<số|tên> <mức|điểm>]",
            details="/xeploai: danh sách đảng viên thuộc diện xếp loại với bản tự đánh giá. /xeploai 3 tot ghi chi bộ "
                    "đề xuất mức cho đảng viên số 3 (mức: xuất sắc, tốt, hoàn thành, không hoàn thành, hoặc điểm). "
                    "Khi đã đề xuất đủ, bot nói định mức xuất sắc (không quá 20% số hoàn thành tốt)."),
    Command("quyetdinh", "Cấp ủy quyết định xếp loại đảng viên", decide, Audience.COMMITTEE, private=True,
            usage="/quyetdinh [<kỳ>] <chi bộ> <số|tên> <mức> | /quyetdinh [<kỳ>] <chi bộ> tatca",
            details="/quyetdinh: các chi bộ và tiến độ. /quyetdinh 1: từng đảng viên của chi bộ số 1. "
                    "/quyetdinh 1 tatca: quyết định theo đề xuất của chi bộ. /quyetdinh 1 3 tot: quyết định một người. "
                    "Tháng 1, 2 vẫn là kỳ năm trước: /quyetdinh năm 2026 1 tatca."),
    Command("lichsu", "Lịch sử xếp loại của một đảng viên", history, Audience.LEADER_OR_COMMITTEE, private=True,
            usage="/lichsu [<kỳ>] [<chi bộ>] <số|tên>",
            details="Mọi lần đổi mức xếp loại của một đảng viên: ai ghi, lúc nào, từ mức nào sang mức nào. "
                    "Ví dụ: /lichsu 3 (bí thư, trong chi bộ của mình) hoặc /lichsu 1 3 (cấp ủy viên: chi bộ số 1)."),
    Command("kydanhgia", "Kỳ đánh giá, xếp loại: xem, mở lại, khóa, bật theo quý", review_periods.manage,
            Audience.COMMITTEE,
            usage="/kydanhgia [mo <kỳ> [đến dd/mm/yyyy] | dong <kỳ> | quy bat|tat | lich <mở> <khóa>]",
            details="Kỳ năm mở từ 01/12 đến cuối tháng 2 năm sau (đổi bằng /kydanhgia lich); kỳ quý (nếu bật) mở từ "
                    "ngày 1 tháng cuối quý đến hết tháng sau đó. Ngoài thời gian đó không ghi được tự đánh giá, đề "
                    "xuất, quyết định; cấp ủy mở lại một kỳ đến một ngày, hoặc khóa sớm. Kỳ gõ là năm 2026 hoặc "
                    "quý 4/2026.\nVí dụ: /kydanhgia mo năm 2026 đến 15/03/2027"),
]
