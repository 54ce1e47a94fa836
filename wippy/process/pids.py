"""Process ids: `{<host entry id>|0x<n>}`, unique for the life of the runtime."""
from __future__ import annotations

import itertools

_counter = itertools.count(1)


def new_pid(host_id: str) -> str:
    return "{%s|0x%05x}" % (host_id, next(_counter))
