"""The `wippy` command: init, run, check (lint), version here; registry list/show
(cli/registry.py), queue stats/replay (cli/queue.py), test and stubs (cli/test.py,
cli/dev.py), `run --watch` (cli/watch.py); `run -x`/commands in cli/exec.py.

Exit codes: 0 ok, 1 runtime or configuration error, 2 usage error.
Logs go to stderr; stdout only carries command output (docs/decisions.md D11).
Signal handling lives here and only here (uvicorn must not install its own).
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from ..registry.entry import Entry
from ..errors import ConfigError, ConfigErrors
from ..registry.lockfile import DEFAULT_MODULES, DEFAULT_SRC, LOCK_NAME, init_lock, read_lock
from ..logs import fields, set_node_name, setup_logging
from ..registry.project_config import load_project_config
from .signals import stop_signals

log = logging.getLogger("wippy")

SHUTDOWN_TIMEOUT = 30.0   # Wippy's shutdown.timeout default


# ------------------------------------------------------------------ arguments
def _global_flags(parser: argparse.ArgumentParser, sub: bool) -> None:
    # In sub-parsers the defaults are suppressed, so `wippy -v run` and `wippy run -v` both work.
    default = argparse.SUPPRESS if sub else False
    group = parser.add_argument_group("logging")
    group.add_argument("-v", "--verbose", action="store_true", default=default,
                       help="debug logs")
    group.add_argument("-c", "--console", action="store_true", default=default,
                       help="colour console logs (when stderr is a terminal)")
    group.add_argument("-s", "--silent", action="store_true", default=default,
                       help="no logs (errors that stop the command are still printed)")
    group.add_argument("--log-json", action="store_true", default=default,
                       help="JSON log lines instead of the console format")


def _registry_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-l", "--lock-file", default=LOCK_NAME,
                        help="lock file to read (default: ./wippy.lock)")
    parser.add_argument("-o", "--override", action="append", default=[], metavar="NS:ENTRY:FIELD=VALUE",
                        help="override an entry field (repeatable); field may be kind, meta.x, "
                             "data.x or x (= data.x); value true/false/number/[list]/{map}/string")
    parser.add_argument("--config", action="append", default=None, metavar="FILE",
                        help="config file (repeatable, composed left to right; default: "
                             "./.wippy.yaml when present)")
    parser.add_argument("--profile", action="append", default=[], metavar="NAME",
                        help="apply a profile from the config (repeatable, in order)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.PATH=VALUE",
                        dest="set_values",
                        help="set a config value (repeatable; beats the files and profiles)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wippy", description="Wippy runtime for Python")
    _global_flags(parser, sub=False)
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    subs.required = True

    def sub(name: str, help_text: str, **kw: Any) -> argparse.ArgumentParser:
        p = subs.add_parser(name, help=help_text, description=help_text, **kw)
        _global_flags(p, sub=True)
        return p

    p = sub("init", "write wippy.lock for a project in the current directory")
    p.add_argument("-d", "--src-dir", default=DEFAULT_SRC, help="source directory (default ./src)")
    p.add_argument("--modules-dir", default=DEFAULT_MODULES, help="modules directory (default .wippy)")
    p.add_argument("-l", "--lock-file", default=LOCK_NAME, help="lock file to write (default wippy.lock)")

    p = sub("run", "load the registry, start every service, serve until SIGINT/SIGTERM; "
                   "or run one command-line program (-x NS:ENTRY, COMMAND, list)")
    _registry_flags(p)
    p.add_argument("--watch", action="store_true",
                   help="reload when files under the source directory change (docs/development.md)")
    from .exec import add_flags
    add_flags(p)   # -x/--exec, --host, `wippy run <command>|list`

    p = sub("check", "load and validate the registry without starting anything")
    _registry_flags(p)

    p = sub("lint", "check, then type and lint checks of every Lua entry (docs/lua-types.md)")
    _registry_flags(p)
    from ..lua.typed.lint_report import add_flags
    add_flags(p)

    p = sub("version", "print the version")
    p.add_argument("--short", action="store_true", help="version number only")

    from . import registry as cli_registry
    cli_registry.add_parser(sub, _registry_flags, lambda q: _global_flags(q, sub=True))

    from . import queue as cli_queue
    cli_queue.add_parser(sub, _registry_flags, lambda q: _global_flags(q, sub=True))
    from . import dev as cli_dev
    cli_dev.add_parsers(sub, _registry_flags)   # test, stubs
    return parser


# ------------------------------------------------------------------ helpers
def _print_problems(errors: ConfigErrors, out: TextIO) -> None:
    for err in errors.errors:
        print(str(err), file=out)


def _fail(message: str) -> int:
    print(f"Error: {message}", file=sys.stderr)
    return 1


def _read_project(args: argparse.Namespace) -> list[Entry]:
    """`.wippy.yaml` + lock -> entries (+ overrides, - disabled). FileNotFoundError
    without a lock file. The config's logger encoding takes effect here."""
    from ..runtime import load_registry
    project = load_project_config(args.config, args.profile, args.set_values)
    args.project = project
    encoding = project.settings.log_encoding
    if encoding and not args.log_json:
        setup_logging(verbose=args.verbose, console=args.console, silent=args.silent,
                      json_lines=encoding == "json")
    set_node_name(project.settings.node_name)   # relay.node_name: this node in its logs
    project.warn_ignored()
    if project.files:
        log.debug("config loaded", extra=fields(files=",".join(project.files),
                                                profiles=",".join(project.profiles)))
    path = Path(args.lock_file)
    if not path.exists():
        raise FileNotFoundError(path)
    return load_registry(read_lock(path), args.override, project)


