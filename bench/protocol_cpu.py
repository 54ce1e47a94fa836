"""CPU time of the HTTP/1.1 protocol per request, in-process: no sockets, no client, so
the figure does not swing with the load generator or other work on the machine.

A fake transport takes the writes; a keep-alive connection is fed the same request
again and again and an app answers it through the exchange's whole-response path
(`take_body` + `respond`), as endpoints do. Each request also pays one asyncio task and
one loop turn, as on a real server. Prints the median of 5 runs of 50 000 requests.

    python bench/protocol_cpu.py [post|get] [off|metrics|access]

`metrics`: the server counts requests for /metrics (wippy/ops/http_observer.py) and the
app labels each with its route, as wippy/http/app.py does with Prometheus on; `access`:
that plus an access log line per request, written to /dev/null. `off` runs on the code
before those existed too (PYTHONPATH=<old tree>).
"""
from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import time
from types import SimpleNamespace

from wippy.http.edge import Edge
from wippy.http.protocol import protocol_class

POST_BODY = b'{"action":"uppercase","data":{"text":"task 1"}}'
REQUESTS = {
    "post": (b"POST /tasks HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\n\r\n" % len(POST_BODY)) + POST_BODY,
    "get": b"GET /tasks?status=none HTTP/1.1\r\nHost: bench\r\nAccept: */*\r\nUser-Agent: x\r\n\r\n",
}


class Transport:
    def __init__(self) -> None:
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.writes += 1

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, key: str, default=None):
        return {"sockname": ("127.0.0.1", 80), "peername": ("127.0.0.1", 5555)}.get(key, default)


async def app(scope, receive, send) -> None:
    fast = scope["wippy.fast"]
    if LABELLED:
        fast.route = ROUTES.get(app, "")     # what HttpApp does when observed
    fast.take_body()
    fast.respond(202, [(b"content-type", b"application/json")], b'{"status":"queued"}')


LABELLED = False
ROUTES: dict = {}


def edge_for(mode: str) -> Edge:
    global LABELLED
    if mode == "off":
        return Edge()
    import logging
    import os
    from wippy.logs import setup_logging
    from wippy.ops.http_observer import HttpObserver, HttpSeries
    setup_logging(stream=open(os.devnull, "w"))
    LABELLED = True
    ROUTES[app] = "/tasks"
    logging.getLogger().setLevel(logging.INFO)
    return Edge(observer=HttpObserver("bench:server", HttpSeries(), mode == "access"))


async def run(request: bytes, n: int, mode: str = "off") -> float:
    state = SimpleNamespace(connections=set(), tasks=set(), total_requests=0,
                            default_headers=[(b"date", b"Sat, 05 Dec 2026 10:00:00 GMT")])
    config = SimpleNamespace(loaded=True, loaded_app=app, timeout_keep_alive=75.0)
    conn = protocol_class(edge_for(mode))(config, state, None)
    transport = Transport()
    conn.connection_made(transport)
    for _ in range(2000):                    # warm-up
        conn.data_received(request)
        await asyncio.sleep(0)
    gc.collect()
    t0 = time.process_time()
    for _ in range(n):
        conn.data_received(request)
        await asyncio.sleep(0)               # the app task runs and answers
    elapsed = time.process_time() - t0
    assert transport.writes >= n, "requests were not answered"
    return elapsed / n * 1e6


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "post"
    mode = sys.argv[2] if len(sys.argv) > 2 else "off"
    runs = [asyncio.run(run(REQUESTS[kind], 50_000, mode)) for _ in range(5)]
    print(f"{kind} {mode}: {statistics.median(runs):.2f} us of CPU per request "
          f"(runs: {', '.join(f'{r:.2f}' for r in runs)})")


if __name__ == "__main__":
    main()
