"""Everything that can be checked before anything starts (docs/decisions.md, D6).

    plan = prepare(entries, kinds, modules, check_source)

decodes every entry with its kind's config, runs the kind's own checks,
syntax-checks Lua sources and their module lists, and orders the entries by
their references. Every problem is collected; one ConfigErrors names them all.
`wippy check` stops here; `wippy run` builds from the plan.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Callable

from .config import Decoder, suggest
from .entry import Entry
from ..errors import ConfigError, ConfigErrors, Origin
from .graph import Graph, check_references, order
from .lua_refs import ID_ARGUMENTS, scan
from ..kinds.base import Kind
from ..kinds.env import PREFIX as ENV_PREFIX, registry_from
from ..logs import fields

log = logging.getLogger("wippy.registry")

# Kinds whose `source` is Lua code and whose `modules` name Lua modules.
LUA_SUFFIX = ".lua"


@dataclass
class Plan:
    entries: dict[str, Entry]      # by id, in load order
    kinds: dict[str, Kind]         # entry id -> its kind
    configs: dict[str, Any]        # entry id -> decoded config (None for inert kinds)
    graph: Graph
    env: Any = None                # EnvRegistry of the env.* entries
    # Suspicious but not wrong: literal ids in Lua that name no entry (wippy check shows them).
    warnings: list[ConfigError] = dataclasses.field(default_factory=list)

    @property
    def order(self) -> list[str]:
        return self.graph.order


def _kind_error(entry: Entry, kinds: dict[str, Kind]) -> ConfigError:
    return ConfigError(f"unknown kind {entry.kind!r}{suggest(entry.kind, kinds)}",
                       entry.origin_of("kind"), entry.id, "kind")


def _validation_errors(entry: Entry, kind: Kind, cfg: Any) -> list[ConfigError]:
    """`kind.validate` returns (field, message) pairs; give them file:line."""
    out = []
    for field, message in kind.validate(entry, cfg) or []:
        path = field if field is None or field.startswith("meta.") else f"data.{field}"
        out.append(ConfigError(message, entry.origin_of(path) if path else entry.origin,
                               entry.id, field))
    return out


def _lua_errors(entry: Entry, cfg: Any, modules: dict[str, Any] | None,
                check_source: Callable[[str, str], str | None] | None) -> list[ConfigError]:
    out = []
    source = getattr(cfg, "source", None)
    if check_source is not None and isinstance(source, str) and source:
        problem = check_source(source, entry.id)
        if problem:
            out.append(ConfigError(f"Lua syntax error: {problem}", entry.origin_of("data.source"),
                                   entry.id, "source"))
        elif not problem:
            out.extend(_undeclared_requires(entry, cfg, source))
    if modules is not None:
        for i, name in enumerate(getattr(cfg, "modules", None) or []):
            if name not in modules:
                out.append(ConfigError(
                    f"unknown module {name!r}{suggest(str(name), modules)}; available: "
                    f"{', '.join(sorted(modules)) or 'none'}",
                    entry.origin_of(f"data.modules[{i}]"), entry.id, f"modules[{i}]"))
    return out


def _source_origin(entry: Entry, line: int) -> Origin:
    """The Lua file and line when the source came from a file, else the entry's field."""
    path = entry.source_files.get("data.source")
    return Origin(path, line) if path else entry.origin_of("data.source")


def _always_available() -> set[str]:
    """Modules that are globals in every call (`process`, `channel`, `errors`):
    `require` finds them without a `modules:` line."""
    from ..lua.modules import MODULES
    return {name for name, m in MODULES.items() if getattr(m, "global_", False)}


def _undeclared_requires(entry: Entry, cfg: Any, source: str) -> list[ConfigError]:
    """`require("json")` in a handler whose entry does not declare `json`: it would fail on
    the first call, so say it now, at the line of the require."""
    declared = set(getattr(cfg, "modules", None) or ()) | set(getattr(cfg, "imports", None) or ())
    declared |= _always_available()
    out = []
    for req in scan(source, entry.namespace)[0]:
        if req.name not in declared:
            out.append(ConfigError(
                f"require({req.name!r}) but the entry does not declare it; add {req.name!r} "
                f"to modules (or to imports for a library.lua)",
                _source_origin(entry, req.line), entry.id, "modules"))
    return out


