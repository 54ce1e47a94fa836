"""terminal.host: a process host bound to this terminal (docs/kinds/terminal.md).

Processes on it are command-line programs: the `io` module reads their stdin and
writes their stdout/stderr. `wippy run -x` and `wippy run <command>` start one.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..process.node import node_of
from ..registry.config import Lifecycle, spec
from ..registry.entry import Entry
from ..terminal.host import TerminalHost
from ..terminal.session import TerminalSession
from .base import BuildContext, Kind


@dataclass
class TerminalHostConfig:
    hide_logs: bool = spec(False, doc="Wippy: keep this host's logs off the event bus. "
                                      "Accepted; there is no log event bus here")
    lifecycle: Lifecycle = spec(default_factory=Lifecycle)


class TerminalHostKind(Kind):
    name = "terminal.host"
    config = TerminalHostConfig
    summary = "A process host bound to the terminal: its process is a command-line program."

    def build(self, entry: Entry, cfg: TerminalHostConfig, ctx: BuildContext) -> TerminalHost:
        return TerminalHost(entry.id, ctx.lua, node_of(ctx.objects), ctx.objects,
                            TerminalSession(), stop_timeout=cfg.lifecycle.stop_timeout,
                            hide_logs=cfg.hide_logs)


KINDS = [TerminalHostKind()]
