"""`store.memory`: entries in a dict, bounded by `max_size` (docs/kinds/store.md).

Expired keys are invisible the moment they expire (every read checks); they are
removed by the periodic cleanup and, before a write is refused for lack of room,
at once (a heap of expiry times keeps that cheap). When `max_size` live keys
exist, a write of a new key is rejected, as Wippy documents; writes to existing keys
still succeed. Values are kept as JSON bytes, so what a caller later changes in its
own tables never reaches the store. Methods are synchronous and thread-safe: Lua
calls them directly from whichever thread runs the step.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import threading
import time
from typing import Any

from ..errors import UNAVAILABLE
from .base import (Store, StoreError, check_key, check_ttl, check_value, decode, encode, entry,
                   exists, invalid, list_options, not_found, page, put_options, version_mismatch)

log = logging.getLogger("wippy.store")


class MemoryStore(Store):
    backend = "memory"
    consistency = "local"
    versioned = True
    conditional_put = True

    def __init__(self, entry_id: str, max_size: int = 10_000, cleanup_interval: float = 300.0,
                 clock: Any = time.monotonic):
        super().__init__(entry_id)
        self.max_size = max_size
        self.cleanup_interval = cleanup_interval
        self._clock = clock
        self._data: dict[str, tuple[bytes, float, str]] = {}   # key -> (json, expires, version)
        self._expiries: list[tuple[float, str, str]] = []      # heap of (expires, key, version)
        self._versions = itertools.count(1)
        self._lock = threading.Lock()
        self._task: asyncio.Task | None = None

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self.cleanup_interval > 0 and self._task is None:
            self._task = asyncio.ensure_future(self._cleanup_loop())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        with self._lock:
            self._data.clear()
            self._expiries.clear()

    async def _cleanup_loop(self) -> None:
        while True:
            await asyncio.sleep(self.cleanup_interval)
            with self._lock:
                removed = self._purge(self._clock())
            if removed:
                log.debug("store %s: %d expired entries removed", self.entry_id, removed)

    # ------------------------------------------------------------ internals (lock held)
    def _live(self, key: str, now: float) -> tuple[bytes, float, str] | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] and item[1] <= now:
            del self._data[key]
            return None
        return item

    def _purge(self, now: float) -> int:
        removed, heap = 0, self._expiries
        while heap and heap[0][0] <= now:
            _, key, version = heapq.heappop(heap)
            item = self._data.get(key)
            if item is not None and item[2] == version:   # not rewritten since
                del self._data[key]
                removed += 1
        return removed

    def _write(self, key: str, value: Any, ttl: float, now: float, absent: bool = False,
               if_version: str | None = None) -> str:
        blob = encode(check_value(value))
        current = self._live(key, now)
        if absent and current is not None:
            raise exists(key)
        if if_version is not None and (current is None or current[2] != if_version):
            raise version_mismatch(key)
        if current is None and len(self._data) >= self.max_size:
            self._purge(now)
            if len(self._data) >= self.max_size:
                # Retryable as Go Wippy's ErrStoreFull is (the docs are silent): room
                # comes back as keys expire or are deleted.
                raise StoreError(f"store {self.entry_id} is full ({self.max_size} entries): "
                                 "new keys are rejected until keys are deleted or expire",
                                 UNAVAILABLE, retryable=True)
        version = str(next(self._versions))
        expires = now + ttl if ttl else 0.0
        self._data[key] = (blob, expires, version)
        if expires:
            heapq.heappush(self._expiries, (expires, key, version))
        return version

    # ------------------------------------------------------------ operations
    def get(self, key: Any) -> Any:
        key = check_key(key)
        with self._lock:
            item = self._live(key, self._clock())
        if item is None:
            raise not_found(key)
        return decode(item[0])

    def entry(self, key: Any) -> dict:
        key = check_key(key)
        with self._lock:
            item = self._live(key, self._clock())
        if item is None:
            raise not_found(key)
        return entry(key, decode(item[0]), item[2])

    def set(self, key: Any, value: Any, ttl: Any = None) -> bool:
        key, ttl = check_key(key), check_ttl(ttl)
        with self._lock:
            self._write(key, value, ttl, self._clock())
        return True

    def put(self, key: Any, value: Any, opts: Any = None) -> dict:
        key = check_key(key)
        ttl, absent, if_version = put_options(opts)
        with self._lock:
            version = self._write(key, value, ttl, self._clock(), absent, if_version)
        return entry(key, value, version)

    def has(self, key: Any) -> bool:
        key = check_key(key)
        with self._lock:
            return self._live(key, self._clock()) is not None

    def delete(self, key: Any) -> bool:
        key = check_key(key)
        with self._lock:
            live = self._live(key, self._clock()) is not None
            self._data.pop(key, None)
        return live

    def list(self, opts: Any = None) -> dict:
        prefix, after, limit = list_options(opts)
        with self._lock:
            now = self._clock()
            keys = sorted(k for k, item in self._data.items()
                          if k.startswith(prefix) and (after is None or k > after)
                          and not (item[1] and item[1] <= now))
            chosen = keys[:limit]
            items = [entry(k, decode(self._data[k][0]), self._data[k][2]) for k in chosen]
        return page(items, len(keys) > limit)

    def __len__(self) -> int:
        return len(self._data)


__all__ = ["MemoryStore", "invalid"]
