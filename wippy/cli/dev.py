"""Development commands: `wippy stubs` (editor support) and `wippy test` (cli/test.py),
and the editor files `wippy init` writes (docs/development.md)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..registry.lockfile import DEFAULT_MODULES, LOCK_NAME, Lock, read_lock


def add_parsers(sub: Any, registry_flags: Any) -> None:
    from .test import add_parser
    add_parser(sub, registry_flags)
    p = sub("stubs", "write LuaLS type stubs for every Lua module and a .luarc.json "
                     "(what `wippy init` does for the editor)")
    p.add_argument("-l", "--lock-file", default=LOCK_NAME,
                   help="lock file whose modules directory gets the stubs (default ./wippy.lock; "
                        "without one: ./.wippy)")


def write_editor_support(lock: Lock, out: Any = None) -> int:
    """Stubs into `<modules dir>/types/` and `.luarc.json` next to the lock; one line said."""
    from ..lua.stubs.editor import LUARC, TYPES_DIR, write_editor_files
    written, luarc = write_editor_files(lock.base, lock.modules_path)
    types = Path(lock.modules_dir) / TYPES_DIR
    print(f"wrote {len(written)} Lua type stubs to {types.as_posix()}/; {LUARC}: {luarc}",
          file=out or sys.stdout)
    return 1 if luarc.startswith("skipped") else 0


def cmd_stubs(args: argparse.Namespace, **_: Any) -> int:
    path = Path(args.lock_file)
    lock = read_lock(path) if path.exists() else Lock(path=Path.cwd() / LOCK_NAME,
                                                       modules_dir=DEFAULT_MODULES)
    return write_editor_support(lock)
