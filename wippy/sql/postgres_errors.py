"""PostgreSQL errors in Wippy's vocabulary (docs/kinds/sql.md, "Errors"): the one place
an asyncpg or socket exception becomes a WippyError for the `db.sql.postgres` driver.

Unique violation -> AlreadyExists; connection loss, server shutdown, serialization failure,
deadlock, too many connections -> Unavailable (retryable); the caller's deadline cancels the
statement on the server -> Timeout."""
from __future__ import annotations

import asyncio

import asyncpg

from ..errors import (ALREADY_EXISTS, CONFLICT, INTERNAL, INVALID, PERMISSION_DENIED, TIMEOUT,
                      UNAVAILABLE, WippyError)

# SQLSTATEs a retry can cure (connection class 08 is matched by prefix).
_RETRYABLE = {"40001", "40P01", "57P01", "57P02", "57P03", "53300", "53000"}


def translate(exc: BaseException, op: str = "query") -> WippyError:
    """Any exception raised while talking to PostgreSQL -> WippyError."""
    if isinstance(exc, WippyError):
        return exc
    if isinstance(exc, asyncio.TimeoutError):
        return WippyError(f"{op}: the statement ran past the caller's deadline and was "
                          f"cancelled", TIMEOUT, retryable=True)
    # InternalClientError: asyncpg's protocol state broken by a connection cut mid-operation
    # (seen when the server shuts down under load); the pool drops that connection.
    if isinstance(exc, (asyncpg.exceptions.ConnectionDoesNotExistError,
                        asyncpg.exceptions.InterfaceError, asyncpg.exceptions.InternalClientError,
                        ConnectionError, OSError)):
        return WippyError(f"{op}: connection to PostgreSQL lost: {exc}", UNAVAILABLE,
                          retryable=True)
    if isinstance(exc, asyncpg.PostgresError):
        state = getattr(exc, "sqlstate", "") or ""
        # The server's one-line primary message, as lib/pq's Error() gives it; str(exc) would
        # append DETAIL/HINT lines, which go to details instead.
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        details = {"op": op, "sqlstate": state}
        if getattr(exc, "detail", None):
            details["detail"] = exc.detail
        if state.startswith("08") or state in _RETRYABLE:
            return WippyError(message, UNAVAILABLE, retryable=True, details=details)
        if state == "23505":
            return WippyError(message, ALREADY_EXISTS, retryable=False, details=details)
        if state.startswith("23"):
            return WippyError(message, CONFLICT, retryable=False, details=details)
        if state == "57014":   # query_canceled: our deadline, or statement_timeout
            return WippyError(message, TIMEOUT, retryable=True, details=details)
        # 25006: a write in a read-only transaction, PermissionDenied as on SQLite.
        if state in ("42501", "25006") or state.startswith("28"):
            return WippyError(message, PERMISSION_DENIED, retryable=False, details=details)
        if state.startswith("XX"):
            return WippyError(message, INTERNAL, retryable=False, details=details)
        return WippyError(message, INVALID, retryable=False, details=details)
    if isinstance(exc, (TypeError, ValueError, asyncpg.exceptions.DataError)):
        return WippyError(f"{op}: {exc}", INVALID, retryable=False)
    return WippyError(f"{op}: internal error ({type(exc).__name__}: {exc})", INTERNAL)
