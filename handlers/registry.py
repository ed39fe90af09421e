"""Commands and conversation flows, collected from the handler modules into one catalog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType, SimpleNamespace

from domain.text import fold
from handlers.context import Audience, Ctx

CommandRun = Callable[[Ctx, str], Awaitable[None]]
FlowRun = Callable[[Ctx, str], Awaitable[None]]
PhotoRun = Callable[[Ctx], Awaitable[None]]  # a photo with no command and no conversation pending
# A handler module, or a namespace standing for one (tests and benchmarks build their own commands).
HandlerModule = ModuleType | SimpleNamespace


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command. `run(ctx, args)` gets the text after the command word."""

    name: str
    summary: str  # one Vietnamese line for /trogiup
    run: CommandRun
    audience: Audience = Audience.ANYONE
    private: bool = False  # touches personal data: refused in group chats
    aliases: tuple[str, ...] = ()
    usage: str = ""
    menu: bool = True  # listed in /trogiup and the Telegram command menu
    details: str = ""  # `/trogiup <lệnh>`: how to use it, with an example, in Vietnamese
    for_exempt: bool = True  # False: meeting commands an exempt member (miễn sinh hoạt) has no use for


@dataclass(slots=True)
class Catalog:
    commands: dict[str, Command] = field(default_factory=dict)
    flows: dict[str, FlowRun] = field(default_factory=dict)
    order: list[Command] = field(default_factory=list)
    on_photo: PhotoRun | None = None
    flow_titles: dict[str, str] = field(default_factory=dict)  # flow -> what it is, "tự đánh giá"

    def add_module(self, module: HandlerModule) -> None:
        """Take a module's `COMMANDS` (a list), `FLOWS` (a dict name -> function), `FLOW_TITLES`
        (a dict name -> Vietnamese words for it, said when a command abandons it) and `ON_PHOTO`."""
        for command in getattr(module, "COMMANDS", ()):
            for key in (command.name, *command.aliases):
                key = fold(key)
                if key in self.commands:
                    raise ValueError(f"command /{key} defined twice")
                self.commands[key] = command
            self.order.append(command)
        photo = getattr(module, "ON_PHOTO", None)
        if photo is not None:
            if self.on_photo is not None:
                raise ValueError("two modules handle bare photos")
            self.on_photo = photo
        self.flow_titles.update(getattr(module, "FLOW_TITLES", {}))
        for name, run in getattr(module, "FLOWS", {}).items():
            if name in self.flows:
                raise ValueError(f"flow {name} defined twice")
            self.flows[name] = run

    def find(self, word: str) -> Command | None:
        return self.commands.get(command_key(word))


def command_key(word: str) -> str:
    """How a typed command word is looked up: any case, with or without diacritics, "_" and spaces."""
    return fold(word).replace("_", "").replace(" ", "")


def build_catalog(modules: Iterable[HandlerModule]) -> Catalog:
    catalog = Catalog()
    for module in modules:
        catalog.add_module(module)
    return catalog
