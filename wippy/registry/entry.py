"""Registry entries and their ids."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import Origin


def split_id(text: str) -> tuple[str, str]:
    """Split `ns:name` at the first colon. No colon gives namespace ""."""
    ns, sep, name = text.partition(":")
    if not sep:
        return "", text
    return ns, name


def qualify(ref: str, namespace: str) -> str:
    """A bare name means "in this entry's namespace" (docs/decisions.md D5)."""
    return ref if ":" in ref else f"{namespace}:{ref}"


@dataclass
class Entry:
    """One registry entry as loaded from a definition file."""
    namespace: str
    name: str
    kind: str
    meta: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    origin: Origin = field(default_factory=lambda: Origin("<memory>"))
    # Line of each top-level key, as "data.addr" / "meta.router", for error messages.
    field_lines: dict[str, int] = field(default_factory=dict)
    # The kind the entry was written with, when an override switched it (overrides.py):
    # that kind's own fields are then dropped instead of refused (plan.py).
    written_kind: str | None = None
    # The file each `file://` field was read from, as "data.source" -> "src/create_task.lua",
    # so problems found in a Lua source can name the file and line the user wrote.
    source_files: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.namespace}:{self.name}"

    def origin_of(self, path: str) -> Origin:
        """Best-known origin of a field path such as "data.pool.max_size"."""
        parts = path.split(".")
        for n in range(len(parts), 0, -1):
            prefix = ".".join(parts[:n])
            # "data.modules[3]" falls back to "data.modules" when the item has no line.
            line = self.field_lines.get(prefix) or self.field_lines.get(prefix.split("[")[0])
            if line:
                return Origin(self.origin.file, line)
        return self.origin
