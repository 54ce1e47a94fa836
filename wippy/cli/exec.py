"""`wippy run -x NS:ENTRY`, `wippy run <command>` and `wippy run list` (docs/cli.md).

A command-line program is a process.lua entry run on a terminal.host
(wippy/terminal/): the runtime starts as for `wippy run`, the program is spawned on
the terminal host once every auto-started service is up, and when it ends the
runtime stops and `wippy` exits with the program's exit code.

* Logs are off unless -v, -c, -s or --log-json is given (as in Wippy: "runs in
  silent mode for clean output"); they would go to stderr anyway, never stdout.
* A program that fails (raises, returns `nil, err`) prints `Error: <entry>: <message>`
  on stderr and exits 1.
* Ctrl-C (SIGINT) or SIGTERM: the program's waiting `io.readline`/`io.read` (and every
  later one) returns `nil, err` (Canceled, "interrupted") and it gets a CANCEL event;
  it may still finish by itself (its exit code counts). One still running after the
  terminal host's stop grace (lifecycle.stop_timeout less a second) is terminated
  and `wippy` exits 130. A second signal exits at once (1).
* `system.exit(code)` from any process stops the program the same way (CANCEL, then
  terminated after the grace) and `wippy` exits with that code.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from ..errors import ConfigErrors, WippyError
from ..registry.config import suggest
from ..registry.entry import Entry
from .signals import stop_signals

log = logging.getLogger("wippy")

PROCESS_KIND = "process.lua"
TERMINAL_KIND = "terminal.host"
INTERRUPTED = 130   # 128 + SIGINT, the shell's convention for a program stopped by Ctrl-C
COMMAND_FIELDS = ("name", "short", "main", "use_case", "security")


class ExecError(Exception):
    """A target, host or command that cannot be run; the message says what to do."""


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-x", "--exec", dest="exec_target", metavar="NS:ENTRY",
                        help="run this process.lua entry on the terminal host and exit with "
                             "its exit code (a bare entry name works when it is unique)")
    parser.add_argument("--host", dest="exec_host", metavar="NS:NAME",
                        help="terminal host for --exec or a command (default: the only "
                             "terminal.host entry)")
    parser.add_argument("target", nargs="?", metavar="COMMAND",
                        help="a command (an entry's meta.command.name) to run, or `list`")
    parser.add_argument("target_args", nargs=argparse.REMAINDER, metavar="ARG",
                        help="arguments for the program (strings, also in io.args())")


def wanted(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "exec_target", None) or getattr(args, "target", None))


# ------------------------------------------------------------------ resolving
def _command_meta(entry: Entry) -> dict | None:
    """The entry's meta.command when it names a command; ExecError when malformed."""
    if not entry.kind.startswith("process."):
        return None
    command = entry.meta.get("command") if isinstance(entry.meta, dict) else None
    if command is None:
        return None
    if not isinstance(command, dict):
        raise ExecError(f"{entry.origin}: {entry.id}: meta.command must be a mapping "
                        "(name, short, ...)")
    name = command.get("name")
    if name in (None, ""):
        if "security" in command:
            raise ExecError(f"{entry.origin}: {entry.id}: meta.command.security needs a "
                            "command name")
        return None
    if not isinstance(name, str):
        raise ExecError(f"{entry.origin}: {entry.id}: meta.command.name must be a string")
    if "security" in command:
        raise ExecError(f"{entry.origin}: {entry.id}: meta.command.security is not supported "
                        "by this runtime (it has no security policies); remove it")
    return command


def commands(entries: list[Entry]) -> list[tuple[str, str, str, Entry]]:
    """(name, short, use_case, entry) of every command, in registry order."""
    out = []
    for entry in entries:
        command = _command_meta(entry)
        if command is not None:
            out.append((command["name"], str(command.get("short") or ""),
                        str(command.get("use_case") or "run"), entry))
    return out


