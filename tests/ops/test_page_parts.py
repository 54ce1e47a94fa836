"""The ops page's parts on their own: the Host check, the listener address check, the
handler-error ring, and the `ops` section of .wippy.yaml."""
from __future__ import annotations

import logging

import pytest

from tests.host_helpers import write
from wippy.errors import ConfigError, ConfigErrors
from wippy.logs import fields
from wippy.ops.page.app import loopback_host
from wippy.ops.page.handler_errors import HandlerErrors
from wippy.ops.page.server import check_settings
from wippy.registry.config_sections import Settings
from wippy.registry.project_config import load_project_config


@pytest.mark.parametrize("host, ok", [
    ("127.0.0.1:9090", True), ("127.0.0.2", True), ("localhost:9090", True),
    ("LOCALHOST", True), ("[::1]:9090", True), ("::1", True), ("app.localhost:1", True),
    ("10.0.0.1:9090", False), ("example.com", False), ("127.0.0.1.evil.example", False),
    ("[::ffff:10.0.0.1]:9090", False), ("", False),
])
def test_loopback_host(host, ok):
    assert loopback_host(host) is ok


def test_check_settings():
    check_settings(Settings(prometheus_enabled=True, ops_enabled=True))
    check_settings(Settings(prometheus_enabled=True, ops_enabled=True,
                            prometheus_address="[::1]:9090"))
    check_settings(Settings(prometheus_enabled=True, ops_enabled=True, ops_allow_remote=True,
                            prometheus_address="0.0.0.0:9090"))
    with pytest.raises(ConfigError, match="set prometheus.enabled: true"):
        check_settings(Settings(ops_enabled=True))
    for address in ("0.0.0.0:9090", ":9090", "ops.example.com:9090"):
        with pytest.raises(ConfigError, match=f"{address} is not a loopback address"):
            check_settings(Settings(prometheus_enabled=True, ops_enabled=True,
                                    prometheus_address=address))


def test_handler_errors_keep_the_latest_handler_failures_only():
    ring = HandlerErrors(size=3)
    log = logging.getLogger("wippy.test_ops_ring")
    ring.attach()
    try:
        log.error("GET /x failed: boom", extra=fields(func="app:f", request_id="r1", code="c"))
        log.error("no handler named", extra=fields(service="app:gateway"))     # not a handler
        log.info("fine", extra=fields(func="app:f", request_id="r0"))         # below WARNING
        log.warning("message processing failed", extra=fields(
            func="app:w", consumer="app:c", message_id="m1", error="nope " * 1000))
        for n in range(2, 5):
            log.error("failed", extra=fields(func="app:f", request_id=f"r{n}"))
    finally:
        ring.detach()
    log.error("after detach", extra=fields(func="app:f", request_id="r9"))
    got = ring.latest()
    assert [e.get("request_id") for e in got] == ["r4", "r3", "r2"]   # newest first, 3 kept
    assert got[0]["seq"] == 5 and got[0]["level"] == "ERROR"
    ring = HandlerErrors()
    ring.handle(logging.makeLogRecord({"levelno": logging.WARNING, "levelname": "WARNING",
                                       "msg": "m", "fields": {"func": "f", "message_id": "m1",
                                                              "error": "x" * 5000}}))
    assert len(ring.latest()[0]["error"]) == 2000


def _settings(tmp_path, text):
    write(tmp_path / ".wippy.yaml", text)
    return load_project_config(cwd=tmp_path).settings


def test_prometheus_without_an_address_listens_on_loopback_9090(tmp_path):
    """docs/decisions.md D16: Wippy would start no server; we listen where its guide does."""
    got = _settings(tmp_path, "prometheus: {enabled: true}\n")
    assert (got.prometheus_enabled, got.prometheus_address) == (True, "127.0.0.1:9090")
    got = _settings(tmp_path, "prometheus: {enabled: true, address: '0.0.0.0:9100'}\n")
    assert got.prometheus_address == "0.0.0.0:9100"


def test_ops_section(tmp_path):
    assert _settings(tmp_path, "logger: {encoding: json}\n").ops_enabled is False
    got = _settings(tmp_path, "ops: {enabled: true, allow_remote: true}\n")
    assert (got.ops_enabled, got.ops_allow_remote) == (True, True)
    with pytest.raises(ConfigErrors) as bad:
        _settings(tmp_path, "ops:\n  enabld: true\n")
    assert ".wippy.yaml:2: ops.enabld: unknown field (did you mean enabled?)" in str(bad.value)
    with pytest.raises(ConfigErrors, match="ops.allow_remote: must be true or false"):
        _settings(tmp_path, "ops: {allow_remote: sometimes}\n")


@pytest.mark.parametrize("config, problem", [
    ("ops: {enabled: true}\n", "ops.enabled: the ops page is served on the prometheus "
                               "listener; set prometheus.enabled: true in .wippy.yaml"),
    ("ops: {enabled: true}\nprometheus: {enabled: true, address: '0.0.0.0:9090'}\n",
     "ops.enabled: prometheus.address 0.0.0.0:9090 is not a loopback address"),
])
def test_wippy_check_refuses_the_ops_settings_wippy_run_refuses(tmp_path, config, problem):
    import subprocess
    import sys
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "_index.yaml").write_text('version: "1.0"\nnamespace: app\nentries: []\n')
    (tmp_path / "wippy.lock").write_text("directories:\n  modules: .wippy\n  src: ./src\n")
    (tmp_path / ".wippy.yaml").write_text(config)
    out = subprocess.run([sys.executable, "-m", "wippy", "check"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and out.stdout.startswith(problem), out.stdout + out.stderr
    (tmp_path / ".wippy.yaml").write_text("ops: {enabled: true}\nprometheus: {enabled: true}\n")
    out = subprocess.run([sys.executable, "-m", "wippy", "check"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
