"""The cron-like job of examples/cron through `wippy run`: a ticker in a supervised
process fires on a fixed grid (no drift), a failing run does not stop it, and a stop
delivers CANCEL so the job ends cleanly."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading

from tests.polling import poll_until

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "cron"
INTERVAL_MS = 200


def test_ticker_job_fires_on_time_survives_a_failing_run_and_stops_on_cancel(tmp_path):
    project = tmp_path / "cron"
    shutil.copytree(EXAMPLE / "src", project / "src")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=project, check=True,
                   capture_output=True, env=env)
    proc = subprocess.Popen([sys.executable, "-m", "wippy", "run", "--set",
                             "logger.encoding=json"], cwd=project, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []

    def read():
        with proc.stderr:
            for line in proc.stderr:
                lines.append(line)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def records():
        out = []
        for line in list(lines):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def runs():
        return {r["run"]: r["at_ms"] for r in records() if r.get("msg") == "cleanup ran"}
    try:
        poll_until(lambda: 8 in runs(), 15, message="eight runs of the job")
        got = runs()
        assert 3 not in got                      # run 3 failed ...
        assert any(r.get("msg") == "cleanup run failed" and "run 3 fails" in r.get("error", "")
                   for r in records())
        first = got[1]
        # ... and the others stayed on the grid, run 6 too after run 5 took 150 ms (a
        # `time.sleep(interval)` loop would put it 150 ms late, and every run after it)
        for n in (2, 4, 5, 6, 7, 8):
            offset = got[n] - first - (n - 1) * INTERVAL_MS
            assert abs(offset) < 80, f"run {n} is {offset} ms off the grid: {got}"
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(15)
        reader.join(5)
    assert code == 0, "\n".join(lines)
    assert any(r.get("msg") == "cleanup stopping" and r.get("reason") == "service stopping"
               for r in records()), "\n".join(lines)
