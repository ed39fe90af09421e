"""The month's resolution (nghị quyết) a cell adopts at its meeting: the past month's results, the
tasks of the coming month with who is in charge and by when, and the vote (the minutes' own).

Pure: the handler loads the figures, this module words the draft, reads the tasks as typed, and
says when a task's reminder is due (a week before its date, at 08:00).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain import meeting_rules
from domain.dates import Direction, parse_date
from domain.errors import UserError
from domain.minutes import Vote, clean_text, split_entries, written_date
from domain.report_kinds import KIND_NAMES

RESULTS = "ketqua"
TASKS = "nhiemvu"
STEPS = (RESULTS, TASKS)
STEP_NAMES = {RESULTS: "kết quả tháng qua", TASKS: "nhiệm vụ tháng tới"}
KEEP_WORDS = frozenset({"giu", "giu nguyen", "dong y", "ok", "duoc", "nhu du thao"})
TASKS_MAX = 15
REMIND_BEFORE = timedelta(days=7)
TASK_SYNTAX = ("mỗi nhiệm vụ «<việc> (<số hoặc tên người phụ trách>, <hạn dd/mm>)», cách nhau bằng dấu «;» "
               "hoặc xuống dòng. Ví dụ: Thu đảng phí quý I (Cường, 15/01); Vận động 5 hộ góp công làm đường "
               "(Bình, 20/01/2027)")
_TASK = re.compile(r"^(?P<what>.+?)\s*\((?P<who>[^(),]+),\s*(?P<due>[^()]+)\)\s*[.]?$")


@dataclass(frozen=True, slots=True)
class TaskTyped:
    """A task as typed: who is still a reference (number or name) for the handler to resolve."""

    what: str
    who: str
    due: date


@dataclass(frozen=True, slots=True)
class Task:
    what: str
    member_id: int
    member_name: str
    due: date


def parse_tasks(text: str, today: date) -> list[TaskTyped]:
    found = []
    for entry in split_entries(text):
        match = _TASK.match(entry)
        if match is None:
            raise UserError(f"Không hiểu «{entry[:50]}». Gõ {TASK_SYNTAX}.")
        try:
            due = parse_date(match.group("due").strip(), today, Direction.FUTURE)
        except UserError as error:
            raise UserError(f"Hạn của «{match.group('what')[:40]}»: {error}") from error
        found.append(TaskTyped(clean_text(match.group("what"), "Nhiệm vụ", 300), match.group("who").strip(), due))
    if not found:
        raise UserError(f"Gõ {TASK_SYNTAX}.")
    if len(found) > TASKS_MAX:
        raise UserError(f"Tối đa {TASKS_MAX} nhiệm vụ trong một nghị quyết.")
    return found


def reminder_due(due: date, now: datetime, tz: ZoneInfo) -> datetime | None:
    """When the member in charge is reminded: 08:00 a week before the date; at once when that has
    passed but the date has not; never once the date is past."""
    moment = meeting_rules.local_start(due - REMIND_BEFORE, meeting_rules.REMINDER_TIME, tz)
    if now.astimezone(tz).date() > due:
        return None
    return max(moment, now)


def reminder_text(task: Task, cell: str, month: str) -> str:
    return (f"Nhắc việc theo nghị quyết {cell} tháng {month}: đồng chí phụ trách «{task.what}», hạn "
            f"{task.due:%d/%m/%Y}. Hoàn thành thì đồng chí báo cáo bằng /baocao nhiemvu <việc đã làm>.")


def draft_results(month: str, reporters: int, expected: int, counts: dict[str, int],
                  earlier: list[Task]) -> str:
    """The past month's results, worded from the reports and the last resolution's tasks, for the
    secretary to keep, correct or replace."""
    total = sum(counts.values())
    kinds = [*KIND_NAMES, *sorted(set(counts) - set(KIND_NAMES))]  # in the order members choose them
    lines = [f"Tháng {month}: {reporters}/{expected} đảng viên báo cáo {total} hoạt động"
             + (": " + "; ".join(f"{KIND_NAMES.get(kind, kind).lower()} {counts[kind]}"
                                 for kind in kinds if counts.get(kind)) if total else "") + "."]
    if earlier:
        lines.append("Nhiệm vụ nghị quyết tháng trước: " + "; ".join(
            f"{task.what} (đồng chí {task.member_name}, hạn {task.due:%d/%m})" for task in earlier) + ".")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class ResolutionPaper:
    committee: str
    cell: str
    place_date: str
    title: str  # "Nghị quyết sinh hoạt chi bộ thường kỳ tháng 1/2027"
    meeting: str  # "buổi sinh hoạt chi bộ ngày 05 tháng 01 năm 2027"
    present: int
    expected: int
    results: str
    tasks: list[Task]
    vote: Vote | None
    chair: str

    def context(self) -> dict[str, object]:
        return {
            "committee": self.committee.upper(), "cell": self.cell.upper(), "place_date": self.place_date,
            "title": self.title, "meeting": self.meeting, "present": self.present, "expected": self.expected,
            "results": [line for line in self.results.split("\n") if line] or ["……………"],
            "tasks": [{"number": n, "what": t.what, "who": t.member_name, "due": f"{t.due:%d/%m/%Y}"}
                      for n, t in enumerate(self.tasks, 1)],
            "vote": (f"Tán thành {self.vote.agree}/{self.present} đồng chí có mặt; không tán thành "
                     f"{self.vote.disagree}; không biểu quyết {self.vote.abstain}.") if self.vote else "……………",
            "chair_signature": self.chair,
        }


def meeting_words(day: date) -> str:
    return f"buổi sinh hoạt chi bộ {written_date(day.day, day.month, day.year)}"
