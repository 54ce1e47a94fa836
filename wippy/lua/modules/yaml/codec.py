"""YAML with the Go runtime's rules (gopkg.in/yaml.v3), built on PyYAML's pure loader.

Decoding is safe: only plain data is constructed (no tags that build objects;
`!!python/...` and unknown tags are errors), and alias expansion is bounded: a
document whose aliases would expand past MAX_NODES values, or that refers to
itself, is refused before anything is built (the "billion laughs" bomb).
Huge documents are bounded too: composing stops past MAX_NODES nodes, and composing
and building (and, for encode, representing and emitting) check the call's deadline
every few hundred nodes, so neither runs on in a worker thread after its call has
timed out. The scanner and parser are
libyaml's when PyYAML has it (several times faster than the pure-Python ones); nodes
are composed in Python, one by one, so the checks can run between them.
Scalars resolve as yaml.v3 does into an untyped value: `true`/`false` (any of three
casings) are booleans but `yes`/`no`/`on`/`off` stay strings; `0x`, `0o`, `0b` and
leading-zero octal integers; timestamps stay strings.
Encoding writes block style with 4-space indents (yaml.v3's default), mapping
keys in `field_order` first, then the rest sorted, and multi-line strings as
literal blocks.
"""
from __future__ import annotations

import math
import re
import time
from typing import Any, Callable

import yaml

try:
    from yaml.cyaml import CParser as _Parser   # libyaml: scanner and parser in C
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _Parser = None

MAX_NODES = 1_000_000
CHECK_EVERY = 256          # nodes between two looks at the clock
_INT64 = 1 << 63


class YamlError(ValueError):
    pass


class _Resolver(yaml.resolver.BaseResolver):
    pass


_Resolver.add_implicit_resolver("tag:yaml.org,2002:bool",
                                re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Resolver.add_implicit_resolver("tag:yaml.org,2002:null",
                                re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+)$"),
    list("-+0123456789"))
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


class _Constructor(yaml.constructor.SafeConstructor):
    def construct_yaml_int(self, node: Any) -> int | float:
        text = self.construct_scalar(node).replace("_", "")
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        if re.fullmatch(r"0[0-7]+", digits):
            value = int(digits, 8)
        elif re.fullmatch(r"0[0-9]+", digits):        # not octal: yaml.v3 reads a float
            return float(text)
        else:
            value = int(digits, 0)
        value *= sign
        return value if -_INT64 <= value < _INT64 else float(value)

    def construct_yaml_float(self, node: Any) -> float:
        text = self.construct_scalar(node).lower()
        if text.endswith("inf"):
            return -math.inf if text.startswith("-") else math.inf
        if text.endswith("nan"):
            return math.nan
        return float(text)

    def construct_yaml_timestamp(self, node: Any) -> str:
        return self.construct_scalar(node)          # yaml.v3 keeps timestamps as strings

    def construct_yaml_binary(self, node: Any) -> bytes:
        return super().construct_yaml_binary(node)


for _tag, _fn in (("int", _Constructor.construct_yaml_int),
                  ("float", _Constructor.construct_yaml_float),
                  ("timestamp", _Constructor.construct_yaml_timestamp)):
    _Constructor.add_constructor(f"tag:yaml.org,2002:{_tag}", _fn)


class _Bounded(yaml.composer.Composer, _Constructor):
    """Counts composed nodes against `max_nodes` and looks at the clock every
    CHECK_EVERY nodes, composed or built, against `deadline`."""
    max_nodes = MAX_NODES
    deadline: float | None = None
    clock: Callable[[], float] = staticmethod(time.monotonic)
    _composed = 0
    _built = 0

    def _check_time(self) -> None:
        if self.deadline is not None and self.clock() > self.deadline:
            raise YamlError("the call's time budget ran out while decoding")

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._composed += 1
        if self._composed > self.max_nodes:
            raise YamlError(f"document has more than {self.max_nodes:,} values")
        if not self._composed % CHECK_EVERY:
            self._check_time()
        return super().compose_node(parent, index)

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        self._built += 1
        if not self._built % CHECK_EVERY:
            self._check_time()
        return super().construct_object(node, deep)


