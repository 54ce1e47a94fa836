"""`wippy test [PATTERN...]`: boot the runtime, run the test entries, report, exit
0 when every case passed and 1 otherwise (wippy/cli/testrun.py; docs/development.md)."""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from ..errors import ConfigErrors
from ..registry.entry import Entry
from .testrun import DEFAULT_TIMEOUT, as_json, discover, render, run_entry


def add_parser(sub: Any, registry_flags: Any) -> None:
    p = sub("test", "run the test entries (meta.type: test) and report; exit 1 on any failure")
    registry_flags(p)
    p.add_argument("patterns", nargs="*", metavar="PATTERN",
                   help="run only entries whose id or suite contains one of these")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"time limit per test entry without limits.timeout "
                        f"(default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--json", action="store_true", help="JSON report on stdout")


def run_command_form(args: argparse.Namespace, kinds: Any = None,
                     modules: Any = None) -> int | None:
    """`wippy run test [PATTERN...] [--json] [--timeout S]`, the command
    en/tutorials/testing.md uses (in Wippy, the wippy/test module's command `test`): this
    runner, unless the project has a command of its own named `test`. None when it is not
    this form, or the registry does not load (then `wippy run` reports that as usual)."""
    if getattr(args, "target", None) != "test" or getattr(args, "exec_target", None):
        return None
    from .exec import commands
    from . import _read_project
    try:
        entries = _read_project(args)
    except (FileNotFoundError, ConfigErrors):
        return None
    if any(name == "test" for name, *_ in commands(entries)):
        return None
    parser = argparse.ArgumentParser(prog="wippy run test")
    parser.add_argument("patterns", nargs="*")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    parser.add_argument("--json", action="store_true")
    parser.parse_args(args.target_args, namespace=args)
    return cmd_test(args, entries, kinds, modules)


def cmd_test(args: argparse.Namespace, entries: list[Entry], kinds: Any = None,
             modules: Any = None) -> int:
    selected = discover(entries, args.patterns)
    if not selected:
        if args.patterns:
            print(f"no test entry matches {' '.join(args.patterns)} "
                  "(patterns match entry ids and meta.suite)", file=sys.stderr)
            return 1
        print("no test entries found (function.lua entries with meta.type: test)")
        return 0
    return asyncio.run(_run(args, entries, selected, kinds, modules))


async def _run(args: argparse.Namespace, entries: list[Entry], selected: list[Entry],
               kinds: Any, modules: Any) -> int:
    from ..runtime import Runtime
    from ..supervisor import StartupFailed
    runtime = Runtime(entries, kinds=kinds, modules=modules)
    started = time.monotonic()
    try:
        await runtime.start()
    except ConfigErrors as errors:
        for err in errors.errors:
            print(str(err), file=sys.stderr)
        print(f"Error: {len(errors.errors)} problem(s); no test was run", file=sys.stderr)
        return 1
    except StartupFailed as exc:
        print(f"Error: {exc.message}; no test was run", file=sys.stderr)
        return 1
    try:
        results = [await run_entry(runtime, entry, args.timeout) for entry in selected]
    finally:
        await runtime.close()
    elapsed = int((time.monotonic() - started) * 1000)
    report, counts = render(results, elapsed)
    if args.json:
        print(json.dumps(as_json(results, elapsed, counts), indent=2))
    else:
        print(report)
    return 1 if counts["failed"] else 0
