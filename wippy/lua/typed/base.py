"""Token cursor, edits and scopes shared by the statement, expression and type parsers.

The parser does not build a tree of the program: it walks it (recursive descent)
and records *edits* on the source text: spans to blank (annotations, casts, `!`)
and spans to replace (`type` declarations). Everything it does not touch is
emitted byte for byte, so every statement stays on its line and column.
"""
from __future__ import annotations

from .errors import TypedLuaSyntaxError
from .lexer import EOF, KEYWORD, NAME, STRING, SYMBOL, Token, tokenize


class Cursor:
    def __init__(self, src: str, chunk: str):
        self.src, self.chunk = src, chunk
        self.toks: list[Token] = tokenize(src, chunk)
        self.pos = 0
        self.tok = self.toks[0]
        self.prev_end = 0
        # (start, end, replacement): replacement None blanks the span (newlines kept).
        self.edits: list[tuple[int, int, str | None]] = []
        # Lexical scopes: name -> declared type (a type tree) or None for "untyped".
        self.scopes: list[dict[str, object]] = [{}]
        self.generics: list[frozenset] = []

    # ------------------------------------------------------------ tokens
    def advance(self) -> Token:
        t = self.tok
        self.prev_end = t.end
        self.pos += 1
        self.tok = self.toks[self.pos] if self.pos < len(self.toks) else self.toks[-1]
        return t

    def peek(self, k: int = 1) -> Token:
        i = self.pos + k
        return self.toks[i] if i < len(self.toks) else self.toks[-1]

    def check(self, value: str) -> bool:
        return self.tok.is_(value)

    def accept(self, value: str) -> bool:
        if self.tok.is_(value):
            self.advance()
            return True
        return False

    def expect(self, value: str, opener: Token | None = None) -> Token:
        if not self.tok.is_(value):
            where = ""
            if opener is not None and opener.line != self.tok.line:
                where = f" (to close '{opener.value}' at line {opener.line})"
            self.error(f"'{value}' expected{where}")
        return self.advance()

    def name(self) -> Token:
        if self.tok.kind != NAME:
            self.error("<name> expected")
        return self.advance()

    def error(self, message: str, tok: Token | None = None):
        t = tok or self.tok
        near = "end of file" if t.kind == EOF else f"'{t.value[:40]}'"
        raise TypedLuaSyntaxError(f"{message} near {near}", self.chunk, t.line, t.col, self.src)

    def mark(self) -> tuple[int, int, int]:
        return self.pos, len(self.edits), self.prev_end

    def reset(self, mark: tuple[int, int, int]) -> None:
        self.pos, n, self.prev_end = mark
        self.tok = self.toks[self.pos]
        del self.edits[n:]

    # ------------------------------------------------------------ edits
    def blank(self, start: int, end: int) -> None:
        if end > start:
            self.edits.append((start, end, None))

    def replace(self, start: int, end: int, text: str) -> None:
        self.edits.append((start, end, text))

    # ------------------------------------------------------------ scopes
    def open_scope(self) -> None:
        self.scopes.append({})

    def close_scope(self) -> None:
        self.scopes.pop()

    def declare(self, name: str, typ: object = None) -> None:
        self.scopes[-1][name] = typ

    def lookup(self, name: str) -> tuple[bool, object]:
        """(is a local in scope, its declared type)."""
        for scope in reversed(self.scopes):
            if name in scope:
                return True, scope[name]
        return False, None

    def is_generic(self, name: str) -> bool:
        return any(name in g for g in self.generics)


__all__ = ["Cursor", "Token", "NAME", "KEYWORD", "STRING", "SYMBOL", "EOF"]
