"""`wippy registry list` / `wippy registry show ID`: the loaded entries, after overrides
and `disable:` (docs/cli.md)."""
from __future__ import annotations

import argparse
import fnmatch
import json
from typing import Any, Callable

import yaml

from ..registry.config import suggest
from ..registry.entry import Entry
from . import _fail, read_entries


def add_parser(sub: Any, registry_flags: Callable, sub_flags: Callable) -> None:
    p = sub("registry", "inspect registry entries")
    reg = p.add_subparsers(dest="registry_command", metavar="SUBCOMMAND")
    reg.required = True
    p = reg.add_parser("list", help="list entries")
    sub_flags(p)
    registry_flags(p)
    p.add_argument("--kind", help="kind glob, e.g. 'http.*'")
    p.add_argument("--ns", help="namespace glob, e.g. 'app.*'")
    p.add_argument("--json", action="store_true", help="JSON output")
    p = reg.add_parser("show", help="show one entry")
    sub_flags(p)
    registry_flags(p)
    p.add_argument("id", help="entry id, ns:name")
    p.add_argument("--json", action="store_true", help="JSON output")


def _entry_view(entry: Entry) -> dict[str, Any]:
    return {"id": entry.id, "kind": entry.kind, "meta": entry.meta, "data": entry.data,
            "origin": str(entry.origin)}


def cmd_registry(args: argparse.Namespace) -> int:
    entries = read_entries(args)
    if isinstance(entries, int):
        return entries
    if args.registry_command == "list":
        chosen = sorted((e for e in entries
                         if (not args.kind or fnmatch.fnmatchcase(e.kind, args.kind))
                         and (not args.ns or fnmatch.fnmatchcase(e.namespace, args.ns))),
                        key=lambda e: e.id)
        if args.json:
            print(json.dumps([{"id": e.id, "kind": e.kind, "origin": str(e.origin)}
                              for e in chosen], indent=2))
            return 0
        width = max((len(e.id) for e in chosen), default=0)
        for e in chosen:
            print(f"{e.id.ljust(width)}  {e.kind}")
        return 0
    by_id = {e.id: e for e in entries}
    entry = by_id.get(args.id)
    if entry is None:
        return _fail(f"entry {args.id} not found{suggest(args.id, by_id)}")
    view = _entry_view(entry)
    if args.json:
        print(json.dumps(view, indent=2, default=str))
    else:
        print(yaml.safe_dump(view, sort_keys=False, allow_unicode=True, indent=4), end="")
    return 0
