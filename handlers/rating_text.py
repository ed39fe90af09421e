"""Wording shared by the rating conversations: stages, levels, a self-assessment in one line."""

from __future__ import annotations

from domain import review
from domain.figures import fraction, share_text
from domain.messages import Choice
from domain.review import LEVEL_CODES, LEVEL_NAMES, level_for
from domain.vocabulary import Level, Stage
from storage.assessments import Assessment

STAGE_NAMES: dict[str, str] = {
    Stage.SELF: "tự đánh giá", Stage.CELL_PROPOSED: "chi bộ đề xuất", Stage.FINAL: "cấp ủy quyết định",
}
# Short labels and ASCII words for choices (a choice's value is what a Zalo user could type).
LEVEL_CHOICES = (
    (Level.EXCELLENT, "Xuất sắc", "xuatsac"),
    (Level.GOOD, "Tốt", "tot"),
    (Level.COMPLETE, "Hoàn thành", "hoanthanh"),
    (Level.INCOMPLETE, "Không hoàn thành", "khonghoanthanh"),
)
YES_WORDS = frozenset({"co", "co vi pham", "vi pham", "y", "yes"})
NO_WORDS = frozenset({"khong", "k", "ko", "khong vi pham", "no"})


def level_text(level: str) -> str:
    """ "Hoàn thành tốt nhiệm vụ (HTTNV)"."""
    return f"{LEVEL_NAMES[level]} ({LEVEL_CODES[level]})"


def code(level: str) -> str:
    return LEVEL_CODES[level]


def level_choices(command: str) -> list[Choice]:
    """The four levels as choices that send `<command> <word>`, e.g. "/xeploai 3 tot"."""
    return [Choice(label, f"{command} {word}") for _level, label, word in LEVEL_CHOICES]


def self_line(rating: Assessment) -> str:
    """ "27 + 62 = 89 điểm, không vi phạm kỷ luật → Hoàn thành tốt nhiệm vụ (HTTNV)"; a rating
    recorded without scores (imported, or entered by the secretary) shows its level alone."""
    if rating.general_score is None or rating.task_score is None:
        return level_text(rating.level)
    return f"{score_line(rating.general_score, rating.task_score, rating.violation)} → {level_text(rating.level)}"


def score_line(general: int, task: int, violation: bool) -> str:
    breach = "có vi phạm kỷ luật" if violation else "không vi phạm kỷ luật"
    return f"{general} + {task} = {general + task} điểm, {breach}"


def implied(general: int, task: int, violation: bool) -> str:
    return level_for(general + task, violation=violation)


def quota_text(quota: review.Quota, missing: int = 0) -> str:
    """ "2 xuất sắc, 6 hoàn thành tốt: 2/6 = 33,3%; không quá 20% số hoàn thành tốt: vượt định mức".

    With `missing` members still unrated at that stage the figures are provisional and no verdict
    is given: the quota is judged once the proposals, or the decisions, are complete."""
    ratio = (fraction(quota.excellent, quota.good, quota.share) if quota.good
             else "chưa có đảng viên hoàn thành tốt")
    if missing:
        verdict = f"tạm tính, còn {missing} đảng viên chưa xếp loại ở bước này"
    else:
        verdict = "trong định mức" if quota.within else "vượt định mức (chỉ cảnh báo, bot không tự sửa xếp loại)"
    return (f"{quota.excellent} xuất sắc, {quota.good} hoàn thành tốt: {ratio}; "
            f"không quá {share_text(quota.share)} số hoàn thành tốt: {verdict}")
