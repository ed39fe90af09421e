"""The minutes of a cell meeting (biên bản), as rules on plain values: the steps the secretary is
asked, how each answer is read, the vote checked against those present, and the paper's fields.

Pure: no database, no clock, no renderer. The handler asks; storage keeps the answers; the
renderer (handlers/papers.py) draws `MinutesPaper`, which carries every word the paper shows so
that the DOCX and the PDF cannot disagree.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import time

from domain.dates import parse_time
from domain.errors import UserError
from domain.text import clean_name, fold, has_control

# The steps, in the order they are asked; an agenda item's two steps carry its number ("ykien:2").
CHAIR = "chutri"
RECORDER = "thuky"
GUESTS = "khach"
AGENDA = "noidung"
VIEWS = "ykien"
CONCLUSION = "ketluan"
VOTE = "bieuquyet"
CLOSED = "ketthuc"
HEAD_STEPS = (CHAIR, RECORDER, GUESTS, AGENDA)
TAIL_STEPS = (VOTE, CLOSED)
STEP_NAMES = {
    CHAIR: "chủ trì", RECORDER: "thư ký", GUESTS: "khách mời", AGENDA: "nội dung",
    VIEWS: "ý kiến", CONCLUSION: "kết luận", VOTE: "biểu quyết", CLOSED: "giờ kết thúc",
}
SKIP_WORDS = frozenset({"bo qua", "boqua", "skip", "-"})
DONE_WORDS = frozenset({"xong", "ket thuc", "hoan thanh"})
TEXT_MAX = 2000  # one answer: an agenda item's views, a conclusion
ITEMS_MAX = 10
NAMES_MAX = 500


@dataclass(frozen=True, slots=True)
class Speech:
    """One speaker's views on an item, in a sentence or two."""

    speaker: str
    view: str


@dataclass(slots=True)
class AgendaItem:
    title: str
    speeches: list[Speech] = field(default_factory=list)
    conclusion: str = ""

    def to_json(self) -> dict[str, object]:
        return {"title": self.title, "speeches": [[s.speaker, s.view] for s in self.speeches],
                "conclusion": self.conclusion}

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> AgendaItem:
        speeches = raw.get("speeches") or []
        assert isinstance(speeches, list)
        return cls(str(raw.get("title") or ""), [Speech(str(a), str(b)) for a, b in speeches],
                   str(raw.get("conclusion") or ""))


@dataclass(frozen=True, slots=True)
class Vote:
    """For / against / abstain, of those present."""

    agree: int
    disagree: int
    abstain: int

    @property
    def total(self) -> int:
        return self.agree + self.disagree + self.abstain


# -- the order of the questions ----------------------------------------------------------------------

def steps(items: int) -> list[str]:
    """Every step of minutes with `items` agenda items, in the order they are asked."""
    middle = [f"{kind}:{n}" for n in range(1, items + 1) for kind in (VIEWS, CONCLUSION)]
    return [*HEAD_STEPS, *middle, *TAIL_STEPS]


def next_step(step: str, items: int) -> str | None:
    """The step after `step` (None after the last)."""
    order = steps(items)
    if step not in order:
        return order[0]
    index = order.index(step) + 1
    return order[index] if index < len(order) else None


def step_label(step: str) -> str:
    """`ý kiến (nội dung 2)`: how a step is named to people."""
    kind, _, number = step.partition(":")
    name = STEP_NAMES.get(kind, kind)
    return f"{name} (nội dung {number})" if number else name


def parse_step(text: str, items: int) -> str:
    """What `/bienban <số> sua <mục>` names: `chutri`, `chủ trì`, `ykien 2`, `ket luan 1`…"""
    folded = fold(text).replace(":", " ")
    number = re.search(r"\d+", folded)
    words = re.sub(r"\d+", " ", folded).replace(" ", "")
    by_words = {fold(name).replace(" ", ""): kind for kind, name in STEP_NAMES.items()} | {
        kind: kind for kind in STEP_NAMES} | {"khach": GUESTS, "gioketthuc": CLOSED}
    kind = by_words.get(words)
    if kind is None:
        raise UserError(f"Không có mục «{text.strip()[:40]}». Các mục sửa được: " + _fixable(items) + ".")
    if kind in (VIEWS, CONCLUSION):
        if not items:
            raise UserError("Biên bản chưa có nội dung nào: sửa mục «nội dung» trước.")
        which = int(number.group()) if number else 1 if items == 1 else 0
        if not 1 <= which <= items:
            raise UserError(f"Gõ số thứ tự của nội dung, từ 1 đến {items}, ví dụ: sua {kind} 1.")
        return f"{kind}:{which}"
    return kind


