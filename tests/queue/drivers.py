"""The drivers the contract suite runs against. A new driver adds one DriverCase here."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from wippy.queue import Driver, MemoryDriver, MemoryQueueOptions


@dataclass
class DriverCase:
    name: str
    # A fresh driver; `tmp_path` is for drivers that keep files.
    make: Callable[[Path], Driver]
    # Queue options for a given bound and publish wait, in this driver's own type.
    options: Callable[[int, float], Any]
    # Whether messages survive a driver stop/start (durable drivers).
    durable: bool = False


MEMORY = DriverCase(
    name="memory",
    make=lambda tmp_path: MemoryDriver("test:memory"),
    options=lambda max_length, publish_timeout: MemoryQueueOptions(max_length, publish_timeout),
)

DRIVER_CASES = [MEMORY]
