"""The summary's fast paths show and order exactly what the exact ones do (issue 12).

`figures.percent` without a bar computes in integers; `weakest_first` compares rates as floats.
Both are checked here against the exact Fraction computations they replace, over every rate of
a cell of up to 150 members (and a committee's sums), so a change to either cannot drift."""

from __future__ import annotations

import random
from fractions import Fraction

from domain import figures
from handlers.summary_text import weakest_first
from storage.summary import Tally


def test_percent_without_a_bar_equals_the_exact_rounding() -> None:
    for whole in range(1, 151):
        for part in range(0, whole + 1):
            assert figures.percent(part, whole) == figures.share_percent(Fraction(part, whole)), (part, whole)
    for part, whole in ((9_999, 10_000), (9_995, 10_000), (9_994, 10_000), (5, 100_000), (1, 3)):
        assert figures.percent(part, whole) == figures.share_percent(Fraction(part, whole))
    assert figures.percent(2, 3) == "66,7%" and figures.percent(9, 10) == "90%" and figures.percent(0, 4) == "0%"
    assert figures.percent(1, 0) == figures.NO_DATA


def _exact(cells: list[Tally]) -> list[Tally]:
    def key(cell: Tally) -> tuple[Fraction, Fraction, str]:
        attendance = Fraction(cell.present, cell.expected) if cell.expected else Fraction(-1)
        reporting = Fraction(cell.reporters, cell.expected_members) if cell.expected_members else Fraction(-1)
        return attendance, reporting, cell.name
    return sorted(cells, key=key)


def test_weakest_first_is_the_exact_order() -> None:
    draw = random.Random(12)
    cells = []
    for number in range(400):
        members = draw.randint(0, 150)
        meetings = draw.randint(0, 12)
        expected = members * meetings
        tally = Tally(number, f"Chi bộ {draw.randint(1, 60):02d}", statuses={"official": members})
        tally.expected = expected
        tally.present = draw.randint(0, expected)
        tally.reporters = draw.randint(0, members)
        cells.append(tally)
    # equal rates from different counts (1/2 and 50/100) and a name breaking the tie
    for number, (present, expected) in enumerate(((1, 2), (50, 100), (3, 6)), 400):
        tally = Tally(number, f"Chi bộ hòa {number}", statuses={"official": 6})
        tally.present, tally.expected, tally.reporters = present, expected, 3
        cells.append(tally)
    assert [id(c) for c in weakest_first(cells)] == [id(c) for c in _exact(cells)]