def resolve_exec(entries: list[Entry], spec: str) -> str:
    """`-x` target -> a process.lua entry id. A bare name is accepted when exactly one
    process.lua entry (or, failing that, one command) has it."""
    by_id = {e.id: e for e in entries}
    if ":" in spec:
        entry = by_id.get(spec)
        if entry is None:
            raise ExecError(f"entry {spec} not found{suggest(spec, by_id)}")
        if entry.kind != PROCESS_KIND:
            raise ExecError(f"{spec} is a {entry.kind} entry; -x runs {PROCESS_KIND} entries")
        return spec
    found = [e.id for e in entries if e.kind == PROCESS_KIND and e.name == spec]
    if not found:
        found = [e.id for name, _, _, e in commands(entries) if name == spec]
    if len(found) == 1:
        return found[0]
    if found:
        raise ExecError(f"{spec!r} is ambiguous ({', '.join(found)}); give namespace:entry")
    names = [e.name for e in entries if e.kind == PROCESS_KIND]
    raise ExecError(f"no {PROCESS_KIND} entry named {spec!r}{suggest(spec, names)} "
                    "(give namespace:entry)")


def resolve_command(entries: list[Entry], name: str) -> str:
    if name.endswith(".wapp") or "/" in name:
        raise ExecError(f"{name}: running a pack or a hub module is not supported by this "
                        "runtime; run a local project's command or use -x NS:ENTRY")
    table = commands(entries)
    other = None
    for cmd_name, _, use_case, entry in table:
        if cmd_name == name:   # Wippy: the first match in registry order runs
            if use_case == "run":
                return entry.id
            other = other or (use_case, entry.id)
    if other:
        raise ExecError(f"command {name!r} ({other[1]}) has use_case: {other[0]}; `wippy run` "
                        "runs the commands of use case run")
    raise ExecError(f"unknown command {name!r}{suggest(name, [c[0] for c in table])}; "
                    "`wippy run list` lists the commands")


def resolve_host(entries: list[Entry], host: str | None) -> str:
    hosts = [e.id for e in entries if e.kind == TERMINAL_KIND]
    if host:
        if host not in hosts:
            raise ExecError(f"{host} is not a {TERMINAL_KIND} entry{suggest(host, hosts)}")
        return host
    if not hosts:
        raise ExecError(f"no {TERMINAL_KIND} found in registry; add one (kind: "
                        f"{TERMINAL_KIND}, lifecycle: auto_start: true)")
    if len(hosts) > 1:
        raise ExecError(f"multiple terminal hosts found ({', '.join(hosts)}), use --host to "
                        "specify")
    return hosts[0]


def exit_code(result: Any) -> int:
    """A program's exit code: its returned number; 0 for nothing, nil or true;
    1 for false or an error."""
    if result.error is not None:
        return 1
    first = result.first
    if first is False:
        return 1
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return int(first)
    return 0


# ------------------------------------------------------------------ commands
def cmd_exec(args: argparse.Namespace, kinds: Any = None, modules: Any = None) -> int:
    from .. import cli
    from ..logs import setup_logging
    if getattr(args, "watch", False):
        return cli._fail("--watch reloads a serving runtime; it does not combine with -x or a "
                         "command")
    if not (args.verbose or args.console or args.silent or args.log_json):
        args.silent = True
        setup_logging(silent=True)
    try:
        entries = cli._read_project(args)
    except FileNotFoundError:
        return cli._fail(cli._no_lock(args))
    except ConfigErrors as errors:
        cli._print_problems(errors, sys.stderr)
        return cli._fail(f"{len(errors.errors)} problem(s) in the registry; nothing was started")
    try:
        if args.target == "list" and not args.exec_target:
            return list_commands(entries)
        if args.exec_target:
            entry_id = resolve_exec(entries, args.exec_target)
            proc_args = ([args.target] if args.target else []) + list(args.target_args)
        else:
            entry_id = resolve_command(entries, args.target)
            proc_args = list(args.target_args)
        host_id = resolve_host(entries, args.exec_host)
    except ExecError as exc:
        return cli._fail(str(exc))
    sys.setswitchinterval(cli.SWITCH_INTERVAL)
    timeout = args.project.settings.shutdown_timeout
    return asyncio.run(execute(entries, entry_id, host_id, proc_args, kinds, modules,
                               cli.SHUTDOWN_TIMEOUT if timeout is None else timeout,
                               args.project.settings))