def _no_lock(args: argparse.Namespace) -> str:
    return f"{args.lock_file}: no lock file found; run `wippy init` first"


def read_entries(args: argparse.Namespace, consequence: str = "") -> list[Entry] | int:
    """The project's entries, or exit code 1 once the reason is printed: no lock file, or
    the registry's problems (one line each, then a count and `consequence`)."""
    try:
        return _read_project(args)
    except FileNotFoundError:
        return _fail(_no_lock(args))
    except ConfigErrors as errors:
        _print_problems(errors, sys.stderr)
        return _fail(f"{len(errors.errors)} problem(s) in the registry{consequence}")


# ------------------------------------------------------------------ commands
def cmd_init(args: argparse.Namespace, **_: Any) -> int:
    lock = init_lock(args.lock_file, args.src_dir, args.modules_dir)
    print(f"wrote {args.lock_file} (src: {lock.src_dir}, modules: {lock.modules_dir})")
    if not lock.src_path.is_dir():
        log.info("source directory does not exist yet", extra=fields(src=lock.src_dir))
    from .dev import write_editor_support   # LuaLS stubs + .luarc.json
    return write_editor_support(lock)


def cmd_check(args: argparse.Namespace, kinds: Any = None, modules: Any = None) -> int:
    from ..runtime import check
    from ..ops.serve import check_project
    try:
        entries = _read_project(args)
        check_project(args.project.settings)   # what `wippy run` refuses in .wippy.yaml
    except FileNotFoundError:
        print(_no_lock(args), file=sys.stdout)
        return 1
    except ConfigErrors as errors:
        _print_problems(errors, sys.stdout)
        print(f"{len(errors.errors)} problem(s) found", file=sys.stdout)
        return 1
    try:
        plan = check(entries, kinds, modules)
    except ConfigErrors as errors:
        _print_problems(errors, sys.stdout)
        print(f"{len(errors.errors)} problem(s) found in {len(entries)} entries", file=sys.stdout)
        return 1
    for warning in plan.warnings:
        print(f"warning: {warning}", file=sys.stdout)
    print(f"ok: {len(plan.entries)} entries, no problems found"
          + (f", {len(plan.warnings)} warning(s)" if plan.warnings else ""), file=sys.stdout)
    return 0


def cmd_run(args: argparse.Namespace, kinds: Any = None, modules: Any = None) -> int:
    from .exec import cmd_exec, wanted
    if wanted(args):   # a command-line program on the terminal host
        from .test import run_command_form   # or `wippy run test`, as Wippy's tutorial runs
        code = run_command_form(args, kinds, modules)
        return code if code is not None else cmd_exec(args, kinds, modules)
    # Without a lock file: exit 1, since serving an empty registry would look like a running
    # app that answers nothing.
    entries = read_entries(args, "; nothing was started (`wippy check` lists them without "
                                 "starting)")
    if isinstance(entries, int):
        return entries
    # Lua worker threads need the GIL for every host call; with Python's default 5 ms switch
    # interval a busy event loop starves them (measured: +20 % tasks/s at 0.1 ms). A process
    # setting, so the process owner sets it, not the engine.
    sys.setswitchinterval(SWITCH_INTERVAL)
    timeout = args.project.settings.shutdown_timeout
    from .watch import watcher
    return asyncio.run(_serve(entries, kinds, modules,
                              SHUTDOWN_TIMEOUT if timeout is None else timeout,
                              args.project.settings, watcher(args) if args.watch else None))


async def _serve(entries: list[Entry], kinds: Any, modules: Any, shutdown_timeout: float,
                 settings: Any = None, watch: Any = None) -> int:
    from ..ops.serve import ops_listener
    from ..runtime import Runtime
    stop = asyncio.Event()

    def first() -> None:
        log.info("received shutdown signal")
        log.info("shutting down (press Ctrl+C again to force exit)")
        stop.set()

    runtime = Runtime(entries, kinds=kinds, modules=modules)
    runtime.request_stop = stop.set   # system.exit (wippy/lua/modules/system)
    with stop_signals(asyncio.get_running_loop(), first, force_message="force exit"):
        try:
            async with ops_listener(settings, runtime):
                return await _run(runtime, stop, shutdown_timeout, watch)
        except ConfigError as exc:   # the prometheus address cannot be listened on
            return _fail(str(exc))


