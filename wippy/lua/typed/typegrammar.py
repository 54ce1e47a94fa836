"""The type grammar of en/lua/types.md, parsed into small tuples.

    type      := ['|'] inter {'|' inter}
    inter     := postfix {'&' postfix}
    postfix   := primary {'?' | '@' Name '(' [literal {',' literal}] ')'}
    primary   := Name{'.'Name} ['<' type {',' type} '>'] | literal | 'nil'
               | '{' '}' | '{' type '}' | '{' field {sep field} [sep] '}'
               | ['<' generics '>'] '(' [param {',' param}] ')' ['->' rettype]
               | '...' type | typeof '(' expr ')'
    field     := ['read'|'write'] Name ['?'] ':' type | '[' type ']' ':' type

Type trees (tuples, first item is the tag): prim, ref, generic, lit, opt, union,
inter, array, map, record, func, tuple, variadic, valid.
"""
from __future__ import annotations

from .base import Cursor
from .lexer import KEYWORD, NAME, NUMBER, STRING, SYMBOL

BUILTINS = frozenset(("any", "unknown", "nil", "never", "number", "integer", "string",
                      "boolean", "table", "thread", "userdata", "error", "function"))
VALIDATORS = frozenset(("min", "max", "min_len", "max_len", "pattern"))


