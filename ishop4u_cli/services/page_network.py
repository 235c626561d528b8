"""The sockets under a page read: one deadline for all of it, and no redirect into the local network.

httpx times each operation on its own (connect, each read), so a server that
sends its headers one byte at a time never trips a timeout. `GuardedBackend`
sits under httpx (an httpcore network backend) and gives every connect, read
and write only the time left before one deadline, so the whole read ends on
time however the server dribbles.

It also pins where connections go: it resolves the host itself, checks the
addresses, and connects to the address it checked (a name cannot resolve to a
public address for the check and to a private one for the connection). Only a
redirect is held to this; the URL the user typed may point anywhere, and a
page the user typed on their own network may redirect within it.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from typing import Any

# Test-only: addresses the tests serve "public" pages from (127.0.0.2, ...: distinct loopback
# hosts on Linux), so that a redirect from them to 127.0.0.1 is refused as it would be from the
# internet. Never set it outside tests: it turns a local address into a public one.
TEST_PUBLIC_ADDRESSES = "ISHOP4U_INSECURE_PUBLIC_ADDRESSES_FOR_TESTS"


class ReadRefused(Exception):
    """The read must stop: the deadline passed, or a redirect leads into the local network."""


class OutOfTime(ReadRefused):
    """The read's deadline passed."""


def is_local_address(address: str) -> bool:
    """True for loopback, private, link-local and any other address that is not on the public internet."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True  # not an address we understand: not known to be public
    if str(ip) in _test_public_addresses():
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return is_local_address(str(ip.ipv4_mapped))
    return not ip.is_global or ip.is_multicast


def _test_public_addresses() -> set[str]:
    return {a.strip() for a in os.environ.get(TEST_PUBLIC_ADDRESSES, "").split(",") if a.strip()}


def resolve(host: str, port: int) -> list[str]:
    """HOST's addresses (an address stays itself); [] when the name does not resolve."""
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return [host]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def host_is_local(host: str, port: int) -> bool:
    """True when HOST resolves to any local address (an unresolvable name is not known to be local)."""
    return any(is_local_address(a) for a in resolve(host, port))


class Guard:
    """What the backend enforces for the current request; fetch() updates it hop by hop."""

    def __init__(self, deadline: float, seconds: float) -> None:
        self.deadline = deadline
        self.seconds = seconds
        self.allow_local = True  # the URL the user gave may point anywhere; fetch() narrows it
        self.target_host = ""  # the host of the URL being fetched now (not a proxy's)
        # Whether the user's URL is on a local address: learnt when its connection is made (no
        # lookup of its own), or looked up at the first redirect when a proxy made the connection.
        self.origin_local: bool | None = None

    def time_left(self, timeout: float | None) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise OutOfTime(f"the page did not answer within {self.seconds:g} s")
        return left if timeout is None else min(timeout, left)


class GuardedBackend:
    """An httpcore network backend: each operation gets only the time left, redirects stay public."""

    def __init__(self, guard: Guard) -> None:
        import httpcore

        self.guard = guard
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> Any:
        addresses = resolve(host, port)
        if not addresses:
            import httpcore

            raise httpcore.ConnectError(f"cannot resolve {host!r}")
        direct = host.strip("[]").lower() == self.guard.target_host.strip("[]").lower()
        if direct and self.guard.origin_local is None:  # the first connection: the user's URL
            self.guard.origin_local = any(is_local_address(a) for a in addresses)
        if direct and not self.guard.allow_local and any(is_local_address(a) for a in addresses):
            raise ReadRefused(f"redirected to {host!r}: a local network address, not a public page")
        stream = self._inner.connect_tcp(
            addresses[0],
            port,
            timeout=self.guard.time_left(timeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return GuardedStream(stream, self.guard)

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        raise ReadRefused("pages are read over TCP only")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedStream:
    def __init__(self, stream: Any, guard: Guard) -> None:
        self._stream = stream
        self._guard = guard

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, timeout=self._guard.time_left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, timeout=self._guard.time_left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None):
        tls = self._stream.start_tls(
            ssl_context, server_hostname=server_hostname, timeout=self._guard.time_left(timeout)
        )
        return GuardedStream(tls, self._guard)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def install(client: Any, guard: Guard) -> None:
    """Put a GuardedBackend under every transport of an httpx CLIENT (its own and its proxies').

    httpx has no public way to choose the network backend; its transports keep an httpcore
    pool whose `_network_backend` makes every connection. tests/test_pages.py checks that the
    deadline and the redirect rule hold, so a change in httpx or httpcore fails loudly there.
    """
    backend = GuardedBackend(guard)
    transports = [client._transport, *(t for t in client._mounts.values() if t is not None)]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if pool is None or not hasattr(pool, "_network_backend"):
            raise RuntimeError("cannot guard this httpx transport (httpx or httpcore changed)")
        pool._network_backend = backend
