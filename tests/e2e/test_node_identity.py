"""Each node names itself in its logs: host:pid by default, `relay.node_name` in
.wippy.yaml (or --set), or WIPPY_NODE_ID, as Go Wippy's relay node name."""
from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from .conftest import WippyProcess, free_port, make_project

pytestmark = pytest.mark.e2e


def test_default_identity_is_host_and_pid_on_the_ready_line(project):
    proc = WippyProcess(project, free_port())
    try:
        proc.wait_ready()
        node = f"node={socket.gethostname()}:{proc.proc.pid}"
        ready = [line for line in proc.lines if "runtime ready" in line]
        loaded = [line for line in proc.lines if "registry loaded" in line]
        assert node in ready[0] and node in loaded[0], proc.logs
    finally:
        proc.stop()


def test_configured_name_is_on_every_json_line(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    (project / ".wippy.yaml").write_text("relay:\n  node_name: worker-1\nlogger:\n  encoding: json\n")
    monkeypatch.setenv("WIPPY_NODE_ID", "from-env")    # the config wins over the variable
    proc = WippyProcess(project, free_port())
    try:
        proc.wait_ready()
    finally:
        proc.stop()
    records = [json.loads(line) for line in proc.lines if line.startswith("{")]
    assert len(records) > 5
    assert {r["node"] for r in records} == {"worker-1"}, proc.logs


def test_env_variable_and_set_flag(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    monkeypatch.setenv("WIPPY_NODE_ID", "from-env")
    proc = WippyProcess(project, free_port(), ["--log-json"])
    try:
        proc.wait_ready()
    finally:
        proc.stop()
    assert {json.loads(line)["node"] for line in proc.lines if line.startswith("{")} == {"from-env"}
    proc = WippyProcess(project, free_port(), ["--set", "relay.node_name=eu-2"])
    try:
        proc.wait_ready()
        assert "node=eu-2" in next(line for line in proc.lines if "runtime ready" in line)
    finally:
        proc.stop()


def test_a_bad_name_is_one_line_naming_the_file(tmp_path):
    project = make_project(tmp_path)
    (project / ".wippy.yaml").write_text("relay:\n  node_name: two words\n")
    out = subprocess.run([sys.executable, "-m", "wippy", "check"], cwd=project,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert ".wippy.yaml:2: relay.node_name: must be a name without spaces" in out.stdout, out.stdout
