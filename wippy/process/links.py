"""What a process's end does to others: EXIT to monitors, LINK_DOWN or death to links.

Only processes linked to or monitoring the one that ended hear of it
(docs/process-model.md). A normal end (no error) only drops links; an abnormal one
kills each linked peer, or, for a peer that set `trap_links`, sends it LINK_DOWN.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..lua.call import CallResult

if TYPE_CHECKING:  # pragma: no cover
    from .node import Node
    from .process import Process

EXIT, LINK_DOWN, CANCEL = "EXIT", "LINK_DOWN", "CANCEL"


def exit_record(result: CallResult) -> dict[str, Any]:
    """The `result` field of EXIT/LINK_DOWN: {value, error}."""
    if result.error is not None:
        return {"error": result.error.message}
    return {"value": result.first}


def propagate(node: "Node", proc: "Process", result: CallResult) -> None:
    rel = proc.rel
    if rel is None:
        return
    record = exit_record(result)
    for pid in rel.monitors:
        watcher = node.procs.get(pid)
        if watcher is not None:
            watcher.relations().watching.discard(proc.pid)
            watcher.mailbox.put_event({"kind": EXIT, "from": proc.pid, "result": record})
    for pid in rel.watching:
        target = node.procs.get(pid)
        if target is not None:
            target.relations().monitors.discard(proc.pid)
    abnormal = result.error is not None
    for pid in rel.links:
        peer = node.procs.get(pid)
        if peer is None:
            continue
        peer.relations().links.discard(proc.pid)
        if not abnormal:
            continue
        if peer.trap_links:
            peer.mailbox.put_event({"kind": LINK_DOWN, "from": proc.pid, "result": record})
        else:
            peer.kill(f"linked process {proc.pid} failed: {record['error']}")
    rel.links.clear()
    rel.monitors.clear()
    rel.watching.clear()


def link(a: "Process", b: "Process") -> None:
    a.relations().links.add(b.pid)
    b.relations().links.add(a.pid)


def unlink(a: "Process", b: "Process") -> None:
    a.relations().links.discard(b.pid)
    b.relations().links.discard(a.pid)


def monitor(watcher: "Process", target: "Process") -> None:
    target.relations().monitors.add(watcher.pid)
    watcher.relations().watching.add(target.pid)


def unmonitor(watcher: "Process", target: "Process") -> None:
    target.relations().monitors.discard(watcher.pid)
    watcher.relations().watching.discard(target.pid)
