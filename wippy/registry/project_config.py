"""`.wippy.yaml`: composition, profiles, `--set` and vars (docs/configuration.md).

    project = load_project_config(files=None, profiles=["pg"], sets=["logger.encoding=json"])
    project.overrides      # [(ns:entry:field, value, origin)] for overrides.py, in order
    project.disable        # namespaces / entries to leave out (disable.py)
    project.settings       # logger encoding, shutdown timeout

Order, lowest to highest: the files left to right (per leaf, last writer
wins), then each `--profile` in turn, then `--set`. Without `--config` the
`.wippy.yaml` of the working directory is read when present; a named file
must exist. `${env:NAME}` reads the OS and `${name}` the merged `vars:`
(config_vars.py); both resolve once everything is composed. Every problem
is one ConfigError naming the file and line (or the `--set` flag).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

from ..errors import ConfigError, ConfigErrors, Origin
from ..logs import fields
from .config import suggest
from .config_sections import (IGNORED, SECTIONS, Settings, section_problems, settings_from,
                              unknown_section)
from .config_vars import interpolate
from .disable import Disable, disable_problems, merge_profile_disable
from .loader import display_path
from .overrides import coerce, plain, split_key
from .yaml_lines import LineDict, parse_yaml

log = logging.getLogger("wippy.config")

DEFAULT_NAME = ".wippy.yaml"
PROFILE_SECTIONS = tuple(s for s in SECTIONS if s not in ("profiles", "version"))


@dataclass
class ProjectConfig:
    files: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)   # composed, profiles stripped
    overrides: list[tuple[str, Any, Origin]] = field(default_factory=list)
    disable: Disable = field(default_factory=Disable)
    settings: Settings = field(default_factory=Settings)
    profiles: list[str] = field(default_factory=list)
    ignored: list[tuple[str, Origin | None]] = field(default_factory=list)  # see warn_ignored

    def warn_ignored(self) -> None:
        """Documented Wippy sections with no effect here; called once logging is set up."""
        for section, origin in self.ignored:
            log.warning("config section has no effect in this runtime; ignored",
                        extra=fields(section=section, origin=str(origin)))


Source = Callable[[tuple], Origin]   # path relative to what is merged -> its origin


class _Tree:
    """The composed config plus the origin (file:line or flag) of every value."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.origins: dict[tuple, Origin] = {}

    def origin(self, path: tuple) -> Origin | None:
        for n in range(len(path), 0, -1):
            if path[:n] in self.origins:
                return self.origins[path[:n]]
        return None

    def get(self, path: tuple) -> Any:
        node: Any = self.data
        for key in path:
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        return node

    def put(self, path: tuple, value: Any, source: Source, rel: tuple = ()) -> None:
        node = self.data
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node.pop(path[-1], None)   # re-insert: a later writer also comes later in order
        node[path[-1]] = plain(value)
        for known in [p for p in self.origins if p[:len(path)] == path]:
            del self.origins[known]
        self._note(path, value, source, rel)

    def _note(self, path: tuple, value: Any, source: Source, rel: tuple) -> None:
        self.origins[path] = source(rel)
        if isinstance(value, dict):
            for key, child in value.items():
                self._note(path + (key,), child, source, rel + (key,))

    def merge(self, src: dict, source: Source, path: tuple = (), rel: tuple = ()) -> None:
        """Per leaf: maps merge, anything else (lists too) replaces. An `override:`
        key is one leaf (its dots are part of the key); a map value replaces."""
        for key, value in src.items():
            here, sub = path + (key,), rel + (key,)
            whole = here[0] == "override" and len(here) == 2
            if isinstance(value, dict) and isinstance(self.get(here), dict) and not whole:
                self.merge(value, source, here, sub)
            else:
                self.put(here, value, source, sub)


def _file_source(doc: dict, shown: str) -> Source:
    """Origins of a parsed file: the line of every key, nested ones included."""
    lines: dict[tuple, int] = {}

    def walk(node: Any, path: tuple) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                lines[path + (key,)] = node.line_of(key) if isinstance(node, LineDict) else 0
                walk(child, path + (key,))

    walk(doc, ())

    def source(rel: tuple) -> Origin:
        for n in range(len(rel), 0, -1):
            if lines.get(rel[:n]):
                return Origin(shown, lines[rel[:n]])
        return Origin(shown)
    return source


# ------------------------------------------------------------------ files
def _config_files(files: list[str] | None, cwd: Path) -> tuple[list[Path], list[ConfigError]]:
    if not files:
        default = cwd / DEFAULT_NAME
        return ([default] if default.is_file() else []), []
    paths, errors = [], []
    for name in files:
        path = Path(name) if Path(name).is_absolute() else cwd / name
        if path.is_file():
            paths.append(path)
        else:
            errors.append(ConfigError(f"config file not found: {name} (every --config file "
                                      "must exist; without --config, .wippy.yaml is optional)",
                                      Origin(f"--config {name}")))
    return paths, errors


def _read(path: Path) -> tuple[dict, list[ConfigError]]:
    shown = display_path(path)
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [ConfigError(f"cannot read config file: {exc}", Origin(shown))]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        return {}, [ConfigError(f"invalid YAML: {problem}",
                                Origin(shown, mark.line + 1 if mark else 0))]
    if doc is None:
        return LineDict(), []
    if not isinstance(doc, dict):
        return {}, [ConfigError("a config file must be a mapping of sections (logger:, "
                                "override:, profiles: ...)", Origin(shown, 1))]
    return doc, _shape_problems(doc, shown)


