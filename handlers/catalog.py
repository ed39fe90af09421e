"""The one list of handler modules: a new conversation is one module and one line here.

The modules are named, not imported: `default_catalog()` reads what it needs from an index of
them and imports a module when one of its commands first runs (handlers/catalog_index.py; a
console script starts without loading every feature, issue 12). `full_catalog()` and `MODULES`
load them all.
"""

from __future__ import annotations

import importlib
from typing import Any

from handlers import catalog_index
from handlers.registry import Catalog, build_catalog

MODULE_NAMES = tuple(f"handlers.{name}" for name in (
    "help", "joining", "profile", "messengers", "reports", "mine", "self_assessment", "ratings", "summary", "export",
    "meetings", "attendance", "documents", "minutes", "resolution", "roster", "dues", "candidates", "probation",
))


def __getattr__(name: str) -> Any:
    """`MODULES`, the handler modules themselves (tests build catalogs from them), imported when asked for."""
    if name == "MODULES":
        return tuple(importlib.import_module(module) for module in MODULE_NAMES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_catalog() -> Catalog:
    """The catalog the bot runs with: every command, each module imported when first used."""
    return catalog_index.load(MODULE_NAMES)


def full_catalog() -> Catalog:
    """The catalog with every module imported now."""
    return build_catalog(__getattr__("MODULES"))
