"""`queue.driver.sqlite` with `database:`: the queue table inside a `db.sql.sqlite`
entry's file, written through that Database's single writer (its public API).

Same operations and batching as sqlite_store.Writer, but as a task on the loop:
each batch is one `db.begin()` transaction, so queue traffic shares the app's
one write lock instead of contending for it from a second connection.
"""
from __future__ import annotations

import asyncio
import queue
from typing import Any

from ..errors import WippyError
from ..sql.errors import translate
from .sqlite_store import (ACK, ACK_CHUNK, ACK_OP, CLAIM, CLAIM_OP, EXTEND, EXTEND_OP,
                           INSERT, MAX_BATCH, PUBLISH, RELEASE, RELEASE_OP, RETRY, RETRY_OP,
                           SCHEMA, STOP, CONTROL, Op, now_ms, queue_order)

INSERT_ROWS = 400   # rows per multi-row INSERT (8 parameters each, far below SQLite's limit)


async def create_schema(db: Any) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            await db.execute(statement.strip())


class DatabaseWriter:
    """Drains the driver's job queue into transactions of `db` (a wippy.sql Database)."""

    def __init__(self, db: Any, owner: str, lease_ms: int, loop: asyncio.AbstractEventLoop,
                 jobs: queue.SimpleQueue, after_commit: Any, on_batch: Any):
        self.db = db
        self.owner = owner
        self.lease_ms = lease_ms
        self.loop = loop
        self.jobs = jobs
        self.after_commit = after_commit
        self.on_batch = on_batch
        self.finished: asyncio.Future = loop.create_future()
        self.commits = 0
        self._wake = asyncio.Event()
        self._wake_pending = False
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = self.loop.create_task(self._run(), name="queue writer (shared database)")

    def notify(self) -> None:
        """Any thread, after putting a job: wake the task (once per burst)."""
        if self._wake_pending:
            return
        self._wake_pending = True
        try:
            self.loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:   # loop closed at exit: nothing will run the job anyway
            pass

    async def _run(self) -> None:
        stopping = False
        try:
            while not stopping:
                batch = self._take()
                if not batch:
                    await self._wake.wait()
                    self._wake.clear()
                    self._wake_pending = False
                    continue
                # The database's own writer checkpoints: CHECKPOINT_OP needs nothing here.
                work = [op for op in batch if op.kind not in CONTROL]
                stopping = any(op.kind == STOP for op in batch)
                if work:
                    await self._run_batch(work)
        finally:
            self.finished.set_result(None)

    def _take(self) -> list[Op]:
        batch = []
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self.jobs.get_nowait())
            except queue.Empty:
                break
        return batch

    async def _run_batch(self, ops: list[Op]) -> None:
        try:
            tx = await self.db.begin()
            try:
                values = await self._apply(tx, ops)
                await tx.commit()
            except BaseException:
                if tx.active:
                    await tx.rollback()
                raise
        except (WippyError, Exception) as exc:
            if len(ops) > 1:
                for op in ops:   # one bad op must not fail the others
                    await self._run_batch([op])
                return
            results = [(ops[0], None, translate(exc, "queue"))]
        else:
            self.commits += 1
            results = list(zip(ops, values, [None] * len(ops)))
        self.after_commit(results)
        self.on_batch(results)

    async def _apply(self, tx: Any, ops: list[Op]) -> list[Any]:
        owner, now = self.owner, now_ms()
        inserts = [op.args[:6] + (now, now + op.args[6]) for op in ops if op.kind == PUBLISH]
        head, _, tail = INSERT.partition("VALUES")
        for i in range(0, len(inserts), INSERT_ROWS):
            chunk = inserts[i:i + INSERT_ROWS]
            sql = head + "VALUES " + ", ".join([tail.strip()] * len(chunk))
            await tx.execute(sql, [v for row in chunk for v in row])
        acks = [op.args[0] for op in ops if op.kind == ACK_OP]
        for i in range(0, len(acks), ACK_CHUNK):
            chunk = acks[i:i + ACK_CHUNK]
            await tx.execute(ACK.format(",".join("?" * len(chunk))), [owner, *chunk])
        values: list[Any] = []
        for op in ops:
            kind, args, value = op.kind, op.args, None
            if kind == CLAIM_OP:
                name, limit = args
                rows = await tx.query(CLAIM, [now + self.lease_ms, owner, name, now, limit])
                value = sorted((_row(r) for r in rows), key=queue_order)
            elif kind == RETRY_OP:
                row_id, delay_ms, attempts, error, _ = args
                value = (await tx.execute(RETRY, [now + delay_ms, attempts, error, row_id,
                                                  owner]))["rows_affected"]
            elif kind == RELEASE_OP:
                value = (await tx.execute(RELEASE, [args[0], owner]))["rows_affected"]
            elif kind == EXTEND_OP:
                value = (await tx.execute(EXTEND, [now + self.lease_ms, owner]))["rows_affected"]
            values.append(value)
        return values


def _row(r: dict) -> tuple:
    """A row as sqlite3 returns CLAIM's (wippy.sql leaves NULL columns out of its dicts)."""
    body = r["body"]
    if isinstance(body, str):
        body = body.encode()
    return (r["id"], r["msg_id"], body, r.get("headers"), r.get("attempts", 0),
            r.get("last_error"), r["visible_at"])
