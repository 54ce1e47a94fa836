"""`wippy run` as a subprocess: env variables, placeholders, `.wippy.yaml` profiles and --set."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import WippyProcess, free_port
from tests.host_helpers import write

APP = """namespace: app
entries:
  - {name: os_env, kind: env.storage.os}
  - {name: greeting, kind: env.variable, variable: WIPPY_E2E_GREETING, storage: os_env}
  - {name: port, kind: env.variable, variable: WIPPY_E2E_PORT, storage: os_env, default: "8080"}
  - name: gateway
    kind: http.service
    addr: "127.0.0.1:${env:WIPPY_E2E_PORT}"
    lifecycle: {auto_start: true}
  - name: router
    kind: http.router
    meta: {server: gateway}
    prefix: ${API_PREFIX|/api}
  - {name: hello, kind: function.lua, source: file://hello.lua, method: handler,
     modules: [http, env]}
  - {name: hello.endpoint, kind: http.endpoint, meta: {router: router}, method: GET,
     path: /hello, func: hello}
"""
HELLO = """local http = require("http")
local env = require("env")
local function handler()
    local res = http.response()
    local greeting, err = env.get("WIPPY_E2E_GREETING")
    local ok, set_err = env.set("WIPPY_E2E_GREETING", "changed")
    res:write_json({greeting = greeting, err = err and err:kind(), set_ok = ok,
                    set_err = set_err and set_err:kind(), all = env.get_all()})
end
return {handler = handler}
"""
EXTRA = """namespace: extra
entries:
  - {name: router, kind: http.router, meta: {server: app:gateway}, prefix: /extra}
  - {name: ping, kind: function.lua, source: file://ping.lua, method: handler, modules: [http]}
  - {name: ping.endpoint, kind: http.endpoint, meta: {router: router}, method: GET,
     path: /ping, func: ping}
"""
PING = """local http = require("http")
return {handler = function() http.response():write_json({pong = true}) end}
"""


class Run(WippyProcess):
    """`wippy run` with exactly the given arguments (no gateway override added)."""

    def __init__(self, cwd: Path, port: int, args: list[str], env: dict[str, str]):
        self.cwd, self.port, self.url = cwd, port, f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "wippy", "run", *args], cwd=cwd,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
                                     text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "app"
    write(root / "src" / "_index.yaml", APP)
    write(root / "src" / "hello.lua", HELLO)
    write(root / "src" / "extra" / "_index.yaml", EXTRA)
    write(root / "src" / "extra" / "ping.lua", PING)
    subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=root, check=True,
                   capture_output=True, timeout=60)
    return root


def _started(project: Path, port: int, args: list[str], env: dict[str, str] | None = None):
    run = Run(project, port, args, {"WIPPY_E2E_GREETING": "hello from the OS", **(env or {})})
    try:
        run.wait_ready()
    except BaseException:
        run.stop()
        raise
    return run


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_os_variable_reaches_the_handler_and_the_prefix_comes_from_a_default(project):
    port = free_port()
    run = _started(project, port, [], {"WIPPY_E2E_PORT": str(port)})
    try:
        body = httpx.get(f"{run.url}/api/hello", timeout=10).json()
    finally:
        run.stop()
    assert body["greeting"] == "hello from the OS" and "err" not in body
    assert "set_ok" not in body and body["set_err"] == "PermissionDenied"   # OS: read-only
    assert body["all"] == {"WIPPY_E2E_GREETING": "hello from the OS", "WIPPY_E2E_PORT": str(port)}
    # The registry keeps the placeholder: `registry show` never prints resolved values.
    shown = subprocess.run([sys.executable, "-m", "wippy", "registry", "show", "app:gateway",
                            "--json"], cwd=project, capture_output=True, text=True, timeout=60,
                           env={**os.environ, "WIPPY_E2E_PORT": str(port)})
    assert json.loads(shown.stdout)["data"]["addr"] == "127.0.0.1:${env:WIPPY_E2E_PORT}"
    assert str(port) not in shown.stdout


CONFIG = """vars:
  port: {base}
override:
  app:gateway:addr: "127.0.0.1:${{port}}"
profiles:
  alt:
    vars:
      port: {alt}
    disable:
      namespaces.add: [extra]
"""


def test_profile_switches_the_port_and_disables_a_namespace(project):
    base, alt = free_port(), free_port()
    write(project / ".wippy.yaml", CONFIG.format(base=base, alt=alt))
    run = _started(project, alt, ["--profile", "alt"])
    try:
        assert httpx.get(f"{run.url}/api/hello", timeout=10).status_code == 200
        assert httpx.get(f"{run.url}/extra/ping", timeout=10).status_code == 404
        assert not _listening(base)
    finally:
        run.stop()
    listed = subprocess.run([sys.executable, "-m", "wippy", "registry", "list", "--profile",
                             "alt"], cwd=project, capture_output=True, text=True, timeout=60)
    assert "app:gateway" in listed.stdout and "extra:" not in listed.stdout
    checks = [subprocess.run([sys.executable, "-m", "wippy", "check", *flags], cwd=project,
                             capture_output=True, text=True, timeout=60).stdout
              for flags in ([], ["--profile", "alt"])]
    assert checks == ["ok: 10 entries, no problems found\n", "ok: 7 entries, no problems found\n"]


def test_set_beats_the_file(project):
    base, chosen = free_port(), free_port()
    write(project / ".wippy.yaml", CONFIG.format(base=base, alt=free_port()))
    run = _started(project, chosen, ["--set", f"vars.port={chosen}",
                                     "--set", "logger.encoding=json"])
    try:
        assert httpx.get(f"{run.url}/extra/ping", timeout=10).json() == {"pong": True}
        assert not _listening(base)
    finally:
        run.stop()
    # logger.encoding: json -> one JSON object per log line.
    ready = [json.loads(line) for line in run.lines if "runtime ready" in line]
    assert ready and ready[0]["msg"] == "runtime ready"


@pytest.mark.parametrize("config, args, expected", [
    ("loger:\n  encoding: json\n", [],
     ".wippy.yaml:1: unknown section 'loger' (did you mean logger?)"),
    ("vars: {port: 1}\n", ["--profile", "nope"], "--profile nope: unknown profile 'nope'"),
    ("", ["--set", "vars.port"], "--set vars.port: use --set section.path=value"),
    ("", [], "src/_index.yaml:8: app:gateway: addr: ${env:WIPPY_E2E_PORT}: "),
])
def test_bad_input_is_one_line_and_nothing_starts(project, config, args, expected):
    write(project / ".wippy.yaml", config)
    # WIPPY_E2E_PORT unset and its variable's default removed: the placeholder cannot resolve.
    app = (project / "src" / "_index.yaml").read_text().replace(', default: "8080"', "")
    write(project / "src" / "_index.yaml", app)
    env = {k: v for k, v in os.environ.items() if k != "WIPPY_E2E_PORT"}
    done = subprocess.run([sys.executable, "-m", "wippy", "run", *args], cwd=project,
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1
    problems = [line for line in done.stderr.splitlines() if not line.startswith("Error:")]
    assert len(problems) == 1 and problems[0].startswith(expected), done.stderr
    assert "runtime ready" not in done.stderr and "Traceback" not in done.stderr