class TypeParser(Cursor):
    def type_expr(self) -> tuple:
        self.accept("|")
        members = [self._inter()]
        while self.accept("|"):
            members.append(self._inter())
        return members[0] if len(members) == 1 else ("union", members)

    def _inter(self) -> tuple:
        parts = [self._postfix()]
        while self.accept("&"):
            parts.append(self._postfix())
        return parts[0] if len(parts) == 1 else ("inter", parts)

    def _postfix(self) -> tuple:
        t = self._primary()
        checks: list = []
        while True:
            if self.accept("?"):
                t = ("opt", ("valid", t, checks) if checks else t)
                checks = []
            elif self.check("@") and self.peek().kind == NAME:
                at = self.advance()
                name = self.advance().value
                if name not in VALIDATORS:
                    self.error(f"unknown validator '@{name}' (known: "
                               f"{', '.join('@' + v for v in sorted(VALIDATORS))})", at)
                open_ = self.expect("(")
                args = []
                if not self.check(")"):
                    args.append(self._literal_arg())
                    while self.accept(","):
                        args.append(self._literal_arg())
                self.expect(")", open_)
                checks.append((name, args))
            else:
                return ("valid", t, checks) if checks else t

    def _literal_arg(self) -> str:
        neg = ""
        if self.check("-"):
            self.advance()
            neg = "-"
        if self.tok.kind in (NUMBER, STRING):
            return neg + self.advance().value
        self.error("validator argument must be a number or a string")

    def _primary(self) -> tuple:
        t = self.tok
        if t.kind == NAME:
            if t.value == "typeof" and self.peek().is_("("):
                self.advance()
                open_ = self.advance()
                self.expr()             # the type of an expression: not known before run time
                self.expect(")", open_)
                return ("prim", "any")
            parts = [self.advance().value]
            while self.check(".") and self.peek().kind == NAME:
                self.advance()
                parts.append(self.advance().value)
            args = self._type_args() if self.check("<") else []
            name = ".".join(parts)
            if len(parts) == 1 and self.is_generic(name):
                return ("generic", name)
            if len(parts) == 1 and name in BUILTINS:
                return ("prim", name)
            return ("ref", name, args)
        if t.kind in (STRING, NUMBER):
            return ("lit", self.advance().value)
        if t.is_("-") and self.peek().kind == NUMBER:
            self.advance()
            return ("lit", "-" + self.advance().value)
        if t.is_("true") or t.is_("false"):
            return ("lit", self.advance().value)
        if t.is_("nil"):
            self.advance()
            return ("prim", "nil")
        if t.is_("function"):
            self.advance()
            return ("prim", "function")
        if t.is_("{"):
            return self._table_type()
        if t.is_("(") or t.is_("<"):
            return self._paren_or_function()
        if t.is_("..."):
            self.advance()
            return ("variadic", self.type_expr() if self._starts_type() else ("prim", "any"))
        self.error("type expected")

    def _starts_type(self) -> bool:
        t = self.tok
        return t.kind in (NAME, STRING, NUMBER) or t.value in ("{", "(", "nil", "true", "false",
                                                                "function", "<", "-")

    def _type_args(self) -> list:
        self.advance()   # '<'
        args = [self.type_expr()]
        while self.accept(","):
            args.append(self.type_expr())
        self.close_angle()
        return args

    def close_angle(self) -> None:
        """Expect '>', splitting '>>' and '>=' (as in `Map<K, List<V>>= x`)."""
        t = self.tok
        if t.kind == SYMBOL and t.value in (">>", ">="):
            self.prev_end = t.start + 1
            t.value, t.start, t.col = t.value[1:], t.start + 1, t.col + 1
            return
        self.expect(">")

    def generic_params(self) -> frozenset:
        """`<T, U: Constraint = Default>` after a function or type name; returns the names."""
        self.advance()   # '<'
        names = []
        while True:
            names.append(self.name().value)
            if self.accept(":"):
                self.type_expr()
            if self.accept("="):
                self.type_expr()
            if not self.accept(","):
                break
        self.close_angle()
        return frozenset(names)

    def _table_type(self) -> tuple:
        open_ = self.advance()
        if self.accept("}"):
            return ("prim", "table")
        fields: list = []
        indexer = None
        element = None
        while not self.check("}"):
            if self.check("["):
                self.advance()
                key = self.type_expr()
                self.expect("]")
                self.expect(":")
                indexer = (key, self.type_expr())
            elif self._field_ahead():
                access = ""   # "read" (covariant), "write" (contravariant), "": mutable
                if self.tok.value in ("read", "write") and self.peek().kind in (NAME, KEYWORD) \
                        and not self.peek().is_("?"):
                    access = self.advance().value
                key = self.advance().value
                optional = self.accept("?")
                self.expect(":")
                fields.append((key, optional, self.type_expr(), access))
            else:
                if element is not None or fields or indexer:
                    self.error("'}' expected")
                element = self.type_expr()
            if not (self.accept(",") or self.accept(";")):
                break
        self.expect("}", open_)
        if element is not None:
            return ("array", element)
        if not fields and indexer:
            return ("map", indexer[0], indexer[1])
        return ("record", fields, indexer)

    def _field_ahead(self) -> bool:
        """A record field starts here: `name:`, `name?:` or `read name:`."""
        t, n = self.tok, self.peek()
        if t.kind not in (NAME, KEYWORD):
            return False
        if n.is_(":") or (n.is_("?") and self.peek(2).is_(":")):
            return True
        return t.value in ("read", "write") and n.kind in (NAME, KEYWORD) and (
            self.peek(2).is_(":") or (self.peek(2).is_("?") and self.peek(3).is_(":")))

    def _paren_or_function(self) -> tuple:
        pushed = False
        if self.check("<"):
            self.generics.append(self.generic_params())
            pushed = True
        try:
            open_ = self.expect("(")
            items: list = []
            while not self.check(")"):
                if self.tok.kind == NAME and self.peek().is_(":"):
                    self.advance()
                    self.advance()   # a parameter name: documentation only
                if self.check("...") and self.peek().is_(":"):
                    self.advance()
                    self.advance()
                    items.append(("variadic", self.type_expr()))
                else:
                    items.append(self.type_expr())
                if not self.accept(","):
                    break
            self.expect(")", open_)
            if self.accept("->"):
                return ("func", items, self.return_type())
            if pushed:
                self.error("'->' expected")
            if len(items) == 1 and items[0][0] != "variadic":
                return items[0]
            return ("tuple", items)
        finally:
            if pushed:
                self.generics.pop()

    def return_type(self) -> tuple:
        """After `):` or `->`: one type or a parenthesised list of them."""
        return self.type_expr()
