"""What a condition proves about names, read from its tokens (for `wippy lint`'s
nil-safety check, lint_flow.py).

`facts(tokens)` returns two sets of names: those known non-nil where the condition
is true and those known non-nil where it is false. Only forms whose meaning is
certain are understood; anything else proves nothing (so the checker stays
silent rather than guess):

    x                 true: x           not x            false: x
    x ~= nil          true: x           x == nil         false: x
    x == <literal>    true: x           type(x) == "t"   true: x  (t not "nil")
    type(x) ~= "t"    false: x          not (c)          swaps c's sets
    a and b           true: a's ∪ b's   a or b           false: a's ∪ b's;
                                                          true: a's ∩ b's
"""
from __future__ import annotations

from .lexer import KEYWORD, NAME, NUMBER, STRING

NONE: tuple[frozenset, frozenset] = (frozenset(), frozenset())
# Brackets, and the block keywords a function body inside an expression may hold.
OPENERS = frozenset(("(", "[", "{", "function", "if", "do", "repeat"))
CLOSERS = frozenset((")", "]", "}", "end", "until"))


def _split(tokens: list, word: str) -> list[list]:
    """Split at `word` (and/or) outside brackets and outside function bodies."""
    parts, cur, depth = [], [], 0
    for t in tokens:
        if t.kind in ("symbol", KEYWORD):
            if t.value in OPENERS:
                depth += 1
            elif t.value in CLOSERS:
                depth -= 1
            elif depth == 0 and t.value == word:
                parts.append(cur)
                cur = []
                continue
        cur.append(t)
    parts.append(cur)
    return parts


def _wrapped(tokens: list) -> bool:
    """`( ... )` around the whole list (not `(a) + (b)`)."""
    if len(tokens) < 2 or not tokens[0].is_("(") or not tokens[-1].is_(")"):
        return False
    depth = 0
    for i, t in enumerate(tokens):
        if t.is_("(") or t.is_("[") or t.is_("{"):
            depth += 1
        elif t.is_(")") or t.is_("]") or t.is_("}"):
            depth -= 1
            if depth == 0 and i != len(tokens) - 1:
                return False
    return True


def _is_non_nil_literal(t) -> bool:
    return t.kind in (STRING, NUMBER) or t.is_("true") or t.is_("false")


def facts(tokens: list, depth: int = 0) -> tuple[frozenset, frozenset]:
    while _wrapped(tokens):
        tokens = tokens[1:-1]
    if not tokens or depth > 50:
        return NONE
    ors = _split(tokens, "or")
    if len(ors) > 1:
        parts = [facts(p, depth + 1) for p in ors]
        true = frozenset.intersection(*(p[0] for p in parts))
        return true, frozenset().union(*(p[1] for p in parts))
    ands = _split(tokens, "and")
    if len(ands) > 1:
        parts = [facts(p, depth + 1) for p in ands]
        return frozenset().union(*(p[0] for p in parts)), frozenset()
    if tokens and tokens[0].is_("not"):
        true, false = facts(tokens[1:], depth + 1) if _single_operand(tokens[1:]) else NONE
        return false, true
    return _atom(tokens)


def _single_operand(tokens: list) -> bool:
    """`not` binds tighter than comparisons: `not x == nil` is `(not x) == nil`."""
    return len(tokens) == 1 or _wrapped(tokens) or (tokens and tokens[0].is_("not")
                                                    and _single_operand(tokens[1:]))


def _atom(tokens: list) -> tuple[frozenset, frozenset]:
    n = len(tokens)
    if n == 1 and tokens[0].kind == NAME:
        return frozenset((tokens[0].value,)), frozenset()
    if n == 3 and tokens[1].value in ("==", "~=") and tokens[1].kind == "symbol":
        left, op, right = tokens
        name, other = (left, right) if left.kind == NAME else (right, left)
        if name.kind != NAME:
            return NONE
        if other.is_("nil"):
            found = frozenset((name.value,))
            return (found, frozenset()) if op.value == "~=" else (frozenset(), found)
        if op.value == "==" and _is_non_nil_literal(other):
            return frozenset((name.value,)), frozenset()
        return NONE
    if n == 6:   # type(x) == "t", either order
        return _type_call(tokens)
    return NONE


def _type_call(tokens: list) -> tuple[frozenset, frozenset]:
    """`type(x) == "t"` or `"t" == type(x)`: x is non-nil when the test is true
    (`~=`: when it is false), unless t is "nil"."""
    if tokens[0].kind == STRING:
        lit, op, call = tokens[0], tokens[1], tokens[2:]
    else:
        call, op, lit = tokens[:4], tokens[4], tokens[5]
    if not (len(call) == 4 and call[0].kind == NAME and call[0].value == "type"
            and call[1].is_("(") and call[2].kind == NAME and call[3].is_(")")
            and lit.kind == STRING and op.value in ("==", "~=")):
        return NONE
    if lit.value.strip("\"'") == "nil":
        return NONE
    found = frozenset((call[2].value,))
    return (found, frozenset()) if op.value == "==" else (frozenset(), found)


def literal_kind(tok) -> str | None:
    if tok.kind == STRING:
        return "string"
    if tok.kind == NUMBER:
        v = tok.value.lower()
        float_marks = ".p" if v.startswith("0x") else ".e"
        return "number" if any(c in v for c in float_marks) else "integer"
    if tok.kind == "keyword" and tok.value in ("true", "false"):
        return "boolean"
    if tok.kind == "keyword" and tok.value == "nil":
        return "nil"
    return None


def string_content(tok) -> str | None:
    """The value of a short string literal without escapes; None for others."""
    text = tok.value
    if len(text) >= 2 and text[0] in "\"'" and text[-1] == text[0] and "\\" not in text:
        return text[1:-1]
    return None


__all__ = ["facts", "NONE", "literal_kind", "string_content"]
