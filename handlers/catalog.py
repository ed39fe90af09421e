"""The one list of handler modules: a new conversation is one module and one line here."""

from __future__ import annotations

from handlers import (
    attendance,
    candidates,
    documents,
    dues,
    export,
    help,
    joining,
    meetings,
    messengers,
    mine,
    minutes,
    probation,
    profile,
    ratings,
    reports,
    resolution,
    roster,
    self_assessment,
    summary,
)
from handlers.registry import Catalog, build_catalog

MODULES = (help, joining, profile, messengers, reports, mine, self_assessment, ratings, summary, export,
           meetings, attendance, documents, minutes, resolution, roster, dues, candidates, probation)


def default_catalog() -> Catalog:
    return build_catalog(MODULES)
