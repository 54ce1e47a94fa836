"""`wippy lint`: `wippy check`, then lint.py over every Lua entry, reported as in
en/guides/linter.md (table or `--json`, `--level`, `--rules`, exit 1 on errors)."""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from typing import Any

from .lint import Diagnostic, lint

LUA_KINDS = ("function.lua", "process.lua", "library.lua", "workflow.lua")
LEVELS = {"error": 0, "warning": 1, "hint": 2}
# Modules every environment has without declaring them (boot.lua GLOBAL_MODULES).
AMBIENT = ("errors", "channel", "process")


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--level", choices=tuple(LEVELS), default="warning",
                        help="lowest severity shown (default warning)")
    parser.add_argument("--json", action="store_true", help="diagnostics as JSON")
    parser.add_argument("--rules", action="store_true",
                        help="also the W-series lint rules (unused, shadowed, global assignment)")


def _entry_diagnostics(entry, rules: bool) -> list[Diagnostic]:
    data = entry.data if isinstance(entry.data, dict) else {}
    source = data.get("source")
    if not isinstance(source, str) or source.startswith("\x1bLua"):
        return []
    modules = [m for m in data.get("modules") or [] if isinstance(m, str)]
    imports = [a for a in (data.get("imports") or {}) if isinstance(a, str)]
    return lint(source, entry.id, modules=[*modules, *imports, *AMBIENT], rules=rules)


def cmd_lint(args: argparse.Namespace, kinds: Any = None, modules: Any = None) -> int:
    from ...cli import _read_project, cmd_check
    out = sys.stdout
    # Configuration first (one line per problem); its "ok" line only in the table view.
    checked = io.StringIO()
    with contextlib.redirect_stdout(checked):
        code = cmd_check(args, kinds, modules)
    if code or not args.json:
        (out if not args.json else sys.stderr).write(checked.getvalue())
    if code:
        return code
    entries = [e for e in _read_project(args) if e.kind in LUA_KINDS]
    limit = LEVELS[args.level]
    rows = []
    for entry in sorted(entries, key=lambda e: e.id):
        for d in _entry_diagnostics(entry, args.rules):
            if LEVELS[d.severity] <= limit:
                rows.append((entry, d))
    rows.sort(key=lambda r: (r[0].id, LEVELS[r[1].severity], r[1].line))
    errors = sum(d.severity == "error" for _, d in rows)
    warnings = sum(d.severity == "warning" for _, d in rows)
    if args.json:
        json.dump({"diagnostics": [{"entry_id": e.id, **d.to_dict()} for e, d in rows],
                   "total_entries": len(entries), "error_count": errors,
                   "warning_count": warnings, "hint_count": 0}, out, indent=2)
        out.write("\n")
    else:
        for entry, d in rows:
            where = entry.source_files.get("data.source") or entry.id   # inline: the chunk name
            column = f":{d.column}" if d.column else ""
            out.write(f"{where}:{d.line}{column}: {d.severity} {d.code}: {d.message} ({entry.id})\n")
        out.write(f"Checked {len(entries)} entries: {errors} errors, {warnings} warnings\n")
    return 1 if errors else 0
