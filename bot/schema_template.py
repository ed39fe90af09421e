"""A new, migrated SQLite database in a moment: the copy of a template the migrations built once.

`chibo chat --script` without --database runs on a fresh SQLite file. Migrating it took most of
the command's time (importing Alembic and running every migration: some 0.4 s of 1.2 s, issue 12),
for the same empty schema every time. The template is that schema, built by the migrations
themselves (storage/migrate.py: one source of truth) and kept in the temporary directory under a
digest of the migration scripts: a changed or added migration names another template, built on
the next run. Copying it (SQLite's backup API: a consistent copy, WAL or not) is a few ms.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent.parent / "storage" / "migrations"


def digest() -> str:
    """What the migrations would build: their scripts' names and contents (the environment's too)."""
    hashed = hashlib.sha256()
    for path in sorted([MIGRATIONS / "env.py", *MIGRATIONS.glob("versions/*.py")]):
        hashed.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return hashed.hexdigest()[:20]


def template_path(folder: Path | None = None) -> Path:
    """Where the template of the current migrations lives (one per user of the machine)."""
    place = folder or Path(tempfile.gettempdir())
    return place / f"chibo-schema-{os.getuid()}-{digest()}.db"


def fresh_database(target: Path, *, folder: Path | None = None) -> str:
    """Make `target` a new database at the newest schema; returns its URL (for `Settings.database_url`)."""
    template = template_path(folder)
    if not template.exists():
        _build(template)
    with sqlite3.connect(template) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    copy.close()
    return f"sqlite+aiosqlite:///{target}"


def _build(template: Path) -> None:
    """Run the migrations on a file of this process's own, then put it in place at once: two
    processes building at the same time both succeed, and nobody copies half a template."""
    from storage.migrate import upgrade

    partial = template.with_name(f"{template.stem}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    try:
        upgrade(f"sqlite+aiosqlite:///{partial}")
        with sqlite3.connect(partial) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        connection.close()
        partial.replace(template)
    finally:
        for leftover in (partial, partial.with_name(partial.name + ".migrate-lock"),
                         partial.with_name(partial.name + "-wal"), partial.with_name(partial.name + "-shm")):
            leftover.unlink(missing_ok=True)
