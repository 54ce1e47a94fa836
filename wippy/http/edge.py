"""What one client may hold at the HTTP edge: the limits of one http.service, the
counters its connections share, and how long a lingering close lasts.

Each limit answers a way a client can tie up the server without finishing a
request (docs/operations.md, "HTTP edge"):

* `max_connections`: open connections. One more is answered 503 and closed.
* `max_header_bytes`, `max_headers`, `max_uri`: the size of a request head,
  which is buffered whole before the request is routed (431, 414).
* `body_idle`: the longest pause between two reads of a request body (408),
  as nginx's `client_body_timeout`.
* `max_body_buffer`: bytes of request bodies still arriving, summed over all
  connections: a body that would go past it is answered 503. Together with
  `max_body` and `limit_concurrency` this bounds the memory bodies can take.

A lingering close (nginx `lingering_close`, Go's `closeWriteAndWait`): after
an error answer sent while the client may still be sending its body, the
server shuts down its side for writing and reads and discards what still
arrives, for at most LINGER_TIME in all, LINGER_TIMEOUT between two reads and
LINGER_BYTES, then closes. Closing at once would make the kernel reset the
connection over the unread bytes, and a client still sending (urllib) would
see the reset instead of the answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LINGER_TIME = 30.0          # nginx lingering_time
LINGER_TIMEOUT = 5.0        # nginx lingering_timeout
LINGER_BYTES = 64 << 20     # discarded at most, then close

DEFAULT_MAX_CONNECTIONS = 10_000
DEFAULT_MAX_HEADER_BYTES = 64 << 10     # request line + headers
DEFAULT_MAX_HEADERS = 100
DEFAULT_MAX_URI = 8 << 10
DEFAULT_BODY_IDLE = 60.0                # nginx client_body_timeout
DEFAULT_MAX_BODY_BUFFER = 64 << 20


@dataclass(eq=False)
class Edge:
    """The limits of one server and the counters its connections share."""

    header_timeout: float = 30.0
    body_idle: float = DEFAULT_BODY_IDLE
    max_connections: int = DEFAULT_MAX_CONNECTIONS       # 0 = no limit
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    max_headers: int = DEFAULT_MAX_HEADERS
    max_uri: int = DEFAULT_MAX_URI
    max_body_buffer: int = DEFAULT_MAX_BODY_BUFFER
    buffered: int = 0              # body bytes held for requests whose body is arriving
    refusing: bool = False         # over max_connections: logged once per episode
    buffer_full: bool = False      # over max_body_buffer: logged once per episode
    # Its `observe` is called with each completed response (wippy/ops/http_observer.py);
    # None: nothing to do.
    observer: Any = None
