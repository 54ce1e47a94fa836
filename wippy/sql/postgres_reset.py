"""Which pool connections may skip asyncpg's reset on release (docs/kinds/sql.md).

asyncpg resets a connection on every release (`SELECT pg_advisory_unlock_all(); CLOSE ALL;
UNLISTEN *; RESET ALL`): one more round trip per statement, as costly as the statement.
A connection whose only use was one INSERT, UPDATE or DELETE outside a transaction has
nothing to reset: a SET, LISTEN, cursor or session advisory lock needs a statement of its
own kind, or a function called from a SELECT. So such a release skips the reset; any other
use (a SELECT, anything in a transaction, a failed or cancelled statement) is reset as
before. (A trigger that changes session state would escape this; Go Wippy, on
database/sql, never resets a pooled session at all.)
"""
from __future__ import annotations

import re

_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)
_WRITES = ("INSERT", "UPDATE", "DELETE")


def plain_write(sql: str, extended: bool) -> bool:
    """True for one INSERT/UPDATE/DELETE statement. `extended`: asyncpg sends it with the
    extended protocol (parameters, or a fetch), which carries exactly one statement; the
    simple protocol (execute without parameters) takes several, so there a `;` inside
    counts as a second statement (a `;` in a literal only costs the reset)."""
    rest = sql[_LEADING.match(sql).end():]
    word = rest[:6].upper()
    if word not in _WRITES or (len(rest) > 6 and (rest[6].isalnum() or rest[6] == "_")):
        return False
    return extended or ";" not in rest.rstrip().rstrip(";")
