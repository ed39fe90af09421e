"""The catalog without importing the handler modules: an index of their commands, read in a moment.

Importing every handler module (and the storage modules, SQLAlchemy dialects and libraries they
bring) took some 135 ms before a console script's first message, although three lines use two or
three commands (issue 12). What the catalog holds besides the functions (names, aliases, texts,
audiences, the flows' names and titles, which module handles bare photos) is written to an index
the first time the modules are loaded, and read from it afterwards; a module is imported when one
of its commands or flows, or its photo handler, is first run (`Deferred`).

The index is the modules' own output, not a second copy to keep by hand: it lives in the temporary
directory under a key of the sources it came from (the names, sizes and modification times of
the files of handlers/, domain/ and storage/, as Python's bytecode cache decides whether a
source changed), so that an edited command names another index, written on the next run. A
missing or unreadable index means loading every module, as before, and writing it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import json
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from handlers.context import Audience
from handlers.registry import Catalog, Command, HandlerModule, build_catalog

FORMAT = 1  # of the index's contents: a change names other files
_FIELDS = tuple(field.name for field in dataclasses.fields(Command) if field.name != "run")  # all but the function
ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("handlers", "domain", "storage")  # what a handler module's commands can be made of
PREFIX = "chibo-catalog"


class Deferred:
    """A command's or a flow's function, or the photo handler, imported from its module when first called."""

    __slots__ = ("_target", "kind", "module", "name")

    def __init__(self, module: str, kind: str, name: str = "") -> None:
        self.module = module
        self.kind = kind  # "command", "flow" or "photo"
        self.name = name
        self._target: Callable[..., Awaitable[None]] | None = None

    def resolve(self) -> Callable[..., Awaitable[None]]:
        if self._target is None:
            self._target = _function(importlib.import_module(self.module), self.kind, self.name)
        return self._target

    async def __call__(self, *args: Any) -> None:
        await self.resolve()(*args)

    def __repr__(self) -> str:
        return f"Deferred({self.module}, {self.kind}, {self.name!r})"


def _function(module: ModuleType, kind: str, name: str) -> Callable[..., Awaitable[None]]:
    if kind == "command":
        for command in getattr(module, "COMMANDS", ()):
            if command.name == name:
                run: Callable[..., Awaitable[None]] = command.run
                return run
    elif kind == "flow" and name in getattr(module, "FLOWS", {}):
        flow: Callable[..., Awaitable[None]] = module.FLOWS[name]
        return flow
    elif kind == "photo" and getattr(module, "ON_PHOTO", None) is not None:
        photo: Callable[..., Awaitable[None]] = module.ON_PHOTO
        return photo
    raise LookupError(f"{module.__name__} has no {kind} {name!r} any more: the catalog's index is stale")


# -- the index -----------------------------------------------------------------------------------------

def digest(module_names: Sequence[str]) -> str:
    """What the index depends on: the modules named, Python's version and the sources' files."""
    hashed = hashlib.sha256(f"{FORMAT}\0{sys.version}\0{ROOT}\0{','.join(module_names)}".encode())
    for folder in SOURCES:
        for path in sorted((ROOT / folder).glob("*.py")):
            found = path.stat()
            hashed.update(f"\0{folder}/{path.name}\0{found.st_size}\0{found.st_mtime_ns}".encode())
    return hashed.hexdigest()[:20]


def index_path(module_names: Sequence[str], folder: Path | None = None) -> Path:
    """Where the index of the current sources lives (one per user of the machine and checkout)."""
    place = folder or Path(tempfile.gettempdir())
    return place / f"{_family()}-{digest(module_names)}.json"


def _family() -> str:
    """The indexes' common prefix for this user and this checkout: older ones are removed by name."""
    return f"{PREFIX}-{os.getuid()}-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]}"


def describe(modules: Sequence[ModuleType]) -> dict[str, Any]:
    """The index of `modules`: every command's fields but its function, each flow's and the photo
    handler's module. The modules are checked together first (a command defined twice, say)."""
    catalog = build_catalog(modules)
    commands: list[dict[str, Any]] = []
    flows: dict[str, str] = {}
    photo: str | None = None
    for module in modules:
        for command in getattr(module, "COMMANDS", ()):
            commands.append({"module": module.__name__, **{name: getattr(command, name) for name in _FIELDS}})
        flows.update(dict.fromkeys(getattr(module, "FLOWS", {}), module.__name__))
        if getattr(module, "ON_PHOTO", None) is not None:
            photo = module.__name__
    return {"format": FORMAT, "modules": [module.__name__ for module in modules], "commands": commands,
            "flows": flows, "flow_titles": catalog.flow_titles, "photo": photo}


def from_index(index: dict[str, Any], loaded: Mapping[str, ModuleType] | None = None) -> Catalog:
    """The catalog the index describes, in the modules' order. A module already `loaded` (by default:
    imported; the router imports handlers.help) is taken as it is; the others' functions are `Deferred`."""
    loaded = sys.modules if loaded is None else loaded
    catalog = Catalog()
    for name in index["modules"]:
        module = loaded.get(name)
        catalog.add_module(module if module is not None else _standing_for(index, name))
    return catalog


def _standing_for(index: dict[str, Any], module: str) -> HandlerModule:
    """A namespace with the module's `COMMANDS`, `FLOWS`, `FLOW_TITLES` and `ON_PHOTO`, functions deferred."""
    commands = [Command(**{**{name: entry[name] for name in _FIELDS}, "audience": Audience(entry["audience"]),
                           "aliases": tuple(entry["aliases"]), "run": Deferred(module, "command", entry["name"])})
                for entry in index["commands"] if entry["module"] == module]
    flows = {name: Deferred(module, "flow", name) for name, owner in index["flows"].items() if owner == module}
    titles = {name: title for name, title in index["flow_titles"].items() if name in flows}
    photo = Deferred(module, "photo") if index["photo"] == module else None
    return SimpleNamespace(COMMANDS=commands, FLOWS=flows, FLOW_TITLES=titles, ON_PHOTO=photo)


def load(module_names: Sequence[str], *, folder: Path | None = None) -> Catalog:
    """The catalog of the modules named: from the index of the current sources when there is one,
    otherwise by importing every module (and then writing the index for the next start)."""
    path = index_path(module_names, folder)
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        index = None
    if isinstance(index, dict) and index.get("format") == FORMAT and index.get("modules") == list(module_names):
        return from_index(index)
    modules = [importlib.import_module(name) for name in module_names]
    catalog = build_catalog(modules)
    _write(path, describe(modules))
    return catalog


def _write(path: Path, index: dict[str, Any]) -> None:
    """Put the index in place at once (two processes writing at the same time both succeed, nobody reads
    half of one), and remove this checkout's older ones. An unwritable folder only costs the next start."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        partial.write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
        partial.replace(path)
        for older in path.parent.glob(f"{_family()}-*.json"):
            if older != path:
                older.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
