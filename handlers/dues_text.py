"""The words of the dues book: a member's own statement, a cell's month, a committee's cells.

Every amount is shown as `45.000đ`, every run of months as `tháng 9, 10/2026`; lists of names
are wrapped like the summary's so that no line is ever cut by a messenger.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain import dues
from domain.dues import Allocation, Basis, MonthState, Rate, money, months_text
from handlers.summary_text import wrap_names
from storage.dues import CORRECTION, EntryView
from storage.dues_figures import CellDues


def rate_text(rate: Rate, month: date, minimum_wage: int) -> str:
    """`45.000đ/tháng (1% lương đóng bảo hiểm xã hội); giảm 50% đến hết tháng 6/2027: 22.500đ/tháng`."""
    due = dues.due_in([rate], month, minimum_wage)
    if rate.exemption is not None and due is not None and due.exempt is not None:
        until = f" đến hết tháng {dues.month_text(rate.exemption_until)}" if rate.exemption_until else ""
        return f"miễn đóng ({dues.EXEMPTION_NAMES.get(rate.exemption, rate.exemption)}){until}"
    full = dues.monthly_amount(rate, month, minimum_wage)
    text = f"{money(full)}/tháng ({dues.BASIS_NAMES.get(rate.basis, rate.basis)})"
    if due is not None and due.reduction and rate.reduction_until is not None:
        text += (f"; giảm {rate.reduction}% đến hết tháng {dues.month_text(rate.reduction_until)}: "
                 f"{money(due.amount)}/tháng")
    return text


def standing_text(allocation: Allocation, current: date) -> str:
    """Where a member stands on the month `current`: paid up (with any credit), or what is left."""
    left = [state for state in allocation.unpaid_months() if state.month <= current]
    if not left:
        credit = f"; dư {money(allocation.credit)} (tính vào các tháng sau)" if allocation.credit else ""
        through = allocation.paid_through()
        if through is None:
            return "chưa có tháng nào phải nộp" + credit
        return f"đã nộp đủ đến hết tháng {dues.month_text(through)}{credit}"
    return f"còn phải nộp {months_text([state.month for state in left])}: {money(sum(s.unpaid for s in left))}"


def entry_text(entry: EntryView) -> str:
    by = f" — {entry.recorded_by} ghi" if entry.recorded_by else ""
    if entry.kind == CORRECTION:
        sign = "+" if entry.amount > 0 else ""
        return f"{entry.paid_on:%d/%m/%Y}: điều chỉnh {sign}{money(entry.amount)} ({entry.note}){by}"
    note = f" ({entry.note})" if entry.note else ""
    return f"{entry.paid_on:%d/%m/%Y}: nộp {money(entry.amount)}{note}{by}"


def own_statement(name: str, cell: str, rates: Sequence[Rate], allocation: Allocation, entries: list[EntryView],
                  current: date, minimum_wage: int) -> str:
    rate = dues.rate_on(rates, current)
    lines = [f"Đảng phí của đồng chí {name} ({cell}):"]
    if rate is None:
        lines.append("- Mức đóng: chưa khai; bí thư hoặc thủ quỹ chi bộ ghi bằng /dangphi muc.")
    else:
        lines.append(f"- Mức đóng: {rate_text(rate, current, minimum_wage)}")
    lines.append(f"- Tình trạng: {standing_text(allocation, current)}")
    if entries:
        lines.append("Các lần nộp gần đây:")
        lines += [f"- {entry_text(entry)}" for entry in entries]
    else:
        lines.append("Chưa có lần nộp nào.")
    return "\n".join(lines)


def _late(states: list[MonthState]) -> str:
    return f"{months_text([state.month for state in states])}: {money(sum(state.unpaid for state in states))}"


def cell_month(cell_name: str, month: date, day: date, figures: CellDues, kept_share: str) -> str:
    """A cell's month as the secretary reads it at the meeting."""
    lines = [f"Đảng phí {cell_name} — tháng {dues.month_text(month)} (số liệu đến ngày {day:%d/%m/%Y}):"]
    lines += wrap_names(f"Đã nộp ({len(figures.paid)}): ",
                        [f"{person.full_name} {money(amount)}" for person, amount in figures.paid] or ["không có"])
    lines += wrap_names(f"Chưa nộp ({len(figures.unpaid)}): ",
                        [f"{person.full_name} {money(amount)}" for person, amount in figures.unpaid] or ["không có"])
    if figures.exempt:
        lines += wrap_names(f"Miễn đóng ({len(figures.exempt)}): ", [
            f"{person.full_name} ({dues.EXEMPTION_NAMES.get(ground, ground)})" for person, ground in figures.exempt])
    if figures.undeclared:
        lines += wrap_names(f"Chưa khai mức ({len(figures.undeclared)}): ",
                            [person.full_name for person in figures.undeclared])
    lines.append(f"Phải thu tháng {dues.month_text(month)}: {money(figures.expected)}; đã thu trong tháng: "
                 f"{money(figures.received)} (kể cả nộp nợ, nộp trước).")
    if figures.arrears:
        lines += wrap_names(f"Nợ đọng ({len(figures.arrears)} đảng viên, {money(figures.arrears_total)}): ",
                            [f"{person.full_name} {_late(states)}" for person, states in figures.arrears])
    else:
        lines.append("Nợ đọng: không có.")
    for person, months in figures.overdue:
        lines.append(f"Cảnh báo: đồng chí {person.full_name} chưa nộp đảng phí 3 tháng trở lên trong năm "
                     f"{month.year} ({months_text(months)}). Theo Điều lệ Đảng, chi bộ xem xét, đề nghị xóa tên "
                     "đảng viên không đóng đảng phí 3 tháng trong năm không có lý do chính đáng. Bot chỉ nhắc.")
    lines.append(f"Chi bộ giữ lại {kept_share}: {money(figures.kept)}; nộp lên đảng ủy: {money(figures.remitted)}.")
    return "\n".join(lines)


