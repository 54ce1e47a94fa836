"""YAML (and JSON) parsed with line marks, the way Go Wippy's yaml.v3 reads scalars.

`parse_yaml(text)` returns plain data whose mappings are LineDict and whose
sequences are LineList: both remember the 1-based line of every key/item, so
errors can name file:line. Duplicate keys are errors (yaml.v3 refuses them too).
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterator

import yaml


class LineDict(dict):
    """A mapping that remembers the line of each key (1-based) and its own start line."""

    def __init__(self, *args: Any, line: int = 0):
        super().__init__(*args)
        self.line = line
        self.lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        return self.lines.get(key, self.line)


class LineList(list):
    """A sequence that remembers the line of each item (0 = unknown)."""

    def __init__(self, *args: Any, line: int = 0):
        super().__init__(*args)
        self.line = line
        self.lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.lines[index] if index < len(self.lines) else self.line


class LineLoader(yaml.SafeLoader):
    """SafeLoader with line marks, duplicate-key errors and YAML 1.2 core scalars.

    PyYAML resolves YAML 1.1 scalars (`yes` -> True, `1:20` -> 80, dates ->
    date objects); Go Wippy's yaml.v3 does not, so neither do we.
    """

    yaml_implicit_resolvers: dict = {}


def _add_resolvers() -> None:
    add = LineLoader.add_implicit_resolver
    add("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"))
    add("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+)$"),
        list("-+0123456789"))
    add("tag:yaml.org,2002:float", re.compile(
        r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9]+[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        list("-+0123456789."))
    add("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
    add("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])


def _construct_map(loader: LineLoader, node: yaml.MappingNode) -> Iterator[LineDict]:
    data = LineDict(line=node.start_mark.line + 1)
    yield data
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain scalars", key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key]})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        data[key] = loader.construct_object(value_node)
        data.lines[key] = key_node.start_mark.line + 1


def _construct_seq(loader: LineLoader, node: yaml.SequenceNode) -> Iterator[LineList]:
    data = LineList(line=node.start_mark.line + 1)
    yield data
    for item in node.value:
        data.append(loader.construct_object(item))
        data.lines.append(item.start_mark.line + 1)


_add_resolvers()
LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def parse_yaml(text: str) -> Any:
    """Parse one YAML (or JSON) document into LineDict/LineList values."""
    return yaml.load(text, Loader=LineLoader)  # noqa: S506 - LineLoader is a SafeLoader




def parse_json(text: str) -> Any:
    """JSON that YAML refuses (tab indentation): no line marks, duplicate keys still refused."""
    def pairs(items: list) -> LineDict:
        out = LineDict()
        for key, value in items:
            if key in out:
                raise ValueError(f"duplicate key {key!r}")
            out[key] = value
        return out
    return _wrap_lists(json.loads(text, object_pairs_hook=pairs))


def _wrap_lists(value: Any) -> Any:
    """Give json.loads lists the (empty) line marks the YAML path provides."""
    if isinstance(value, dict):
        for key in value:
            value[key] = _wrap_lists(value[key])
        return value
    if isinstance(value, list):
        return LineList(_wrap_lists(v) for v in value)
    return value
