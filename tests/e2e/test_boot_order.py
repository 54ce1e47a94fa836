"""A gateway that requires the migration service starts only after the migration exited 0.

The tutorial's own files stay as they are; these tests change their copy of the project:
the gateway gets `lifecycle.requires: [app:migrate-service]` (the pattern in
examples/task-queue/README.md) and the migration is made slow or failing.
"""
import socket
import subprocess
import sys
import time

import httpx

from .conftest import WippyProcess, free_port, wait_until

GATEWAY = '    addr: ":8080"\n    lifecycle:\n      auto_start: true\n'
MIGRATE_MODULES = "    modules:\n      - sql\n      - logger\n\n  # Migrations-Service"

SLOW_MIGRATION = """local sql = require("sql")
local time = require("time")

local function main()
    time.sleep("1500ms")   -- a migration that takes a while
    local db = sql.get("app:db")
    local _, err = db:execute([[
        CREATE TABLE IF NOT EXISTS tasks (
            id TEXT PRIMARY KEY, payload TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
            result TEXT, created_at INTEGER NOT NULL, processed_at INTEGER)
    ]])
    db:release()
    if err then return 1 end
    return 0
end

return { main = main }
"""

FAILING_MIGRATION = """local function main()
    return 1
end

return { main = main }
"""


def require_migration(project, migration: str) -> None:
    index = project / "src" / "_index.yaml"
    text = index.read_text()
    assert GATEWAY in text and MIGRATE_MODULES in text
    text = text.replace(GATEWAY, GATEWAY + "      requires: [app:migrate-service]\n")
    text = text.replace(MIGRATE_MODULES, MIGRATE_MODULES.replace("logger\n", "logger\n      - time\n"))
    index.write_text(text)
    (project / "src" / "migrate.lua").write_text(migration)


def accepts(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_the_first_request_finds_the_table_the_migration_creates(project):
    require_migration(project, SLOW_MIGRATION)
    port = free_port()
    proc = WippyProcess(project, port)
    try:
        # Ask as early as the port answers: before the fix the gateway listened during
        # the migration's 1.5 s and GET /tasks failed with "no such table".
        wait_until(lambda: accepts(port) or proc.proc.poll() is not None, 20,
                   message="the gateway listens")
        first = httpx.get(f"http://127.0.0.1:{port}/tasks", timeout=10)
        assert first.status_code == 200, first.text
        assert first.json() == {"tasks": [], "count": 0}
        proc.wait_ready()
        logs = proc.lines
        exited = next(i for i, line in enumerate(logs)
                      if "service exited service=app:migrate-service" in line)
        starting = next(i for i, line in enumerate(logs)
                        if "service starting service=app:gateway" in line)
        ready = next(i for i, line in enumerate(logs) if "runtime ready" in line)
        assert exited < starting < ready
    finally:
        proc.kill()


def test_a_failing_migration_keeps_the_gateway_down_and_exits_1(project):
    require_migration(project, FAILING_MIGRATION)
    port = free_port()
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "wippy", "run", "-o", f"app:gateway:addr=127.0.0.1:{port}"],
        cwd=project, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1, result.stderr
    assert time.monotonic() - started < 10
    lines = result.stderr.splitlines()
    assert lines[-1] == "Error: app:migrate-service: app:migrate: process exited with code 1"
    assert not any("service starting service=app:gateway" in line for line in lines)
    assert not any("runtime ready" in line for line in lines)