def list_commands(entries: list[Entry]) -> int:
    table = commands(entries)
    if not table:
        print("No commands found.\n\nTo define a command, add 'command' to entry meta:\n"
              "  meta:\n    command:\n      name: greet\n      short: Greet the user")
        return 0
    print("Available commands:\n")
    for name, short, use_case, entry in table:
        line = f"  {name}" + (f"  {short}" if short else "")
        if use_case != "run":
            line += f"  [wippy {use_case}]"
        print(f"{line}  ({entry.id})")
    print("\nRun with: wippy run <command>")
    return 0


async def execute(entries: list[Entry], entry_id: str, host_id: str, proc_args: list[str],
                  kinds: Any, modules: Any, shutdown_timeout: float, settings: Any = None) -> int:
    """Start the runtime, run `entry_id` on the terminal host `host_id`, stop, and
    return the exit code. Also the base for other run-one-program commands."""
    from ..ops.serve import ops_listener
    from ..runtime import Runtime
    interrupted = asyncio.Event()

    def first() -> None:
        log.info("interrupted: cancelling the program")
        interrupted.set()

    runtime = Runtime(entries, kinds=kinds, modules=modules)
    with stop_signals(asyncio.get_running_loop(), first):
        try:
            async with ops_listener(settings, runtime):
                return await _drive(runtime, entry_id, host_id, proc_args, interrupted,
                                    shutdown_timeout)
        except WippyError as exc:
            return _error(str(exc.message))


def _error(message: str) -> int:
    print(f"Error: {message}", file=sys.stderr, flush=True)
    return 1


async def _drive(runtime: Any, entry_id: str, host_id: str, proc_args: list[str],
                 interrupted: asyncio.Event, shutdown_timeout: float) -> int:
    from ..process.host import grace_period
    from ..supervisor import StartupFailed
    from ..terminal.host import TerminalHost
    exit_requested = asyncio.Event()
    runtime.request_stop = exit_requested.set   # system.exit(code) (wippy/lua/modules/system)
    starting = asyncio.create_task(runtime.start())
    stopping = asyncio.create_task(interrupted.wait())
    exiting = asyncio.create_task(exit_requested.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():   # a signal during start: start() undoes what it started
            starting.cancel()
            await asyncio.wait({starting}, timeout=shutdown_timeout)
            return INTERRUPTED
        try:
            starting.result()
        except ConfigErrors as errors:
            for err in errors.errors:
                print(str(err), file=sys.stderr)
            return _error(f"{len(errors.errors)} problem(s); nothing was started")
        except StartupFailed as exc:
            return _error(exc.message)
        host = runtime.objects.get(host_id)
        if not isinstance(host, TerminalHost) or not host.running:
            return _error(f"terminal host {host_id} is not running; give it lifecycle: "
                          "auto_start: true")
        try:
            fdef = host.definition(entry_id)
            host.session.args = list(proc_args)
            proc = host.spawn(fdef, list(proc_args))
        except WippyError as exc:
            return _error(f"{entry_id}: {exc.message}")
        done = proc.done
        await asyncio.wait({done, stopping, exiting}, return_when=asyncio.FIRST_COMPLETED)
        killed = False
        if not done.done():
            reason = "interrupted" if interrupted.is_set() else "system.exit"
            if interrupted.is_set():
                host.session.interrupt()
            host.cancel(proc, reason, None)
            await asyncio.wait({done}, timeout=grace_period(host.stop_timeout))
            if not done.done():
                killed = True
                proc.kill(f"terminated: still running after CANCEL ({reason})")
                await asyncio.wait({done}, timeout=5.0)
        if exit_requested.is_set():   # system.exit(code): its code, however the program ended
            return runtime.exit_code
        if killed:
            return INTERRUPTED
        result = done.result()
        if result.error is not None:
            return _error(f"{entry_id}: {result.error.message}")
        return exit_code(result)
    finally:
        stopping.cancel()
        exiting.cancel()
        await _close(runtime, shutdown_timeout)


async def _close(runtime: Any, shutdown_timeout: float) -> None:
    try:
        await asyncio.wait_for(runtime.close(), shutdown_timeout)
    except asyncio.TimeoutError:
        log.error("shutdown timed out after %gs", shutdown_timeout)
