"""A small app for the ops page tests: a durable (sqlite) queue whose consumer fails until
`POST /fix`, so its messages are dead-lettered and can be replayed into success; a queue
with no consumer, so its depth follows the POSTs; and a handler that always fails."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

INDEX = """\
version: "1.0"
namespace: app
entries:
  - name: driver
    kind: queue.driver.sqlite
    poll_interval: 50ms
    lifecycle: {auto_start: true}
  - name: jobs
    kind: queue.queue
    driver: driver
    dead_letter: {queue: failed, max_attempts: 1}
  - name: failed
    kind: queue.queue
    driver: driver
  - name: inbox
    kind: queue.queue
    driver: driver
  - name: done
    kind: queue.queue
    driver: driver
  - name: flags
    kind: store.memory
  - name: gateway
    kind: http.service
    addr: ":8080"
    lifecycle: {auto_start: true}
  - name: router
    kind: http.router
    meta: {server: gateway}
  - {name: inbox_post, kind: function.lua, source: file://api.lua, method: inbox, modules: [http, queue, store]}
  - {name: job_post, kind: function.lua, source: file://api.lua, method: job, modules: [http, queue, store]}
  - {name: fix_post, kind: function.lua, source: file://api.lua, method: fix, modules: [http, queue, store]}
  - {name: boom, kind: function.lua, source: file://api.lua, method: boom, modules: [http, queue, store]}
  - {name: inbox.endpoint, kind: http.endpoint, meta: {router: router}, method: POST, path: /inbox, func: inbox_post}
  - {name: job.endpoint, kind: http.endpoint, meta: {router: router}, method: POST, path: /jobs, func: job_post}
  - {name: fix.endpoint, kind: http.endpoint, meta: {router: router}, method: POST, path: /fix, func: fix_post}
  - {name: boom.endpoint, kind: http.endpoint, meta: {router: router}, method: GET, path: /boom, func: boom}
  - name: worker
    kind: function.lua
    source: file://worker.lua
    method: main
    modules: [queue, store]
  - name: consumer
    kind: queue.consumer
    queue: jobs
    func: worker
    lifecycle: {auto_start: true}
"""

API = """\
local http = require("http")

local function reply(status, body)
    local res = http.response()
    res:set_status(status)
    res:write_json(body)
end

local function publish(queue_id)
    local queue = require("queue")
    local body = http.request():body_json() or {}
    local ok, err = queue.publish(queue_id, body)
    if err then return reply(500, {error = tostring(err)}) end
    reply(202, {queued = true})
end

local function fix()
    local store = require("store")
    local flags = store.get("app:flags")
    flags:set("fixed", true)
    flags:release()
    reply(200, {fixed = true})
end

local function boom()
    error("boom: <b>failed</b> on purpose")
end

return {
    inbox = function() return publish("app:inbox") end,
    job = function() return publish("app:jobs") end,
    fix = fix,
    boom = boom,
}
"""

WORKER = """\
local queue = require("queue")
local store = require("store")

return {main = function(body)
    local flags = store.get("app:flags")
    local fixed = flags:get("fixed")
    flags:release()
    if not fixed then
        return nil, "not fixed yet: " .. tostring(body.name)
    end
    return queue.publish("app:done", body)
end}
"""


def make_app(root: Path, ops_port: int, ops: str = "ops:\n  enabled: true\n") -> Path:
    (root / "src").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "src" / "_index.yaml").write_text(INDEX)
    (root / "src" / "api.lua").write_text(API)
    (root / "src" / "worker.lua").write_text(WORKER)
    (root / ".wippy.yaml").write_text(
        f"prometheus:\n  enabled: true\n  address: 127.0.0.1:{ops_port}\n{ops}")
    subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=root, check=True,
                   capture_output=True, timeout=60)
    return root
