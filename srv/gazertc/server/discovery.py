"""Advertising the server on the local network over mDNS/DNS-SD (``gazertc serve --advertise``).

The service type is :data:`SERVICE_TYPE` (``_gazertc._tcp.local.``); the instance is named
after the host and port. TXT properties: ``protocol_version`` (the data-channel protocol's
``v``), ``version`` (gazertc's), ``scheme`` (``http`` or ``https``) and ``path`` (``/``).
Clients find it with :func:`gazertc.client.discover_one_server`; connecting by URL works
whether or not the network lets multicast through.

zeroconf is imported when advertising starts, and runs on the server's event loop (its async
API). Registration probes the network for about 1.5 s before announcing; it runs as a
background task so that the server accepts connections meanwhile.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from typing import TYPE_CHECKING, Final

import gazertc
from gazertc import protocol

if TYPE_CHECKING:
    from zeroconf import ServiceInfo
    from zeroconf.asyncio import AsyncZeroconf

__all__ = ["SERVICE_TYPE", "Advertisement", "advertised_addresses"]

logger = logging.getLogger(__name__)

SERVICE_TYPE: Final = "_gazertc._tcp.local."
_UNSPECIFIED_HOSTS: Final = frozenset({"", "0.0.0.0", "::"})


def advertised_addresses(host: str) -> list[str]:
    """The addresses to announce for a server listening on ``host``: that address itself, or
    for an unspecified host (``0.0.0.0``, ``::``) every address of every interface.

    Raises:
        OSError: ``host`` is a name that cannot be resolved.
    """
    if host not in _UNSPECIFIED_HOSTS:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})
    import ifaddr  # noqa: PLC0415  (zeroconf's own dependency; only needed here)

    addresses: list[str] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                addresses.append(ip.ip)
            elif host == "::" and not ipaddress.ip_address(ip.ip[0]).is_link_local:
                addresses.append(ip.ip[0])
    return addresses


class Advertisement:
    """The server's mDNS announcement, from :meth:`start` to :meth:`close`.

    Args:
        host: the address the server listens on.
        port: its TCP port.
        scheme: ``http`` or ``https``.
    """

    def __init__(self, host: str, port: int, scheme: str = "http") -> None:
        self.host = host
        self.port = port
        self.scheme = scheme
        self.registered = asyncio.Event()
        self._zeroconf: AsyncZeroconf | None = None
        self._info: ServiceInfo | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def instance_name(self) -> str:
        return f"gazertc on {socket.gethostname()} port {self.port}.{SERVICE_TYPE}"

    def start(self) -> None:
        """Start registering in the background (on the running loop). Failures are logged:
        the server keeps serving by URL."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._register())

    async def _register(self) -> None:
        from zeroconf import NonUniqueNameException, ServiceInfo  # noqa: PLC0415
        from zeroconf.asyncio import AsyncZeroconf  # noqa: PLC0415

        try:
            addresses = await asyncio.to_thread(advertised_addresses, self.host)
            self._info = ServiceInfo(
                SERVICE_TYPE,
                self.instance_name,
                port=self.port,
                parsed_addresses=addresses,
                properties={
                    "protocol_version": str(protocol.PROTOCOL_VERSION),
                    "version": gazertc.__version__,
                    "scheme": self.scheme,
                    "path": "/",
                },
                server=f"{socket.gethostname()}.local.",
            )
            self._zeroconf = AsyncZeroconf()
            await self._zeroconf.async_register_service(self._info, allow_name_change=True)
        except (OSError, NonUniqueNameException) as exc:
            logger.error("cannot advertise over mDNS (%s); clients must connect by URL", exc)
            return
        if self.host in {"127.0.0.1", "::1", "localhost"}:
            logger.warning(
                "advertising %s: only this machine can connect; use --host 0.0.0.0 for the LAN",
                self.host,
            )
        logger.info("advertised %r at %s port %d", self._info.name, addresses, self.port)
        self.registered.set()

    async def close(self) -> None:
        """Withdraw the announcement (sends goodbye packets) and stop zeroconf (idempotent)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        zeroconf, self._zeroconf = self._zeroconf, None
        if zeroconf is not None:
            if self.registered.is_set() and self._info is not None:
                await zeroconf.async_unregister_service(self._info)
            await zeroconf.async_close()
        self.registered.clear()
