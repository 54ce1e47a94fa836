"""Argument checks on calls for `wippy lint`: E0005 (argument count) and E0001 (a
literal argument not assignable to the parameter's declared type).

Checked calls: `f(...)` where `f` is a `local function f(...)` or
`local f = function(...)` with at least one annotated parameter and never assigned
again. The count is checked when no argument expands (a call or `...` as the last
argument may give any number of values): more arguments than parameters (no `...`)
or fewer than the last parameter whose type does not admit nil.
"""
from __future__ import annotations

from .lexer import STRING


class Signature:
    __slots__ = ("name", "params", "vararg", "span")

    def __init__(self, name: str, params: list, vararg: bool, span: tuple[int, int]):
        self.name, self.params, self.vararg, self.span = name, params, vararg, span


class CallChecks:
    """Mixed into LintParser (lint.py)."""

    def _calls_init(self) -> None:
        self._sig_stack: list[list] = []
        self.last_sig: Signature | None = None
        self._call_target = None
        self.calls: list = []

    # ------------------------------------------------------------ signatures
    def funcbody(self, t, method: bool = False) -> None:
        start = self.pos
        params: list = []
        self._sig_stack.append(params)
        try:
            super().funcbody(t, method)
        finally:
            self._sig_stack.pop()
        self.last_sig = Signature("", params, self._has_vararg(start), (start, self.pos))

    def declare_param(self, name: str, typ) -> None:
        if self._sig_stack and name != "self":
            self._sig_stack[-1].append((name, typ))

    def _has_vararg(self, pos: int) -> bool:
        depth = 0
        if self.toks[pos].is_("<"):      # generic parameters first
            while pos < len(self.toks) and not self.toks[pos].is_("("):
                pos += 1
        for tok in self.toks[pos:]:
            if tok.is_("("):
                depth += 1
            elif tok.is_(")"):
                depth -= 1
                if depth == 0:
                    return False
            elif tok.is_("...") and depth == 1:
                return True
        return False

    # ------------------------------------------------------------ call sites
    def call_site(self, tok) -> None:
        """`tok` (a name) is the primary of a suffixed expression: note a call of a
        local function so the next call_args records its arguments."""
        nxt = self.tok
        if nxt.is_("(") or nxt.kind == STRING or nxt.is_("{"):
            decl = self._find_decl(tok.value)
            if decl is not None:
                self._call_target = (decl, tok)

    def call_args(self) -> None:
        target, self._call_target = self._call_target, None
        if target is None:
            return super().call_args()
        t = self.tok
        args: list = []
        expands = False
        if t.kind == STRING or t.is_("{"):
            start = self.pos
            super().call_args()
            args.append(self.toks[start:self.pos])
        else:
            self.advance()
            if not self.check(")"):
                while True:
                    start = self.pos
                    kind = self.expr()
                    args.append(self.toks[start:self.pos])
                    if not self.accept(","):
                        break
                last = args[-1]
                expands = kind == "call" or (len(last) == 1 and last[0].is_("..."))
            self.expect(")", t)
        self.calls.append((target, args, expands))

    # ------------------------------------------------------------ the checks, at the end
    def check_calls(self) -> None:
        for (decl, tok), args, expands in self.calls:
            sig = decl.sig
            if sig is None or decl.assigned or not any(p[1] is not None for p in sig.params):
                continue
            self._check_args(tok.value, sig.params, sig.vararg, args, expands, tok)

    def _check_args(self, name: str, params: list, vararg: bool, args: list,
                    expands: bool, tok) -> None:
        n = len(args)
        required = 0
        for i, (_, typ) in enumerate(params):
            if typ is not None and not self._admits_nil(typ):
                required = i + 1
        most = None if vararg else len(params)
        least_given = n - 1 if expands else n
        if (most is not None and least_given > most) or (not expands and n < required):
            self.report("E0005", "error", f"function '{name}' expects {_count(required, most)}, "
                        f"got {n}", tok)
            return
        for arg, (_, typ) in zip(args, params):
            if typ is not None and len(arg) == 1:
                self._check_literal(typ, arg[0])

    def _admits_nil(self, tree) -> bool:
        tree = self._resolve(tree)
        if tree is None or tree[0] in ("generic",):
            return True
        if tree[0] == "prim":
            return tree[1] in ("any", "unknown", "nil")
        return self._optional(tree) or (tree[0] == "valid" and self._admits_nil(tree[1]))


def _count(least: int, most: int | None) -> str:
    def n(k: int) -> str:
        return f"{k} argument" + ("" if k == 1 else "s")
    if most is None:
        return f"at least {n(least)}"
    if least == most:
        return n(most)
    return f"{least} to {n(most)}"


__all__ = ["CallChecks", "Signature"]
