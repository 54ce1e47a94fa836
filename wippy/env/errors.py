"""The env system's errors, with the kinds the Wippy docs give them (docs/kinds/env.md)."""
from __future__ import annotations

from ..errors import INVALID, NOT_FOUND, PERMISSION_DENIED, WippyError


class NotFound(WippyError):
    """Nothing stored under a key: a router moves on to its next storage."""

    def __init__(self, message: str = "environment variable not found", **details):
        super().__init__(message, NOT_FOUND, False, details or None)


def read_only(what: str, name: str) -> WippyError:
    return WippyError(f"{what} is read-only: {name}", PERMISSION_DENIED, False)


def invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, False)
