"""A roll call held on paper, entered afterwards in one message: its syntax and its parser.

Everyone expected is present except the members named, each under their status:

    /diemdanh 3 giấy vắng có lý do: Bình (ốm), 4 (đi công tác); vắng không lý do: Em
    /diemdanh 3 giay coly: Binh (om); khongly: Em
    /diemdanh 3 giấy vắng: Bình (ốm), Em        (with a reason: excused; without: absent)
    /diemdanh 3 giấy đủ                          (everyone present)

Forgiving on purpose (older secretaries type it from the paper sheet): "giấy" may be left out
when a section is named, diacritics and case do not matter, a reason goes in brackets or after
" - ", members are named by their number in `/dukien <số buổi>` or by their name (the full name
or its end, "Bình", "Thị Bình"), and "không" after a section means nobody. Pure: names are
resolved against the cell's list by the caller.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from domain.errors import UserError
from domain.spreadsheet import STARTS_LIKE_FORMULA, starts_like_formula
from domain.text import clean_name, fold, has_control
from domain.vocabulary import Presence

REASON_MAX = 500
MIXED = "mixed"  # the section "vắng:": excused when a reason is given, absent when not

_SECTIONS = {
    "vang co ly do": Presence.EXCUSED, "vang co ly": Presence.EXCUSED, "vangcoly": Presence.EXCUSED,
    "vang co phep": Presence.EXCUSED, "co ly do": Presence.EXCUSED, "coly": Presence.EXCUSED,
    "co phep": Presence.EXCUSED, "xin vang": Presence.EXCUSED,
    "vang khong ly do": Presence.ABSENT, "vang khong ly": Presence.ABSENT, "vangkhongly": Presence.ABSENT,
    "vang khong phep": Presence.ABSENT, "khong ly do": Presence.ABSENT, "khongly": Presence.ABSENT,
    "khong phep": Presence.ABSENT,
    "vang": MIXED,
}
_SECTION = re.compile(
    r"(?<![\w])(" + "|".join(re.escape(word) for word in sorted(_SECTIONS, key=len, reverse=True)) + r")\s*:")
_ALL_PRESENT = frozenset({"du", "du ca", "du het", "co mat du", "co mat het", "tat ca co mat", "co mat tat ca",
                          "comat tatca", "khong ai vang", "khong vang ai"})
_NOBODY = frozenset({"khong", "khong co", "khong ai", "0", "-", "khong co ai"})
_PREFIX = re.compile(r"^(?:dong chi|d/c|dc|so)\s+")

SYNTAX = (
    "Điểm danh trên giấy, nhập sau một lần (ai không kể tên là có mặt):\n"
    "/diemdanh <số buổi> giấy vắng có lý do: <tên> (<lý do>), …; vắng không lý do: <tên>, …\n"
    "Ví dụ: /diemdanh 3 giay coly: Binh (om), 4 (cong tac); khongly: Em\n"
    "Hoặc: /diemdanh 3 giấy vắng: Bình (ốm), Em — có lý do là vắng có lý do, không có là vắng không lý do.\n"
    "Mọi người đều có mặt: /diemdanh 3 giấy đủ"
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One member named on the paper: as typed (a number in the list or a name), status, reason."""

    ref: str
    status: Presence
    reason: str | None


def _same_length_fold(text: str) -> str:
    """`fold`, one character for one, so that positions found in it cut the original text."""
    return "".join(" " if ch.isspace() else (fold(ch) or " ")[0] for ch in text)


_PAPER_WORD = re.compile(r"^\s*(?:tren giay|giay)(?![\w])\s*:?\s*")


def _after_paper_word(original: str) -> tuple[bool, str]:
    """The text after a leading "giấy" (or "trên giấy"), and whether there was one."""
    match = _PAPER_WORD.match(_same_length_fold(original))
    return (True, original[match.end():]) if match else (False, original)


def is_paper(text: str) -> bool:
    """Whether the words after the meeting number are a paper roll call (not a one-member correction
    such as "Dung vangcoly"): the word "giấy", a section followed by ":", or "đủ"."""
    said_paper, rest = _after_paper_word(unicodedata.normalize("NFC", text).strip())
    return said_paper or fold(rest) in _ALL_PRESENT or _SECTION.search(_same_length_fold(rest)) is not None


def parse(text: str) -> list[Entry]:
    """The members named and their status (empty: everyone present); a `UserError` says what to type."""
    _said_paper, original = _after_paper_word(unicodedata.normalize("NFC", text).strip())
    if fold(original) in _ALL_PRESENT:
        return []
    folded = _same_length_fold(original)
    matches = list(_SECTION.finditer(folded))
    lead = original[:matches[0].start()] if matches else original
    if not matches or lead.strip(" ,;:"):
        shown = lead.strip()[:60]
        raise UserError((f"Không hiểu «{shown}». " if shown else "") + SYNTAX)
    entries: list[Entry] = []
    for index, match in enumerate(matches):
        stop = matches[index + 1].start() if index + 1 < len(matches) else len(original)
        section = _SECTIONS[match.group(1)]
        body = original[match.end():stop].strip(" ;,\n")
        if fold(body) in _NOBODY:
            continue
        if not body:
            raise UserError(f"Phần «{original[match.start():match.end()]}» chưa có tên nào. " + SYNTAX)
        entries += [_entry(item, section) for item in _items(body)]
    return entries


def _items(body: str) -> list[str]:
    """Split on commas, semicolons and new lines outside brackets."""
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in body:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if depth == 0 and ch in ",;\n":
            items.append("".join(current))
            current = []
            continue
        current.append(ch)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _entry(item: str, section: str) -> Entry:
    ref, reason = item, None
    bracket = re.match(r"^(.*?)\s*[(\[](.*?)[)\]]?\s*$", item, re.DOTALL)
    if bracket is not None:
        ref, reason = bracket.group(1), bracket.group(2)
    elif " - " in item:
        ref, _, reason = item.partition(" - ")
    ref = clean_name(ref)
    prefix = _PREFIX.match(_same_length_fold(ref))
    ref = ref[prefix.end():] if prefix else ref
    ref = ref.strip(" .:")
    reason = clean_name(reason).strip(" .") if reason is not None else None
    if not ref:
        raise UserError(f"Thiếu tên trước «{item[:40]}». " + SYNTAX)
    if reason is not None and (has_control(reason) or len(reason) > REASON_MAX):
        raise UserError(f"Lý do của «{ref[:40]}» phải là chữ thường, không quá {REASON_MAX} ký tự.")
    if reason is not None and starts_like_formula(reason):  # a spreadsheet would run it (domain.spreadsheet)
        raise UserError(f"Lý do của «{ref[:40]}» {STARTS_LIKE_FORMULA}. Vui lòng gõ lại lý do bắt đầu bằng chữ, "
                        "ví dụ: ốm.")
    mixed = Presence.EXCUSED if reason else Presence.ABSENT
    status = mixed if section == MIXED else Presence(section)
    if status == Presence.ABSENT and reason:
        raise UserError(f"«{ref[:40]}» ghi vắng không lý do nhưng có lý do «{reason[:40]}». Nếu có lý do, "
                        "ghi vào phần vắng có lý do: …")
    return Entry(ref, status, reason or None)
