"""Conversation transcripts: run them (`chibo chat --script`) and check them (the end-to-end tests).

A script has lines `NAME: text` (console user NAME says text), `# time: YYYY-MM-DD HH:MM`
(the simulated local clock moves and everything due is delivered), blank lines and other `#`
lines. The output echoes each input line, then every message the bot sends, rendered by
the console channel. A transcript to check also holds the expected output lines
(`bot -> …` and indented lines) after each input; in them `{{name}}` captures one word
(a code, say) that later input lines may use as `{{name}}`, and `{{…}}` matches anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.app import Chibo
from bot.channels.console import ConsoleChannel
from bot.clock import ManualClock

_TIME = re.compile(r"^#\s*time:\s*(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})\s*$")
_INPUT = re.compile(r"^([\w.-]+):(?: (.*)|)$")
_PLACEHOLDER = re.compile(r"\{\{(\w+|…|\.\.\.)\}\}")


@dataclass
class Step:
    """One input line of a script and the output lines expected after it."""

    line_no: int
    kind: str  # "say" or "time"
    text: str
    user: str = ""
    expected: list[str] = field(default_factory=list)


def parse(lines: Iterable[str]) -> list[Step]:
    steps: list[Step] = []
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if line.startswith("bot -> ") or (line.startswith("  ") and line.strip() and steps):
            if steps:
                steps[-1].expected.append(line)
            continue
        if not line.strip():
            continue
        if _TIME.match(line):
            steps.append(Step(number, "time", line.strip()))
            continue
        if line.startswith("#"):
            continue
        match = _INPUT.match(line)
        if match is None:
            raise ValueError(f"line {number}: expected 'NAME: text', '# time: YYYY-MM-DD HH:MM' or a comment")
        steps.append(Step(number, "say", match.group(2) or "", user=match.group(1)))
    return steps


class Runner:
    """Feeds script steps to a bot whose console channel writes into a list."""

    def __init__(self, app: Chibo, clock: ManualClock, tz: ZoneInfo) -> None:
        self.app = app
        self.clock = clock
        self.tz = tz
        self.output: list[str] = []
        self.console = ConsoleChannel(write=self.output.append)
        app.add_channel(self.console)

    async def step(self, step: Step, variables: dict[str, str] | None = None) -> list[str]:
        start = len(self.output)
        if step.kind == "time":
            match = _TIME.match(step.text)
            assert match is not None
            local = datetime.fromisoformat(f"{match.group(1)} {match.group(2)}").replace(tzinfo=self.tz)
            self.output.append(step.text)
            self.clock.set(local)
            await self.app.tick()
        else:
            text = substitute(step.text, variables or {})
            self.output.append(f"{step.user}: {text}".rstrip())
            await self.app.handle(self.console.incoming(step.user, text))
        return self.output[start:]

    async def run(self, steps: list[Step]) -> list[str]:
        for step in steps:
            await self.step(step)
        return self.output

    async def check(self, steps: list[Step], variables: dict[str, str] | None = None) -> list[str]:
        """Run and compare with the expected lines; returns the differences (empty: passed)."""
        variables = dict(variables or {})
        problems: list[str] = []
        for step in steps:
            got = [line for line in (await self.step(step, variables))[1:] if line.strip()]
            if not _matches(step.expected, got, variables):
                said = step.text if step.kind == "time" else f"{step.user}: {step.text}"
                problems.append(
                    f"after line {step.line_no} ({said}):\n"
                    "  expected:\n" + "\n".join(f"    |{line}" for line in step.expected)
                    + "\n  got:\n" + "\n".join(f"    |{line}" for line in got)
                )
                break
        return problems


def substitute(text: str, variables: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: variables.get(m.group(1), m.group(0)), text)


def _matches(expected: list[str], got: list[str], variables: dict[str, str]) -> bool:
    if len(expected) != len(got):
        return False
    captured: dict[str, str] = {}
    for want, have in zip(expected, got, strict=True):
        pattern = _line_pattern(want, {**variables, **captured})
        match = re.fullmatch(pattern, have)
        if match is None:
            return False
        captured.update({k.removeprefix("v_"): v for k, v in match.groupdict().items() if v is not None})
    variables.update(captured)
    return True


def _line_pattern(line: str, variables: dict[str, str]) -> str:
    pattern, last, seen = "", 0, set()
    for match in _PLACEHOLDER.finditer(line):
        pattern += re.escape(line[last:match.start()])
        name = match.group(1)
        if name == "…" or name == "...":
            pattern += ".*"
        elif name in variables:
            pattern += re.escape(variables[name])
        elif name in seen:
            pattern += f"(?P=v_{name})"
        else:
            seen.add(name)
            pattern += f"(?P<v_{name}>\\S+)"
        last = match.end()
    return pattern + re.escape(line[last:])
