"""The ops page tests' app, running under a real `wippy run` (tests/ops/app.py)."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.e2e.conftest import WippyProcess, free_port

from .app import make_app


@dataclass
class OpsApp:
    proc: WippyProcess
    ops: str          # http://127.0.0.1:PORT of the operations listener
    port: int         # its port

    @property
    def url(self) -> str:   # the application's http.service
        return self.proc.url


@pytest.fixture
def ops_app(tmp_path):
    port = free_port()
    project = make_app(tmp_path / "app", port)
    proc = WippyProcess(project, free_port())
    try:
        proc.wait_ready()
        yield OpsApp(proc, f"http://127.0.0.1:{port}", port)
    finally:
        proc.stop()
