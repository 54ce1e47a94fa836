"""The `wippy` command, run as a real process in a temporary project."""
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .host_helpers import write

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
# `wippy` with the test kinds instead of the built-in table (the real kinds have their own tests).
WITH_TEST_KINDS = ("import sys; from tests.host_helpers import make_kinds; from wippy.cli import main; "
                   "sys.exit(main(sys.argv[1:], kinds=make_kinds(), modules={}))")


def wippy(cwd, *args, test_kinds=True, timeout=30):
    cmd = [sys.executable, "-c", WITH_TEST_KINDS] if test_kinds else [sys.executable, "-m", "wippy"]
    return subprocess.run([*cmd, *args], cwd=cwd, env=ENV, capture_output=True, text=True,
                          timeout=timeout)


class Running:
    """A `wippy run` process whose stderr lines are collected as they arrive."""

    def __init__(self, cwd, *args, test_kinds=True):
        cmd = [sys.executable, "-c", WITH_TEST_KINDS] if test_kinds else [sys.executable, "-m", "wippy"]
        self.proc = subprocess.Popen([*cmd, "run", *args], cwd=cwd, env=ENV, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text, timeout=15.0):
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if time.monotonic() > deadline or self.proc.poll() is not None and not self.reader.is_alive():
                raise AssertionError(f"{text!r} not logged; stderr so far:\n" + "\n".join(self.lines))
            time.sleep(0.01)

    def finish(self, timeout=15.0):
        code = self.proc.wait(timeout)
        self.reader.join(5)
        stdout = self.proc.stdout.read()
        return code, stdout

    def kill(self):
        """Cleanup for any outcome: no process or pipe outlives the test."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.reader.join(5)
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def project(tmp_path):
    assert wippy(tmp_path, "init").returncode == 0
    return tmp_path


SERVICES = """namespace: app
entries:
  - {name: db, kind: test.service, journal: JOURNAL, lifecycle: {auto_start: true}}
  - {name: queue, kind: test.resource, needs: [db]}
  - {name: worker, kind: test.service, journal: JOURNAL, needs: [queue],
     lifecycle: {auto_start: true}}
"""


def services(project, extra=""):
    journal = project / "journal.txt"
    write(project / "src" / "_index.yaml", SERVICES.replace("JOURNAL", str(journal)) + extra)
    return journal


# ---------------------------------------------------------------- init / version / usage
def test_init_writes_the_lock_and_the_editor_files(tmp_path):
    result = wippy(tmp_path, "init", test_kinds=False)
    assert result.returncode == 0, result.stderr
    lock = tmp_path / "wippy.lock"
    assert lock.read_text() == "directories:\n    modules: .wippy\n    src: ./src\n"
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    # and LuaLS support (docs/development.md "Editor setup"), nothing else
    assert sorted(p.name for p in tmp_path.iterdir()) == [".luarc.json", ".wippy", "wippy.lock"]
    assert [p.name for p in (tmp_path / ".wippy").iterdir()] == ["types"]
    assert "wrote wippy.lock" in result.stdout


def test_init_flags(tmp_path):
    result = wippy(tmp_path, "init", "-d", "./code", "--modules-dir", "mods", "-l", "my.lock",
                   test_kinds=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "my.lock").read_text() == "directories:\n    modules: mods\n    src: ./code\n"


def test_version_and_usage_errors(tmp_path):
    result = wippy(tmp_path, "version", test_kinds=False)
    assert result.returncode == 0 and result.stdout.startswith("wippy ")
    assert wippy(tmp_path, "version", "--short", test_kinds=False).stdout.strip() == "0.1.0"
    for args in ([], ["nope"], ["run", "--bogus"], ["registry"], ["init", "-d"]):
        result = wippy(tmp_path, *args, test_kinds=False)
        assert result.returncode == 2, args
        assert result.stdout == ""


# ---------------------------------------------------------------- check
def test_check_reports_every_problem_and_exits_1(project):
    write(project / "src" / "_index.yaml", """namespace: app
entries:
  - name: db
    kind: test.servise
  - name: worker
    kind: test.service
    needs: [app:tasks_queu]
    lifecycle: {auto_strat: true}
  - {name: tasks_queue, kind: test.resource}
  - name: fn
    kind: test.lua
    method: main
    source: "return {main = function() return 1 +  end}"
