"""Write the editor files: LuaLS stubs under `<modules dir>/types/` and `.luarc.json`."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ... import __version__
from .render import HEADER, render_module
from .signatures import module_signatures
from .walk import module_shapes

log = logging.getLogger("wippy.stubs")

TYPES_DIR = "types"
LUARC = ".luarc.json"
# The sandbox has no io (the `io` module stands in), debug or package (docs/architecture.md).
BUILTIN_OFF = {"io": "disable", "debug": "disable", "package": "disable"}
MARK = HEADER.split("{", 1)[0]   # the start of the header: a file we wrote


def generate(modules: dict[str, Any] | None = None) -> dict[str, str]:
    """Module name -> stub text, for every module (default: the built-in ones)."""
    if modules is None:
        from ..modules import MODULES as modules
    shapes = module_shapes(modules)
    return {name: render_module(shapes[name], module_signatures(mod), __version__)
            for name, mod in modules.items()}


def write_stubs(types_dir: Path, modules: dict[str, Any] | None = None) -> list[Path]:
    """(Re)write one `<module>.lua` per module; stubs we wrote for modules that no
    longer exist are removed, files of anyone else are left alone."""
    types_dir.mkdir(parents=True, exist_ok=True)
    stubs = generate(modules)
    for old in types_dir.glob("*.lua"):
        if old.stem not in stubs and MARK in old.read_text(errors="replace")[:400]:
            old.unlink()
    written = []
    for name, text in sorted(stubs.items()):
        path = types_dir / f"{name}.lua"
        path.write_text(text)
        written.append(path)
    return written


def _library_list(config: dict) -> list:
    """The workspace.library list of a .luarc.json, flat ("workspace.library") or nested."""
    if isinstance(config.get("workspace.library"), list):
        return config["workspace.library"]
    workspace = config.setdefault("workspace", {})
    if not isinstance(workspace, dict):
        raise ValueError("its \"workspace\" is not an object")
    return workspace.setdefault("library", [])


def write_luarc(root: Path, types_rel: str) -> str:
    """Create `.luarc.json`, or add the stubs folder to an existing one. Returns what
    was done ("wrote", "updated", "kept", or "skipped: <why>")."""
    path = root / LUARC
    if not path.exists():
        config = {
            "$schema": "https://raw.githubusercontent.com/LuaLS/vscode-lua/master/setting/schema.json",
            "runtime": {"version": "Lua 5.4", "builtin": BUILTIN_OFF},
            "workspace": {"library": [types_rel], "checkThirdParty": False},
        }
        path.write_text(json.dumps(config, indent=2) + "\n")
        return "wrote"
    try:
        config = json.loads(path.read_text())
        if not isinstance(config, dict):
            raise ValueError("it is not a JSON object")
        library = _library_list(config)
        if not isinstance(library, list):
            raise ValueError("workspace.library is not a list")
    except ValueError as exc:   # json.JSONDecodeError is a ValueError
        return f"skipped: {path} could not be read ({exc}); add {types_rel} to its workspace.library by hand"
    if types_rel in library:
        return "kept"
    library.append(types_rel)
    path.write_text(json.dumps(config, indent=2) + "\n")
    return "updated"


def write_editor_files(root: Path, modules_dir: Path, modules: dict[str, Any] | None = None
                       ) -> tuple[list[Path], str]:
    """Stubs into `<modules_dir>/types`, and `.luarc.json` in `root` pointing at them."""
    types_dir = modules_dir / TYPES_DIR
    written = write_stubs(types_dir, modules)
    try:
        rel = types_dir.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = str(types_dir.resolve())
    return written, write_luarc(root, rel)
