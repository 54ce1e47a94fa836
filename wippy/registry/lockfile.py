"""`wippy.lock`: where the sources and modules of a project live.

    directories:
        modules: .wippy
        src: ./src

Written the way Go Wippy writes it (yaml.v3, 4-space indent, mode 0600, empty
sections omitted, modules and replacements sorted and de-duplicated).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, ConfigErrors, Origin

LOCK_NAME = "wippy.lock"
DEFAULT_SRC = "./src"
DEFAULT_MODULES = ".wippy"


@dataclass
class Lock:
    src_dir: str = DEFAULT_SRC
    modules_dir: str = DEFAULT_MODULES
    modules: list[dict[str, Any]] = field(default_factory=list)       # {name, version, hash?, local_hash?}
    replacements: list[dict[str, Any]] = field(default_factory=list)  # {from, to}
    options: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None  # the file it was read from

    @property
    def base(self) -> Path:
        """Directories in the lock are relative to the lock file's directory."""
        return self.path.parent if self.path else Path.cwd()

    @property
    def src_path(self) -> Path:
        return (self.base / self.src_dir).resolve()

    @property
    def modules_path(self) -> Path:
        return (self.base / self.modules_dir).resolve()

    def load_paths(self) -> list[Path]:
        """Source directories in load order: src, then each replacement (its `src/` if
        present), then each vendored module. A module that is neither replaced nor
        vendored is an error: hub downloads are not supported."""
        paths = [self.src_path]
        replaced = set()
        for rep in self.replacements:
            target = (self.base / str(rep["to"])).resolve()
            paths.append(target / "src" if (target / "src").is_dir() else target)
            replaced.add(rep.get("from"))
        errors = []
        for mod in self.modules:
            if mod["name"] in replaced:
                continue
            vendored = self.modules_path / "vendor" / mod["name"]
            if vendored.is_dir():
                paths.append(vendored / "src" if (vendored / "src").is_dir() else vendored)
            else:
                errors.append(ConfigError(
                    f"module {mod['name']} {mod.get('version', '')} is not in {vendored} "
                    "(downloading hub modules and .wapp packs is not supported; vendor the "
                    "module there or add a replacement)",
                    Origin(str(self.path or LOCK_NAME)), field="modules"))
        if errors:
            raise ConfigErrors(errors)
        return paths


def read_lock(path: str | os.PathLike) -> Lock:
    """Read and validate a lock file; raises ConfigErrors naming every problem."""
    lock, errors = parse_lock(path)
    if errors:
        raise ConfigErrors(errors)
    return lock


def parse_lock(path: str | os.PathLike) -> tuple[Lock, list[ConfigError]]:
    """Read a lock file and list its problems (unreadable or bad YAML raises ConfigErrors)."""
    path = Path(path)
    origin = Origin(str(path))
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigErrors([ConfigError(f"cannot read lock file: {exc.strerror}", origin)]) from exc
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
        raise ConfigErrors([ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}",
                                        Origin(str(path), line))]) from exc
    errors: list[ConfigError] = []

    def bad(field_name: str, message: str) -> None:
        errors.append(ConfigError(message, origin, field=field_name))

    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigErrors([ConfigError("lock file must be a mapping", origin)])
    for key in raw:
        if key not in ("directories", "modules", "replacements", "options"):
            bad(str(key), "unknown section; allowed: directories, modules, replacements, options")
    dirs = raw.get("directories") or {}
    if not isinstance(dirs, dict):
        bad("directories", "must be a mapping with modules and src")
        dirs = {}
    lock = Lock(path=path)
    for key, attr in (("src", "src_dir"), ("modules", "modules_dir")):
        value = dirs.get(key)
        if not isinstance(value, str) or not value.strip():
            bad(f"directories.{key}", f"{key} directory is required (run `wippy init` to write one)")
        else:
            setattr(lock, attr, value)
    lock.modules = _list_of_maps(raw.get("modules"), "modules", bad)
    for i, mod in enumerate(lock.modules):
        name = mod.get("name")
        if not isinstance(name, str) or name.count("/") != 1 or not all(name.split("/")):
            bad(f"modules[{i}].name", f"module name must be org/module, got {name!r}")
        if not mod.get("version"):
            bad(f"modules[{i}].version", "module version is required")
    lock.replacements = _list_of_maps(raw.get("replacements"), "replacements", bad)
    for i, rep in enumerate(lock.replacements):
        if not rep.get("from") or not rep.get("to"):
            bad(f"replacements[{i}]", "replacement needs both from and to")
        elif not (lock.base / str(rep["to"])).exists():
            bad(f"replacements[{i}].to", f"replacement path {rep['to']} does not exist")
    options = raw.get("options") or {}
    if not isinstance(options, dict):
        bad("options", "must be a mapping")
        options = {}
    lock.options = options
    return lock, errors


def _list_of_maps(value: Any, name: str, bad) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        bad(name, "must be a list of mappings")
        return []
    return value


def _unique_sorted(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        seen[str(item.get(key, ""))] = item  # the last one wins, like a map
    return [seen[k] for k in sorted(seen)]


def _scalar(value: Any) -> str:
    """A YAML scalar, quoted only when needed."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 16)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def render_lock(lock: Lock) -> str:
    """The lock as text, in the key order and indentation Go Wippy uses."""
    lines = ["directories:",
             f"    modules: {_scalar(lock.modules_dir)}",
             f"    src: {_scalar(lock.src_dir)}"]
    sections = (("modules", _unique_sorted(lock.modules, "name"), ("name", "version", "hash", "local_hash")),
                ("replacements", _unique_sorted(lock.replacements, "from"), ("from", "to")))
    for title, items, order in sections:
        if not items:
            continue
        lines.append(f"{title}:")
        for item in items:
            keys = [k for k in order if item.get(k) not in (None, "")]
            keys += sorted(k for k in item if k not in order)
            for n, key in enumerate(keys):
                lead = "    - " if n == 0 else "      "
                lines.append(f"{lead}{key}: {_scalar(item[key])}")
    if lock.options:
        lines.append("options:")
        for key in sorted(lock.options):
            lines.append(f"    {key}: {_scalar(lock.options[key])}")
    return "\n".join(lines) + "\n"


def write_lock(path: str | os.PathLike, lock: Lock) -> None:
    """Write the lock with mode 0600 (created that way, never world-readable in between)."""
    path = Path(path)
    text = render_lock(lock)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def init_lock(path: str | os.PathLike, src_dir: str = DEFAULT_SRC,
              modules_dir: str = DEFAULT_MODULES) -> Lock:
    """`wippy init`: keep modules/replacements/options of an existing lock, set directories."""
    path = Path(path)
    lock = Lock(path=path)
    if path.exists():
        lock, errors = parse_lock(path)
        # Fixing the directories is what init is for; anything else must be fixed by hand.
        errors = [e for e in errors if not (e.field or "").startswith("directories")]
        if errors:
            raise ConfigErrors(errors)
    lock.src_dir, lock.modules_dir = src_dir, modules_dir
    write_lock(path, lock)
    return lock
