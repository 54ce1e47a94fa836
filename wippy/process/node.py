"""Every live process of this runtime, by pid and by registered name.

One table per runtime, kept among the built objects (`node_of`) so that Lua modules
reach it through `call.objects` like any other built object. Loop thread only.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ALREADY_EXISTS, INVALID, NOT_FOUND, WippyError

if TYPE_CHECKING:  # pragma: no cover
    from .process import Process

NODE_KEY = "@process.node"


class Node:
    def __init__(self) -> None:
        self.procs: dict[str, "Process"] = {}
        self.names: dict[str, str] = {}          # name -> pid
        self.defs: dict[str, Any] = {}           # process.lua entry id -> FunctionDef
        # Called with each process that ends (the event bus drops its subscriptions).
        self.exit_hooks: list = []

    def resolve(self, dest: Any) -> "Process":
        """The live process a destination (pid or registered name) means."""
        if not isinstance(dest, str) or not dest:
            raise WippyError("destination must be a PID or a registered name (a string)",
                             INVALID, retryable=False)
        proc = self.procs.get(dest)
        if proc is None:
            pid = self.names.get(dest)
            proc = self.procs.get(pid) if pid else None
        if proc is None:
            raise WippyError(f"no process {dest!r} (it exited, or the name is not registered)",
                             NOT_FOUND, retryable=False)
        return proc

    def register(self, name: str, pid: str) -> bool:
        if not isinstance(name, str) or not name:
            raise WippyError("registry.register: name must be a non-empty string", INVALID,
                             retryable=False)
        owner = self.names.get(name)
        if owner is not None and owner != pid:
            raise WippyError(f"name {name!r} is already registered to {owner}", ALREADY_EXISTS,
                             retryable=False)
        proc = self.procs.get(pid)
        if proc is None:
            raise WippyError(f"no process {pid!r} to register", NOT_FOUND, retryable=False)
        self.names[name] = pid
        proc.relations().names.add(name)
        return True

    def lookup(self, name: str) -> str:
        pid = self.names.get(name) if isinstance(name, str) else None
        if pid is None:
            raise WippyError(f"name {name!r} is not registered", NOT_FOUND, retryable=False)
        return pid

    def unregister(self, name: str) -> bool:
        pid = self.names.pop(name, None) if isinstance(name, str) else None
        if pid is None:
            return False
        proc = self.procs.get(pid)
        if proc is not None and proc.rel is not None:
            proc.rel.names.discard(name)
        return True

    def forget(self, proc: "Process") -> None:
        self.procs.pop(proc.pid, None)
        for hook in self.exit_hooks:
            hook(proc)
        if proc.rel is None:
            return
        for name in proc.rel.names:
            if self.names.get(name) == proc.pid:
                del self.names[name]
        proc.rel.names.clear()


def node_of(objects: dict) -> Node:
    node = objects.get(NODE_KEY)
    if node is None:
        node = objects[NODE_KEY] = Node()
    return node
