"""No fsync on the event loop's thread, seen with strace.

Under synchronous FULL/EXTRA every commit fsyncs, so every write goes to the
writer thread (fastpath.py `loop_safe`). Under NORMAL a commit does not fsync,
except the first one into a WAL that a checkpoint restarted: it writes the WAL
header and fsyncs it (SQLite's PRAGMA synchronous docs). The writer thread
writes that first frame itself (writer.py `_start_wal`); before it did, the
loop's next write did, and fsynced on the event loop (17 to 38 times in this run).
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")

SCRIPT = r'''
import asyncio, sys, threading
from wippy.sql import Database, Settings, fastpath
fastpath.CHECKPOINT_EVERY = 32   # many checkpoints, so many WAL restarts

async def main(path, synchronous):
    db = Database("app:db", path, Settings(synchronous=synchronous))
    await db.start()
    await db.execute("CREATE TABLE t(k INTEGER, v TEXT)")
    await db.execute("INSERT INTO t VALUES (0, 'x')")
    print("LOOP", threading.get_native_id(), flush=True)
    for k in range(1500):
        await db.execute("INSERT INTO t(k, v) VALUES (?, 'x')", [k])
        if k % 8 == 7:
            await asyncio.sleep(0.002)   # pace: the writer goes idle, the loop writes next
    print("DONE", flush=True)
    stats = db.stats()
    print("STATS", stats["loop_writes"], stats.get("checkpoint_restarts", -1), flush=True)
    await db.stop()

asyncio.run(main(sys.argv[1], sys.argv[2]))
'''


def fsyncs_on_the_loop(tmp_path, synchronous: str) -> tuple[int, int, list[int]]:
    trace = tmp_path / "strace.txt"
    out = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync,write", "-e", "signal=none",
         "-o", str(trace), sys.executable, "-c", SCRIPT, str(tmp_path / "app.db"), synchronous],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=os.environ.copy())
    assert out.returncode == 0, out.stderr
    loop_tid = re.search(r"LOOP (\d+)", out.stdout).group(1)
    stats = [int(v) for v in re.search(r"STATS (-?\d+) (-?\d+)", out.stdout).groups()]
    on_loop = total = 0
    writing = False
    for line in trace.read_text().splitlines():
        tid, _, call = line.partition(" ")
        call = call.lstrip()   # strace pads short pids with spaces
        syncs = call.startswith(("fsync(", "fdatasync("))
        total += syncs
        if tid != loop_tid:
            continue
        if call.startswith('write(1, "LOOP'):
            writing = True
        elif call.startswith('write(1, "DONE'):
            writing = False
        elif writing and syncs:
            on_loop += 1
    return on_loop, total, stats


def test_normal_commits_and_wal_restarts_never_fsync_on_the_loop(tmp_path):
    on_loop, total, (loop_writes, restarts) = fsyncs_on_the_loop(tmp_path, "NORMAL")
    assert loop_writes > 1000 and restarts >= 5, (loop_writes, restarts)
    assert total > 0   # strace does see the writer thread's fsyncs
    assert on_loop == 0


@pytest.mark.parametrize("synchronous", ["FULL", "EXTRA"])
def test_fsyncing_commits_never_run_on_the_loop(tmp_path, synchronous):
    on_loop, total, (loop_writes, _restarts) = fsyncs_on_the_loop(tmp_path, synchronous)
    assert loop_writes == 0
    assert total > 1500   # one per commit, on the writer thread
    assert on_loop == 0