""")
    write(project / "src" / "broken.yaml", "namespace: app\nentries:\n  - name: x\n    kind: [\n")
    result = wippy(project, "check")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "src/broken.yaml:5: invalid YAML: expected the node content, but found '<stream end>'",
        "1 problem(s) found",
    ]
    os.remove(project / "src" / "broken.yaml")
    result = wippy(project, "lint")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "src/_index.yaml:4: app:db: kind: unknown kind 'test.servise' (did you mean test.service?)",
        "src/_index.yaml:7: app:worker: needs[0] -> app:tasks_queu not found "
        "(did you mean app:tasks_queue?)",
        "src/_index.yaml:8: app:worker: lifecycle.auto_strat: unknown field "
        "(did you mean auto_start?); allowed: auto_start, depends_on, requires, restart, "
        "security, stable_threshold, start_timeout, startup, stop_timeout",
        "src/_index.yaml:13: app:fn: source: Lua syntax error: app:fn:1:39: "
        "unexpected symbol near 'end' | return {main = function() return 1 +  end}",
        "4 problem(s) found in 4 entries",
    ]


def test_check_ok_and_overrides(project):
    write(project / "src" / "_index.yaml", "namespace: app\nentries:\n"
                                           "  - {name: q, kind: test.resource, size: 3}\n")
    assert wippy(project, "check").returncode == 1
    result = wippy(project, "check", "-o", "app:q:size=4")
    assert result.returncode == 0, result.stdout
    assert result.stdout == "ok: 1 entries, no problems found\n"
    result = wippy(project, "check", "-o", "app:qq:size=4")
    assert result.returncode == 1
    assert "-o app:qq:size=4: app:qq: entry app:qq not found (did you mean app:q?)" in result.stdout


def test_check_without_lock(tmp_path):
    result = wippy(tmp_path, "check")
    assert result.returncode == 1
    assert "no lock file found; run `wippy init` first" in result.stdout


# ---------------------------------------------------------------- registry
def test_registry_list_and_show(project):
    services(project)
    result = wippy(project, "registry", "list")
    assert result.returncode == 0
    assert result.stdout.split() == ["app:db", "test.service", "app:queue", "test.resource",
                                     "app:worker", "test.service"]
    result = wippy(project, "registry", "list", "--kind", "test.res*")
    assert result.stdout.split() == ["app:queue", "test.resource"]
    assert wippy(project, "registry", "list", "--ns", "other").stdout == ""
    result = wippy(project, "registry", "show", "app:queue")
    assert result.returncode == 0
    assert result.stdout.splitlines()[:3] == ["id: app:queue", "kind: test.resource", "meta: {}"]
    result = wippy(project, "registry", "show", "app:qeue")
    assert result.returncode == 1
    assert "entry app:qeue not found (did you mean app:queue?)" in result.stderr


# ---------------------------------------------------------------- run
def test_run_starts_in_order_and_stops_on_sigint(project):
    journal = services(project)
    run = Running(project)
    try:
        run.wait_for("runtime ready")
        lines = journal.read_text().splitlines()
        assert lines.index("started app:db") < lines.index("start app:worker")
        run.proc.send_signal(signal.SIGINT)
        code, stdout = run.finish()
    finally:
        run.kill()
    assert code == 0
    assert stdout == ""                                   # logs go to stderr only
    text = "\n".join(run.lines)
    assert "received shutdown signal" in text
    assert "shutting down (press Ctrl+C again to force exit)" in text
    stops = [x for x in journal.read_text().splitlines() if x.startswith("stop")]
    assert stops == ["stop app:worker", "stop app:db"]
    assert run.lines[-1].endswith("stopped")


def test_run_stops_on_sigterm_and_second_signal_forces_exit(project):
    services(project, "  - {name: slow, kind: test.service, stop_delay: 20s,\n"
                      "     lifecycle: {auto_start: true, stop_timeout: 30s}}\n")
    run = Running(project)
    try:
        run.wait_for("runtime ready")
        run.proc.send_signal(signal.SIGTERM)
        run.wait_for("service stopping service=app:slow")
        started = time.monotonic()
        run.proc.send_signal(signal.SIGINT)
        code, _ = run.finish()
    finally:
        run.kill()
    assert code == 1
    assert time.monotonic() - started < 5
    assert any("force exit" in line for line in run.lines)


def test_run_refuses_to_start_on_config_problems(project):
    services(project, "  - {name: bad, kind: test.resource, size: 3, needs: [app:dbb]}\n")
    result = wippy(project, "run")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert "src/_index.yaml:7: app:bad: needs[0] -> app:dbb not found (did you mean app:db?)" in lines
    assert "src/_index.yaml:7: app:bad: size: must be even" in lines
    assert lines[-1] == "Error: 2 problem(s); nothing was started"
    assert not (project / "journal.txt").exists()


def test_run_with_a_broken_file_and_silent_logs(project):
    write(project / "src" / "_index.yaml", "namespace: app\nentries: [\n")
    result = wippy(project, "-s", "run")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith("src/_index.yaml:3: invalid YAML")
    assert "nothing was started" in result.stderr.splitlines()[-1]
    assert "INFO" not in result.stderr


def test_run_without_lock_exits_1_and_says_to_run_init(tmp_path):
    started = time.monotonic()
    result = wippy(tmp_path, "run", test_kinds=False)
    assert result.returncode == 1
    assert time.monotonic() - started < 10
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: wippy.lock: no lock file found; run `wippy init` first"]
    result = wippy(tmp_path, "run", "-l", "other.lock", test_kinds=False)
    assert result.stderr.splitlines() == [
        "Error: other.lock: no lock file found; run `wippy init` first"]


def test_run_override_and_colourless_console_when_not_a_tty(project):
    journal = services(project)
    run = Running(project, "-c", "-o", "app:worker:fail_starts=1",
                  "-o", "app:worker:lifecycle.restart.initial_delay=10ms")
    try:
        run.wait_for("service running service=app:worker")
        run.proc.send_signal(signal.SIGINT)
        code, _ = run.finish()
    finally:
        run.kill()
    assert code == 0
    assert journal.read_text().splitlines().count("start app:worker") == 2
    failed = next(line for line in run.lines if "service failed" in line)
    assert "app:worker refuses to start" in failed and "retry_in=" in failed
    assert not any("\033[" in line for line in run.lines)


# ---------------------------------------------------------------- log formats
def test_console_and_json_log_formats():
    import io
    import json
    import logging

    from wippy.logs import fields, setup_logging

    class Tty(io.StringIO):
        def isatty(self):
            return True

    root = logging.getLogger()
    level = root.level
    log = logging.getLogger("wippy.test")
    try:
        plain = io.StringIO()
        setup_logging(stream=plain)
        log.info("service failed", extra=fields(service="app:db", error="no such file",
                                                 retry_in="1s", ok=True, n=3, tags=["a"]))
        log.debug("hidden")
        line = plain.getvalue().strip()
        assert " INFO  wippy.test service failed " in line
        assert line.endswith('service failed service=app:db error="no such file" retry_in=1s '
                             'ok=true n=3 tags="[\\"a\\"]"')
        coloured = Tty()
        setup_logging(verbose=True, console=True, stream=coloured)
        log.debug("shown")
        assert "\033[" in coloured.getvalue() and "shown" in coloured.getvalue()
        assert plain.getvalue().count("\n") == 1        # the old handler was replaced
        lines = io.StringIO()
        setup_logging(json_lines=True, stream=lines)
        log.warning("runtime ready", extra=fields(entries=14))
        record = json.loads(lines.getvalue())
        assert {k: record[k] for k in ("level", "logger", "msg", "entries")} == {
            "level": "warning", "logger": "wippy.test", "msg": "runtime ready", "entries": 14}
        silent = io.StringIO()
        setup_logging(silent=True, stream=silent)
        log.error("nothing")
        assert silent.getvalue() == ""
    finally:
        for handler in [h for h in root.handlers if getattr(h, "_wippy_handler", False)]:
            root.removeHandler(handler)
        root.setLevel(level)


def test_settle_heap_freezes_startup_objects_and_relaxes_young_collections():
    import gc

    from wippy import cli
    before = gc.get_threshold()
    try:
        cli._settle_heap()
        assert gc.get_freeze_count() > 1000   # modules and objects made so far
        assert gc.get_threshold() == (cli.GC_YOUNG_THRESHOLD, *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
