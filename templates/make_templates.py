"""Builds the Word templates of the papers (templates/*.docx) with python-docx.

Run it after changing the layout: `.venv/bin/python templates/make_templates.py`. The .docx files
are committed; a committee may replace one with its own (a Word file with the same `{{ … }}`
fields: org_unit.settings "minutes_template"). Each field is written in one run, as docxtpl
needs, and loops are paragraphs of their own (`{%p for … %}`).

The layout is the customary one of a Party paper: the committee and cell on the left with the
Party's name on the right, place and date under it, the title, the body, and the signature
blocks of the chair and the minute-taker.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from docx.table import _Cell

HERE = Path(__file__).resolve().parent
FONT = "Times New Roman"  # what Vietnamese administrative papers use; Word has it everywhere


def _line(cell_or_doc: _Cell | object, text: str, *, bold: bool = False, italic: bool = False,
          center: bool = False, size: int = 13, underline: bool = False) -> None:
    paragraph = cell_or_doc.add_paragraph()  # type: ignore[attr-defined]
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(2)
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    run.font.size = Pt(size)
    run.font.name = FONT


def _heading(document: object, right_third: str) -> None:
    table = document.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    left.width, right.width = Cm(7.5), Cm(9)
    left.paragraphs[0].text = ""
    _line(left, "{{ committee }}", center=True)
    _line(left, "{{ cell }}", bold=True, center=True)
    _line(left, "*", center=True)
    right.paragraphs[0].text = ""
    _line(right, "ĐẢNG CỘNG SẢN VIỆT NAM", bold=True, center=True, underline=True)
    _line(right, right_third, italic=True, center=True)


def _signatures(document: object) -> None:
    table = document.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
    left, right = table.rows[0].cells
    left.paragraphs[0].text = ""
    right.paragraphs[0].text = ""
    _line(left, "THƯ KÝ", bold=True, center=True)
    _line(left, "(Ký, ghi rõ họ tên)", italic=True, center=True, size=11)
    for _ in range(3):
        _line(left, "", center=True)
    _line(left, "{{ recorder_signature }}", bold=True, center=True)
    _line(right, "CHỦ TRÌ", bold=True, center=True)
    _line(right, "(Ký, ghi rõ họ tên)", italic=True, center=True, size=11)
    for _ in range(3):
        _line(right, "", center=True)
    _line(right, "{{ chair_signature }}", bold=True, center=True)


def _document() -> object:
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    style = document.styles["Normal"]
    style.font.name = FONT  # type: ignore[attr-defined]
    style.font.size = Pt(13)  # type: ignore[attr-defined]
    return document


def minutes_template() -> object:
    document = _document()
    _heading(document, "{{ place_date }}")
    _line(document, "")
    _line(document, "BIÊN BẢN", bold=True, center=True, size=15)
    _line(document, "{{ title }}", bold=True, center=True)
    _line(document, "-----", center=True)
    _line(document, "Thời gian bắt đầu: {{ opened }}.")
    _line(document, "Địa điểm: {{ place }}.")
    _line(document, "Chủ trì: đồng chí {{ chair }}. Thư ký: đồng chí {{ recorder }}.")
    _line(document, "Khách mời: {{ guests }}.")
    _line(document, "Tổng số đảng viên của chi bộ: {{ total }}; miễn sinh hoạt: {{ exempt }}; "
                    "phải dự: {{ expected }}.")
    _line(document, "Có mặt: {{ present }} đồng chí: {{ present_names }}.")
    _line(document, "Vắng có lý do: {{ excused_count }} đồng chí: {{ excused }}.")
    _line(document, "Vắng không lý do: {{ absent_count }} đồng chí: {{ absent }}.")
    _line(document, "{{ attendance_verdict }}", italic=True)
    _line(document, "NỘI DUNG", bold=True, center=True)
    _line(document, "{%p for item in agenda %}")
    _line(document, "{{ item.number }}. {{ item.title }}", bold=True)
    _line(document, "{%p for s in item.speeches %}")
    _line(document, "- Đồng chí {{ s.speaker }}: {{ s.view }}")
    _line(document, "{%p endfor %}")
    _line(document, "Kết luận của chủ trì: {{ item.conclusion }}", italic=True)
    _line(document, "{%p endfor %}")
    _line(document, "Biểu quyết: {{ vote }}", bold=True)
    _line(document, "Buổi sinh hoạt kết thúc lúc {{ closed }}. Biên bản đã được đọc lại cho chi bộ nghe và "
                    "nhất trí thông qua.")
    _line(document, "")
    _signatures(document)
    return document


def resolution_template() -> object:
    document = _document()
    _heading(document, "{{ place_date }}")
    _line(document, "")
    _line(document, "NGHỊ QUYẾT", bold=True, center=True, size=15)
    _line(document, "{{ title }}", bold=True, center=True)
    _line(document, "-----", center=True)
    _line(document, "Căn cứ Điều lệ Đảng Cộng sản Việt Nam; căn cứ kết quả {{ meeting }}, có mặt {{ present }}/"
                    "{{ expected }} đảng viên phải dự,")
    _line(document, "CHI BỘ QUYẾT NGHỊ", bold=True, center=True)
    _line(document, "I. KẾT QUẢ THÁNG QUA", bold=True)
    _line(document, "{%p for line in results %}")
    _line(document, "{{ line }}")
    _line(document, "{%p endfor %}")
    _line(document, "II. NHIỆM VỤ THÁNG TỚI", bold=True)
    _line(document, "{%p for t in tasks %}")
    _line(document, "{{ t.number }}. {{ t.what }} — phụ trách: đồng chí {{ t.who }}; thời hạn: {{ t.due }}.")
    _line(document, "{%p endfor %}")
    _line(document, "III. BIỂU QUYẾT", bold=True)
    _line(document, "{{ vote }}")
    _line(document, "")
    table = document.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
    left, right = table.rows[0].cells
    left.paragraphs[0].text = ""
    right.paragraphs[0].text = ""
    _line(left, "Nơi nhận: Đảng ủy; các đảng viên; lưu chi bộ.", italic=True, size=11)
    _line(right, "T/M CHI BỘ", bold=True, center=True)
    _line(right, "BÍ THƯ", bold=True, center=True)
    for _ in range(3):
        _line(right, "", center=True)
    _line(right, "{{ chair_signature }}", bold=True, center=True)
    return document


def main() -> None:
    minutes_template().save(HERE / "bien_ban.docx")  # type: ignore[attr-defined]
    resolution_template().save(HERE / "nghi_quyet.docx")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
