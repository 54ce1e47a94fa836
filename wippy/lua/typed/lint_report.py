"""`wippy lint`: `wippy check`, then lint.py over every Lua entry, reported as in
en/guides/linter.md (table, `--json` or `--summary`; `--level`, `--rules`, `--ns`,
`--code`, `--limit`; exit 1 on errors)."""
from __future__ import annotations

import argparse
import contextlib
import fnmatch
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
    parser.add_argument("--ns", action="append", default=[], metavar="PATTERN",
                        help="only entries of these namespaces (exact, or a glob: 'app.*')")
    parser.add_argument("--code", action="append", default=[], metavar="CODE",
                        help="only these diagnostic codes (repeatable)")
    parser.add_argument("--limit", type=int, default=0,
                        help="show at most this many diagnostics (0 = all)")
    parser.add_argument("--summary", action="store_true",
                        help="group the results by namespace and code")
    # Accepted so scripts written for Wippy run: output is never coloured, and
    # results are not cached (a lint of every entry takes well under a second).
    parser.add_argument("--no-color", action="store_true", help="accepted; output has no colour")
    parser.add_argument("--cache-reset", action="store_true", help="accepted; there is no cache")


def _selected(entry_id: str, patterns: list[str]) -> bool:
    ns = entry_id.partition(":")[0]
    return not patterns or any(fnmatch.fnmatchcase(ns, p) for p in patterns)


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
    entries = [e for e in _read_project(args)
               if e.kind in LUA_KINDS and _selected(e.id, args.ns)]
    limit = LEVELS[args.level]
    codes = {c.upper() for c in args.code}
    rows = []
    for entry in sorted(entries, key=lambda e: e.id):
        for d in _entry_diagnostics(entry, args.rules or any(c[:1] == "W" for c in codes)):
            if LEVELS[d.severity] <= limit and (not codes or d.code in codes):
                rows.append((entry, d))
    rows.sort(key=lambda r: (r[0].id, LEVELS[r[1].severity], r[1].line))
    errors = sum(d.severity == "error" for _, d in rows)
    warnings = sum(d.severity == "warning" for _, d in rows)
    hints = len(rows) - errors - warnings
    shown = rows[:args.limit] if args.limit > 0 else rows
    totals = f"Checked {len(entries)} entries: {errors} errors, {warnings} warnings\n"
    if args.json:
        json.dump({"diagnostics": [{"entry_id": e.id, **d.to_dict()} for e, d in shown],
                   "total_entries": len(entries), "error_count": errors,
                   "warning_count": warnings, "hint_count": hints}, out, indent=2)
        out.write("\n")
    elif args.summary:
        out.write(summary(rows) + totals)
    else:
        for entry, d in shown:
            where = entry.source_files.get("data.source") or entry.id   # inline: the chunk name
            column = f":{d.column}" if d.column else ""
            out.write(f"{where}:{d.line}{column}: {d.severity} {d.code}: {d.message} ({entry.id})\n")
        if len(shown) < len(rows):
            out.write(f"({len(rows) - len(shown)} more not shown: --limit {args.limit})\n")
        out.write(totals)
    return 1 if errors else 0


def summary(rows: list) -> str:
    """The `--summary` view of en/guides/linter.md: issues per namespace, then per code."""
    by_ns: dict[str, list[str]] = {}
    by_code: dict[str, list] = {}
    for entry, d in rows:
        by_ns.setdefault(entry.id.partition(":")[0], []).append(d.severity)
        by_code.setdefault(d.code, [d.severity, 0])[1] += 1
    lines = ["By namespace:", ""]
    for ns in sorted(by_ns):
        sev = by_ns[ns]
        parts = ", ".join(f"{sev.count(s)} {s}s" for s in LEVELS if sev.count(s))
        lines.append(f"  {ns:<32}{len(sev):>3} issues ({parts})")
    lines += ["", "By error code:", ""]
    for code in sorted(by_code):
        severity, n = by_code[code]
        lines.append(f"  {code:<11}[{severity:<7}]{n:>5} occurrences")
    return "\n".join(lines) + "\n\n"
