"""A member's standing on a day, from dated events (domain.history): one test per kind of event,
each at its boundary (the day before, the day itself)."""

from __future__ import annotations

from datetime import date

from domain.history import Event, EventKind, Span, Standing, in_cell_on, spans, standing_at
from domain.vocabulary import Status

CELL_A, CELL_B = 1, 2
D = date


def listed(on: date = D(2020, 1, 1), status: Status = Status.OFFICIAL, cell: int = CELL_A) -> Event:
    return Event(EventKind.LISTED, on, cell_id=cell, status=status)


def test_nothing_before_the_first_event() -> None:
    assert standing_at([listed(D(2026, 3, 1))], D(2026, 2, 28)) is None
    assert standing_at([listed(D(2026, 3, 1))], D(2026, 3, 1)) == Standing(CELL_A, Status.OFFICIAL, True)


def test_admission_then_recognition() -> None:
    events = [Event(EventKind.ADMITTED, D(2025, 12, 15), cell_id=CELL_A),
              Event(EventKind.RECOGNISED, D(2026, 12, 20))]
    assert standing_at(events, D(2026, 12, 19)) == Standing(CELL_A, Status.PROBATIONARY, True)
    assert standing_at(events, D(2026, 12, 20)) == Standing(CELL_A, Status.OFFICIAL, True)


def test_a_transfer_between_cells_moves_the_member_on_its_day() -> None:
    events = [listed(), Event(EventKind.TRANSFERRED, D(2027, 2, 10), cell_id=CELL_B)]
    assert in_cell_on(events, CELL_A, D(2027, 2, 9)) is not None  # January's summary keeps her in A
    assert in_cell_on(events, CELL_A, D(2027, 2, 10)) is None
    assert in_cell_on(events, CELL_B, D(2027, 2, 10)) == Standing(CELL_B, Status.OFFICIAL, True)


def test_a_transfer_out_of_the_committee_ends_the_membership_here() -> None:
    events = [listed(), Event(EventKind.TRANSFERRED, D(2026, 6, 1), cell_id=None)]
    assert standing_at(events, D(2026, 5, 31)) == Standing(CELL_A, Status.OFFICIAL, True)
    assert standing_at(events, D(2026, 6, 1)) == Standing(None, Status.OFFICIAL, False)


def test_a_temporary_transfer_stays_in_the_home_total_but_is_not_expected() -> None:
    events = [listed(), Event(EventKind.TRANSFERRED, D(2026, 3, 1), cell_id=CELL_B, temporary=True,
                              until=D(2026, 8, 31))]
    away = standing_at(events, D(2026, 3, 1))
    assert away == Standing(CELL_A, Status.OFFICIAL, True, away=True) and not away.expected
    assert standing_at(events, D(2026, 8, 31)) == away  # "until 31/08" includes 31/08
    back = standing_at(events, D(2026, 9, 1))
    assert back == Standing(CELL_A, Status.OFFICIAL, True) and back.expected


def test_an_exemption_with_an_end_date() -> None:
    events = [listed(), Event(EventKind.EXEMPTED, D(2026, 4, 1), until=D(2026, 9, 30))]
    assert standing_at(events, D(2026, 3, 31)).status == Status.OFFICIAL  # type: ignore[union-attr]
    exempt = standing_at(events, D(2026, 4, 1))
    assert exempt == Standing(CELL_A, Status.EXEMPT, True) and not exempt.expected
    assert standing_at(events, D(2026, 9, 30)).status == Status.EXEMPT  # type: ignore[union-attr]
    assert standing_at(events, D(2026, 10, 1)).status == Status.OFFICIAL  # type: ignore[union-attr]


def test_an_open_exemption_ends_with_its_event() -> None:
    events = [listed(), Event(EventKind.EXEMPTED, D(2026, 4, 1)), Event(EventKind.EXEMPTION_ENDED, D(2027, 1, 5))]
    assert standing_at(events, D(2027, 1, 4)).status == Status.EXEMPT  # type: ignore[union-attr]
    assert standing_at(events, D(2027, 1, 5)).status == Status.OFFICIAL  # type: ignore[union-attr]


def test_suspension_and_return() -> None:
    events = [listed(status=Status.PROBATIONARY), Event(EventKind.SUSPENDED, D(2026, 5, 1)),
              Event(EventKind.RETURNED, D(2026, 7, 1))]
    assert standing_at(events, D(2026, 6, 30)).status == Status.SUSPENDED  # type: ignore[union-attr]
    assert standing_at(events, D(2026, 7, 1)).status == Status.PROBATIONARY  # type: ignore[union-attr]


def test_leaving_by_death_removal_or_expulsion() -> None:
    for kind in (EventKind.DIED, EventKind.REMOVED, EventKind.EXPELLED):
        events = [listed(), Event(kind, D(2026, 10, 2))]
        assert standing_at(events, D(2026, 10, 1)) == Standing(CELL_A, Status.OFFICIAL, True)
        assert standing_at(events, D(2026, 10, 2)) == Standing(None, Status.OFFICIAL, False)


def test_spans_cover_the_history_without_gaps() -> None:
    events = [listed(D(2020, 1, 1)), Event(EventKind.EXEMPTED, D(2026, 4, 1), until=D(2026, 9, 30)),
              Event(EventKind.TRANSFERRED, D(2027, 2, 10), cell_id=CELL_B)]
    assert spans(events) == [
        Span(D(2020, 1, 1), D(2026, 4, 1), Standing(CELL_A, Status.OFFICIAL, True)),
        Span(D(2026, 4, 1), D(2026, 10, 1), Standing(CELL_A, Status.EXEMPT, True)),
        Span(D(2026, 10, 1), D(2027, 2, 10), Standing(CELL_A, Status.OFFICIAL, True)),
        Span(D(2027, 2, 10), None, Standing(CELL_B, Status.OFFICIAL, True)),
    ]
