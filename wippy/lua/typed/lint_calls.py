"""Argument checks on calls for `wippy lint`: E0005 (argument count) and E0001 (a
literal argument not assignable to the parameter's declared type).

Checked calls:
* `f(...)` where `f` is a `local function f(...)` or `local f = function(...)` with
  at least one annotated parameter and never assigned again; a parameter is
  required when its type does not admit nil;
* `m.f(...)`, `m.a.f(...)` where `m` is `local m = require("m")` (or the module's
  global name) of one of our modules: lint_modules.py, with the module's signature
  table; a parameter is required unless marked optional (`name?:`).

More arguments than parameters (no `...`) or fewer than the required ones is
E0005; the count is checked only when no argument expands (a call or `...` as the
last argument may give any number of values).
"""
from __future__ import annotations

from .lexer import NAME, STRING
from .lint_facts import literal_kind, string_content
from .lint_modules import bad_duration, is_duration_type, literal_verdict, signatures


class Signature:
    __slots__ = ("name", "params", "vararg", "span", "never")

    def __init__(self, name: str, params: list, vararg: bool, span: tuple[int, int],
                 never: bool = False):
        self.name, self.params, self.vararg, self.span = name, params, vararg, span
        self.never = never      # declared `: never`: a call to it does not return


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
        vararg, close = self._param_list(start)
        never = close is not None and self.toks[close + 1].is_(":") \
            and self.toks[close + 2].kind == NAME and self.toks[close + 2].value == "never" \
            and not (self.toks[close + 3].is_("?") or self.toks[close + 3].is_("|"))
        self.last_sig = Signature("", params, vararg, (start, self.pos), never)

    def declare_param(self, name: str, typ) -> None:
        if self._sig_stack and name != "self":
            self._sig_stack[-1].append((name, typ))

    def _param_list(self, pos: int) -> tuple[bool, int | None]:
        """(whether the parameters end in `...`, the index of their closing `)`)."""
        depth, vararg = 0, False
        if self.toks[pos].is_("<"):      # generic parameters first
            while pos < len(self.toks) and not self.toks[pos].is_("("):
                pos += 1
        for i in range(pos, len(self.toks) - 3):
            tok = self.toks[i]
            if tok.is_("("):
                depth += 1
            elif tok.is_(")"):
                depth -= 1
                if depth == 0:
                    return vararg, i
            elif tok.is_("...") and depth == 1:
                vararg = True
        return vararg, None

    # ------------------------------------------------------------ call sites
    def call_site(self, tok) -> None:
        """`tok` (a name) is the primary of a suffixed expression: note a call of a
        local function so the next call_args records its arguments."""
        path, i = [], self.pos
        while self.toks[i].is_(".") and i + 2 < len(self.toks) and self.toks[i + 1].kind == NAME:
            path.append(self.toks[i + 1].value)
            i += 2
        nxt = self.toks[i]
        if not (nxt.is_("(") or nxt.kind == STRING or nxt.is_("{")):
            return
        decl = self._find_decl(tok.value)
        if not path:
            if decl is not None:
                self._call_target = ("local", decl, tok)
            return
        if decl is not None:
            module = decl.module if not decl.assigned else None
        else:
            module = tok.value if tok.value in self.modules else None
        if module is not None:
            self._call_target = ("module", module, ".".join(path), tok)

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
        for target, args, expands in self.calls:
            if target[0] == "module":
                self._module_call(*target[1:], args, expands)
                continue
            _, decl, tok = target
            sig = decl.sig
            if sig is None or decl.assigned or not any(p[1] is not None for p in sig.params):
                continue
            self._check_args(tok.value, sig.params, sig.vararg, args, expands, tok)

    def _module_call(self, module: str, path: str, tok, args: list, expands: bool) -> None:
        found = signatures(module)
        func = found[0].get(path) if found else None
        if func is None or any(p.name == "self" for p in func.params):
            return
        _, aliases, classes = found
        params = [p for p in func.params if p.name != "..."]
        vararg = len(params) != len(func.params)
        required = max((i + 1 for i, p in enumerate(params) if not p.optional), default=0)
        most = None if vararg else len(params)
        n = len(args)
        if (most is not None and (n - 1 if expands else n) > most) or (not expands and n < required):
            self.report("E0005", "error", f"function '{module}.{path}' expects "
                        f"{_count(required, most)}, got {n}", tok)
            return
        for arg, param in zip(args, params):
            kind = literal_kind(arg[0]) if len(arg) == 1 else None
            if kind is None:
                continue
            value = string_content(arg[0]) if kind == "string" else arg[0].value
            if value is None:
                continue
            verdict = literal_verdict(param.type, kind, value, aliases, classes)
            if verdict is False:
                got = arg[0].value if kind == "string" and '"' in param.type else kind
                self.report("E0001", "error", f"{got} not assignable to {param.type}", arg[0])
            elif kind == "string" and is_duration_type(param.type) and bad_duration(value):
                self.report("E0001", "error", f"{arg[0].value} not assignable to {param.type}: "
                            "not a duration (\"1s\", \"250ms\", \"1h30m\")", arg[0])

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
