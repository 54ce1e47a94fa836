"""References are data; order comes from a graph (docs/architecture.md).

Edges come from every reference field of a decoded config (`spec(ref=...)`,
lifecycle `requires`/`depends_on` included). Every reference must name an
existing entry of the right kind family, and the graph must be acyclic; the
build order is topological, lexical by id within a level. Stop in reverse.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .config import references, suggest
from .entry import Entry
from ..errors import ConfigError, ConfigErrors, Origin


@dataclass
class Graph:
    deps: dict[str, list[str]]                 # id -> ids it needs, sorted
    levels: list[list[str]] = field(default_factory=list)

    @property
    def order(self) -> list[str]:
        """Build order: level by level, lexical within a level."""
        return [eid for level in self.levels for eid in level]

    def dependents(self) -> dict[str, list[str]]:
        """id -> ids that need it."""
        out: dict[str, list[str]] = {eid: [] for eid in self.deps}
        for eid, needs in self.deps.items():
            for dep in needs:
                out.setdefault(dep, []).append(eid)
        return {k: sorted(v) for k, v in out.items()}


def field_label(entry: Entry, path: str) -> str:
    """`queue`, or `meta.router` when the field lives in the entry's meta."""
    top = path.split(".")[0].split("[")[0]
    if top in entry.meta and top not in entry.data:
        return f"meta.{path}"
    return path


def field_origin(entry: Entry, path: str) -> Origin:
    label = field_label(entry, path)
    return entry.origin_of(label if label.startswith("meta.") else f"data.{label}")


def _matches(kind: str, rule: Any) -> bool:
    if rule is True or rule is None:
        return True
    rules = (rule,) if isinstance(rule, str) else tuple(rule)
    return any(kind.startswith(r) for r in rules)


def _rule_text(rule: Any) -> str:
    rules = (rule,) if isinstance(rule, str) else tuple(rule)
    return " or ".join(f"{r}*" if r.endswith(".") else r for r in rules)


def check_references(entries: dict[str, Entry], configs: dict[str, Any],
                     known_kinds: set[str] | None = None) -> tuple[dict[str, list[str]], list[ConfigError]]:
    """Edges of every entry, and an error for each dangling or wrong-kind reference.

    `known_kinds`: kinds that exist; a target of an unknown kind was already reported,
    so its kind is not checked again.
    """
    deps: dict[str, list[str]] = {}
    errors: list[ConfigError] = []
    for eid, entry in entries.items():
        needs: set[str] = set()
        for path, target, rule in references(configs.get(eid)):
            label = field_label(entry, path)
            origin = field_origin(entry, path)
            other = entries.get(target)
            if other is None:
                pool = [i for i, e in entries.items() if _matches(e.kind, rule)] or list(entries)
                errors.append(ConfigError(f"{label} -> {target} not found{suggest(target, pool)}",
                                          origin, eid))
                continue
            if target == eid:
                errors.append(ConfigError(f"{label} -> {target}: an entry cannot depend on itself",
                                          origin, eid))
                continue
            if known_kinds is not None and other.kind not in known_kinds:
                needs.add(target)
                continue
            if not _matches(other.kind, rule):
                errors.append(ConfigError(
                    f"{label} -> {target} is a {other.kind}, expected {_rule_text(rule)}",
                    origin, eid))
                continue
            needs.add(target)
        deps[eid] = sorted(needs)
    return deps, errors


def order(deps: dict[str, list[str]], entries: dict[str, Entry] | None = None) -> Graph:
    """Topological levels (lexical within a level); a cycle raises ConfigErrors naming it."""
    remaining = {eid: set(needs) & deps.keys() for eid, needs in deps.items()}
    levels: list[list[str]] = []
    while remaining:
        level = sorted(eid for eid, needs in remaining.items() if not needs)
        if not level:
            raise ConfigErrors([_cycle_error(remaining, entries or {})])
        levels.append(level)
        for eid in level:
            del remaining[eid]
        for needs in remaining.values():
            needs.difference_update(level)
    return Graph({eid: sorted(needs) for eid, needs in deps.items()}, levels)


def _cycle_error(remaining: dict[str, set[str]], entries: dict[str, Entry]) -> ConfigError:
    """Walk from the smallest stuck id until an id repeats: that loop is the cycle."""
    start = min(remaining)
    path, seen = [start], {start: 0}
    while True:
        nxt = min(remaining[path[-1]])
        if nxt in seen:
            cycle = path[seen[nxt]:] + [nxt]
            break
        seen[nxt] = len(path)
        path.append(nxt)
    first = entries.get(cycle[0])
    return ConfigError("dependency cycle: " + " -> ".join(cycle)
                       + " (break it by removing one reference or lifecycle.requires)",
                       first.origin if first else None, cycle[0])


def build_graph(entries: dict[str, Entry], configs: dict[str, Any],
                known_kinds: set[str] | None = None) -> Graph:
    """Check references and order the entries; raises ConfigErrors with every problem."""
    deps, errors = check_references(entries, configs, known_kinds)
    if errors:
        raise ConfigErrors(errors)
    return order(deps, entries)
