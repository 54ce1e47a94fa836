"""Nil-safety of `T?` for `wippy lint` (E0004), with flow-sensitive narrowing.

A local or parameter declared with an optional type (`User?`, `string | nil`) may
not be indexed, called or used in arithmetic until the code has proved it is not
nil. The parser walks the program once, so "proved" is kept as *frames*: one set of
narrowed declarations per open scope (a block, an `if` branch, the right side of
`and`/`or`); a declaration is narrowed when any open frame holds it. What narrows:

* a branch of `if c then`, `elseif c then`, `else` and the body of `while c do`:
  what c proves (lint_facts.py) when true, and what each earlier condition of the
  same `if` proves when false;
* after an `if` statement: what holds at the end of every branch that does not end
  in `return`, `break`, `goto` or `error(...)` (the missing `else` counts as a
  branch where all the conditions were false): `if not x then return end`; a call
  statement of a function declared `: never` in the chunk ends a branch as well;
* `a and b`, `a or b`: b sees what a proves when true (and) or false (or);
* `assert(c, ...)` as a statement: what c proves, for the rest of the block;
* `x!`, `(x or d)`, `(x)`: not a bare name, so never reported;
* any assignment `x = <not nil>`: from there to the end of x's scope (whatever the
  branch: assignments are trusted rather than followed);
* a declaration `local x: T? = <literal, table or function>`.

Everything else is left alone: a local without an optional annotation is never
reported (untyped code is never checked), and neither is `any?` or `unknown?`.
"""
from __future__ import annotations

from .expressions import BINARY, OTHER, UNARY, UNARY_PRIORITY
from .lexer import EOF, KEYWORD, NAME, STRING, SYMBOL
from .lint_facts import CLOSERS, OPENERS, facts
from .parser import BLOCK_END

ARITH = frozenset(("+", "-", "*", "/", "//", "%", "^"))
COMPARE = frozenset(("==", "~=", "<", ">", "<=", ">="))
# `a and b and c ...` reads the whole left side at each `and`: past this many tokens
# (far beyond hand-written conditions) it proves nothing, so a hostile chain stays linear.
FACTS_SPAN = 200


def type_text(tree, depth: int = 0) -> str:
    """A short rendering of a type tree for messages."""
    if tree is None or depth > 6:
        return "?"
    tag = tree[0]
    if tag in ("prim", "generic", "ref", "lit"):
        return tree[1]
    if tag == "opt":
        inner = tree[1]
        text = type_text(inner, depth + 1)
        return f"({text})?" if inner[0] in ("union", "inter", "func") else text + "?"
    if tag == "valid":
        return type_text(tree[1], depth + 1)
    if tag == "union":
        return " | ".join(type_text(m, depth + 1) for m in tree[1])
    if tag == "inter":
        return " & ".join(type_text(m, depth + 1) for m in tree[1])
    if tag == "array":
        return "{" + type_text(tree[1], depth + 1) + "}"
    if tag == "map":
        return "{[" + type_text(tree[1], depth + 1) + "]: " + type_text(tree[2], depth + 1) + "}"
    return {"record": "record", "func": "function"}.get(tag, tag)


