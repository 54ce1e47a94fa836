"""One small error vocabulary shared by Python and Lua.

Kinds mirror Wippy's (`api/error/error.go`). A `WippyError` crossing into Lua
becomes an error object with `:kind()`, `:message()`, `:retryable()`;
`tostring(err)` gives the message.
"""
from __future__ import annotations

from dataclasses import dataclass

NOT_FOUND = "NotFound"
ALREADY_EXISTS = "AlreadyExists"
INVALID = "Invalid"
PERMISSION_DENIED = "PermissionDenied"
UNAVAILABLE = "Unavailable"
INTERNAL = "Internal"
CANCELED = "Canceled"
CONFLICT = "Conflict"
TIMEOUT = "Timeout"
RATE_LIMITED = "RateLimited"
UNKNOWN = "Unknown"

KINDS = (NOT_FOUND, ALREADY_EXISTS, INVALID, PERMISSION_DENIED, UNAVAILABLE,
         INTERNAL, CANCELED, CONFLICT, TIMEOUT, RATE_LIMITED, UNKNOWN)


class WippyError(Exception):
    """An error with a kind, a message and an optional retryable flag.

    Raised by module operations; the Lua bridge turns it into `(nil, err)`.
    """

    def __init__(self, message: str, kind: str = INTERNAL,
                 retryable: bool | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.retryable = retryable
        self.details = details or {}

    def to_plain(self) -> dict:
        """The plain-data form that crosses into Lua."""
        out = {"kind": self.kind, "message": self.message}
        if self.retryable is not None:
            out["retryable"] = self.retryable
        if self.details:
            out["details"] = self.details
        return out

    def __repr__(self) -> str:
        return f"WippyError({self.kind}: {self.message})"


@dataclass(frozen=True)
class Origin:
    """Where a piece of configuration came from: file and line (1-based)."""
    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class ConfigError(Exception):
    """A problem in the user's registry, reported before anything starts.

    `str()` gives one line: `file:line: entry id: field: message`.
    """

    def __init__(self, message: str, origin: Origin | None = None,
                 entry_id: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.origin = origin
        self.entry_id = entry_id
        self.field = field

    def __str__(self) -> str:
        parts = []
        if self.origin:
            parts.append(str(self.origin))
        if self.entry_id:
            parts.append(self.entry_id)
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


class ConfigErrors(Exception):
    """Several ConfigErrors collected so that the user sees all of them at once."""

    def __init__(self, errors: list[ConfigError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors
