"""Hostile handler code served over HTTP (plan case 1, end to end): every attack is a
clean 500 with no detail, nothing is touched, and the server keeps serving."""
from __future__ import annotations

import re

import httpx
import pytest

from .conftest import WippyProcess, free_port, make_project

ATTACKS = {
    "os_execute": "os.execute('touch CANARY')",
    "io_write": "io.open('CANARY', 'w'):write('x')",
    "os_exit": "os.exit(3)",
    "python_eval": "python.eval('1')",
    # Through a variable: a literal require('io') is refused by the start-up check itself.
    "require_io": "(function(name) return require(name) end)('io').open('CANARY', 'w')",
    "load_bytecode": "load(string.dump(function() end))()",
    "debug": "debug.getregistry()",
    "package": "package.loadlib('libc.so.6', '*')",
}

HOSTILE_YAML = """version: "1.0"
namespace: app
entries:
  - name: hostile
    kind: function.lua
    source: |
      local http = require("http")
      local attacks = {
%s
      }
      local function handler()
        local name = http.request():query("attack")
        attacks[name]()
        http.response():write_json({survived = true})
      end
      return { handler = handler }
    method: handler
    modules: [http]
  - name: hostile.endpoint
    kind: http.endpoint
    meta:
      router: app:router
    method: GET
    path: /hostile
    func: app:hostile
"""

LEAK = re.compile(r"Traceback|\.lua|\.py|/work|/tmp|attempt to|os\.|io\.|python", re.I)


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("hostile"))
    table = "\n".join(f"        {name} = function() return {code.replace('CANARY', str(project / 'canary'))} end,"
                      for name, code in ATTACKS.items())
    (project / "src/hostile.yaml").write_text(HOSTILE_YAML % table)
    proc = WippyProcess(project, free_port())
    proc.wait_ready()
    yield proc, project
    proc.kill()


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_is_a_clean_500_and_the_server_lives_on(hostile_server, attack):
    proc, project = hostile_server
    with httpx.Client(base_url=proc.url, timeout=10) as client:
        r = client.get("/hostile", params={"attack": attack})
        assert r.status_code == 500
        assert r.json()["error"]["code"] == "handler_error"
        assert not LEAK.search(r.text), r.text
        assert client.get("/tasks").status_code == 200      # next request unaffected
    assert proc.proc.poll() is None                          # os.exit did not kill it
    assert not (project / "canary").exists()