class FlowChecks:
    """Mixed into LintParser (lint.py), before the statement parser."""

    def _flow_init(self) -> None:
        self.frames: list[set] = [set()]
        self._pending: set = set()
        self._closed_frame: set = set()
        self._terminated = False

    # ------------------------------------------------------------ frames
    def open_scope(self) -> None:
        super().open_scope()
        self.frames.append(set(self._pending))
        self._pending = set()

    def close_scope(self) -> None:
        self._closed_frame = self.frames.pop() if len(self.frames) > 1 else self.frames[0]
        super().close_scope()

    def _find_decl(self, name: str):
        for scope in reversed(self.decls):
            if name in scope:
                return scope[name]
        return None

    def _decls(self, names) -> set:
        return {d for d in map(self._find_decl, names) if d is not None}

    def _cond_facts(self, start: int) -> tuple[set, set]:
        toks = self.toks[start:self.pos]
        true, false = facts(toks)
        true, false = self._decls(true), self._decls(false)
        # The error idiom (en/lua/types.md): after `local v, err = f()`, a test of err
        # alone tells about v: `if err then return end` leaves v non-nil.
        err_set = len(toks) == 1 or (len(toks) == 3 and toks[1].is_("~=") and toks[2].is_("nil"))
        err_nil = (len(toks) == 2 and toks[0].is_("not")) or \
            (len(toks) == 3 and toks[1].is_("==") and toks[2].is_("nil"))
        if err_set or err_nil:
            name = toks[1] if len(toks) == 2 else toks[0]
            decl = self._find_decl(name.value) if name.kind == NAME else None
            if decl is not None and decl.partners:
                (false if err_set else true).update(decl.partners)
        return true, false

    def _narrowed(self, decl) -> bool:
        return any(decl in f for f in self.frames)

    def _optional(self, tree, depth: int = 0) -> bool:
        tree = self._resolve(tree)
        if tree is None or depth > 20:
            return False
        tag = tree[0]
        if tag == "valid":
            return self._optional(tree[1], depth + 1)
        if tag == "opt":
            inner = self._resolve(tree[1])
            return not (inner is not None and inner[0] == "prim" and inner[1] in ("any", "unknown"))
        if tag == "union":
            members = [self._resolve(m) for m in tree[1]]
            if any(m is not None and m[0] == "prim" and m[1] in ("any", "unknown") for m in members):
                return False
            return any(m is not None and (m == ("prim", "nil") or m[0] == "opt") for m in members)
        return False

    def _maybe_nil(self, tok, what: str) -> None:
        decl = self._find_decl(tok.value)
        if decl is None or decl.typ is None or self._narrowed(decl) or not self._optional(decl.typ):
            return
        self.report("E0004", "error", f"{what} '{tok.value}': it may be nil "
                    f"(declared {type_text(decl.typ)}); check it first", tok)

    def _nil_use(self, tok) -> None:
        """After the primary name `tok` of a suffixed expression."""
        nxt = self.tok
        if nxt.is_(".") or nxt.is_("[") or nxt.is_(":"):
            self._maybe_nil(tok, "cannot index")
        elif nxt.is_("(") or nxt.kind == STRING or nxt.is_("{"):
            self._maybe_nil(tok, "cannot call")

    def _arith_operand(self, start: int, end: int) -> None:
        if end - start == 1 and self.toks[start].kind == NAME:
            self._maybe_nil(self.toks[start], "arithmetic on")

    def mark_non_nil(self, decl) -> None:
        if decl is not None:
            decl.frame.add(decl)

    # ------------------------------------------------------------ blocks and statements
    def block(self) -> None:
        self._terminated = False
        while True:
            t = self.tok
            if t.kind == EOF or (t.kind == KEYWORD and t.value in BLOCK_END):
                return
            if t.is_("return"):
                self.advance()
                nt = self.tok
                if not (nt.kind == EOF or nt.is_(";") or (nt.kind == KEYWORD and nt.value in BLOCK_END)):
                    self.expr_list()
                self.accept(";")
                self._terminated = True
                return
            stops = t.is_("break") or t.is_("goto") or self._is_error_call(t) \
                or self._is_never_call(t)
            self.statement()
            self._terminated = stops

    def _is_error_call(self, t) -> bool:
        nxt = self.peek()
        return t.kind == NAME and t.value == "error" and (nxt.is_("(") or nxt.kind == STRING) \
            and self._find_decl("error") is None

    def _is_never_call(self, t) -> bool:
        """A call statement of a function declared `: never` (`fail("...")`)."""
        if t.kind != NAME or not self.peek().is_("("):
            return False
        decl = self._find_decl(t.value)
        if decl is None:
            return t.value in self.never_globals
        return decl.sig is not None and decl.sig.never and not decl.assigned

    def _statement(self) -> None:
        t = self.tok
        if t.is_("if"):
            return self._if_statement(t)
        if t.is_("do"):
            self.advance()
            ends = self._branch(set())
            self._empty_branch(t)
            self.expect("end", t)
            if ends is not None:      # what a do-block proves holds after it
                self.frames[-1].update(ends)
            return None
        if t.is_("while"):
            self.advance()
            start = self.pos
            self.expr()
            true, _ = self._cond_facts(start)
            self.expect("do")
            self._branch(true)
            self.expect("end", t)
            return None
        if t.kind == NAME and t.value == "assert" and self.peek().is_("(") \
                and self._find_decl("assert") is None:
            start = self.pos
            super()._statement()
            self._assert_facts(start + 2)
            return None
        return super()._statement()

    def _assert_facts(self, start: int) -> None:
        """`assert(c, ...)` just parsed, c starting at token `start`: c holds from here."""
        depth, end = 0, start
        while end < self.pos:
            tok = self.toks[end]
            block = tok.kind in (SYMBOL, KEYWORD)
            if block and tok.value in OPENERS:
                depth += 1
            elif block and tok.value in CLOSERS:
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and tok.is_(","):
                break
            end += 1
        true, _ = facts(self.toks[start:end])
        self.frames[-1].update(self._decls(true))

    def _branch(self, entry: set):
        """Parse one branch's block with `entry` narrowed; returns the set narrowed at its
        end, or None when it ends in return/break/goto/error()."""
        start = self.pos
        self._pending = set(entry)
        self.open_scope()
        try:
            self.block()
            terminated = self._terminated
        finally:
            self.close_scope()
        self._branch_empty = self.pos == start
        return None if terminated else self._closed_frame

    def _if_statement(self, t) -> None:
        self.advance()
        ends: list = []
        if_false: set = set()      # narrowed because every earlier condition was false
        start = self.pos
        self.expr()
        true, false = self._cond_facts(start)
        self.expect("then")
        ends.append(self._branch(true))
        self._empty_branch(t)
        if_false |= false
        while self.check("elseif"):
            elseif = self.advance()
            self.frames.append(set(if_false))
            try:
                start = self.pos
                self.expr()
                true, false = self._cond_facts(start)
            finally:
                self.frames.pop()
            self.expect("then")
            ends.append(self._branch(if_false | true))
            self._empty_branch(elseif)
            if_false |= false
        if self.check("else"):
            else_ = self.advance()
            ends.append(self._branch(if_false))
            self._empty_branch(else_)
        else:
            ends.append(if_false)
        self.expect("end", t)
        live = [e for e in ends if e is not None]
        if live:
            self.frames[-1].update(set.intersection(*map(set, live)))

    def _empty_branch(self, tok) -> None:
        if self._branch_empty:
            self.report("W0001", "warning", f"empty {tok.value} block", tok)

    # ------------------------------------------------------------ expressions
    def expr(self, limit: int = 0) -> str:
        self._enter()
        try:
            start = self.pos
            t = self.tok
            if t.value in UNARY and t.kind in (SYMBOL, KEYWORD):
                self.advance()
                operand = self.pos
                self.expr(UNARY_PRIORITY)
                if t.value == "-":
                    self._arith_operand(operand, self.pos)
                kind = OTHER
            else:
                kind = self.simple_expr()
            while True:
                op = self.tok
                pri = BINARY.get(op.value) if op.kind in (SYMBOL, KEYWORD) else None
                if pri is None or pri[0] <= limit:
                    return kind
                left = (start, self.pos)
                self.advance()
                if op.value in ARITH:
                    self._arith_operand(*left)
                frame = None
                if op.value in ("and", "or") and left[1] - left[0] <= FACTS_SPAN:
                    true, false = facts(self.toks[left[0]:left[1]])
                    frame = self._decls(true if op.value == "and" else false)
                    self.frames.append(frame)
                right = self.pos
                try:
                    self.expr(pri[1])
                finally:
                    if frame is not None:
                        self.frames.pop()
                if op.value in ARITH:
                    self._arith_operand(right, self.pos)
                elif op.value in COMPARE:
                    self._self_compare(left, (right, self.pos), op)
                kind = OTHER
        finally:
            self.depth -= 1

    def _self_compare(self, left, right, op) -> None:
        a, b = self.toks[left[0]:left[1]], self.toks[right[0]:right[1]]
        if not a or len(a) != len(b) or a[0].kind != NAME:
            return
        for i, (x, y) in enumerate(zip(a, b)):
            if x.value != y.value or x.kind != y.kind:
                return
            if x.kind != (NAME if i % 2 == 0 else SYMBOL) or (i % 2 and x.value != "."):
                return    # only names and field paths: a call may differ each time
        self.report("W0003", "warning", f"comparison of '{''.join(x.value for x in a)}' "
                    "with itself", op)


__all__ = ["FlowChecks", "type_text"]
