"""The single writer: one thread, one connection, group commit.

Every statement that may write goes through this thread, so writers never
contend for SQLite's lock inside the process.
Throughput comes from group commit: when several autocommit writes are
waiting, the thread runs them in one `BEGIN IMMEDIATE ... COMMIT`, each in
its own SAVEPOINT, so one failing statement rolls back alone and the others
still commit. Their futures are resolved only after COMMIT succeeded, with
one loop wake-up per group. A lone write runs as plain autocommit.

An explicit transaction (`db.begin()`) owns the thread from `BEGIN
IMMEDIATE` until commit/rollback: its own ops run at once; everything else
waits in `backlog`, in arrival order, and runs after it.

When the writer is idle, an autocommit write may instead run straight on
the event loop on a second connection (fastpath.py). That connection never
checkpoints; the loop asks this thread for a checkpoint instead (CHECKPOINT
ops, checkpoints.py), so checkpoint I/O never lands on the loop. This thread
checkpoints for its own writes the same way (SQLite's automatic one is off).

A write with a deadline that runs alone here runs in its own transaction, and
one inside a transaction in a savepoint (`_run_in_transaction`,
`_run_in_savepoint`): one that fails with Timeout has changed nothing.
"""
from __future__ import annotations

import queue
import sqlite3
from collections import deque
from typing import Any

from ..errors import TIMEOUT, WippyError
from .checkpoints import Checkpoints
from .errors import closed_error, translate, tx_not_active
from .threads import (BEGIN, CHECK, CHECKPOINT, COMMIT, EXEC, FORCE, QUERY, ROLLBACK, STOP,
                     ConnectionThread, Op, log)

MAX_GROUP = 512          # writes per commit; bounds the latency of the first one
_SAVEPOINT = "SAVEPOINT wippy_w"
_RELEASE = "RELEASE wippy_w"
_ROLLBACK_TO = "ROLLBACK TO wippy_w"


