"""Definition files -> Entry list (docs/decisions.md: D6).

Every `.yaml`/`.yml`/`.json` file under a source directory (recursively, in
lexical order, `node_modules` skipped) that has a non-blank `namespace` is a
definition file. Unlike Go Wippy, a broken file is not skipped: every problem
is collected with its file:line and entry, then raised as one ConfigErrors.
"""
from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Any

import yaml

from .entry import Entry
from ..errors import ConfigError, ConfigErrors, Origin
from .yaml_lines import LineDict, LineList, parse_json, parse_yaml

DEFINITION_SUFFIXES = (".yaml", ".yml", ".json")
SKIP_DIRS = frozenset({"node_modules"})
# Keys of an entry element that are not data (Wippy's registry format).
ENTRY_KEYS = frozenset({"name", "kind", "meta", "data"})
# Top-level keys of a single-entry file that are not data.
FILE_KEYS = frozenset({"namespace", "name", "kind", "meta", "version", "requirements", "entries"})
FILE_PREFIX = "file://"


# --- discovery ----------------------------------------------------------------

def definition_files(root: Path) -> list[Path]:
    """Candidate files under `root`, depth-first in lexical order (like Go's fs.WalkDir)."""
    out: list[Path] = []

    def walk(directory: Path) -> None:
        with os.scandir(directory) as it:
            items = sorted(it, key=lambda d: d.name)
        for item in items:
            if item.is_dir(follow_symlinks=False):
                if item.name not in SKIP_DIRS:
                    walk(Path(item.path))
            elif item.name.endswith(DEFINITION_SUFFIXES) and item.is_file():
                out.append(Path(item.path))

    walk(root)
    return out


