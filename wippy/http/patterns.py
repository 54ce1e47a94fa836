"""Path patterns with Go 1.22 `http.ServeMux` semantics, as Wippy's router uses them.

A pattern is a list of segments:

* literal `tasks`;
* `{id}`: one non-empty segment;
* `{rest...}`: the remainder of the path (last segment only, may be empty);
* a trailing `/` (as in `/static/`): an anonymous remainder, so `/static/`
  matches `/static/` and everything below it;
* `{$}` after a trailing slash: exactly that path, nothing below it.

`:id` segments are rewritten to `{id}`. `/tasks/` does not match `/tasks`.

Two patterns on the same method *conflict* when they overlap and neither is
more specific (Go's rule); that is a configuration error, found at build time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

LIT, WILD, MULTI = 0, 1, 2           # segment kinds; the order is the specificity order

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Segment:
    kind: int
    text: str = ""        # literal text, or the wildcard's name ("" = anonymous)


class PatternError(ValueError):
    """A path that cannot be a route pattern; the message says why."""


@dataclass(frozen=True)
class Pattern:
    path: str                          # the normalised pattern text, e.g. "/tasks/{id}"
    segments: tuple[Segment, ...]

    @property
    def static(self) -> bool:
        """Matches exactly one path (no wildcard)."""
        return all(s.kind == LIT for s in self.segments)

    @property
    def multi(self) -> bool:
        return bool(self.segments) and self.segments[-1].kind == MULTI

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.segments if s.kind != LIT and s.text)

    def sort_key(self) -> tuple:
        """Orders more specific patterns first (consistent with `relation`)."""
        return tuple(s.kind for s in self.segments) + (3,)

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """Match split request path segments; return the wildcard values or None."""
        segs = self.segments
        n = len(segs)
        if self.multi:
            if len(parts) < n:       # "/static/" does not match "/static"
                return None
        elif len(parts) != n:
            return None
        params: dict[str, str] = {}
        for i, seg in enumerate(segs):
            if seg.kind == MULTI:
                if seg.text:
                    params[seg.text] = "/".join(parts[i:])
                return params
            part = parts[i]
            if seg.kind == LIT:
                if part != seg.text:
                    return None
            else:
                if not part:
                    return None
                params[seg.text] = part
        return params


def parse_pattern(path: str) -> Pattern:
    """Parse an endpoint path (after the router prefix is joined). Raises PatternError."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise PatternError(f"path must start with /: {path}")
    raw = path[1:].split("/")
    segments: list[Segment] = []
    seen: set[str] = set()
    last = len(raw) - 1
    for i, part in enumerate(raw):
        if part.startswith(":") and len(part) > 1:
            part = "{" + part[1:] + "}"
        if i == last and part == "":
            # Trailing slash (or the root "/"): an anonymous remainder.
            segments.append(Segment(MULTI, ""))
            continue
        if part == "{$}":
            if i != last:
                raise PatternError(f"{{$}} is only allowed at the end, after a slash: {path}")
            segments.append(Segment(LIT, ""))
            continue
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            multi = name.endswith("...")
            if multi:
                name = name[:-3]
                if i != last:
                    raise PatternError(f"{{{name}...}} must be the last segment: {path}")
            if not _NAME.match(name):
                raise PatternError(f"bad wildcard name {name!r} in {path} "
                                   "(letters, digits and _ only)")
            if name in seen:
                raise PatternError(f"duplicate wildcard name {name!r} in {path}")
            seen.add(name)
            segments.append(Segment(MULTI if multi else WILD, name))
            continue
        if "{" in part or "}" in part:
            raise PatternError(f"a wildcard must be a whole segment: {part!r} in {path}")
        if part == "" and i != last:
            raise PatternError(f"empty segment (//) in {path}")
        segments.append(Segment(LIT, part))
    return Pattern(_render(segments), tuple(segments))


def _render(segments: list[Segment]) -> str:
    out = []
    for s in segments:
        if s.kind == LIT:
            out.append(s.text if s.text else "{$}")
        elif s.kind == WILD:
            out.append("{" + s.text + "}")
        else:
            out.append("{" + s.text + "...}" if s.text else "")
    return "/" + "/".join(out)


# ---------------------------------------------------------------- conflicts (Go's rules)
EQUIVALENT, MORE_SPECIFIC, MORE_GENERAL, OVERLAPS, DISJOINT = range(5)
_INVERSE = {MORE_SPECIFIC: MORE_GENERAL, MORE_GENERAL: MORE_SPECIFIC}


def _compare_segments(a: Segment, b: Segment) -> int:
    if a.kind == MULTI and b.kind == MULTI:
        return EQUIVALENT
    if a.kind == MULTI:
        return MORE_GENERAL
    if b.kind == MULTI:
        return MORE_SPECIFIC
    if a.kind == WILD and b.kind == WILD:
        return EQUIVALENT
    if a.kind == WILD:
        return DISJOINT if b.text == "" else MORE_GENERAL   # {x} never matches a trailing slash
    if b.kind == WILD:
        return DISJOINT if a.text == "" else MORE_SPECIFIC
    return EQUIVALENT if a.text == b.text else DISJOINT


def combine(r1: int, r2: int) -> int:
    if r1 == EQUIVALENT:
        return r2
    if r1 == DISJOINT:
        return DISJOINT
    if r1 == OVERLAPS:
        return DISJOINT if r2 == DISJOINT else OVERLAPS
    if r2 == EQUIVALENT:
        return r1
    if r2 == _INVERSE[r1]:
        return OVERLAPS
    return r2


def relation(p1: Pattern, p2: Pattern) -> int:
    """How the path sets of two patterns relate (Go `comparePaths`)."""
    s1, s2 = p1.segments, p2.segments
    if len(s1) != len(s2) and not p1.multi and not p2.multi:
        return DISJOINT
    rel = EQUIVALENT
    for a, b in zip(s1, s2):
        rel = combine(rel, _compare_segments(a, b))
        if rel == DISJOINT:
            return rel
    if len(s1) == len(s2):
        return rel
    if len(s1) < len(s2) and p1.multi:
        return combine(rel, MORE_GENERAL)
    if len(s2) < len(s1) and p2.multi:
        return combine(rel, MORE_SPECIFIC)
    return DISJOINT


def conflicts(p1: Pattern, p2: Pattern) -> bool:
    """True when one request path could match both and neither pattern wins."""
    return relation(p1, p2) in (EQUIVALENT, OVERLAPS)
