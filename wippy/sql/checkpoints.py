"""The writer thread's WAL checkpoints (a mixin of writer.py's WriterThread).

No connection checkpoints by itself (`wal_autocheckpoint = 0`): the loop's
connection asks the writer thread (CHECKPOINT ops, fastpath.py), and the writer
checkpoints after OWN_CHECKPOINT_EVERY writes of its own. Everything here runs
on the writer thread, with the writer's connection.
"""
from __future__ import annotations

import sqlite3
import threading

from .threads import log

RESTART_QUICK_MS = 5     # a checkpoint's wait for readers on the old WAL (_checkpoint)
RESTART_WAIT_MS = 50     # the same once the WAL has RESTART_FRAMES
RESTART_FRAMES = 1024    # WAL frames (~4 MiB of 4 KiB pages) before a checkpoint waits
OWN_CHECKPOINT_EVERY = 256   # writes committed here between checkpoints (_committed)


class Checkpoints:
    """Needs, from the thread: conn, internal(), settings, busy, checkpoint (a file),
    _rollback_quietly(), and ConnectionThread.recycle_if_old()."""

    since_checkpoint = 0     # writes committed on the writer since the last checkpoint
    checkpoints = 0          # checkpoints run (_checkpoint)
    restarts = 0             # of those, the ones that restarted the WAL
    checkpoint_thread = 0    # ident of the thread that ran the last one (tests)

    def _checkpoint(self) -> None:
        """Asked for by the loop's connection (which never checkpoints itself), and run
        after OWN_CHECKPOINT_EVERY writes here. `busy` is set throughout, so the loop
        starts no write meanwhile (its writes queue here):

        * A checkpoint racing the loop's commits never completes, and only a complete one
          lets the WAL start again from its beginning: under steady writes and reads
          the WAL grew without bound (~350 MiB over 80 000 writes).
        * The first commit into a restarted WAL writes its header and, under NORMAL,
          fsyncs it (PRAGMA synchronous in SQLite's docs): _start_wal makes that
          commit here, never on the event loop.

        PASSIVE first: it waits for nobody and, with readers only briefly on old
        snapshots, usually copies everything. Then RESTART restarts the WAL once the
        readers still on it are done: waiting RESTART_QUICK_MS for them, or, once the WAL
        has reached RESTART_FRAMES, up to RESTART_WAIT_MS (writes wait meanwhile; readers
        that scan whole tables all the time cost the most)."""
        self.since_checkpoint = 0
        self.busy = True
        try:
            [(_busy, frames, copied)] = self.internal("PRAGMA wal_checkpoint(PASSIVE)")
            if frames > 0 and (copied == frames or frames >= RESTART_FRAMES):
                wait = RESTART_QUICK_MS if copied == frames else RESTART_WAIT_MS
                self.internal(f"PRAGMA busy_timeout = {wait}")
                try:
                    [(blocked, _f, _c)] = self.internal("PRAGMA wal_checkpoint(RESTART)")
                finally:
                    self.internal(f"PRAGMA busy_timeout = {int(self.settings.busy_timeout_ms)}")
                if not blocked:
                    self.restarts += 1
                    self._start_wal()
        except sqlite3.Error:
            log.warning("WAL checkpoint failed", exc_info=True)
        finally:
            self.busy = False
        self.checkpoints += 1
        self.checkpoint_thread = threading.get_ident()

    def _start_wal(self) -> None:
        """Write the first frame of the restarted WAL here: with it SQLite writes (and
        under NORMAL fsyncs) the WAL header, on this thread. The frame is page 1
        rewritten with its own user_version, which changes nothing."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            [(version,)] = self.internal("PRAGMA user_version")
            self.internal(f"PRAGMA user_version = {int(version)}")
            conn.execute("COMMIT")
        except sqlite3.Error:
            log.warning("starting the WAL after a checkpoint failed", exc_info=True)
            self._rollback_quietly()

    def _committed(self, count: int) -> None:
        """Checkpoint after OWN_CHECKPOINT_EVERY writes committed here. SQLite's own
        automatic checkpoint (off, _configure) is PASSIVE: it does not complete under
        steady reads, and when it did, the loop's next commit could restart the WAL and
        fsync it on the event loop."""
        if self.checkpoint:
            self.since_checkpoint += count
            if self.since_checkpoint >= OWN_CHECKPOINT_EVERY:
                self._checkpoint()

    def _configure(self) -> None:
        if self.checkpoint:
            self.internal("PRAGMA wal_autocheckpoint = 0")

    def recycle_if_old(self) -> None:
        conn = self.conn
        super().recycle_if_old()
        if self.conn is not conn:
            self._configure()