async def _run(runtime: Any, stop: asyncio.Event, shutdown_timeout: float,
               watch: Any = None) -> int:
    from ..supervisor import StartupFailed
    starting = asyncio.create_task(runtime.start())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        # A signal during start: cancel it; start() stops what it had started.
        starting.cancel()
        done, _ = await asyncio.wait({starting}, timeout=shutdown_timeout)
        if not done:
            log.error("shutdown timed out", extra=fields(timeout=f"{shutdown_timeout:g}s"))
            return 1
        log.info("stopped")
        return 0
    try:
        starting.result()
    except ConfigErrors as errors:
        stopping.cancel()
        _print_problems(errors, sys.stderr)
        return _fail(f"{len(errors.errors)} problem(s); nothing was started")
    except StartupFailed as exc:
        # Runtime.start() has already stopped what had started.
        stopping.cancel()
        return _fail(exc.message)
    _settle_heap()
    watching = asyncio.create_task(watch(runtime, stop)) if watch else None   # cli/watch.py
    await stopping
    if watching is not None:
        await asyncio.wait({watching}, timeout=2.0)   # it ends on `stop`; a reload in progress
        watching.cancel()                             # finishes or is cut here
    try:
        await asyncio.wait_for(runtime.close(), shutdown_timeout)
    except asyncio.TimeoutError:
        log.error("shutdown timed out", extra=fields(timeout=f"{shutdown_timeout:g}s"))
        return 1
    log.info("stopped")
    return runtime.exit_code   # 0 unless system.exit(code) asked for another


SWITCH_INTERVAL = 0.0001     # seconds between GIL hand-offs; see cmd_run
GC_YOUNG_THRESHOLD = 10_000   # net new containers between young collections (Python: 700)


def _settle_heap() -> None:
    """Once everything is up: collect, then freeze what survived (modules, the
    registry, Lua states, servers) out of the cyclic GC's sight, and collect the
    young generation less often.

    Measured on the task-queue benchmark: full collections re-walked that heap
    for ~15 ms each while serving (a stall every request in flight waits out),
    and ~250 young collections cost 20-30 ms per run; after this, ~4 ms in all.
    Requests free almost everything by reference counting, so waiting for
    10,000 net new containers holds little garbage (a few MB at most)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def cmd_version(args: argparse.Namespace, **_: Any) -> int:
    if args.short:
        print(__version__)
        return 0
    import platform
    try:
        import lupa
        lupa_version = getattr(lupa, "__version__", "?")
    except ImportError:  # pragma: no cover - lupa is a dependency
        lupa_version = "missing"
    print(f"wippy {__version__}")
    print(f"python {platform.python_version()}, lua 5.4 (lupa {lupa_version})")
    return 0


def cmd_registry(args: argparse.Namespace, **_: Any) -> int:
    from .registry import cmd_registry as run
    return run(args)


def cmd_queue(args: argparse.Namespace, **_: Any) -> int:
    from .queue import cmd_queue as run
    try:
        entries = _read_project(args)
    except FileNotFoundError:
        return _fail(f"{args.lock_file}: no lock file found; run `wippy init` first")
    return run(args, entries)


def cmd_test(args: argparse.Namespace, kinds: Any = None, modules: Any = None) -> int:
    from .test import cmd_test as run
    try:
        entries = _read_project(args)
    except FileNotFoundError:
        return _fail(_no_lock(args))
    return run(args, entries, kinds, modules)


def cmd_stubs(args: argparse.Namespace, **_: Any) -> int:
    from .dev import cmd_stubs as run
    return run(args)


def cmd_lint(args: argparse.Namespace, kinds: Any = None, modules: Any = None) -> int:
    from ..lua.typed.lint_report import cmd_lint as lint
    return lint(args, kinds, modules)


COMMANDS = {"init": cmd_init, "run": cmd_run, "check": cmd_check, "lint": cmd_lint,
            "version": cmd_version, "registry": cmd_registry, "queue": cmd_queue,
            "test": cmd_test, "stubs": cmd_stubs}


def main(argv: list[str] | None = None, *, kinds: Any = None, modules: Any = None) -> int:
    """Entry point. `kinds`/`modules` replace the built-in tables (tests, embedding)."""
    args = build_parser().parse_args(argv)
    setup_logging(verbose=args.verbose, console=args.console, silent=args.silent,
                  json_lines=args.log_json)
    try:
        return COMMANDS[args.command](args, kinds=kinds, modules=modules)
    except ConfigErrors as errors:
        _print_problems(errors, sys.stderr)
        return _fail(f"{len(errors.errors)} problem(s)")
    except ImportError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 1
    except Exception as exc:  # noqa: BLE001 - last resort: one line, traceback with -v
        if args.verbose:
            traceback.print_exc()
        return _fail(f"internal error: {type(exc).__name__}: {exc} (run with -v for the traceback)")

