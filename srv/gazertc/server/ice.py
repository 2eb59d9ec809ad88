"""STUN and TURN servers: for the server's own peer connections, and for the browser app.

The app asks ``GET /api/ice-servers`` before each offer (schema: ``ice_servers``) and gives what
it gets to its ``RTCPeerConnection``; the server uses the same servers. Without any, both sides
offer host candidates only, which is enough on one machine and on a LAN.

A TURN server configured with a shared secret (``--turn-secret``) gets short-lived credentials
made fresh for every answer, as coturn's TURN REST API expects (``use-auth-secret`` with
``static-auth-secret=<secret>``): the username is ``"<expiry unix s>:gazertc"`` and the
credential ``base64(HMAC-SHA1(secret, username))``. The TURN server recomputes the credential
from the username, and refuses it once the expiry has passed; the secret itself never leaves
the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Final

from aiohttp import web
from aiortc import RTCIceServer

from gazertc.protocol import JsonObject

__all__ = [
    "ICE_SERVERS_PATH",
    "TURN_CREDENTIAL_TTL_S",
    "TURN_USER",
    "IceServer",
    "add_routes",
    "ice_servers_body",
    "rtc_ice_servers",
    "turn_rest_credentials",
]

ICE_SERVERS_PATH: Final = "/api/ice-servers"
TURN_CREDENTIAL_TTL_S: Final = 6 * 3600
"""Lifetime of TURN REST credentials. The app fetches new ones before every offer, but a TURN
allocation is refreshed with the credentials it was made with for as long as its session lasts,
and a lab session can take hours; a leaked credential is useless after this (the draft behind
the convention suggests a day)."""
TURN_USER: Final = "gazertc"
"""The user part of TURN REST usernames: the TURN server's logs show who asked for a relay."""


@dataclass(frozen=True, slots=True)
class IceServer:
    """A STUN or TURN server.

    Attributes:
        urls: ``stun:``, ``turn:`` or ``turns:`` URLs of one server.
        username, credential: fixed TURN credentials (``--turn-username``/``--turn-credential``).
        shared_secret: a TURN REST secret (``--turn-secret``): credentials are made per use
            (:meth:`resolved`) and replace ``username``/``credential``.
    """

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None
    shared_secret: str | None = field(default=None, repr=False)

    def resolved(self, now_unix_s: float) -> IceServer:
        """This server with credentials usable now: fresh ones for a shared secret."""
        if self.shared_secret is None:
            return self
        username, credential = turn_rest_credentials(self.shared_secret, now_unix_s)
        return replace(self, username=username, credential=credential, shared_secret=None)


def turn_rest_credentials(
    secret: str, now_unix_s: float, ttl_s: int = TURN_CREDENTIAL_TTL_S
) -> tuple[str, str]:
    """A TURN REST username and credential valid for ``ttl_s`` from ``now_unix_s``."""
    username = f"{int(now_unix_s) + ttl_s}:{TURN_USER}"
    digest = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def rtc_ice_servers(servers: Iterable[IceServer], now_unix_s: float) -> list[RTCIceServer]:
    """``servers`` for aiortc, with credentials usable now."""
    resolved = (server.resolved(now_unix_s) for server in servers)
    return [RTCIceServer(list(s.urls), s.username, s.credential) for s in resolved]


def ice_servers_body(servers: Iterable[IceServer], now_unix_s: float) -> JsonObject:
    """The body of ``GET /api/ice-servers`` (the schema's ``ice_servers``)."""
    entries: list[JsonObject] = []
    for server in (server.resolved(now_unix_s) for server in servers):
        entry: JsonObject = {"urls": list(server.urls)}
        if server.username is not None and server.credential is not None:
            entry["username"] = server.username
            entry["credential"] = server.credential
        entries.append(entry)
    return {"ice_servers": entries}


def add_routes(app: web.Application, servers: tuple[IceServer, ...]) -> None:
    """Register ``GET /api/ice-servers`` on ``app``. It needs no credential: whoever may offer
    needs it first (the edge checks of :mod:`gazertc.server.guards` apply)."""

    async def get_ice_servers(_: web.Request) -> web.Response:
        # Fresh credentials in every answer: nothing may keep them.
        return web.json_response(
            ice_servers_body(servers, time.time()), headers={"Cache-Control": "no-store"}
        )

    app.router.add_get(ICE_SERVERS_PATH, get_ice_servers)
