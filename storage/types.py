"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Table
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp on every database.

    SQLite drops time zones and hands back naive values; this type refuses naive input
    (a naive time is a bug: whose clock was it?) and always returns aware UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"aware datetime required, got {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw text from SQLite in some code paths
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, typed (`Model.__table__` is not, for mypy): Core
    statements over it skip the ORM on paths that run for every message."""
    found = getattr(model, "__table__", None)
    if not isinstance(found, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return found


def id_of(row: SQLModel) -> int:
    """The primary key of a row that is in the database (added and flushed): the models declare
    `id: int | None` because a new row has none yet; once stored it always has one."""
    value = getattr(row, "id", None)
    if value is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return int(value)


def stored_id(value: int | None) -> int:
    """A key read back from the database (`select(Model.id)`, or a foreign key that the query
    guarantees is set): typed `int | None` like the model's field, but never None there."""
    if value is None:
        raise ValueError("a stored row has no id: the query let through a row it should not")
    return int(value)


def inserted_id(result: CursorResult[*tuple[Any, ...]]) -> int:
    """The primary key of the row a one-row Core INSERT just made (SQLAlchemy types
    `inserted_primary_key` as Optional: other statements have none)."""
    key = result.inserted_primary_key
    if key is None:
        raise ValueError("not the result of a one-row INSERT")
    return int(key[0])