def _shape_problems(doc: dict, shown: str) -> list[ConfigError]:
    """Section names (top level and inside each profile) and profile vars."""
    errors = []

    def at(node: Any, key: Any) -> Origin:
        return Origin(shown, node.line_of(key) if isinstance(node, LineDict) else 0)

    for key in doc:
        problem = unknown_section(str(key))
        if problem:
            errors.append(ConfigError(problem, at(doc, key)))
    profiles = doc.get("profiles")
    if profiles is not None and not isinstance(profiles, dict):
        return errors + [ConfigError("profiles must map profile names to sections",
                                     at(doc, "profiles"))]
    for name, body in (profiles or {}).items():
        if not isinstance(body, dict):
            errors.append(ConfigError(f"profile {name} must be a mapping of sections",
                                      at(profiles, name)))
            continue
        for key in body:
            problem = unknown_section(str(key), PROFILE_SECTIONS)
            if problem:
                errors.append(ConfigError(f"profile {name}: {problem}", at(body, key)))
        pvars = body.get("vars")
        for var, value in (pvars.items() if isinstance(pvars, dict) else ()):
            if isinstance(value, str) and "${env:" in value:
                errors.append(ConfigError(
                    f"profile {name}: vars.{var}: ${{env:...}} is not allowed in profile vars; "
                    "read the environment in the base vars: and refer to that var",
                    at(pvars, var)))
    return errors


# ------------------------------------------------------------------ profiles and --set
def _apply_profiles(tree: _Tree, names: list[str]) -> list[ConfigError]:
    profiles = tree.data.get("profiles") or {}
    errors = []
    for name in names:
        body = profiles.get(name)
        if not isinstance(body, dict):
            known = ", ".join(sorted(profiles)) or "none defined"
            errors.append(ConfigError(f"unknown profile {name!r}{suggest(name, profiles)}; "
                                      f"available: {known}", Origin(f"--profile {name}")))
            continue

        def source(rel: tuple, name: str = name) -> Origin:
            return tree.origin(("profiles", name) + rel) or Origin(f"--profile {name}")
        for section, value in body.items():
            if section == "disable":
                errors.extend(merge_profile_disable(tree, value, source))
            else:
                tree.merge({section: value}, source)
    return errors


def _apply_sets(tree: _Tree, sets: list[str]) -> list[ConfigError]:
    errors = []
    for spec in sets:
        origin = Origin(f"--set {spec}")
        target, sep, text = spec.partition("=")
        section, dot, rest = target.partition(".")
        if not sep or not section or not rest:
            errors.append(ConfigError("use --set section.path=value (for example "
                                      "logger.encoding=json)", origin))
            continue
        problem = unknown_section(section)
        if problem:
            errors.append(ConfigError(problem, origin))
            continue
        try:
            value = coerce(text)
        except ValueError as exc:
            errors.append(ConfigError(str(exc), origin))
            continue
        # `override.` keys keep their dots: app.users:db:meta.tier is one key.
        path = (section, rest) if section == "override" else (section, *rest.split("."))
        tree.put(path, value, lambda rel, origin=origin: origin)
    return errors


# ------------------------------------------------------------------ the whole load
def load_project_config(files: list[str] | None = None, profiles: list[str] | None = None,
                        sets: list[str] | None = None, cwd: Path | None = None,
                        environ: Mapping[str, str] | None = None) -> ProjectConfig:
    """Compose the config; raises ConfigErrors with every problem (nothing starts)."""
    cwd = cwd or Path.cwd()
    environ = os.environ if environ is None else environ
    paths, errors = _config_files(files, cwd)
    tree = _Tree()
    for path in paths:
        doc, problems = _read(path)
        errors.extend(problems)
        if not problems:
            tree.merge(doc, _file_source(doc, display_path(path)))
    _raise(errors)
    _raise(_apply_profiles(tree, list(profiles or ())))
    _raise(_apply_sets(tree, list(sets or ())))
    tree.data.pop("profiles", None)

    def failed(prefix: tuple) -> Callable[[tuple, str], None]:
        return lambda path, message: errors.append(ConfigError(message,
                                                               tree.origin(prefix + path)))

    vars_ = interpolate(tree.data.get("vars") or {}, environ, None, failed(("vars",)))
    config = {k: (v if k == "vars" else interpolate(v, environ, vars_, failed((k,))))
              for k, v in tree.data.items()}
    config["vars"] = vars_
    _raise(errors)
    return _finish(tree, config, paths, list(profiles or ()))


def _finish(tree: _Tree, config: dict, paths: list[Path], profiles: list[str]) -> ProjectConfig:
    errors = []
    for section, body in config.items():
        for path, message in section_problems(section, body):
            label = ".".join(map(str, (section, *path)))
            errors.append(ConfigError(f"{label}: {message}", tree.origin((section, *path))))
    overrides = config.get("override") or {}
    if not isinstance(overrides, dict):
        errors.append(ConfigError("override must map ns:entry:field keys to values",
                                  tree.origin(("override",))))
        overrides = {}
    items = []
    for key, value in overrides.items():
        origin = tree.origin(("override", key)) or Origin(DEFAULT_NAME)
        try:
            split_key(str(key))
        except ValueError as exc:
            errors.append(ConfigError(str(exc), origin))
            continue
        items.append((str(key), value, origin))
    disable, problems = disable_problems(config.get("disable"), tree.origin)
    errors.extend(problems)
    _raise(errors)
    ignored = [(s, tree.origin((s,))) for s in config if s in IGNORED]
    return ProjectConfig([display_path(p) for p in paths], config, items, disable,
                         settings_from(config), profiles, ignored)


def _raise(errors: list[ConfigError]) -> None:
    if errors:
        raise ConfigErrors(errors)
