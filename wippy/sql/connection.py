"""Opening one SQLite connection with the runtime's settings and guards.

Settings: WAL, synchronous=NORMAL (crash-safe;
the last commits can be lost on power failure, `options.synchronous: FULL`
keeps them), busy_timeout=5000 ms, foreign_keys=ON.

Guards: an authorizer refuses ATTACH/DETACH (which also
covers `VACUUM` and `VACUUM INTO`, they attach internally) and every PRAGMA
outside a read-mostly allowlist; a progress handler aborts a statement that
runs past the caller's deadline. DDL stays allowed: the tutorial's migration
creates its table through `db:execute`.
"""
from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass
from . import values  # noqa: F401  (registers the declared-type converters)

MEMORY = ":memory:"
# Appended to the runtime's own statements so that a handler typing the same
# text never reuses their cached (pre-authorised) compiled statement.
_INTERNAL_MARK = f" /* wippy-{secrets.token_hex(8)} */"
PROGRESS_STEPS = 4000  # VM instructions between deadline checks

# PRAGMAs a handler may use. Schema/check pragmas take any argument
# (`table_info(t)`); value pragmas may only be read, except those in _PRAGMA_SET.
_PRAGMA_SCHEMA = frozenset({
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
    "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check",
})
_PRAGMA_READ = frozenset({
    "user_version", "application_id", "schema_version", "data_version", "page_count",
    "page_size", "freelist_count", "journal_mode", "synchronous", "foreign_keys",
    "busy_timeout", "compile_options", "collation_list", "function_list", "pragma_list",
    "database_list", "encoding", "auto_vacuum",
})
_PRAGMA_SET = frozenset({"user_version", "application_id", "foreign_keys",
                         "defer_foreign_keys", "recursive_triggers", "optimize"})
# Settable PRAGMAs that change the connection itself (not the file), for good.
_PRAGMA_CONNECTION = frozenset({"foreign_keys", "recursive_triggers"})


@dataclass(frozen=True)
class Settings:
    """Per-database connection settings (decoded from the entry's `options`)."""
    synchronous: str = "NORMAL"
    busy_timeout_ms: int = 5000
    readers: int = 2
    max_rows: int = 100_000
    max_lifetime: float = 3600.0


class Guard:
    """Per-connection deadline for the progress handler, set by the owning thread."""
    __slots__ = ("deadline", "internal", "settings_changed")

    def __init__(self) -> None:
        self.deadline: float | None = None
        self.internal = False   # True while the runtime runs its own PRAGMAs
        # A handler set foreign_keys/recursive_triggers on this connection: another
        # connection would now behave differently (the loop fast path stops, fastpath.py).
        self.settings_changed = False

    def progress(self) -> int:
        deadline = self.deadline
        if deadline is not None and time.monotonic() > deadline:
            return 1  # non-zero aborts the statement with SQLITE_INTERRUPT
        return 0

    def authorize(self, action: int, arg1, arg2, _db, _trigger) -> int:
        if self.internal:
            return sqlite3.SQLITE_OK
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            if name in _PRAGMA_SCHEMA or name in _PRAGMA_SET or (
                    arg2 is None and name in _PRAGMA_READ):
                if arg2 is not None and name in _PRAGMA_CONNECTION:
                    self.settings_changed = True
                return sqlite3.SQLITE_OK
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK


def open_connection(path: str, settings: Settings, *, reader: bool = False,
                    wal: bool = True) -> tuple[sqlite3.Connection, Guard]:
    """Open and configure one connection. Raises sqlite3.Error on failure.

    `path` is an absolute file path or ":memory:". Readers are query_only:
    a write routed to them by mistake fails instead of taking a lock.
    """
    conn = sqlite3.connect(
        path, timeout=settings.busy_timeout_ms / 1000, isolation_level=None,
        check_same_thread=False, detect_types=sqlite3.PARSE_DECLTYPES,
        cached_statements=256)
    guard = Guard()
    try:
        pragmas = [f"PRAGMA busy_timeout = {int(settings.busy_timeout_ms)}",
                   "PRAGMA foreign_keys = ON"]
        if path != MEMORY:
            # Reading sqlite_master fails at once on a file that is not a database.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if wal and not reader:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise sqlite3.OperationalError(f"cannot switch to WAL (journal_mode={mode})")
                # On a new file, switching to WAL writes the header and then leaves this
                # connection outside the WAL: no -wal/-shm open, no SHARED lock on the
                # file. A connection that closes while it believes it is the last one
                # checkpoints and deletes the WAL; with this one invisible, two closing
                # connections could race for that and leave the final TRUNCATE checkpoint
                # waiting out busy_timeout (docs/kinds/sql.md, "Stopping"). Reading once
                # more joins the WAL, so this connection counts until it closes.
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            pragmas.append(f"PRAGMA synchronous = {settings.synchronous}")
        if reader:
            pragmas.append("PRAGMA query_only = ON")
        for pragma in pragmas:
            conn.execute(pragma)
        conn.set_authorizer(guard.authorize)
        conn.set_progress_handler(guard.progress, PROGRESS_STEPS)
    except BaseException:
        conn.close()
        raise
    return conn, guard


def run_internal(conn: sqlite3.Connection, guard: Guard, sql: str) -> list:
    """Run one of the runtime's own statements past the authorizer."""
    guard.internal = True
    try:
        return conn.execute(sql + _INTERNAL_MARK).fetchall()
    finally:
        guard.internal = False

