"""The one error the typed-Lua front end raises: where, what, and the line itself."""
from __future__ import annotations

EXCERPT_WIDTH = 120


class TypedLuaSyntaxError(SyntaxError):
    """A syntax error in a (typed) Lua source, with file, line, column and excerpt."""

    def __init__(self, message: str, file: str, line: int, column: int, source: str = ""):
        self.message, self.file, self.line, self.column = message, file, line, column
        lines = source.split("\n")
        text = lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""
        caret = max(column, 1)
        if len(text) > EXCERPT_WIDTH:   # keep the caret's neighbourhood of a very long line
            cut = max(0, min(caret - EXCERPT_WIDTH // 2, len(text) - EXCERPT_WIDTH))
            text, caret = text[cut:cut + EXCERPT_WIDTH], caret - cut
        self.excerpt, self._caret = text, caret
        super().__init__(str(self))

    def one_line(self) -> str:
        """For reports that give one line per problem (`wippy check`): `where: what | excerpt`."""
        head = str(self).split("\n", 1)[0]
        text = self.excerpt.strip()
        if len(text) > 60:
            text = text[:57] + "..."
        return f"{head} | {text}" if text else head

    def __str__(self) -> str:
        # Column 0: Lua itself found the error after compiling and gave only the line.
        where = f"{self.line}:{self.column}" if self.column else f"{self.line}"
        head = f"{self.file}:{where}: {self.message}"
        if not self.excerpt.strip():
            return head
        if not self.column:
            return f"{head}\n    {self.excerpt}"
        # Tabs stay tabs under the caret so it lines up in a terminal.
        pad = "".join(ch if ch == "\t" else " " for ch in self.excerpt[:self._caret - 1])
        return f"{head}\n    {self.excerpt}\n    {pad}^"
