"""The latest handler failures for the ops page, in a bounded ring.

Fed by the log records the runtime already writes when a handler fails: the HTTP
endpoint's `... failed` line carries `request_id` (the id the client got in its 500
answer and X-Request-Id), a queue consumer's lines carry `message_id`; both carry
`func`. So the request and message paths get no extra code: the ring is a logging
handler on the `wippy` logger, attached only while the page is served.
"""
from __future__ import annotations

import collections
import logging
from typing import Any

RING_SIZE = 100       # failures kept; older ones fall out
_KEEP = ("request_id", "message_id", "endpoint", "consumer", "queue", "func", "code",
         "error", "attempt", "final")
TEXT_LIMIT = 2000     # characters of a message or error kept (a traceback can be huge)


class HandlerErrors(logging.Handler):
    """Records at WARNING and above that name a handler (`func`) and a request or a
    message. logging calls emit() under the handler's lock, from any thread."""

    def __init__(self, size: int = RING_SIZE):
        super().__init__(logging.WARNING)
        self._ring: collections.deque[dict[str, Any]] = collections.deque(maxlen=size)
        self._seq = 0

    def emit(self, record: logging.LogRecord) -> None:
        extra = getattr(record, "fields", None)
        if not isinstance(extra, dict) or "func" not in extra:
            return
        if "request_id" not in extra and "message_id" not in extra:
            return
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not break logging
            message = str(record.msg)
        self._seq += 1
        item: dict[str, Any] = {"seq": self._seq, "time": record.created,
                                "level": record.levelname, "logger": record.name,
                                "message": message[:TEXT_LIMIT]}
        for key in _KEEP:
            if key in extra:
                value = extra[key]
                item[key] = value[:TEXT_LIMIT] if isinstance(value, str) else value
        self._ring.append(item)

    def latest(self, limit: int = RING_SIZE) -> list[dict[str, Any]]:
        """Newest first."""
        self.acquire()
        try:
            items = list(self._ring)
        finally:
            self.release()
        return items[::-1][:limit]

    def attach(self) -> None:
        logging.getLogger("wippy").addHandler(self)

    def detach(self) -> None:
        logging.getLogger("wippy").removeHandler(self)
