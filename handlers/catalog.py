"""The one list of handler modules: a new conversation is one module and one line here."""

from __future__ import annotations

from handlers import help, joining, profile
from handlers.registry import Catalog, build_catalog

MODULES = (help, joining, profile)


def default_catalog() -> Catalog:
    return build_catalog(MODULES)
