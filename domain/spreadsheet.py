"""Text that a spreadsheet would run: the OWASP rule for cells written from what people typed.

A cell whose text begins with `=`, `+`, `-` or `@` (or a tab or carriage return, which some
programs skip before reading the rest) is read by Excel and LibreOffice as a formula, and a formula
can send the sheet's other cells to a web address (`=HYPERLINK("http://…?d="&B3, "bấm vào đây")`).
Names and reasons are refused at input when they start so (no one's name does); a report's text
may well start with "- " (a list), so it is kept as typed and neutralised in the export instead.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"  # OWASP's prefix: what a person sees still reads as what was typed
STARTS_LIKE_FORMULA = "không được bắt đầu bằng dấu =, +, -, @"  # "<what> " + this + what to type instead


def starts_like_formula(text: str) -> bool:
    """True when a spreadsheet could read `text` as a formula rather than as words."""
    return text.startswith(FORMULA_STARTS)


def neutral_cell(text: str) -> str:
    """`text` as a cell that stays text: a leading `'` when it starts like a formula, else unchanged."""
    return QUOTE + text if starts_like_formula(text) else text
