"""`wippy run --watch`: reload the registry when files under the source directories change
(docs/development.md, "Reload on change (--watch)").

Each batch of file changes reloads the registry the way `wippy run` loaded it (lock file,
`.wippy.yaml`, `-o` overrides, `disable:`), computes what differs from the files as last
applied, and hands those operations to the runtime's live registry: the same path as the
Lua `registry` module's `changes:apply()` (wippy/registry/live.py, wippy/runtime_apply.py).
So the new registry is checked first; with problems they are printed and the running
registry stays; otherwise only what changed is rebuilt. Entries made at run time by the
`registry` module are left alone: only the difference between two loads of the files is
applied.
"""
from __future__ import annotations

import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import Any, Callable

from ..errors import ConfigErrors, WippyError
from ..logs import fields
from ..registry.entry import Entry
from ..registry.live import DELETE, delta

log = logging.getLogger("wippy.watch")

# watchfiles yields a batch once no new change arrived for STEP_MS (editors write a file
# in several steps); a stream of changes is cut at DEBOUNCE_MS.
STEP_MS = 50
DEBOUNCE_MS = 400


def _problems(errors: ConfigErrors) -> None:
    for err in errors.errors:
        print(str(err), file=sys.stderr, flush=True)


async def watch(runtime: Any, load: Callable[[], list[Entry]], paths: list[Path],
                stop: asyncio.Event) -> None:
    """Apply file changes under `paths` to `runtime` until `stop` is set."""
    from watchfiles import awatch
    logging.getLogger("watchfiles").setLevel(logging.WARNING)   # "N changes detected": ours says more
    applied = list(runtime.registry.head.entries)
    roots = [p for p in paths if p.exists()]
    if not roots:
        log.warning("nothing to watch: no source directory exists",
                    extra=fields(paths=",".join(map(str, paths))))
        return
    log.info("watching for changes", extra=fields(paths=",".join(map(str, roots))))
    async for changes in awatch(*roots, stop_event=stop, step=STEP_MS, debounce=DEBOUNCE_MS,
                                recursive=True):
        started = time.monotonic()
        files = sorted({Path(p).name for _, p in changes})
        try:
            entries = load()
            ops = delta(applied, entries, kind_change=DELETE)
            if not ops:
                log.info("files changed, registry unchanged", extra=fields(files=",".join(files)))
                continue
            await runtime.registry.apply(ops, source="watch")
        except ConfigErrors as errors:
            _problems(errors)
            log.error("reload refused: the previous registry keeps running",
                      extra=fields(problems=len(errors.errors), files=",".join(files)))
            continue
        except (OSError, ValueError) as exc:   # the lock file went away, an unreadable file
            log.error("reload failed: the previous registry keeps running",
                      extra=fields(error=str(exc) or type(exc).__name__))
            continue
        except WippyError as exc:   # an operation that cannot apply (an entry made at run time)
            print(exc.message, file=sys.stderr, flush=True)
            log.error("reload refused: the previous registry keeps running",
                      extra=fields(problems=1, files=",".join(files)))
            continue
        applied = entries
        log.info("reloaded", extra=fields(files=",".join(files), changes=len(ops),
                                          ms=round((time.monotonic() - started) * 1000)))


def watcher(args: Any) -> Callable[[Any, asyncio.Event], Any]:
    """What `wippy run --watch` runs once the runtime is up: `watch` with a loader that
    reads the project exactly as `wippy run` did (cli/__init__.py `_read_project`)."""
    from ..registry.lockfile import read_lock
    from ..registry.project_config import load_project_config
    from ..runtime import load_registry

    def load() -> list[Entry]:
        project = load_project_config(args.config, args.profile, args.set_values)
        return load_registry(read_lock(Path(args.lock_file)), args.override, project)

    async def run(runtime: Any, stop: asyncio.Event) -> None:
        try:
            paths = [Path(p) for p in read_lock(Path(args.lock_file)).load_paths()]
            await watch(runtime, load, paths, stop)
        except Exception:  # noqa: BLE001 - the app keeps serving; say that reloads stopped
            log.exception("the watcher failed; file changes are no longer reloaded")
    return run
