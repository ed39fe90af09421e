"""/tonghop's Party development lines (issue 15): after the admissions against their target, the
pipeline a scope keeps in chibo (storage.development_figures); nothing more for one that keeps none."""

from __future__ import annotations

from fractions import Fraction

from domain import development as dev
from domain.figures import fraction, share_text
from handlers.summary_text import NOT_REACHED, REACHED, Section, Targets, development
from storage.development_figures import DevelopmentFigures
from storage.summary import Tally


def section(t: Tally, targets: Targets, year: int, found: DevelopmentFigures, *, committee: bool) -> Section:
    made = development(t, targets, year)
    if found.kept:
        add_pipeline(made, found, committee=committee)
    return made


def add_pipeline(section: Section, found: DevelopmentFigures, *, committee: bool) -> None:
    """/tonghop's development lines, after the admissions: the shares of Youth Union members and of
    women among the year's admissions against their settings, the candidates by stage, the cells
    without one (a committee), the deadlines missed."""
    if found.admitted:
        for label, part, share in (("Đoàn viên trong số kết nạp", found.youth_union, found.youth_union_share),
                                   ("Nữ trong số kết nạp", found.women, found.women_share)):
            verdict = REACHED if Fraction(part, found.admitted) >= share else NOT_REACHED
            section.add(label, f"{fraction(part, found.admitted, share)}; chỉ tiêu {share_text(share)}: {verdict}",
                        part, found.admitted)
    stages = ", ".join(f"{dev.STAGE_NAMES[stage]} {found.by_stage[stage]}" for stage in dev.STAGES
                       if found.by_stage.get(stage))
    section.add("Quần chúng trong danh sách nguồn", f"{found.open}" + (f" ({stages})" if stages else ""), found.open)
    if committee:
        having = found.cells - len(found.cells_without)
        section.add("Chi bộ có quần chúng trong danh sách nguồn", fraction(having, found.cells), having, found.cells)
        if found.cells_without:
            section.add("Chi bộ chưa có quần chúng", names=found.cells_without)
    if found.missed:
        section.add("Quá hạn", names=found.missed)
    else:
        section.add("Quá hạn", "không có", 0)
