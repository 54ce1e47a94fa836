"""base64, hash, crypto, yaml and http_client through a real `wippy run` (issue 11).

One project: the tutorial plus a handler per module, each declared under
`modules:` and reached over HTTP. http_client calls a receiver on 127.0.0.1 that
the operator allowed through WIPPY_HTTP_CLIENT_ALLOW, and is refused a private
address that was not allowed.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import yaml as pyyaml

from .conftest import WippyProcess, free_port, make_project

HANDLERS = r"""version: "1.0"
namespace: app
entries:
  - name: codecs
    kind: function.lua
    source: |
      local http = require("http")
      local function handler()
        local req, res = http.request(), http.response()
        local body = req:body()
        local raw = base64.decode(base64.encode(body))
        local doc, yerr = yaml.decode("name: demo\nport: 8080\nflag: yes\n")
        local key = crypto.random.bytes(32)
        local sealed = crypto.encrypt.aes(raw, key, "aad")
        local opened = crypto.decrypt.aes(sealed, key, "aad")
        local token = crypto.jwt.encode({sub = "e2e", exp = os.time() + 60}, "jwt-secret")
        local claims = crypto.jwt.verify(token, "jwt-secret")
        res:write_json({
          b64 = base64.encode(body), roundtrip = raw == body,
          sha256 = hash.sha256(body), hmac = hash.hmac_sha256(body, "k"), fnv32 = hash.fnv32(body),
          yaml_port = doc.port, yaml_flag = doc.flag, yaml_out = yaml.encode({b = 1, a = {"x"}}),
          aead = opened == raw, sealed_len = #sealed, token = token, sub = claims.sub,
        })
      end
      return {handler = handler}
    method: handler
    modules: [http, base64, hash, yaml, crypto]
  - name: codecs.endpoint
    kind: http.endpoint
    meta: {router: app:router}
    method: POST
    path: /codecs
    func: app:codecs
  - name: fetch
    kind: function.lua
    source: |
      local http = require("http")
      local http_client = require("http_client")
      local function handler()
        local req, res = http.request(), http.response()
        local target = req:query("url")
        local r, err = http_client.post(target, {body = req:body(), headers = {["X-Sig"] = hash.sha256(req:body())},
                                                 timeout = "2s"})
        if err then
          res:set_status(502)
          res:write_json({kind = err:kind(), message = err:message()})
          return
        end
        res:write_json({status = r.status_code, body = r.body, header = r.headers["X-Receiver"]})
      end
      return {handler = handler}
    method: handler
    modules: [http, http_client, hash]
  - name: fetch.endpoint
    kind: http.endpoint
    meta: {router: app:router}
    method: POST
    path: /fetch
    func: app:fetch
"""


class Receiver(BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.seen.append((self.headers["X-Sig"], body))
        reply = b"got " + body
        self.send_response(201)
        self.send_header("X-Receiver", "yes")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("codecs"))
    (project / "src/codecs.yaml").write_text(HANDLERS)
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    os.environ["WIPPY_HTTP_CLIENT_ALLOW"] = "public,127.0.0.1/32"   # copied into the child
    try:
        proc = WippyProcess(project, free_port())
    finally:
        del os.environ["WIPPY_HTTP_CLIENT_ALLOW"]
    try:
        proc.wait_ready()
        yield proc, f"http://127.0.0.1:{receiver.server_address[1]}"
    finally:
        receiver.shutdown()
        receiver.server_close()
        if proc.proc.poll() is None:
            proc.signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_base64_hash_yaml_crypto_in_a_handler(running):
    proc, _ = running
    body = b"hello e2e"
    r = httpx.post(f"{proc.url}/codecs", content=body, timeout=10)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["b64"] == base64.b64encode(body).decode() and out["roundtrip"] is True
    assert out["sha256"] == hashlib.sha256(body).hexdigest()
    assert out["hmac"] == hmac.new(b"k", body, "sha256").hexdigest()
    assert out["yaml_port"] == 8080 and out["yaml_flag"] == "yes"
    assert pyyaml.safe_load(out["yaml_out"]) == {"a": ["x"], "b": 1}
    assert out["aead"] is True and out["sealed_len"] == 12 + len(body) + 16
    head, claims, sig = out["token"].split(".")
    expected = hmac.new(b"jwt-secret", f"{head}.{claims}".encode(), "sha256").digest()
    assert base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)) == expected
    assert out["sub"] == "e2e"


def test_http_client_reaches_an_allowed_receiver(running):
    proc, receiver = running
    Receiver.seen.clear()
    r = httpx.post(f"{proc.url}/fetch", params={"url": receiver + "/in"}, content=b"payload", timeout=10)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": 201, "body": "got payload", "header": "yes"}
    assert Receiver.seen == [(hashlib.sha256(b"payload").hexdigest(), b"payload")]


def test_http_client_is_refused_a_private_address_not_allowed(running):
    proc, _ = running
    r = httpx.post(f"{proc.url}/fetch", params={"url": "http://127.0.0.2:9/"}, content=b"x", timeout=10)
    assert r.status_code == 502
    assert r.json()["kind"] == "PermissionDenied" and "private IP 127.0.0.2" in r.json()["message"]
