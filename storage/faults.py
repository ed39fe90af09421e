"""Which database failures pass by themselves: the one rule for "retry, do not answer".

A transient fault (the connection lost, the server restarting, a serialization failure or a
deadlock, SQLite's "database is locked", a full disk) says nothing about the message being
handled: the same message succeeds once the database is back. The update stays in the inbox
and is retried; its sender is told nothing until it is handled. Anything else raised while
handling is a bug of ours (or a message no code path expects): that is logged and answered.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sa_exc

# PostgreSQL SQLSTATE classes and codes that clear up by themselves (Appendix A of its manual):
# 08 connection exception, 53 insufficient resources (53100 disk full), 57P operator intervention
# (admin shutdown, crash shutdown, cannot connect now), 58 system error (I/O), 40001 serialization
# failure, 40P01 deadlock, 55P03 lock not available, 25006 read-only transaction (a failover).
_CLASSES = ("08", "53", "57P", "58")
_CODES = frozenset({"40001", "40P01", "55P03", "25006"})
# SQLite reports these as OperationalError with a message and no code we can rely on.
_SQLITE_MESSAGES = ("locked", "busy", "disk", "full", "i/o", "unable to open")


def is_transient(error: BaseException) -> bool:
    """Whether `error`, or what caused it, is a database fault that retrying can outlive."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _transient_here(current):
            return True
        origin = getattr(current, "orig", None)
        current = origin if isinstance(origin, BaseException) else (current.__cause__ or current.__context__)
    return False


def _transient_here(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):  # the pool: no connection in time
        return True
    if isinstance(error, ConnectionError | TimeoutError) or type(error).__name__ in _CONNECTION_ERRORS:
        return True
    if isinstance(error, OSError) and not isinstance(error, FileNotFoundError | PermissionError):
        return True
    code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if isinstance(code, str) and (code in _CODES or code.startswith(_CLASSES)):
        return True
    if isinstance(error, sqlite3.OperationalError):
        message = str(error).lower()
        return any(word in message for word in _SQLITE_MESSAGES)
    return False


# asyncpg's errors for a connection that is gone or never came (by name: asyncpg is optional).
_CONNECTION_ERRORS = frozenset({
    "ConnectionDoesNotExistError", "InterfaceError", "PostgresConnectionError", "ConnectionFailureError",
    "CannotConnectNowError",
})
