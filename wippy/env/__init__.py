"""Env storages and variables (docs/kinds/env.md, docs/modules/env.md).

Storages hold values (`env.storage.memory|file|os|static|router`); variables
(`env.variable`) give a value a public name, a default and a read-only flag.
`EnvRegistry` answers lookups by public name or entry id, for the Lua `env`
module and for `${env:NAME}` placeholders in entry data.
"""
from .registry import EnvRegistry, Variable
from .storages import (FileStorage, MemoryStorage, OSStorage, RouterStorage, StaticStorage,
                       Storage)

__all__ = ["EnvRegistry", "Variable", "Storage", "MemoryStorage", "FileStorage", "OSStorage",
           "StaticStorage", "RouterStorage"]
