"""In-process storages: memory, OS environment, static values, and the router.

Every storage has `get(key) -> str` (raises NotFound), `set(key, value)`
(raises a PERMISSION_DENIED error when read-only) and `list() -> dict`.
The file storage lives in file_storage.py.
"""
from __future__ import annotations

import os
import threading
from typing import Callable, Protocol

from .errors import NotFound, read_only
from .file_storage import FileStorage


class Storage(Protocol):
    def get(self, key: str) -> str: ...

    def set(self, key: str, value: str) -> None: ...

    def list(self) -> dict[str, str]: ...


class MemoryStorage:
    """`env.storage.memory`: volatile; starts empty on every run."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._lock = threading.Lock()  # Lua workers are threads

    def get(self, key: str) -> str:
        with self._lock:
            if key not in self._values:
                raise NotFound(variable=key)
            return self._values[key]

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._values[key] = value

    def list(self) -> dict[str, str]:
        with self._lock:
            return dict(self._values)


class OSStorage:
    """`env.storage.os`: the process environment, read-only."""

    def __init__(self, name: str = "env.storage.os") -> None:
        self.name = name

    def get(self, key: str) -> str:
        try:
            return os.environ[key]
        except KeyError:
            raise NotFound(variable=key) from None

    def set(self, key: str, value: str) -> None:
        raise read_only("storage", self.name)

    def list(self) -> dict[str, str]:
        return dict(os.environ)


class StaticStorage:
    """`env.storage.static`: the entry's `values`, read-only."""

    def __init__(self, values: dict[str, str], name: str = "env.storage.static") -> None:
        self._values = {str(k): str(v) for k, v in values.items()}
        self.name = name

    def get(self, key: str) -> str:
        if key not in self._values:
            raise NotFound(variable=key)
        return self._values[key]

    def set(self, key: str, value: str) -> None:
        raise read_only("storage", self.name)

    def list(self) -> dict[str, str]:
        return dict(self._values)


class RouterStorage:
    """`env.storage.router`: reads try each storage in order, writes go to the first.

    As in Wippy, a value found is cached by the router, so a later change made
    directly in a backing storage is not seen through the router; an error
    other than NotFound stops the search. `lookup` resolves a storage id when
    first used, so routers may name storages declared after them.
    """

    def __init__(self, storage_ids: list[str], lookup: Callable[[str], Storage]) -> None:
        self.storage_ids = list(storage_ids)
        self._lookup = lookup
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str:
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        for sid in self.storage_ids:
            try:
                value = self._lookup(sid).get(key)
            except NotFound:
                continue
            with self._lock:
                self._cache[key] = value
            return value
        raise NotFound(variable=key)

    def set(self, key: str, value: str) -> None:
        self._lookup(self.storage_ids[0]).set(key, value)
        with self._lock:
            self._cache[key] = value

    def list(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for sid in reversed(self.storage_ids):  # earlier storages win
            out.update(self._lookup(sid).list())
        return out


__all__ = ["Storage", "MemoryStorage", "OSStorage", "StaticStorage", "RouterStorage",
           "FileStorage"]
