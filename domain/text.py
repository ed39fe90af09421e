"""Folding of Vietnamese text so that input matches with or without diacritics, in any case."""

from __future__ import annotations

import re
import unicodedata

_WHOLE = re.compile(r"[0-9]{1,9}")
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d) and collapse spaces: the key for comparisons."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare).strip().lower()


def clean_name(text: str) -> str:
    """Normalise a person's or unit's name as typed: NFC, single spaces, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def has_control(text: str) -> bool:
    """True when text holds control or invisible formatting characters (never valid in a name)."""
    return bool(_CONTROL.search(text))


def keepable(text: str) -> bool:
    """True when text can be stored and sent on every platform and database: no NUL (PostgreSQL
    refuses it) and no lone surrogate ("\\ud800": no UTF-8 encoder takes it)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def whole_number(text: str) -> int | None:
    """A plain number of at most 9 ASCII digits (a list position, a report number), else None.

    `str.isdigit()` is not enough: it admits "²", which `int()` refuses, and numbers too large
    for a database integer.
    """
    stripped = text.strip()
    return int(stripped) if _WHOLE.fullmatch(stripped) else None


# -- yes and no, as older members type them --------------------------------------------------------
# Matched with diacritics first: "vâng" is yes but "vắng" (absent) is no, and both fold to "vang";
# typed without diacritics, "vang" reads as "vắng" (an invitation's "Xin vắng").
_YES_EXACT = frozenset({"vâng", "dạ vâng", "dạ", "ừ", "ờ"})
_NO_EXACT = frozenset({"vắng", "xin vắng"})
_YES = frozenset({
    "co", "duoc", "du", "tham du", "se du", "co du", "co tham du", "da co", "da duoc", "ok", "oke", "okay",
    "dong y", "yes", "y",
})
_NO = frozenset({
    "khong", "ko", "k", "hong", "vang", "xin vang", "khong du", "khong duoc", "khong tham du", "ban", "da khong",
    "no", "n",
})
_TRAILING = re.compile(r"[\s.!?,;…]+$")


def yes_or_no(text: str) -> bool | None:
    """True for "có", "được", "dự", "vâng"…; False for "không", "vắng", "xin vắng"…; None otherwise.

    Any case, with or without diacritics, a polite "ạ" and final punctuation allowed.
    """
    plain = _TRAILING.sub("", _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip().lower())
    plain = plain.removesuffix(" ạ")
    if plain in _YES_EXACT:
        return True
    if plain in _NO_EXACT:
        return False
    folded = fold(plain).removesuffix(" a")
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    return None
