"""The AMQP connection with reconnect backoff: `reconnect_delay` doubling up to
`reconnect_max_delay`, as Go Wippy's driver waits between attempts (docs/kinds/queue.md).

aio-pika's robust connection retries at one fixed `reconnect_interval`, read before each
wait. Each failed attempt here doubles it (up to the cap) and a connection that succeeds
sets it back, so a broker that is down for minutes is not dialled every second by every
node, and one that comes back is reached within `reconnect_max_delay`.
"""
from __future__ import annotations

from aio_pika import RobustConnection


class BackoffConnection(RobustConnection):
    base_delay = 1.0
    max_delay = 30.0

    def configure_backoff(self, base: float, cap: float) -> None:
        self.base_delay = base
        self.max_delay = max(cap, base)
        self.reconnect_interval = base

    # RobustConnection's reconnect loop calls `self.__connect_transport()`, which Python
    # names `_RobustConnection__connect_transport`: this override wraps each attempt.
    async def _RobustConnection__connect_transport(self) -> None:
        try:
            await super()._RobustConnection__connect_transport()
        except BaseException:
            self.reconnect_interval = min(self.reconnect_interval * 2, self.max_delay)
            raise
        self.reconnect_interval = self.base_delay