def display_path(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


# --- one file -----------------------------------------------------------------

class _FileLoader:
    """Turns one definition file into entries, collecting every problem."""

    def __init__(self, path: Path, root: Path):
        self.path, self.root = path, root
        self.shown = display_path(path)
        self.errors: list[ConfigError] = []
        self.entries: list[Entry] = []
        self.source_files: dict[str | None, dict[str, str]] = {}   # entry id -> field -> file

    def fail(self, message: str, line: int = 0, entry_id: str | None = None,
             field: str | None = None) -> None:
        self.errors.append(ConfigError(message, Origin(self.shown, line), entry_id, field))

    def load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.fail(f"cannot read file: {exc}")
            return
        try:
            doc = parse_yaml(text)
        except yaml.YAMLError as exc:
            if self.path.suffix == ".json":
                doc = self.json_fallback(text)  # JSON that YAML refuses (tabs): no line marks
                if doc is not _FAILED:
                    self.check(doc)
                return
            if "namespace" not in text:
                return  # not a definition file (a package.json with comments, ...)
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            self.fail(f"invalid YAML: {problem}", mark.line + 1 if mark else 0)
            return
        self.check(doc)

    def json_fallback(self, text: str) -> Any:
        try:
            return parse_json(text)
        except ValueError as exc:
            if "namespace" in text:
                self.fail(f"invalid JSON: {exc}", getattr(exc, "lineno", 0))
            return _FAILED

    def check(self, doc: Any) -> None:
        if not isinstance(doc, dict):
            return  # not a mapping: not a definition file
        ns = doc.get("namespace")
        if ns is None or (isinstance(ns, str) and not ns.strip()):
            return  # as in Wippy: silently not a definition file
        if not isinstance(ns, str):
            self.fail("namespace must be a string", doc.line_of("namespace"), field="namespace")
            return
        self.extract(doc, ns.strip())

    def extract(self, doc: LineDict, ns: str) -> None:
        file_meta = doc.get("meta")
        if file_meta is None:
            file_meta = LineDict()
        elif not isinstance(file_meta, dict):
            self.fail("file meta must be a mapping", doc.line_of("meta"), field="meta")
            file_meta = LineDict()
        self.interpolate(file_meta, None)
        items = doc.get("entries")
        if items is not None and not isinstance(items, list):
            self.fail("entries must be a list", doc.line_of("entries"), field="entries")
            return
        if items:
            for i, item in enumerate(items):
                self.entry(item, ns, file_meta, ENTRY_KEYS, label=f"entries[{i}]",
                           line=items.line_of(i))
        elif "name" in doc or "kind" in doc:
            self.entry(doc, ns, file_meta, FILE_KEYS | {"data"}, label="file", line=doc.line,
                       single=True)
        elif items is None:
            self.fail("either entries array or single entry (name/kind) must be provided",
                      doc.line or 1, field="entries")

    def entry(self, item: Any, ns: str, file_meta: LineDict, skip: frozenset, label: str,
              line: int, single: bool = False) -> None:
        if not isinstance(item, dict):
            self.fail("entry must be a mapping", line, label)
            return
        name, kind = item.get("name"), item.get("kind")
        entry_id = f"{ns}:{name.strip()}" if isinstance(name, str) and name.strip() else label
        if not (isinstance(name, str) and name.strip()):
            self.fail("name is required and must be a non-empty string",
                      item.line_of("name"), entry_id, "name")
        if not (isinstance(kind, str) and kind.strip()):
            self.fail("kind is required and must be a non-empty string",
                      item.line_of("kind"), entry_id, "kind")
        if not self.interpolate(item, entry_id, skip_keys=FILE_KEYS if single else ()):
            return
        meta = item.get("meta")
        if meta is not None and not isinstance(meta, dict):
            self.fail("meta must be a mapping", item.line_of("meta"), entry_id, "meta")
            return
        field_lines = {k: item.line_of(k) for k in ("name", "kind") if k in item}
        merged_meta = _plain(file_meta, "meta", field_lines)
        merged_meta.update(_plain(meta or {}, "meta", field_lines))
        if "data" in item:
            data = item["data"]
            if data is None:
                data = {}
            if not isinstance(data, dict):
                self.fail("data must be a mapping", item.line_of("data"), entry_id, "data")
                return
            field_lines["data"] = item.line_of("data")
            data = _plain(data, "data", field_lines)
        else:
            flat = {k: v for k, v in item.items() if k not in skip}
            for key in flat:
                field_lines[f"data.{key}"] = item.line_of(key)
            data = {str(k): _plain(v, f"data.{k}", field_lines) for k, v in flat.items()}
        if entry_id == label or not (isinstance(kind, str) and kind.strip()):
            return  # already reported
        self.entries.append(Entry(namespace=ns, name=name.strip(), kind=kind.strip(),
                                  meta=merged_meta, data=data,
                                  origin=Origin(self.shown, line), field_lines=field_lines,
                                  source_files=self.source_files.pop(entry_id, {})))

    def interpolate(self, node: Any, entry_id: str | None, prefix: str = "",
                    skip_keys: Any = ()) -> bool:
        """Replace `file://` strings in place by the file's text; False if one failed."""
        ok = True
        keys = [k for k in node if k not in skip_keys] if isinstance(node, dict) else range(len(node))
        pairs = [(k, node.line_of(k)) for k in keys]
        for key, line in pairs:
            value = node[key]
            path = f"{prefix}[{key}]" if isinstance(node, list) else (
                f"{prefix}.{key}" if prefix else str(key))
            if isinstance(value, str) and value.startswith(FILE_PREFIX):
                text = self.read_ref(value, line, entry_id, path)
                if text is None:
                    ok = False
                else:
                    node[key] = text
            elif isinstance(value, (dict, list)):
                ok = self.interpolate(value, entry_id, path) and ok
        return ok

    def read_ref(self, ref: str, line: int, entry_id: str | None, field: str) -> str | None:
        target = ref[len(FILE_PREFIX):]
        if target.startswith("/"):
            rel = posixpath.normpath(target.lstrip("/") or ".")
        else:
            here = self.path.parent.relative_to(self.root).as_posix()
            rel = posixpath.normpath(posixpath.join(here, target))
        if rel == ".." or rel.startswith("../") or posixpath.isabs(rel):
            self.fail(f"{ref}: path escapes the source directory {display_path(self.root)}",
                      line, entry_id, field)
            return None
        full = self.root / rel
        try:
            text = full.read_text(encoding="utf-8")
            field_path = field if field.startswith(("data.", "meta.")) else f"data.{field}"
            self.source_files.setdefault(entry_id, {})[field_path] = display_path(full)
            return text
        except FileNotFoundError:
            self.fail(f"{ref}: file not found ({display_path(full)})", line, entry_id, field)
        except IsADirectoryError:
            self.fail(f"{ref}: is a directory ({display_path(full)})", line, entry_id, field)
        except (OSError, UnicodeDecodeError) as exc:
            self.fail(f"{ref}: cannot read {display_path(full)}: {exc}", line, entry_id, field)
        return None


_FAILED = object()


def _plain(value: Any, path: str, lines: dict[str, int]) -> Any:
    """LineDict/LineList -> dict/list, recording nested key lines as "data.a.b" / "data.a[0]"."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            sub = f"{path}.{key}"
            if isinstance(value, LineDict) and value.line_of(key):
                lines.setdefault(sub, value.line_of(key))
            out[str(key) if not isinstance(key, str) else key] = _plain(item, sub, lines)
        return out
    if isinstance(value, list):
        out_list = []
        for i, item in enumerate(value):
            sub = f"{path}[{i}]"
            if isinstance(value, LineList) and value.line_of(i):
                lines.setdefault(sub, value.line_of(i))
            out_list.append(_plain(item, sub, lines))
        return out_list
    return value


# --- directories --------------------------------------------------------------

def load_dir(root: Path) -> tuple[list[Entry], list[ConfigError]]:
    """Load every definition file under `root`; return entries and problems."""
    root = Path(root)
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a directory"
        return [], [ConfigError(f"source directory {what} (check directories.src in wippy.lock)",
                                Origin(display_path(root)))]
    entries: list[Entry] = []
    errors: list[ConfigError] = []
    for path in definition_files(root):
        loader = _FileLoader(path, root)
        loader.load()
        entries.extend(loader.entries)
        errors.extend(loader.errors)
    return entries, errors


def load_entries(roots: list[Path]) -> list[Entry]:
    """Load all roots in order; duplicate ids are errors naming both places
    (docs/decisions.md D6)."""
    entries: list[Entry] = []
    errors: list[ConfigError] = []
    for root in roots:
        found, problems = load_dir(root)
        entries.extend(found)
        errors.extend(problems)
    first: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in first:
            errors.append(ConfigError(
                f"duplicate entry id (also defined at {first[entry.id].origin}); "
                "rename one of them", entry.origin, entry.id))
        else:
            first[entry.id] = entry
    if errors:
        raise ConfigErrors(errors)
    return entries
