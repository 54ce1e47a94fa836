"""`wippy queue stats` and `wippy queue replay`: the queue files of the project's
`queue.driver.sqlite` entries, read and changed directly with SQLite.

Both work whether `wippy run` is running or not: SQLite's write lock makes a
replay one atomic step next to a running driver, which sees the replayed
messages at its next poll (`poll_interval`).
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from dataclasses import dataclass
from typing import Any

from ..registry.config import decode
from ..registry.entry import Entry

DRIVER_KIND = "queue.driver.sqlite"
BUSY_TIMEOUT = 10.0   # seconds to wait for a running driver's write lock

STATS = ("SELECT sum(visible_at <= :now), sum(lease_owner IS NULL AND visible_at > :now),"
         " sum(lease_owner IS NOT NULL AND visible_at > :now)"
         " FROM wippy_queue_message WHERE queue = :q")
DEAD = ("SELECT count(*) FROM wippy_queue_message"
        " WHERE queue = :dlq AND json_extract(headers, '$.original_queue') = :origin")
# Rows of the dead-letter queue nobody holds a live lease on, oldest first; the msg_id
# parameter narrows it to one message (NULL: every message).
REPLAYABLE = ("SELECT id, headers FROM wippy_queue_message WHERE queue = ?"
              " AND (lease_owner IS NULL OR visible_at <= ?) AND msg_id = coalesce(?, msg_id)"
              " ORDER BY id LIMIT ?")
MOVE = ("UPDATE wippy_queue_message SET queue = ?, headers = ?, attempts = 0, last_error = NULL,"
        " deliveries = 0, lease_owner = NULL, enqueued_at = ?, visible_at = ? WHERE id = ?")
REPLAY_HEADERS = ("attempts", "last_error", "original_queue")   # what dead-lettering added


@dataclass
class QueueRef:
    id: str          # the queue.queue entry
    name: str        # its name in the driver (queue_name or the entry name)
    driver: str
    file: str        # the driver's queue file
    dead_letter: str | None


def add_parser(sub: Any, registry_flags: Any, global_flags: Any) -> None:
    """`sub` makes a subcommand parser; the flag adders are the ones cli/__init__.py's commands use."""
    p = sub("queue", "inspect and replay queue.driver.sqlite queues (running or not)")
    cmds = p.add_subparsers(dest="queue_command", metavar="SUBCOMMAND")
    cmds.required = True
    p = cmds.add_parser("stats", help="ready, delayed, in flight and dead messages per queue")
    global_flags(p)
    registry_flags(p)
    p.add_argument("--json", action="store_true", help="JSON output")
    p = cmds.add_parser("replay", help="move dead-lettered messages back to be processed")
    global_flags(p)
    registry_flags(p)
    p.add_argument("dead_queue", metavar="DEAD_QUEUE", help="the dead-letter queue.queue id")
    p.add_argument("--to", metavar="QUEUE", help="target queue.queue id (default: each "
                   "message's original_queue header)")
    p.add_argument("--limit", type=int, default=0, metavar="N", help="at most N (default all)")


def sqlite_queues(entries: list[Entry]) -> dict[str, QueueRef]:
    """Every queue.queue entry on a queue.driver.sqlite driver, by entry id."""
    from ..kinds.queue import QueueKind, SqliteDriverKind
    from ..kinds.sql import SQLiteKind
    databases = {e.id: str(decode(e, SQLiteKind.config)[0].file)
                 for e in entries if e.kind == "db.sql.sqlite"}
    files = {}
    for e in entries:
        if e.kind == DRIVER_KIND:
            cfg, _ = decode(e, SqliteDriverKind.config)
            # `database:` mode keeps the queue table in that database's file.
            files[e.id] = databases.get(cfg.database, "") if cfg.database else str(cfg.file)
    out = {}
    for e in entries:
        if e.kind != "queue.queue":
            continue
        cfg, _ = decode(e, QueueKind.config)
        if cfg.driver in files:
            out[e.id] = QueueRef(e.id, cfg.queue_name or e.name, cfg.driver, files[cfg.driver],
                                 cfg.dead_letter.queue if cfg.dead_letter else None)
    return out


def connect(file: str) -> sqlite3.Connection:
    """An existing queue file, opened read-write (`wippy queue` and the ops page)."""
    try:   # mode=rw: never create an empty file where the driver's should be
        conn = sqlite3.connect(f"file:{file}?mode=rw", uri=True, isolation_level=None,
                               timeout=BUSY_TIMEOUT)
    except sqlite3.Error as exc:
        raise ValueError(f"{file}: {exc} (run from the project directory; the file exists "
                         "once the driver has started)") from None
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
    return conn