def committee_month(committee_name: str, month: date, day: date, cells: list[tuple[str, CellDues]]) -> str:
    """One line per cell: collected against expected, members in arrears, what it remits."""
    lines = [f"Đảng phí các chi bộ của {committee_name} — tháng {dues.month_text(month)} "
             f"(số liệu đến ngày {day:%d/%m/%Y}):"]
    for number, (name, figures) in enumerate(cells, 1):
        lines.append(f"{number}. {name}: {committee_line(figures)}")
    received = sum(figures.received for _name, figures in cells)
    remitted = sum(figures.remitted for _name, figures in cells)
    lines.append(f"Cộng: đã thu {money(received)}; nộp lên đảng ủy {money(remitted)}.")
    lines.append("Gõ /dangphi <tên chi bộ> để xem từng đảng viên của một chi bộ.")
    return "\n".join(lines)


def committee_line(figures: CellDues) -> str:
    if not figures.declared:
        return "chưa ghi sổ đảng phí trên bot"
    late = f"{len(figures.arrears)} đảng viên nợ đọng ({money(figures.arrears_total)})" if figures.arrears \
        else "không ai nợ đọng"
    return (f"đã thu {money(figures.received)} / phải thu {money(figures.expected)}; {late}; "
            f"nộp lên đảng ủy {money(figures.remitted)}")


BASIS_HINT = ("Gõ /dangphi muc <số|tên> <số tiền> [lương|hưu] — mức tự khai (1% lương đóng BHXH, 0,5% lương hưu); "
              "/dangphi muc <số|tên> hocsinh (5.000đ); /dangphi muc <số|tên> khac [trên tuổi] (theo lương tối thiểu "
              "vùng); /dangphi muc <số|tên> mien <50 năm|bảo trợ|hộ nghèo|bệnh> [đến mm/yyyy]; "
              "/dangphi muc <số|tên> giam <30|50|70>% [đến mm/yyyy]. Thêm «từ mm/yyyy» để áp dụng từ tháng khác "
              "tháng này. Ví dụ: /dangphi muc 3 45000 lương")
BASIS_WORD = {Basis.SALARY: "lương", Basis.PENSION: "hưu"}
