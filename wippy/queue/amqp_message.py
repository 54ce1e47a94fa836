"""A queue message on the wire of `queue.driver.amqp`: JSON body, persistent, and the
driver-private headers that carry its attempts, last error and own headers (stripped on
delivery, so a handler sees what was published)."""
from __future__ import annotations

import json
from typing import Any

from .message import Message

ATTEMPTS = "x-wippy-attempts"
LAST_ERROR = "x-wippy-last-error"
HEADERS = "x-wippy-headers"


def encode(message: Message, expiration: float | None = None) -> Any:
    import aio_pika   # imported with the driver only: apps without amqp never load it
    return aio_pika.Message(
        json.dumps(message.body, separators=(",", ":")).encode(),
        content_type="application/json", message_id=message.id,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT, expiration=expiration,
        headers={HEADERS: json.dumps(message.headers, default=str),
                 ATTEMPTS: message.attempts, LAST_ERROR: message.last_error or ""})


def decode(incoming: Any) -> Message:
    headers = dict(incoming.headers or {})
    attempts = int(headers.pop(ATTEMPTS, 0) or 0)
    last_error = headers.pop(LAST_ERROR, "") or None
    if isinstance(last_error, bytes):
        last_error = last_error.decode()
    own = headers.pop(HEADERS, None)
    if own is not None:
        headers = json.loads(own if isinstance(own, str) else own.decode())
    return Message(incoming.message_id or "", json.loads(incoming.body), headers, attempts,
                   last_error)