def _literal_id_warnings(entry: Entry, cfg: Any, by_id: dict[str, Entry]) -> list[ConfigError]:
    """`queue.publish("app:taks")`: a literal id that names no entry of the right kind."""
    source = getattr(cfg, "source", None)
    if not isinstance(source, str):
        return []
    out = []
    for use in scan(source, entry.namespace)[1]:
        _, kind_prefix, what = ID_ARGUMENTS[use.module]
        target = by_id.get(use.entry_id)
        if target is None or not target.kind.startswith(kind_prefix):
            hint = suggest(use.entry_id, [e for e, x in by_id.items()
                                          if x.kind.startswith(kind_prefix)])
            out.append(ConfigError(
                f"{use.module}.{use.function}({use.entry_id!r}) names no {what} entry{hint}",
                _source_origin(entry, use.line), entry.id, "source"))
    return out


def _without_old_fields(entry: Entry, kind: Kind, kinds: dict[str, Kind]) -> Entry:
    """An entry whose kind an override switched, minus the fields only its written kind
    knows (the SQLite `file` of an entry switched to Postgres). Other fields stay checked."""
    old = kinds.get(entry.written_kind or "")
    if old is None or old.config is None or kind.config is None:
        return entry
    new_fields = {f.name for f in dataclasses.fields(kind.config)}
    stale = [k for k in entry.data
             if k not in new_fields and k in {f.name for f in dataclasses.fields(old.config)}]
    if not stale:
        return entry
    log.debug("kind switched by override: dropping the old kind's fields",
              extra=fields(entry=entry.id, written=entry.written_kind, kind=entry.kind,
                           dropped=",".join(stale)))
    return dataclasses.replace(entry, data={k: v for k, v in entry.data.items()
                                            if k not in stale})


def _sound(configs: dict[str, Any], broken: set[str]) -> dict[str, Any]:
    return {eid: cfg for eid, cfg in configs.items() if eid not in broken}


def prepare(entries: list[Entry], kinds: dict[str, Kind], modules: dict[str, Any] | None = None,
            check_source: Callable[[str, str], str | None] | None = None) -> Plan:
    """Decode, validate and order `entries`; raises ConfigErrors with every problem.

    Env entries are decoded first: their registry resolves the `${env:...}`
    placeholders of every other entry, which then depends on the variables it read.
    """
    by_id = {e.id: e for e in entries}
    errors: list[ConfigError] = []
    configs: dict[str, Any] = {}
    kind_of: dict[str, Kind] = {}
    env_refs: dict[str, set[str]] = {}
    broken: set[str] = set()       # entries with decode problems stay out of the env registry
    env = None
    env_first = sorted(entries, key=lambda e: not e.kind.startswith(ENV_PREFIX))
    for entry in env_first:
        if env is None and not entry.kind.startswith(ENV_PREFIX):
            env = registry_from(entries, _sound(configs, broken))
        kind = kinds.get(entry.kind)
        if kind is None:
            errors.append(_kind_error(entry, kinds))
            continue
        kind_of[entry.id] = kind
        if kind.config is None:
            configs[entry.id] = None
            continue
        if entry.written_kind:
            entry = _without_old_fields(entry, kind, kinds)
        decoder = Decoder(entry, env)
        cfg = decoder.decode(kind.config)
        problems = decoder.errors
        env_refs[entry.id] = decoder.env_refs
        configs[entry.id] = cfg
        if problems:
            broken.add(entry.id)
        if not problems:
            problems = _validation_errors(entry, kind, cfg)
        errors.extend(problems)
        if entry.kind.endswith(LUA_SUFFIX):
            seen = {e.field for e in problems}  # a module named with a namespace: said once
            errors.extend(e for e in _lua_errors(entry, cfg, modules, check_source)
                          if e.field not in seen)
    if env is None:
        env = registry_from(entries, _sound(configs, broken))
    deps, ref_errors = check_references(by_id, configs, set(kinds))
    errors.extend(ref_errors)
    for eid, used in env_refs.items():
        deps[eid] = sorted(set(deps.get(eid, ())) | (used - {eid}))
    if errors:
        # Read top to bottom, like the files: by file, then line (stable within a line).
        errors.sort(key=lambda e: (e.origin.file, e.origin.line) if e.origin else ("", 0))
        raise ConfigErrors(errors)
    graph = order(deps, by_id)
    warnings = [w for eid, entry in by_id.items() if entry.kind.endswith(LUA_SUFFIX)
                for w in _literal_id_warnings(entry, configs.get(eid), by_id)]
    return Plan(by_id, kind_of, configs, graph, env, warnings)

