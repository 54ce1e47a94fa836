"""TLS for `queue.driver.amqp` (`tls:` and `amqps://` URLs, docs/kinds/queue.md).

Wippy's fields: `enabled`, `server_name` (the name the broker's certificate must carry, when
the URL's host is not it), `ca`, `cert`, `key` (each PEM text inline, `file://path`, or an
entry placeholder `${env:NAME}` already resolved to PEM text), and `insecure_skip_verify`.
The deprecated `ca_env`/`cert_env`/`key_env` name an env.variable holding the same (Wippy's
docs: "resolve the same way"); they are resolved at build (`resolve_env`), and one that is
undeclared or empty fails the build, since TLS without its material cannot work.
"""
from __future__ import annotations

import os
import ssl
import tempfile
from typing import Any

PEM_BEGIN = "-----BEGIN"


def tls_problems(tls: Any) -> list[tuple[str, str]]:
    """(field, message) for a `tls:` block that cannot work; checked at load."""
    problems = []
    for name in ("ca", "cert", "key"):
        if getattr(tls, f"{name}_env") and getattr(tls, name):
            problems.append((f"tls.{name}_env", f"amqp tls: {name} and {name}_env are "
                                                 f"mutually exclusive"))
        value = getattr(tls, name)
        if value and not value.lstrip().startswith(PEM_BEGIN) and not value.startswith("file://"):
            problems.append((f"tls.{name}", "must be PEM text (-----BEGIN ...) or file://path"))
        if value.startswith("file://") and not os.path.isfile(value[len("file://"):]):
            problems.append((f"tls.{name}", f"file not found: {value[len('file://'):]}"))
    if bool(tls.cert or tls.cert_env) != bool(tls.key or tls.key_env):
        problems.append(("tls.cert", "amqp tls: cert and key must come together"))
    return problems


def resolve_env(tls: Any, env: Any) -> Any:
    """A copy of `tls` with each `<name>_env` replaced by its variable's value (PEM text or
    file://path), through the env registry `env`; ValueError names what is missing."""
    from dataclasses import replace
    out = replace(tls)
    for name in ("ca", "cert", "key"):
        var_name = getattr(tls, f"{name}_env")
        if not var_name:
            continue
        var, value = env.lookup(var_name) if env is not None else (None, None)
        if var is None or not value:
            state = "is not a declared env.variable" if var is None else "has no value"
            raise ValueError(f"tls.{name}_env: {var_name} {state}; declare it (env.variable) "
                             f"with the PEM, or write {name}: ${{env:NAME}} / file://path")
        if not value.lstrip().startswith(PEM_BEGIN) and not value.startswith("file://"):
            raise ValueError(f"tls.{name}_env: the value of {var_name} is not PEM text "
                             f"(-----BEGIN ...) or file://path")
        setattr(out, name, value)
        setattr(out, f"{name}_env", "")
    return out


def _pem(value: str) -> str:
    if value.startswith("file://"):
        with open(value[len("file://"):], encoding="ascii") as f:
            return f.read()
    return value


class _NamedContext(ssl.SSLContext):
    """A client context that checks the broker's certificate against `server_name` rather
    than the URL's host (asyncio passes the URL's host as server_hostname)."""
    server_name = ""

    def wrap_bio(self, incoming, outgoing, server_side=False, server_hostname=None,
                 session=None):
        return super().wrap_bio(incoming, outgoing, server_side,
                                self.server_name or server_hostname, session)


def tls_context(tls: Any) -> ssl.SSLContext:
    """The SSL context for a checked `tls:` block: the system's trust store, or `ca` alone
    when given; the client certificate when given."""
    context = _NamedContext(ssl.PROTOCOL_TLS_CLIENT)
    context.server_name = tls.server_name or ""
    if tls.ca:
        context.load_verify_locations(cadata=_pem(tls.ca))
    else:
        context.load_default_certs()
    if tls.cert:
        # ssl loads a certificate chain from files only: inline PEM goes through a private
        # temporary file that is gone once loaded.
        with tempfile.TemporaryDirectory(prefix="wippy-tls-") as directory:
            paths = []
            for name, value in (("cert", tls.cert), ("key", tls.key)):
                path = os.path.join(directory, name)
                with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
                    f.write(_pem(value))
                paths.append(path)
            context.load_cert_chain(*paths)
    if tls.insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
