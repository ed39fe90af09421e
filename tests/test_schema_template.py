"""`chibo chat --script`'s fresh database is a copy of a template the migrations built (issue 12).

The copy must be the schema the migrations give, the template built once per set of migrations,
and a changed migration must never be served an old template.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from bot import schema_template
from storage.migrate import upgrade


def _schema(path: Path) -> tuple[list[tuple[str, str, list[str]]], list[str]]:
    """Tables, indexes and the Alembic version. A table's clauses are compared as a set: the
    migrations' batch mode (a table rebuilt on SQLite) writes its constraints in no fixed order,
    so two runs of the same migrations differ in that order alone."""
    with sqlite3.connect(path) as connection:
        objects = [(kind, name, sorted(line.strip().rstrip(",") for line in (sql or "").splitlines()))
                   for kind, name, sql in connection.execute(
                       "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")]
        versions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
    connection.close()
    return objects, sorted(versions)


def test_the_copy_is_what_the_migrations_build(tmp_path: Path) -> None:
    url = schema_template.fresh_database(tmp_path / "copy.db", folder=tmp_path)
    assert url == f"sqlite+aiosqlite:///{tmp_path / 'copy.db'}"
    upgrade(f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}")
    copied, migrated = _schema(tmp_path / "copy.db"), _schema(tmp_path / "migrated.db")
    assert copied == migrated and copied[1] and len(copied[0]) > 20


def test_the_template_is_built_once_and_copies_are_independent(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    schema_template.fresh_database(tmp_path / "one.db", folder=tmp_path)
    with sqlite3.connect(tmp_path / "one.db") as connection:
        connection.execute("CREATE TABLE scribble (x INTEGER)")
    connection.close()

    def no_migrations(url: str, revision: str = "head") -> None:
        raise AssertionError("the template should have been reused")

    monkeypatch.setattr("storage.migrate.upgrade", no_migrations)
    schema_template.fresh_database(tmp_path / "two.db", folder=tmp_path)
    assert "scribble" not in str(_schema(tmp_path / "two.db")[0])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("chibo-schema-")] == \
        [schema_template.template_path(tmp_path).name]


def test_a_changed_migration_names_another_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(schema_template.MIGRATIONS, copy)
    monkeypatch.setattr(schema_template, "MIGRATIONS", copy)
    before = schema_template.template_path(tmp_path)
    newest = sorted(copy.glob("versions/*.py"))[-1]
    newest.write_text(newest.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    changed = schema_template.template_path(tmp_path)
    (copy / "versions" / "0099_more.py").write_text("# another\n", encoding="utf-8")
    assert len({before, changed, schema_template.template_path(tmp_path)}) == 3
