"""Where handlers may connect: the operator's allow and deny lists (SSRF guard).

A handler that fetches a URL it was given can be steered at the machine's own
services (127.0.0.1, a cloud metadata address, the private network). So, as the
Wippy docs say, private and loopback addresses are refused unless the operator
allows them. Two environment variables, read when a request is made, hold the
rules (comma-separated):

  WIPPY_HTTP_CLIENT_ALLOW  default "public": any address that is not private.
  WIPPY_HTTP_CLIENT_DENY   default empty; a match here always refuses.

Entries: `public` (every non-private address), `*` (everything), an IP or CIDR
(`127.0.0.1`, `10.0.0.0/8`, `::1`), a host name (`api.example.com`) or a domain
suffix (`*.example.com`). A request is allowed when its host name or each address
it resolves to matches ALLOW and nothing matches DENY. Addresses are checked at
connect time, after DNS and after every redirect, so DNS rebinding and a redirect
to 127.0.0.1 are caught too.
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from functools import lru_cache

from ....errors import PERMISSION_DENIED, WippyError

ALLOW_VAR = "WIPPY_HTTP_CLIENT_ALLOW"
DENY_VAR = "WIPPY_HTTP_CLIENT_DENY"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_private(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


@dataclass(frozen=True)
class Rules:
    anything: bool
    public: bool
    networks: tuple[Network, ...]
    hosts: frozenset[str]
    suffixes: tuple[str, ...]

    def host_matches(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return host in self.hosts or any(host.endswith(s) for s in self.suffixes)

    def ip_matches(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        if self.anything or (self.public and not is_private(ip)):
            return True
        return any(ip in net for net in self.networks if net.version == ip.version)


@lru_cache(maxsize=8)
def parse_rules(text: str) -> Rules:
    anything = public = False
    networks: list[Network] = []
    hosts: set[str] = set()
    suffixes: list[str] = []
    for item in (p.strip().lower() for p in text.split(",")):
        if not item:
            continue
        if item == "*":
            anything = True
        elif item == "public":
            public = True
        elif item.startswith("*."):
            suffixes.append(item[1:])
        else:
            try:
                networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
            except ValueError:
                hosts.add(item.rstrip("."))
    return Rules(anything, public, tuple(networks), frozenset(hosts), tuple(suffixes))


def current() -> tuple[Rules, Rules]:
    """(allow, deny) as the environment says now."""
    return (parse_rules(os.environ.get(ALLOW_VAR, "public")),
            parse_rules(os.environ.get(DENY_VAR, "")))


def _denied(what: str) -> WippyError:
    return WippyError(f"not allowed: {what} (see {ALLOW_VAR} / {DENY_VAR})",
                      PERMISSION_DENIED, retryable=False)


def check_host(host: str) -> None:
    """Refuse a host name that the deny list names (before any DNS lookup)."""
    allow, deny = current()
    if deny.host_matches(host) or deny.anything:
        raise _denied(f"host {host}")


def check_address(host: str, address: str) -> None:
    """Refuse an address `host` resolved to (or an IP literal) unless the rules allow it."""
    allow, deny = current()
    ip = ipaddress.ip_address(address.split("%")[0])
    if deny.anything or deny.host_matches(host) or deny.ip_matches(ip):
        raise _denied(f"address {ip}")
    if allow.host_matches(host) or allow.ip_matches(ip):
        return
    raise _denied(f"private IP {ip}" if is_private(ip) else f"address {ip}")
