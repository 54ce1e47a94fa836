"""SQLite exceptions -> WippyError, with Wippy's kinds and a retryable flag.

The message is the driver's own text (`no such table: tasks`), as in Go
Wippy where `tostring(err)` gives the driver message. Transient conditions
(busy/locked, disk full, I/O error) are `Unavailable` and retryable, so a
queue consumer nacks and retries instead of dead-lettering the message.
"""
from __future__ import annotations

import sqlite3

from ..errors import (ALREADY_EXISTS, CONFLICT, INTERNAL, INVALID, PERMISSION_DENIED,
                      TIMEOUT, UNAVAILABLE, WippyError)

# Primary result codes (the low byte of the extended code).
_BUSY, _LOCKED, _NOMEM, _READONLY, _INTERRUPT, _IOERR = 5, 6, 7, 8, 9, 10
_CORRUPT, _FULL, _CANTOPEN, _PROTOCOL, _CONSTRAINT, _AUTH, _NOTADB = 11, 13, 14, 15, 19, 23, 26
_CONSTRAINT_PRIMARYKEY, _CONSTRAINT_UNIQUE = 1555, 2067

_TRANSIENT = {_BUSY, _LOCKED, _NOMEM, _IOERR, _FULL, _CANTOPEN, _PROTOCOL}

# Messages of errors raised by this package itself.
TX_NOT_ACTIVE = "transaction is not active"
DB_CLOSED = "database is closed"
QUERY_REQUIRED = "query is required"


def closed_error() -> WippyError:
    return WippyError(DB_CLOSED, UNAVAILABLE, retryable=True)


def tx_not_active() -> WippyError:
    return WippyError(TX_NOT_ACTIVE, INVALID, retryable=False)


def translate(exc: BaseException, op: str = "query") -> WippyError:
    """Map any exception raised while running SQL to a WippyError."""
    if isinstance(exc, WippyError):
        return exc
    if isinstance(exc, sqlite3.Error):
        return _from_sqlite(exc, op)
    if isinstance(exc, OverflowError):
        return WippyError(f"{op}: integer parameter out of range (SQLite integers are 64-bit)",
                          INVALID, retryable=False)
    if isinstance(exc, UnicodeError):
        return WippyError(f"{op}: text is not valid UTF-8 ({exc.reason})", INVALID,
                          retryable=False)
    if isinstance(exc, (TypeError, ValueError)):
        return WippyError(f"{op}: {exc}", INVALID, retryable=False)
    return WippyError(f"{op}: internal error ({type(exc).__name__})", INTERNAL)


def _from_sqlite(exc: sqlite3.Error, op: str) -> WippyError:
    message = str(exc) or type(exc).__name__
    code = getattr(exc, "sqlite_errorcode", None)
    details = {"op": op}
    if code is not None:
        details["sqlite_code"] = code & 0xFF
        details["sqlite_extended_code"] = code
    if isinstance(exc, sqlite3.ProgrammingError) or code is None:
        # Misuse caught by the Python driver: wrong binding count, two statements...
        return WippyError(message, INVALID, retryable=False, details=details)
    primary = code & 0xFF
    if primary in _TRANSIENT:
        return WippyError(message, UNAVAILABLE, retryable=True, details=details)
    if primary == _INTERRUPT:
        return WippyError(f"{message}: the statement ran past the caller's deadline",
                          TIMEOUT, retryable=True, details=details)
    if primary == _CONSTRAINT:
        kind = ALREADY_EXISTS if code in (_CONSTRAINT_PRIMARYKEY, _CONSTRAINT_UNIQUE) else CONFLICT
        return WippyError(message, kind, retryable=False, details=details)
    if primary in (_READONLY, _AUTH):
        return WippyError(message, PERMISSION_DENIED, retryable=False, details=details)
    if primary in (_CORRUPT, _NOTADB):
        return WippyError(message, INTERNAL, retryable=False, details=details)
    # SQLITE_ERROR and friends: syntax errors, unknown tables/columns, type mismatch.
    return WippyError(message, INVALID, retryable=False, details=details)