class SafeLoader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
                 _Bounded, _Resolver):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


if _Parser is not None:
    # The Python composer comes first in the MRO, so nodes are composed by
    # _Bounded.compose_node from libyaml's events (CParser composes in C otherwise,
    # all at once).
    class CSafeLoader(_Bounded, _Parser, _Resolver):     # type: ignore[valid-type, misc]
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            _Constructor.__init__(self)
            _Resolver.__init__(self)

    Loader: type = CSafeLoader
else:  # pragma: no cover
    Loader = SafeLoader


def _expanded_size(root: yaml.Node) -> int:
    """How many values the node graph becomes once aliases are copied out."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise YamlError("document contains a recursive alias")
        total = 1
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            active.add(key)
            children = (node.value if isinstance(node, yaml.SequenceNode)
                        else [n for pair in node.value for n in pair])
            for child in children:
                total += size(child)
                if total > MAX_NODES:
                    raise YamlError(f"document contains excessive aliasing "
                                    f"(expands to more than {MAX_NODES:,} values)")
            active.discard(key)
        sizes[key] = total
        return total

    size(root)
    return sizes[id(root)]


def decode(text: str, deadline: float | None = None, max_nodes: int = MAX_NODES,
           loader_class: type | None = None) -> Any:
    """The first document of `text` as plain data; YamlError when it cannot be, when it
    holds more than `max_nodes` nodes, or when time.monotonic() passes `deadline`."""
    loader = (loader_class or Loader)(text)
    loader.deadline, loader.max_nodes = deadline, max_nodes
    try:
        if not loader.check_node():        # no document at all (only comments)
            return None
        node = loader.get_node()           # the first document, as yaml.v3's Unmarshal
        _expanded_size(node)
        return loader.construct_document(node)
    except RecursionError:
        raise YamlError("document is nested too deeply") from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc).replace("\n", " ")) from None
    finally:
        loader.dispose()


class _Dumper(yaml.SafeDumper):
    field_order: tuple = ()
    deadline: float | None = None
    _steps = 0

    def _tick(self) -> None:
        # PyYAML's emitter is pure Python (~40 µs a node here): a big table could hold
        # a worker long past its call's deadline without this.
        self._steps += 1
        if (not self._steps % CHECK_EVERY and self.deadline is not None
                and time.monotonic() > self.deadline):
            raise YamlError("the call's time budget ran out while encoding")

    def represent_data(self, data: Any) -> yaml.Node:
        self._tick()
        return super().represent_data(data)

    def emit(self, event: Any) -> None:
        self._tick()
        super().emit(event)

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)        # yaml.v3 indents lists under keys


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_dict(dumper: _Dumper, value: dict) -> yaml.Node:
    order = {k: i for i, k in enumerate(dumper.field_order)}
    listed = sorted((k for k in value if k in order), key=order.__getitem__)
    rest = sorted((k for k in value if k not in order), key=lambda k: (not isinstance(k, str), str(k)))
    return dumper.represent_mapping("tag:yaml.org,2002:map", [(k, value[k]) for k in listed + rest])


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(bytes, lambda d, v: _represent_str(d, v.decode("utf-8", "replace")))


def encode(value: Any, field_order: tuple = (), deadline: float | None = None) -> str:
    """YAML text of `value`; YamlError when time.monotonic() passes `deadline`."""
    dumper_class = type("Dumper", (_Dumper,), {"field_order": field_order,
                                                "deadline": deadline})
    return yaml.dump(value, Dumper=dumper_class, indent=4, default_flow_style=False,
                     allow_unicode=True, sort_keys=False, width=1 << 30)
