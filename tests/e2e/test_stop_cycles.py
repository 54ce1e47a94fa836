"""`wippy run` stops promptly after writing and reading a new database file.

Each cycle starts the tutorial on a fresh data/tasks.db (the migration creates
the table, a consumer writes on the loop fast path, GET /tasks reads on a reader
thread), then sends SIGTERM. The database's final WAL checkpoint used to wait out
busy_timeout (5 s) in about one stop of three; see tests/sql/test_stop.py.
"""
import signal
import time

import httpx

from .conftest import WippyProcess, free_port, wait_until

CYCLES = 20


def clear_database(project) -> None:
    for path in (project / "data").glob("tasks.db*"):
        path.unlink()


def test_twenty_start_write_read_sigterm_cycles_each_stop_at_once(project):
    stops = []
    for i in range(CYCLES):
        clear_database(project)
        proc = WippyProcess(project, free_port())
        try:
            proc.wait_ready()
            with httpx.Client(base_url=proc.url, timeout=10) as client:
                assert client.post("/tasks", json={"action": "cycle", "data": i}).status_code == 202

                def completed():
                    tasks = client.get("/tasks").json()["tasks"]
                    return any(t["status"] == "completed" for t in tasks)
                wait_until(completed, 10, message="the task was processed and listed")
            started = time.monotonic()
            proc.signal(signal.SIGTERM)
            assert proc.wait(10) == 0, proc.logs
            stops.append(time.monotonic() - started)
        finally:
            proc.kill()
    assert max(stops) < 1.0, [round(s, 2) for s in stops]
