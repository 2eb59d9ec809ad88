"""Finding a gazertc server on the local network (mDNS/DNS-SD, ``_gazertc._tcp.local.``).

Servers started with ``gazertc serve --advertise`` answer. Networks that block multicast hide
them: connecting by URL always works.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
from typing import Final

from gazertc import protocol
from gazertc.client.records import ClientError

__all__ = ["SERVICE_TYPE", "discover_one_server", "discover_one_server_async"]

logger = logging.getLogger(__name__)

SERVICE_TYPE: Final = "_gazertc._tcp.local."
DEFAULT_DISCOVERY_TIMEOUT_S: Final = 3.0
"""mDNS answers come within about a second; three leaves room for a retry."""


def _url(scheme: str, address: str, port: int) -> str:
    host = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    return f"{scheme}://{host}:{port}"


async def discover_one_server_async(
    timeout_seconds: float = DEFAULT_DISCOVERY_TIMEOUT_S,
) -> str | None:
    """The base URL of the first gazertc server that answers, speaking this client's protocol
    version, or ``None`` when none does within ``timeout_seconds``.

    Raises:
        ClientError: multicast DNS cannot be used on this machine (no usable interface).
    """
    from zeroconf import ServiceStateChange, Zeroconf  # noqa: PLC0415
    from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf  # noqa: PLC0415

    deadline_s = time.monotonic() + timeout_seconds
    try:
        zeroconf = AsyncZeroconf()
    except OSError as exc:
        raise ClientError(f"mDNS discovery is unavailable here ({exc}); connect by URL") from exc
    found: asyncio.Queue[str] = asyncio.Queue()

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is not ServiceStateChange.Removed:
            found.put_nowait(name)

    browser = AsyncServiceBrowser(zeroconf.zeroconf, SERVICE_TYPE, handlers=[on_change])
    try:
        while (remaining_s := deadline_s - time.monotonic()) > 0:
            try:
                name = await asyncio.wait_for(found.get(), remaining_s)
            except TimeoutError:
                return None
            info = AsyncServiceInfo(SERVICE_TYPE, name)
            remaining_ms = max(1.0, (deadline_s - time.monotonic()) * 1000.0)
            if not await info.async_request(zeroconf.zeroconf, remaining_ms):
                continue
            properties = info.decoded_properties
            version = properties.get("protocol_version")
            if version != str(protocol.PROTOCOL_VERSION):
                logger.info("skipping %s: protocol version %s", name, version)
                continue
            addresses = sorted(
                info.parsed_scoped_addresses(), key=lambda a: ipaddress.ip_address(a).version
            )
            if not addresses or info.port is None:
                continue
            return _url(properties.get("scheme") or "http", addresses[0], info.port)
        return None
    finally:
        with contextlib.suppress(OSError):
            await browser.async_cancel()
            await zeroconf.async_close()


def discover_one_server(timeout_seconds: float = DEFAULT_DISCOVERY_TIMEOUT_S) -> str | None:
    """Blocking :func:`discover_one_server_async` (from async code, await that one instead).

    Raises:
        ClientError: multicast DNS cannot be used here, or this thread runs an event loop.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(discover_one_server_async(timeout_seconds))
    raise ClientError("discover_one_server blocks: await discover_one_server_async instead")
