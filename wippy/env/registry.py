"""The env registry: storages and variables by id, variables by public name.

    env = EnvRegistry()
    env.add_storage("app:os", OSStorage())
    env.add_variable(Variable("app:port", "app:os", name="PORT", default="8080"))
    env.get("PORT")          # OS value, else "8080"; raises NotFound when neither
    env.get("app:port")      # the same variable by entry id

Semantics follow Wippy: a variable's storage key is its public name, or its
entry id when it has none; an empty stored value counts as unset; the
variable's own default applies before anything else; the first variable to
claim a public name keeps it (a later one stays reachable by id).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from ..errors import NOT_FOUND, WippyError
from ..logs import fields
from .errors import NotFound, invalid, read_only
from .storages import Storage

log = logging.getLogger("wippy.env")

NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class Variable:
    id: str                  # entry id, "app.env:db_password"
    storage: str             # storage entry id
    name: str = ""           # public name, "DB_PASSWORD"; "" = by id only
    default: str = ""
    readonly: bool = False

    @property
    def key(self) -> str:
        """The key the value is stored under."""
        return self.name or self.id


class EnvRegistry:
    def __init__(self) -> None:
        self.storages: dict[str, Storage] = {}
        self.variables: dict[str, Variable] = {}    # by entry id
        self.names: dict[str, str] = {}             # public name -> entry id

    # ------------------------------------------------------------ setup
    def add_storage(self, storage_id: str, storage: Storage) -> None:
        self.storages[storage_id] = storage

    def add_variable(self, var: Variable) -> None:
        self.variables[var.id] = var
        if var.name:
            first = self.names.setdefault(var.name, var.id)
            if first != var.id:
                log.warning("public variable name already taken; reachable by id only",
                            extra=fields(variable=var.name, entry=var.id, owner=first))

    def storage(self, storage_id: str) -> Storage:
        try:
            return self.storages[storage_id]
        except KeyError:
            raise WippyError("environment storage backend not found", NOT_FOUND, False,
                             {"storage_id": storage_id}) from None

    # ------------------------------------------------------------ lookups
    def find(self, name: str) -> Variable | None:
        """A variable by public name, else by entry id; None when neither."""
        vid = self.names.get(name, name)
        return self.variables.get(vid)

    def lookup(self, name: str) -> tuple[Variable | None, str | None]:
        """(variable, stored value or None when unset); NotFound errors are not raised."""
        var = self.find(name)
        if var is None:
            return None, None
        try:
            value = self.storage(var.storage).get(var.key)
        except NotFound:
            return var, None
        return var, value or None

    def get(self, name: str) -> str:
        if not name:
            raise invalid("empty key")
        var, value = self.lookup(name)
        if var is None:
            raise NotFound(variable=name)
        if value is not None:
            return value
        if var.default:
            return var.default
        raise NotFound(variable=name)

    def set(self, name: str, value: str) -> None:
        if not name:
            raise invalid("empty key")
        var = self.find(name)
        if var is None:
            raise NotFound(variable=name)
        if var.readonly:
            raise read_only("variable", name)
        self.storage(var.storage).set(var.key, value)

    def all(self) -> dict[str, str]:
        """Every registered variable that has a value (or a default), by public name
        (entry id when it has none). Only declared variables: the OS storage's
        other variables never show up here."""
        out: dict[str, str] = {}
        for var in self.variables.values():
            key = var.name if self.names.get(var.name) == var.id else var.id
            try:
                out[key] = self.get(var.id)
            except NotFound:
                continue
        return out