def stats(queues: dict[str, QueueRef]) -> list[dict[str, Any]]:
    now = int(time.time() * 1000)
    rows = []
    conns: dict[str, sqlite3.Connection | None] = {}
    try:
        for ref in queues.values():
            if ref.file not in conns:
                try:
                    conns[ref.file] = connect(ref.file)
                    conns[ref.file].execute("SELECT 1 FROM wippy_queue_message LIMIT 1")
                except (ValueError, sqlite3.Error):
                    conns[ref.file] = None   # not created yet (never run): all zero
            conn = conns[ref.file]
            row = {"queue": ref.id, "file": ref.file, "ready": 0, "delayed": 0,
                   "in_flight": 0, "dead": 0}
            if conn is not None:
                ready, delayed, in_flight = conn.execute(STATS, {"now": now, "q": ref.name}).fetchone()
                row.update(ready=ready or 0, delayed=delayed or 0, in_flight=in_flight or 0)
                dlq = queues.get(ref.dead_letter or "")
                if dlq is not None and dlq.file == ref.file:
                    row["dead"] = conn.execute(DEAD, {"dlq": dlq.name, "origin": ref.id}).fetchone()[0]
            rows.append(row)
    finally:
        for conn in conns.values():
            if conn is not None:
                conn.close()
    return rows


def replay(queues: dict[str, QueueRef], dead_queue: str, to: str | None, limit: int,
           message_id: str | None = None) -> dict:
    """Move up to `limit` (0 = all) messages, or only the one with `message_id` (the ops
    page's per-message action); returns {target queue id: count}."""
    source = _known(queues, dead_queue, "DEAD_QUEUE")
    target = _known(queues, to, "--to") if to else None
    if target is not None and target.file != source.file:
        raise ValueError(f"{to} is in {target.file}, {dead_queue} in {source.file}: "
                         "replay moves messages within one queue file")
    conn = connect(source.file)
    moved: dict[str, int] = {}
    try:
        conn.execute("BEGIN IMMEDIATE")
        now = int(time.time() * 1000)
        rows = conn.execute(REPLAYABLE, (source.name, now, message_id,
                                         limit if limit > 0 else -1)).fetchall()
        for row_id, raw in rows:
            headers = json.loads(raw) if raw else {}
            dest = target or queues.get(str(headers.get("original_queue", "")))
            if dest is None or dest.file != source.file:
                conn.execute("ROLLBACK")
                raise ValueError(f"message {row_id} in {dead_queue} has original_queue "
                                 f"{headers.get('original_queue')!r}, not a queue in "
                                 f"{source.file}; name one with --to")
            for key in REPLAY_HEADERS:
                headers.pop(key, None)
            conn.execute(MOVE, (dest.name, json.dumps(headers, separators=(",", ":")),
                                now, now, row_id))
            moved[dest.id] = moved.get(dest.id, 0) + 1
        conn.execute("COMMIT")
    finally:
        conn.close()
    return moved


def _known(queues: dict[str, QueueRef], qid: str, what: str) -> QueueRef:
    ref = queues.get(qid)
    if ref is None:
        known = ", ".join(sorted(queues)) or "none"
        raise ValueError(f"{what}: {qid} is not a queue.queue on a queue.driver.sqlite "
                         f"driver (known: {known})")
    return ref


def cmd_queue(args: argparse.Namespace, entries: list[Entry]) -> int:
    queues = sqlite_queues(entries)
    try:
        if args.queue_command == "stats":
            rows = stats(queues)
            if args.json:
                print(json.dumps(rows, indent=2))
                return 0
            if not rows:
                print("no queue.queue entries on a queue.driver.sqlite driver")
                return 0
            cols = ("queue", "ready", "delayed", "in_flight", "dead", "file")
            widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in cols]
            for line in [dict(zip(cols, cols))] + rows:
                print("  ".join(str(line[c]).ljust(w) for c, w in zip(cols, widths)).rstrip())
            return 0
        moved = replay(queues, args.dead_queue, args.to, args.limit)
    except (ValueError, sqlite3.Error) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    total = sum(moved.values())
    detail = ", ".join(f"{n} to {q}" for q, n in sorted(moved.items()))
    print(f"replayed {total} message(s) from {args.dead_queue}" + (f": {detail}" if detail else ""))
    return 0