def _fixable(items: int) -> str:
    listed = ["chutri", "thuky", "khach", "noidung"]
    if items:
        listed += [f"ykien <1–{items}>", f"ketluan <1–{items}>"]
    return ", ".join([*listed, "bieuquyet", "ketthuc"])


# -- reading the answers ---------------------------------------------------------------------------

def is_skip(text: str) -> bool:
    return fold(text).strip(" .!") in SKIP_WORDS


def is_done(text: str) -> bool:
    return fold(text).strip(" .!") in DONE_WORDS


def clean_text(raw: str, what: str, limit: int = TEXT_MAX) -> str:
    """A free-text answer: trimmed, no control characters, not too long, not empty."""
    text = "\n".join(clean_name(line) for line in unicodedata.normalize("NFC", raw).splitlines() if line.strip())
    if not text:
        raise UserError(f"{what} đang để trống. Gõ nội dung, hoặc «bỏ qua».")
    if has_control(text.replace("\n", " ")):
        raise UserError(f"{what} có ký tự không hợp lệ.")
    if len(text) > limit:
        raise UserError(f"{what} dài {len(text)} ký tự, tối đa {limit} ký tự. Vui lòng rút gọn.")
    return text


def split_entries(text: str) -> list[str]:
    """Items or speeches typed one a line, or on one line separated by `;`."""
    parts = re.split(r"[;\n]", text)
    return [re.sub(r"^\s*(?:\d{1,2}[.)]|[-•*])\s*", "", part).strip() for part in parts if part.strip()]


def parse_agenda(text: str) -> list[str]:
    titles = [clean_text(part, "Nội dung", 300) for part in split_entries(text)]
    if not titles:
        raise UserError("Gõ các nội dung của buổi họp, mỗi nội dung một dòng hoặc cách nhau bằng dấu «;».")
    if len(titles) > ITEMS_MAX:
        raise UserError(f"Tối đa {ITEMS_MAX} nội dung trong một biên bản.")
    return titles


def parse_speeches(text: str) -> list[tuple[str, str]]:
    """`Bình: nhất trí; Cường: đề nghị …`: (who as typed, their view)."""
    found = []
    for entry in split_entries(text):
        who, colon, view = entry.partition(":")
        if not colon or not who.strip() or not view.strip():
            raise UserError(f"Không hiểu «{entry[:40]}». Mỗi ý kiến gõ «<tên hoặc số>: <tóm tắt ý kiến>», cách nhau "
                            "bằng dấu «;», ví dụ: Bình: nhất trí với báo cáo; Cường: đề nghị bổ sung chỉ tiêu.")
        found.append((who.strip(), clean_text(view, "Ý kiến", 1000)))
    if not found:
        raise UserError("Gõ ý kiến «<tên>: <tóm tắt>», hoặc «bỏ qua».")
    return found


def parse_vote(text: str, present: int) -> Vote:
    """`12 0 1` or `tán thành 12, không tán thành 0, không biểu quyết 1`: for, against, abstain.
    The three together cannot exceed those present (only those present vote)."""
    numbers = [int(n) for n in re.findall(r"\d{1,6}", text)]
    if not 1 <= len(numbers) <= 3 or re.search(r"-\s*\d", text):
        raise UserError("Gõ số tán thành, không tán thành, không biểu quyết, ví dụ: 12 0 1.")
    agree, disagree, abstain = [*numbers, 0, 0][:3]
    vote = Vote(agree, disagree, abstain)
    if vote.total > present:
        raise UserError(f"Biểu quyết {agree} + {disagree} + {abstain} = {vote.total} đồng chí, nhiều hơn số có mặt "
                        f"({present}). Chỉ đảng viên có mặt mới biểu quyết: vui lòng gõ lại.")
    return vote


def parse_closing(text: str) -> time:
    found = parse_time(text.strip())
    if found is None:
        raise UserError("Gõ giờ kết thúc dạng giờ:phút, ví dụ: 21:15.")
    return found


# -- the one-message form ------------------------------------------------------------------------------

_KEYS = {
    "chu tri": CHAIR, "thu ky": RECORDER, "khach moi": GUESTS, "khach": GUESTS, "noi dung": AGENDA,
    "y kien": VIEWS, "ket luan": CONCLUSION, "bieu quyet": VOTE, "ket thuc": CLOSED,
}
_KEY = re.compile(r"(?:^|(?<=[\s;,.]))(" + "|".join(sorted(_KEYS, key=len, reverse=True)) + r")\s*:")


