"""A terminal.host: a process host bound to this terminal (docs/kinds/terminal.md).

It is a process.host (wippy/process/host.py) that runs one process at a time and
hands it the terminal session in its call extras, where the `io` module finds it.
`wippy run -x` / `wippy run <command>` (wippy/cli/exec.py) start the program on it.
"""
from __future__ import annotations

from typing import Any

from ..errors import UNAVAILABLE, WippyError
from ..lua.call import CallResult, FunctionDef
from ..process.host import ProcessHost
from ..process.node import Node
from ..process.process import Process
from .session import TERMINAL, TerminalSession


class TerminalHost(ProcessHost):
    def __init__(self, entry_id: str, engine: Any, node: Node, objects: dict,
                 session: TerminalSession, stop_timeout: float = 10.0,
                 hide_logs: bool = False):
        super().__init__(entry_id, engine, node, objects, stop_timeout=stop_timeout,
                         max_processes=1)
        self.session = session
        self.hide_logs = hide_logs

    def spawn(self, fdef: FunctionDef, args: list, parent: Process | None = None,
              link: bool = False, monitor: bool = False, extras: dict | None = None) -> Process:
        if self.procs:
            running = next(iter(self.procs))
            raise WippyError(f"terminal host {self.entry_id} already runs {running}; a "
                             "terminal host runs one process at a time", UNAVAILABLE,
                             retryable=True)
        return super().spawn(fdef, args, parent, link, monitor,
                             {**(extras or {}), TERMINAL: self.session})

    def exited(self, proc: Process, result: CallResult) -> None:
        super().exited(proc, result)
        self.session.reset()
