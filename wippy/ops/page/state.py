"""What the ops page shows, read from the running runtime when the page asks (nothing is
counted on the request or message paths for it).

Services come from the supervisor, queue depths from each queue's driver (`info()`, the
same numbers /metrics serves), dead letters and dead counts of durable queues from
their SQLite files through `wippy queue`'s own functions (cli/queue.py), so the page
and the command line agree on what a dead letter is and how a replay moves it.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from ...cli import queue as cli_queue
from ...errors import WippyError

DEAD_LETTERS = 20     # latest dead letters listed
PREVIEW = 200         # characters of a dead letter's body shown
# The newest rows of the given dead-letter queues (names in one file).
LATEST = ("SELECT queue, msg_id, headers, last_error, enqueued_at, body"
          " FROM wippy_queue_message WHERE queue IN ({}) ORDER BY id DESC LIMIT ?")


def entries_of(runtime: Any) -> list:
    plan = runtime.plan
    return list(plan.entries.values()) if plan is not None else []


def durable_queues(runtime: Any) -> dict[str, cli_queue.QueueRef]:
    """The queue.queue entries on a queue.driver.sqlite driver, decoded from the current
    plan each time (a few entries; `wippy run --watch` may replace the plan)."""
    return cli_queue.sqlite_queues(entries_of(runtime))


def services(runtime: Any) -> tuple[bool, list[dict[str, Any]]]:
    """(ready, one row per supervised service); not ready and none while building."""
    supervisor = runtime.supervisor
    if supervisor is None:
        return False, []
    ready, view = supervisor.readiness()
    plan = runtime.plan
    kinds = {eid: e.kind for eid, e in plan.entries.items()} if plan is not None else {}
    rows = []
    for sid, st in sorted(supervisor.status().items()):
        rows.append({"id": sid, "kind": kinds.get(sid, ""),
                     "required": view.get(sid, {}).get("required", False), **st})
    return ready, rows


def queues(objects: dict[str, Any], dead: dict[str, int],
           durable: dict[str, cli_queue.QueueRef]) -> list[dict[str, Any]]:
    """One row per queue.queue: depth from its driver, settle counts from this process's
    consumers, `dead` (messages from it waiting in its dead-letter queue) for durable
    queues; `replayable` marks a durable queue that is some queue's dead-letter queue."""
    from ...queue.consumer import Consumer
    from ...queue.queue import Queue
    settled: dict[str, list[int]] = {}
    for obj in list(objects.values()):
        if isinstance(obj, Consumer):
            stats = obj.stats()
            counts = settled.setdefault(obj.queue.id, [0, 0, 0])
            counts[0] += stats["acked"]
            counts[1] += stats["nacked"]
            counts[2] += stats["in_flight"]
    dead_letter_queues = {ref.dead_letter for ref in durable.values()}
    rows = []
    for eid, obj in sorted(objects.items()):
        if not isinstance(obj, Queue):
            continue
        try:
            info = obj.info()
            problem = None
        except WippyError as exc:   # a stopped or unreachable driver: no depth to show
            info, problem = {}, exc.message
        acked, nacked, busy = settled.get(eid, (0, 0, 0))
        rows.append({
            "id": eid, "driver": obj.driver.entry_id,
            "durable": bool(getattr(obj.driver, "durable", False)),
            "ready": info.get("ready"), "delayed": info.get("delayed"),
            "in_flight": info.get("in_flight"), "dead": dead.get(eid),
            "dead_letter": obj.dead_letter.id if obj.dead_letter is not None else None,
            "dead_lettered": obj.dead_lettered, "retried": obj.retried,
            "acked": acked, "nacked": nacked, "busy_workers": busy,
            "replayable": eid in durable and eid in dead_letter_queues,
            "error": problem})
    return rows


def read_durable(durable: dict[str, cli_queue.QueueRef],
                 limit: int = DEAD_LETTERS) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """({queue id: dead count}, the latest dead letters, newest first). Blocking SQLite
    reads: call it in a thread."""
    dead = {row["queue"]: row["dead"] for row in cli_queue.stats(durable)}
    return dead, latest_dead_letters(durable, limit)


def latest_dead_letters(durable: dict[str, cli_queue.QueueRef],
                        limit: int = DEAD_LETTERS) -> list[dict[str, Any]]:
    by_file: dict[str, dict[str, str]] = {}     # file -> {queue name: dead-letter queue id}
    for ref in durable.values():
        target = durable.get(ref.dead_letter or "")
        if target is not None:
            by_file.setdefault(target.file, {})[target.name] = target.id
    out = []
    for file, names in sorted(by_file.items()):
        try:
            conn = cli_queue.connect(file)
        except ValueError:           # the driver has not created its file yet
            continue
        try:
            rows = conn.execute(LATEST.format(",".join("?" * len(names))),
                                (*names, limit)).fetchall()
        except sqlite3.Error:        # no queue table yet
            rows = []
        finally:
            conn.close()
        for name, msg_id, raw_headers, last_error, enqueued_at, body in rows:
            headers = _json(raw_headers) or {}
            out.append({"dead_queue": names[name], "message_id": msg_id,
                        "original_queue": headers.get("original_queue"),
                        "attempts": headers.get("attempts"),
                        "last_error": headers.get("last_error") or last_error or "",
                        "dead_lettered_at": enqueued_at / 1000, "body": _preview(body)})
    out.sort(key=lambda row: row["dead_lettered_at"], reverse=True)
    return out[:limit]


def entries(runtime: Any) -> list[dict[str, Any]]:
    return [{"id": e.id, "kind": e.kind, "file": e.origin.file, "line": e.origin.line,
             "meta": e.meta} for e in sorted(entries_of(runtime), key=lambda e: e.id)]


def _json(raw: Any) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _preview(body: Any) -> str:
    """The start of the stored body as text. The driver stores a one-byte tag, then the
    JSON text or the raw bytes (sqlite_store.encode_body); both are shown as text."""
    if isinstance(body, bytes):
        text = body[1:PREVIEW * 4 + 1].decode("utf-8", "replace")
    else:
        text = str(body)
    return text if len(text) <= PREVIEW else text[:PREVIEW] + "…"