def is_one_message(text: str) -> bool:
    return bool(_KEY.search(_folded_same_length(text)))


def _folded_same_length(text: str) -> str:
    """`fold` character by character, so that positions in it are positions in the text."""
    return "".join(" " if ch.isspace() else (fold(ch) or " ")[0] for ch in unicodedata.normalize("NFC", text))


def split_one_message(text: str) -> list[tuple[str, str]]:
    """`chủ trì: An; thư ký: Bình; nội dung: …; ý kiến: …; kết luận: …; biểu quyết: 12 0 0; kết thúc: 21:15`
    into (step kind, value) in the order typed; `ý kiến` and `kết luận` belong to the `nội dung`
    before them."""
    text = unicodedata.normalize("NFC", text)
    folded = _folded_same_length(text)
    marks = list(_KEY.finditer(folded))
    if not marks or text[:marks[0].start()].strip(" ;,\n"):
        raise UserError("Biên bản một tin: các mục bắt đầu bằng «chủ trì:», «thư ký:», «khách:», «nội dung:», "
                        "«ý kiến:», «kết luận:», «biểu quyết:», «kết thúc:». Xem /trogiup bienban.")
    found = []
    for index, mark in enumerate(marks):
        stop = marks[index + 1].start() if index + 1 < len(marks) else len(text)
        found.append((_KEYS[mark.group(1)], text[mark.end():stop].strip(" ;,\n")))
    return found


# -- the paper ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MinutesPaper:
    """Every word of the paper, ready to print (dates and names already written out)."""

    committee: str  # ĐẢNG BỘ …
    cell: str  # CHI BỘ …
    place_date: str  # "Bến Thành, ngày 05 tháng 12 năm 2026"
    title: str  # "Sinh hoạt chi bộ thường kỳ tháng 12/2026"
    opened: str  # "19 giờ 30 phút, ngày 05 tháng 12 năm 2026"
    place: str
    chair: str
    recorder: str
    guests: str
    total: int  # đảng số: the cell's members
    expected: int  # those who had to attend
    exempt: int
    present: int
    present_names: list[str]
    excused: list[tuple[str, str]]
    absent: list[str]
    agenda: list[AgendaItem]
    vote: Vote | None
    closed: str  # "21 giờ 15 phút cùng ngày"
    attendance_verdict: str

    def context(self) -> dict[str, object]:
        """The fields as the templates name them."""
        return {
            "committee": self.committee.upper(), "cell": self.cell.upper(), "place_date": self.place_date,
            "title": self.title, "opened": self.opened, "place": self.place or "……………",
            "chair": self.chair or "……………", "recorder": self.recorder or "……………",
            "guests": self.guests or "không có", "total": self.total, "expected": self.expected,
            "exempt": self.exempt, "present": self.present, "present_names": ", ".join(self.present_names),
            "excused_count": len(self.excused), "absent_count": len(self.absent),
            "excused": "; ".join(f"{name} ({reason})" if reason else name for name, reason in self.excused)
                       or "không có",
            "absent": ", ".join(self.absent) or "không có",
            "agenda": [{"number": n, "title": item.title,
                        "speeches": [{"speaker": s.speaker, "view": s.view} for s in item.speeches],
                        "conclusion": item.conclusion or "……………"} for n, item in enumerate(self.agenda, 1)],
            "vote": self.vote_text, "closed": self.closed or "……………",
            "attendance_verdict": self.attendance_verdict,
            "chair_signature": self.chair, "recorder_signature": self.recorder,
        }

    @property
    def vote_text(self) -> str:
        if self.vote is None:
            return "……………"
        return (f"Tán thành {self.vote.agree}/{self.present} đồng chí có mặt; không tán thành {self.vote.disagree}; "
                f"không biểu quyết {self.vote.abstain}.")


def written_date(day: int, month: int, year: int) -> str:
    """`ngày 05 tháng 12 năm 2026`, as an administrative paper writes a date."""
    return f"ngày {day:02d} tháng {month:02d} năm {year}"


def written_time(at: time) -> str:
    return f"{at.hour} giờ {at.minute:02d} phút"


def locality(committee_name: str) -> str:
    """The place a paper is dated at, from its committee: "Đảng bộ phường Bến Thành" → "Bến Thành"."""
    rest = re.sub(r"^(đảng bộ|dang bo)\s+(cơ sở\s+|co so\s+)?", "", committee_name.strip(), flags=re.IGNORECASE)
    rest = re.sub(r"^(phường|xã|thị trấn|đặc khu|phuong|xa)\s+", "", rest, flags=re.IGNORECASE)
    return rest or committee_name