class WriterThread(Checkpoints, ConnectionThread):
    role = "writer"

    def __init__(self, *args: Any, checkpoint: bool = True, recycle: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # A file: checkpoints run here (checkpoints.py), and TRUNCATE the WAL on stop.
        self.checkpoint = checkpoint
        self.recycle = recycle           # never reopen a :memory: database
        self.tx: Any = None              # token of the transaction holding the writer
        self.tx_read_only = False
        self.backlog: deque[Op] = deque()
        self.held: Op | None = None      # taken from the queue, not run yet
        self.waits = 0                   # ops that waited behind a transaction
        self.groups = 0                  # commits that carried more than one write
        self.grouped = 0                 # writes committed in those groups

    def idle(self) -> bool:
        """Nothing queued, held, running or in a transaction (read from the loop)."""
        return (not self.busy and self.tx is None and self.held is None
                and not self.backlog and self.jobs.empty())

    # ------------------------------------------------------------ intake
    def _next(self, block: bool) -> Op | None:
        if self.held is not None:
            op, self.held = self.held, None
            return op
        if self.tx is None and self.backlog:
            return self.backlog.popleft()
        try:
            return self.jobs.get() if block else self.jobs.get_nowait()
        except queue.Empty:
            return None

    def _groupable(self, op: Op) -> bool:
        return op.tx is None and not op.solo and (op.kind == EXEC or op.kind == QUERY)

    # ------------------------------------------------------------ main loop
    def serve(self) -> None:
        self._configure()
        while True:
            op = self._next(True)
            kind = op.kind
            if kind == FORCE:
                self._force_shutdown(op)
                return
            if self.tx is not None:
                if op.tx is self.tx and kind != BEGIN:
                    self._tx_op(op)
                elif op.tx is not None and kind != BEGIN:
                    self._dead_tx_op(op)
                else:
                    self.backlog.append(op)
                    self.waits += 1
                continue
            if kind == STOP:
                self._shutdown(op)
                return
            if kind == CHECKPOINT:
                self._checkpoint()
            elif kind == BEGIN:
                self._begin(op)
            elif op.tx is not None:
                self._dead_tx_op(op)
            elif op.fut is not None and op.fut.cancelled():
                continue
            elif op.solo or kind == CHECK or not self._groupable(op):
                self._solo(op)
            else:
                self._group(op)

    def _solo(self, op: Op) -> None:
        if self.recycle:
            self.recycle_if_old()
        self.busy = True
        if op.deadline is not None and not op.solo and (op.kind == EXEC or op.kind == QUERY):
            item = self._run_in_transaction(op)
        else:
            item = self.run_one(op)
        self.busy = False
        self.deliver([item])
        if op.kind == EXEC and item[2] is None:
            self._committed(1)

    def _run_in_transaction(self, op: Op) -> tuple:
        """One write with a deadline, in its own transaction committed with no deadline.
        SQLite also calls the progress handler as a statement ends (fastpath.py), after
        an autocommit statement committed: past the deadline there, the caller would get
        Timeout for a change that was stored. In a transaction it is rolled back."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except Exception as exc:
            return op.fut, None, translate(exc, op.kind)
        item = self.run_one(op)
        if item[2] is None:
            try:
                conn.execute("COMMIT")
            except Exception as exc:
                item = (op.fut, None, translate(exc, "commit"))
        self._rollback_quietly()   # after an error (a no-op when nothing is open)
        return item

    def _dead_tx_op(self, op: Op) -> None:
        # The transaction already ended (committed, rolled back, or aborted by SQLite).
        if op.kind == ROLLBACK:
            self.deliver([(op.fut, True, None)])
        else:
            self.deliver([(op.fut, None, tx_not_active())])

    # ------------------------------------------------------------ group commit
    def _group(self, first: Op) -> None:
        nxt = self._next(False)
        if nxt is None or not self._groupable(nxt):
            self.held = nxt
            self._solo(first)   # nothing else waiting: plain autocommit
            return
        self.held = nxt
        if self.recycle:
            self.recycle_if_old()
        conn = self.conn
        self.busy = True
        try:
            conn.execute("BEGIN IMMEDIATE")
        except Exception as exc:
            self.busy = False
            self.deliver([(first.fut, None, translate(exc, first.kind))])
            return
        done: list[tuple] = []
        ran: list[Op] = []
        count = 0
        op: Op | None = first
        try:
            while op is not None:
                if op.fut is None or not op.fut.cancelled():
                    count += 1
                    conn.execute(_SAVEPOINT)
                    item = self.run_one(op)
                    if item[2] is None:
                        conn.execute(_RELEASE)
                    elif conn.in_transaction:
                        conn.execute(_ROLLBACK_TO)
                        conn.execute(_RELEASE)
                    elif item[2].kind == TIMEOUT:
                        # Interrupted at its own deadline, SQLite rolled the whole
                        # transaction back: the writes before it run again.
                        self.deliver([item])
                        self._run_again(ran)
                        return
                    else:
                        # SQLite rolled the whole transaction back (disk full, I/O
                        # error): every write of this group is lost, fail them all.
                        done.append(item)
                        self.deliver(_fail_all(done, item[2]))
                        return
                    done.append(item)
                    ran.append(op)
                if count >= MAX_GROUP:
                    break
                op = self._next(False)
                if op is not None and not self._groupable(op):
                    self.held = op
                    break
            conn.execute("COMMIT")
        except Exception as exc:
            err = translate(exc, "commit")
            self._rollback_quietly()
            self.deliver(_fail_all(done, err))
            return
        finally:
            self.busy = False
        self.groups += 1
        self.grouped += count
        self.deliver(done)
        self._committed(count)

    def _run_again(self, ops: list[Op]) -> None:
        """Put `ops` (and the op held for later) back at the front, in arrival order."""
        if self.held is not None:
            ops.append(self.held)
            self.held = None
        self.backlog.extendleft(reversed(ops))

    def _rollback_quietly(self) -> None:
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.exception("ROLLBACK after a failed write group failed")

    # ------------------------------------------------------------ transactions
    def _begin(self, op: Op) -> None:
        if op.fut is not None and op.fut.cancelled():
            return   # the caller gave up while queued: never take the writer for nobody
        if self.recycle:
            self.recycle_if_old()
        try:
            self.conn.execute(op.sql)
            if op.solo:  # read-only transaction on a :memory: database
                self.internal("PRAGMA query_only = ON")
                self.tx_read_only = True
        except Exception as exc:
            self._rollback_quietly()
            self.deliver([(op.fut, None, translate(exc, "begin"))])
            return
        self.tx = op.tx
        self.deliver([(op.fut, True, None)])

    def _end_tx(self) -> None:
        self.tx = None
        if self.tx_read_only:
            self.tx_read_only = False
            try:
                self.internal("PRAGMA query_only = OFF")
            except sqlite3.Error:
                log.exception("resetting query_only after a read-only transaction failed")

    def _tx_op(self, op: Op) -> None:
        kind, conn = op.kind, self.conn
        if kind == COMMIT or kind == ROLLBACK:
            try:
                if kind == COMMIT:
                    conn.execute("COMMIT")
                elif conn.in_transaction:
                    conn.execute("ROLLBACK")
                item = (op.fut, True, None)
            except Exception as exc:
                item = (op.fut, None, translate(exc, kind))
                self._rollback_quietly()
            self._end_tx()
            self.deliver([item])
            if kind == COMMIT and item[2] is None:
                self._committed(1)
            return
        if op.fut is not None and op.fut.cancelled():
            return
        self.busy = True
        if op.deadline is not None and (kind == EXEC or kind == QUERY):
            item = self._run_in_savepoint(op)
        else:
            item = self.run_one(op)
        self.busy = False
        if item[2] is not None and not conn.in_transaction:
            self._end_tx()   # SQLite ended the transaction itself
        self.deliver([item])

    def _run_in_savepoint(self, op: Op) -> tuple:
        """A statement with a deadline inside a transaction: past the deadline as it
        ends (see _run_in_transaction), its change would stay in the transaction while
        the caller gets Timeout; the savepoint takes it back."""
        conn = self.conn
        try:
            conn.execute(_SAVEPOINT)
        except Exception as exc:
            return op.fut, None, translate(exc, op.kind)
        item = self.run_one(op)
        try:
            if item[2] is not None and conn.in_transaction:
                conn.execute(_ROLLBACK_TO)
            if conn.in_transaction:
                conn.execute(_RELEASE)
        except sqlite3.Error:
            log.exception("releasing a statement's savepoint failed")
            self._rollback_quietly()
            item = (op.fut, None, tx_not_active()) if item[2] is None else item
        return item

    # ------------------------------------------------------------ shutdown
    def _shutdown(self, op: Op) -> None:
        if self.checkpoint:
            try:
                self.internal("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                log.warning("WAL checkpoint on close failed", exc_info=True)
        self.deliver([(op.fut, True, None)])

    def _force_shutdown(self, op: Op) -> None:
        self._rollback_quietly()
        self.tx = None
        pending = list(self.backlog)
        self.backlog.clear()
        if self.held is not None:
            pending.append(self.held)
            self.held = None
        # One exception object per future: a shared one would collect every traceback.
        self.deliver([(p.fut, True, None) if p.kind == STOP else (p.fut, None, closed_error())
                      for p in pending if p.fut is not None] + [(op.fut, True, None)])


def _fail_all(items: list[tuple], err: WippyError) -> list[tuple]:
    """Keep each op's own error; ops that had succeeded get a copy of `err`
    (one exception object per future, or their tracebacks would pile up)."""
    return [(fut, None, own or WippyError(err.message, err.kind, err.retryable, dict(err.details)))
            for fut, _res, own in items]
