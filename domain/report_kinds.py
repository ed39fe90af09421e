"""Report kinds (loại báo cáo hoạt động): their Vietnamese names and how a member may type one.

Older members type the kind as a number ("2") or as words, with or without diacritics
("học tập", "hoc tap", "Nhiệm vụ", "cư trú", "khác"). The words are read here, once, for the
one-line `/baocao` and for the guided one alike.
"""

from __future__ import annotations

import re

from domain.text import fold
from domain.vocabulary import REPORT_KINDS, ReportKind

# In the order members choose them (1..5).
KIND_NAMES: dict[str, str] = {
    ReportKind.STUDY: "Học tập, quán triệt nghị quyết",
    ReportKind.ASSIGNED: "Nhiệm vụ được phân công",
    ReportKind.RESIDENCE: "Hoạt động ở nơi cư trú, đoàn thể",
    ReportKind.MASS_HELP: "Giúp đỡ quần chúng, tạo nguồn phát triển đảng viên",
    ReportKind.OTHER: "Khác",
}

# Words that name a kind (folded, punctuation dropped): a short form, or a name's first half as
# it stands in the list, or the whole name. No single word that also opens an ordinary report
# ("học", "họp"), and no longer phrase: the kind comes first, and its words must not eat the text.
_WORDS: dict[str, ReportKind] = {
    **{word: ReportKind.STUDY for word in ("hoc tap", "hoctap", "quan triet")},
    **{word: ReportKind.ASSIGNED for word in ("nhiem vu", "nhiemvu", "phan cong", "nhiem vu duoc phan cong")},
    **{word: ReportKind.RESIDENCE for word in ("cu tru", "cutru", "noi cu tru", "o noi cu tru", "doan the",
                                               "hoat dong o noi cu tru")},
    **{word: ReportKind.MASS_HELP for word in ("giup do", "giupdo", "tao nguon", "giup do quan chung")},
    "khac": ReportKind.OTHER,
}
_PUNCTUATION = re.compile(r"[,;:.!?()\-–—]+")


def _key(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", fold(text)).split())


_BY_NAME = {_key(name): ReportKind(kind) for kind, name in KIND_NAMES.items()}
_LONGEST = max(len(key.split()) for key in (*_WORDS, *_BY_NAME))
_TOKEN = re.compile(r"\S+")
_NUMBER = re.compile(r"([0-9]{1,2})[.)]?")


def kind_list() -> str:
    """The numbered list members choose from."""
    return "\n".join(f"{number}. {KIND_NAMES[kind]}" for number, kind in enumerate(REPORT_KINDS, 1))


def split_kind(text: str) -> tuple[ReportKind | None, str, str]:
    """The kind a text starts with, the words that named it, and the rest as typed.

    `("2 Vận động 5 hộ")` → (ASSIGNED, "2", "Vận động 5 hộ"); `("hoc tap Học nghị quyết")` →
    (STUDY, "hoc tap", "Học nghị quyết"). The longest words that name a kind win ("giúp đỡ quần
    chúng" over "giúp đỡ"). A number outside 1–5, or words that name no kind, give (None, the
    first word, the rest).
    """
    tokens = list(_TOKEN.finditer(text))
    if not tokens:
        return None, "", ""

    def rest_after(count: int) -> str:
        return text[tokens[count - 1].end():].strip() if count < len(tokens) else ""

    number = _NUMBER.fullmatch(fold(tokens[0].group()))
    if number is not None:
        index = int(number.group(1))
        kind = REPORT_KINDS[index - 1] if 1 <= index <= len(REPORT_KINDS) else None
        return kind, tokens[0].group(), rest_after(1)
    for count in range(min(_LONGEST + 2, len(tokens)), 0, -1):
        typed = text[tokens[0].start():tokens[count - 1].end()]
        kind = _BY_NAME.get(_key(typed)) or _WORDS.get(_key(typed))
        if kind is not None:
            return kind, typed, rest_after(count)
    return None, tokens[0].group(), rest_after(1)


def parse_kind(text: str) -> ReportKind | None:
    """A whole answer that names a kind (its number or its words), else None."""
    kind, _typed, rest = split_kind(text)
    return kind if kind is not None and not rest else None


