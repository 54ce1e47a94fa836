"""A queue's `driver_options.amqp` and the declare arguments they give (queue.driver.amqp,
docs/kinds/queue.md): what two nodes sharing a broker must agree on."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..registry.config import spec


@dataclass
class AmqpQueueOptions:
    """`driver_options.amqp` on a queue.queue (Wippy's keys, plus publish_timeout)."""
    max_length: int = spec(0, min=0, doc="x-max-length on the broker, and the bound this node "
                                         "holds publishes to; 0 = no broker limit, 100000 here")
    publish_timeout: float = spec(1.0, duration=True, min=0,
                                  doc="how long a publish into a full queue waits")
    durable: bool = spec(True, doc="declare the queue durable")
    auto_delete: bool = spec(False, doc="the broker deletes the queue after its last consumer")
    message_ttl: float = spec(0.0, duration=True, min=0,
                              doc="x-message-ttl (overrides the driver's default_queue_ttl)")
    queue_expiry: float = spec(0.0, duration=True, min=0,
                               doc="x-expires (overrides the driver's default_queue_expiry)")
    # Ours, not Wippy's: classic (the default) declares exactly what Go Wippy declares, so
    # both can share a queue; quorum adds x-queue-type: quorum (replicated, durable only).
    queue_type: str = spec("classic", choices=("classic", "quorum"),
                           doc="classic (as Go Wippy declares) or quorum")


def queue_arguments(options: AmqpQueueOptions, default_ttl: float = 0.0,
                    default_expiry: float = 0.0) -> dict[str, Any]:
    """The declare arguments, as Go Wippy declares them: a node that shares a broker with
    another must declare identical ones, or the broker refuses (406 PRECONDITION_FAILED)."""
    args: dict[str, Any] = {}
    ttl = options.message_ttl or default_ttl
    expiry = options.queue_expiry or default_expiry
    if ttl:
        args["x-message-ttl"] = int(ttl * 1000)
    if expiry:
        args["x-expires"] = int(expiry * 1000)
    if options.max_length:
        args["x-max-length"] = options.max_length
    if options.queue_type == "quorum":
        args["x-queue-type"] = "quorum"
    return args
