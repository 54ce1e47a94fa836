"""SIGINT and SIGTERM while `wippy run` serves or runs a program: the first starts a
graceful stop, a second exits at once with 1 (as Wippy's CLI: "press Ctrl+C again to
force exit")."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from typing import Callable, Iterator

log = logging.getLogger("wippy")
SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def stop_signals(loop: asyncio.AbstractEventLoop, first: Callable[[], None],
                 force_message: str | None = None) -> Iterator[None]:
    """Within the block, the first signal calls `first`; the next one exits the process."""
    received = 0

    def on_signal() -> None:
        nonlocal received
        received += 1
        if received == 1:
            first()
            return
        if force_message:
            log.warning(force_message)
        logging.shutdown()
        os._exit(1)

    for sig in SIGNALS:
        loop.add_signal_handler(sig, on_signal)
    try:
        yield
    finally:
        for sig in SIGNALS:
            loop.remove_signal_handler(sig)
