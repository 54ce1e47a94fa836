"""examples/webhooks under a real `wippy run`: signed delivery, retry with backoff, dead letter."""
from __future__ import annotations

import hashlib
import hmac
import os
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from .conftest import ROOT, WippyProcess, free_port, make_project, wait_until

SECRET = "e2e-secret"


class Receiver(BaseHTTPRequestHandler):
    """`flaky` hooks fail twice then succeed; `broken` hooks always fail."""
    calls: list = []
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        name = self.headers["X-Webhook-Name"]
        with Receiver.lock:
            Receiver.calls.append((name, self.headers["X-Webhook-Signature"], body, time.monotonic()))
            seen = sum(1 for c in Receiver.calls if c[0] == name)
        ok = name == "orders" or (name == "flaky" and seen > 2)
        self.send_response(200 if ok else 500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def verify(signature: str, body: bytes) -> bool:
    parts = dict(p.split("=", 1) for p in signature.split(","))
    expected = hmac.new(SECRET.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 60


def test_webhooks_deliver_retry_and_dead_letter(tmp_path):
    project = make_project(tmp_path, ROOT / "examples" / "webhooks" / "src")
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    Receiver.calls.clear()
    env = {"WIPPY_HTTP_CLIENT_ALLOW": "public,127.0.0.1/32", "WEBHOOK_SECRET": SECRET,
           "WEBHOOK_TARGET_URL": f"http://127.0.0.1:{receiver.server_address[1]}/receive"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)                       # WippyProcess passes its environment on
    try:
        proc = WippyProcess(project, free_port())
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=10) as client:
            ids = {}
            for name in ("orders", "flaky", "broken"):
                r = client.post(f"/hooks/{name}", content=b'{"order": 42, "hook": "%s"}' % name.encode())
                assert r.status_code == 202, r.text
                ids[name] = r.json()["id"]

            def status(name):
                return client.get(f"/deliveries/{ids[name]}").json()
            wait_until(lambda: status("orders")["status"] == "delivered", 15, message="orders delivered")
            wait_until(lambda: status("flaky")["status"] == "delivered", 15, message="flaky delivered")
            wait_until(lambda: status("broken")["status"] == "dead", 20, message="broken dead-lettered")
            assert client.get("/deliveries/nope").status_code == 404
            assert status("orders")["attempts"] == 1 and status("flaky")["attempts"] == 3
            broken = status("broken")
            assert broken["attempts"] == 4 and broken["last_error"] == "receiver answered 500"

        by_name = {n: [c for c in Receiver.calls if c[0] == n] for n in ("orders", "flaky", "broken")}
        assert len(by_name["orders"]) == 1 and len(by_name["flaky"]) == 3 and len(by_name["broken"]) == 4
        for name, sig, body, _ in Receiver.calls:
            assert verify(sig, body), (name, sig)
        broken_times = [c[3] for c in by_name["broken"]]
        gaps = [b - a for a, b in zip(broken_times, broken_times[1:])]
        assert all(later > earlier * 1.3 for earlier, later in zip(gaps, gaps[1:])), gaps   # backoff grows
        proc.signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        assert "Unclosed" not in proc.logs and "Traceback" not in proc.logs, proc.logs  # pool closed
    finally:
        receiver.shutdown()
        receiver.server_close()
        if proc.proc.poll() is None:
            proc.signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
